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

  Hydra.live.on("jobs.update", (job) => {
    if (!String(job.kind || "").startsWith("validation.")) return;
    if (list) {
      let li = list.querySelector(`[data-job="${job.id}"]`);
      if (!li) {
        li = row(job);
        const empty = list.querySelector(".muted");
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
    if (job.status === "done" && job.kind === "validation.map" && !list && Hydra.toast) {
      Hydra.toast(`${job.title}: done. Reload the page to see the new map.`, "success");
    }
    if (job.status === "failed" && Hydra.toast) Hydra.toast(`${job.title} failed: ${job.message}`, "error");
  });
})();
