/* Validation jobs in the overview's list update live; finished map jobs offer a reload on the explore page. */
(function () {
  "use strict";
  if (!window.Hydra || !Hydra.live) return;
  const list = document.getElementById("validation-jobs");

  function row(job) {
    const li = document.createElement("li");
    li.dataset.job = job.id;
    const part = (className) => Object.assign(document.createElement("span"), { className });
    const progress = document.createElement("progress");
    progress.max = 1;
    li.append(part("job-status"), part("job-title"), part("muted small job-message"), progress);
    return li;
  }

  function update(job, announce = true) {
    if (!String(job.kind || "").startsWith("validation.")) return;
    if (list) {
      let li = list.querySelector(`[data-job="${job.id}"]`);
      if (!li) {
        li = row(job);
        const empty = list.querySelector(":scope > li.muted"); // "None yet.", not a row's message
        if (empty && !empty.dataset.job) empty.remove();
        list.prepend(li);
      }
      const status = li.querySelector(".job-status");
      status.className = "job-status job-" + job.status;
      status.textContent = job.status;
      li.querySelector(".job-title").textContent = job.title;
      li.querySelector(".job-message").textContent = job.message || "";
      li.querySelector("progress").value = job.progress || 0;
    }
    if (!announce) return;
    if (job.status === "done" && job.kind === "validation.map" && !list && Hydra.toast) {
      Hydra.toast(`${job.title}: done. Reload the page to see the new map.`, "success");
    }
    if (job.status === "failed" && Hydra.toast) Hydra.toast(`${job.title} failed: ${job.message}`, "error");
  }
  Hydra.live.on("jobs.update", (job) => update(job));

  async function fetchJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    return response.ok ? response.json() : null;
  }
  function shownStatus(id) {
    const status = list && list.querySelector(`[data-job="${id}"] .job-status`);
    return status ? status.className.replace(/^.*\bjob-(\w+)$/, "$1") : null;
  }
  // Back from a reconnect: the updates pushed meanwhile were lost, so the newest jobs are read again
  // (oldest first, so the newest ends on top); a change is announced as a push would have been.
  Hydra.live.on("resync", async () => {
    if (!list) return;
    const page = await fetchJson("/api/v1/jobs/");
    if (!page) return;
    const seen = new Set();
    const newest = Math.max(0, ...Array.from(list.querySelectorAll("[data-job]"), (li) => Number(li.dataset.job)));
    for (const job of (page.results || []).slice().reverse()) {
      seen.add(String(job.id));
      const shown = shownStatus(job.id);
      if (shown === null && job.id < newest) continue; // older than the list: it was never shown
      update(job, shown !== job.status);
    }
    for (const li of list.querySelectorAll("[data-job]")) {
      if (seen.has(li.dataset.job)) continue;
      const job = await fetchJson(`/api/v1/jobs/${li.dataset.job}/`);
      if (job) update(job, shownStatus(job.id) !== job.status);
    }
  });
})();
