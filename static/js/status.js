/* Status page: the panel is fetched again when a job, plot or verdict event arrives (push, at most
   every two seconds), and ages count up locally between events. The answer is parsed inertly and
   its nodes adopted; nothing is written as HTML. */
document.addEventListener("DOMContentLoaded", () => {
  "use strict";
  const holder = document.getElementById("status-panel");
  if (!holder) return;
  const url = holder.dataset.panelUrl;
  const MIN_GAP = 2000;
  let last = 0;
  let timer = null;
  let busy = false;

  async function refresh() {
    timer = null;
    if (busy) {
      schedule();
      return;
    }
    busy = true;
    last = Date.now();
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const panel = doc.querySelector(".status-panel");
      if (panel) holder.replaceChildren(document.adoptNode(panel));
      tick();
    } catch (e) {
      /* offline for a moment: the next event or the re-sync tries again */
    } finally {
      busy = false;
    }
  }

  function schedule() {
    if (timer) return;
    timer = setTimeout(refresh, Math.max(0, MIN_GAP - (Date.now() - last)));
  }

  function tick() {
    const now = Date.now();
    for (const cell of holder.querySelectorAll("[data-since]")) {
      const age = Math.max(0, Math.round((now - Date.parse(cell.dataset.since)) / 1000));
      const limit = Number(cell.dataset.staleAfter || 0);
      cell.textContent = cell.textContent.endsWith("ago") ? `${age} s ago` : `${age} s`;
      const row = cell.closest("tr");
      if (row && limit) row.classList.toggle("stale", age > limit);
    }
  }

  const live = window.Hydra && window.Hydra.live;
  if (live) {
    for (const type of ["jobs.update", "plots.created", "verdicts.new", "resync"]) live.on(type, schedule);
  }
  setInterval(tick, 5000);
});
