/* The plot page: zoom, ←/→ through runs, label hotkeys, and labels saved by others shown live. */
(function () {
  "use strict";
  const Hydra = window.Hydra;
  const plotId = JSON.parse(document.getElementById("plot-id").textContent);
  const viewer = document.getElementById("viewer");
  const image = document.getElementById("plot-image");
  const zoom = document.getElementById("zoom");
  const zoomValue = document.getElementById("zoom-value");
  const form = document.getElementById("label-form");
  const current = document.getElementById("current-label");

  function setZoom(percent) {
    if (!percent) {
      viewer.classList.remove("zoomed");
      image.style.width = "";
      zoom.value = 100;
      zoomValue.textContent = "fit";
      return;
    }
    viewer.classList.add("zoomed");
    image.style.width = `${(image.naturalWidth * percent) / 100}px`;
    zoom.value = percent;
    zoomValue.textContent = `${percent} %`;
  }
  zoom.addEventListener("input", () => setZoom(Number(zoom.value)));
  document.getElementById("zoom-fit").addEventListener("click", () => setZoom(0));
  image.addEventListener("click", () => setZoom(viewer.classList.contains("zoomed") ? 0 : 200));

  // The neighbouring runs scroll sideways: centre this plot's run in the strip (the page stays put).
  const strip = document.querySelector(".strip");
  const here = strip && strip.querySelector('[aria-current="true"]');
  if (here && strip.scrollWidth > strip.clientWidth) {
    const offset = here.getBoundingClientRect().left - strip.getBoundingClientRect().left;
    strip.scrollLeft += offset - (strip.clientWidth - here.offsetWidth) / 2;
  }

  function showLabel(cls, who) {
    current.textContent = "";
    const pill = document.createElement("span");
    if (cls) {
      pill.className = "cls";
      pill.textContent = cls.name;
      pill.style.background = cls.colour;
      pill.style.color = Hydra.textOn(cls.colour);
    } else {
      pill.className = "cls cls-none";
      pill.textContent = "Unlabeled";
    }
    current.appendChild(pill);
    if (who) {
      const note = document.createElement("span");
      note.className = "muted small";
      note.textContent = `by ${who}, just now`;
      current.appendChild(note);
    }
    if (form) {
      form.querySelectorAll("button[name=label_class]").forEach((b) => {
        b.setAttribute("aria-pressed", String(Boolean(cls) && cls.name === b.dataset.name));
      });
    }
    const none = document.getElementById("no-history");
    if (none) none.remove();
    if (cls) {
      const item = document.createElement("li");
      item.appendChild(pill.cloneNode(true));
      const by = document.createElement("span");
      by.textContent = who || "";
      item.appendChild(by);
      document.getElementById("history").prepend(item);
    }
  }

  async function submit(data) {
    const answer = await Hydra.post(form.action, data);
    Hydra.toast(answer.data.message || (answer.ok ? "Saved" : "Could not save"), answer.ok ? "success" : "error");
    if (answer.ok) showLabel(answer.data.label, document.body.dataset.user);
  }

  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const button = event.submitter;
      const data = new FormData(form);
      if (button) data.append(button.name, button.value);
      submit(data);
    });
  }

  document.addEventListener("keydown", (event) => {
    if (Hydra.typing(event) || !Hydra.plainKey(event) || document.querySelector("dialog[open]")) return;
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      const link = document.getElementById(event.key === "ArrowLeft" ? "prev-run" : "next-run");
      if (link) {
        event.preventDefault();
        location.href = link.href;
      }
      return;
    }
    if (form) {
      const key = event.key === "Backspace" ? "Delete" : event.key;
      const button =
        form.querySelector(`button[data-hotkey="${CSS.escape(key)}"]`) ||
        form.querySelector(`button[data-hotkey="${CSS.escape(key.toLowerCase())}"]`);
      if (button) {
        event.preventDefault();
        button.click();
        return;
      }
    }
    if (event.key === "z") setZoom(viewer.classList.contains("zoomed") ? 0 : 200);
  });

  Hydra.live.on("labels.saved", (payload) => {
    if (payload.user === document.body.dataset.user) return;
    const mine = (payload.labels || []).find((l) => l.plot === plotId);
    if (mine) showLabel({ name: mine["class"], colour: mine.colour }, payload.user || "someone");
  });
  Hydra.live.on("labels.erased", (payload) => {
    if (payload.user !== document.body.dataset.user && (payload.plots || []).includes(plotId)) showLabel(null);
  });
})();
