/* Alarm list and alarm page: j/k move between alarms, Enter opens one, "/" jumps to the filters;
   a pushed "alerts.changed" event offers a reload (only for this alarm on its own page). */
(function () {
  "use strict";
  function $$(sel, root) { return Array.from((root || document).querySelectorAll(sel)); }

  function rows() { return $$(".al-row"); }
  function current() { return document.querySelector(".al-row.al-current"); }
  function move(step) {
    const all = rows();
    if (!all.length) return;
    const at = all.indexOf(current());
    const next = all[Math.max(0, Math.min(all.length - 1, at < 0 ? 0 : at + step))];
    all.forEach((row) => row.classList.remove("al-current"));
    next.classList.add("al-current");
    const link = next.querySelector(".al-link");
    if (link) link.focus();
  }

  document.addEventListener("keydown", (event) => {
    const tag = (event.target.tagName || "").toLowerCase();
    if (["input", "select", "textarea"].includes(tag) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") { move(1); event.preventDefault(); }
    else if (event.key === "k") { move(-1); event.preventDefault(); }
    else if (event.key === "/") {
      const first = document.querySelector("form[role=search] select");
      if (first) { first.focus(); event.preventDefault(); }
    }
  });

  document.addEventListener("hydra:alerts.changed", (event) => {
    const note = document.getElementById("al-new");
    if (!note) return;
    const only = note.dataset.alarm;
    if (only && String(event.detail.alarm) !== only) return;
    note.hidden = false;
  });
})();
