/* Shared helpers for every page: toasts, CSRF-aware fetch, the shortcut dialog, auto-submitting selects. */
(function () {
  "use strict";
  const Hydra = (window.Hydra = window.Hydra || {});

  Hydra.csrfToken = function () {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  };

  /** POST JSON (or a FormData) with the CSRF token; resolves to {ok, status, data}. */
  Hydra.post = async function (url, body) {
    const isForm = body instanceof FormData;
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: Object.assign(
        { "X-CSRFToken": Hydra.csrfToken(), Accept: "application/json" },
        isForm ? {} : { "Content-Type": "application/json" }
      ),
      body: isForm ? body : JSON.stringify(body),
    });
    let data = {};
    try {
      data = await response.json();
    } catch (e) {
      data = { message: response.statusText };
    }
    return { ok: response.ok, status: response.status, data };
  };

  /** Black or white text, whichever reads better on the hex colour ``bg`` (same rule as the server's). */
  Hydra.textOn = function (bg) {
    const hex = (bg || "").replace("#", "");
    if (hex.length !== 6) return "#111827";
    const channel = (i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    };
    const lum = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
    return (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) ? "#111827" : "#ffffff";
  };

  Hydra.toast = function (message, kind) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast toast-" + (kind || "info");
    item.textContent = message;
    box.appendChild(item);
    setTimeout(() => item.classList.add("leaving"), 3500);
    setTimeout(() => item.remove(), 4000);
  };

  // Inputs whose keys are text: checkboxes, radios, buttons and the like take no letters.
  const TEXT_INPUTS = ["text", "search", "email", "url", "tel", "password", "number",
    "date", "datetime-local", "month", "week", "time"];
  const SLIDER_KEYS = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"];

  /** True while the user types in a field: page shortcuts must not fire then.
   *  A clicked checkbox, slider or button keeps focus but takes no letters, so shortcuts still work;
   *  a slider keeps its own arrow keys. */
  Hydra.typing = function (event) {
    const t = event.target;
    if (event.isComposing) return true;
    if (!t || !t.closest) return false;
    if (t.closest("textarea, select, [contenteditable=''], [contenteditable=true]")) return true;
    if (t.tagName !== "INPUT") return false;
    const type = t.type; // the browser's reading: a missing or unknown type is "text"
    if (type === "range") return SLIDER_KEYS.includes(event.key);
    return TEXT_INPUTS.includes(type);
  };

  Hydra.plainKey = function (event) {
    return !event.ctrlKey && !event.metaKey && !event.altKey;
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
      select.addEventListener("change", () => select.form.requestSubmit());
    });
    const help = document.getElementById("shortcuts");
    document.addEventListener("keydown", (event) => {
      if (event.key === "?" && !Hydra.typing(event) && help && !help.open) {
        event.preventDefault();
        help.showModal();
      }
    });
  });
})();
