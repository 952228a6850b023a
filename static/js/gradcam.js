// GradCAM overlay on the plot page: a toggle and an opacity slider, remembered in this browser.
(function () {
  const overlay = document.getElementById("gradcam");
  const toggle = document.getElementById("gradcam-toggle");
  const opacity = document.getElementById("gradcam-opacity");
  if (!overlay || !toggle || !opacity) return;
  const saved = JSON.parse(localStorage.getItem("hydra.gradcam") || '{"on": false, "opacity": 55}');
  function apply() {
    overlay.hidden = !toggle.checked;
    overlay.style.opacity = String(opacity.value / 100);
    localStorage.setItem("hydra.gradcam", JSON.stringify({ on: toggle.checked, opacity: Number(opacity.value) }));
  }
  toggle.checked = !!saved.on;
  opacity.value = saved.opacity;
  toggle.addEventListener("change", apply);
  opacity.addEventListener("input", apply);
  apply();
})();
