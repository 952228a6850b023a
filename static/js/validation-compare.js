/* Compare page: the Siamese score arrives from its own URL (it needs a Keras model); the error-map opacity slider. */
(function () {
  "use strict";
  const box = document.getElementById("siamese");
  if (box && !box.dataset.none) {
    fetch(box.dataset.url, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((data) => {
        const value = document.getElementById("siamese-value");
        if (data.score === null || data.score === undefined) { value.textContent = "—"; return; }
        const verdict = document.createElement("span");
        verdict.className = `verdict verdict-${data.verdict}`;
        verdict.textContent = data.verdict;
        value.replaceChildren(`${data.score.toFixed(3)} `, verdict);
      })
      .catch(() => (document.getElementById("siamese-value").textContent = "error"));
  }
  const slider = document.getElementById("ae-opacity");
  const heat = document.getElementById("ae-heat");
  if (slider && heat) {
    const apply = () => (heat.style.opacity = String(slider.value / 100));
    slider.addEventListener("input", apply);
    apply();
  }
})();
