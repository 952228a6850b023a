/* The report page follows its job's progress and redraws itself when the report is recomputed
   (a "validation.updated" event, e.g. after new plots of either campaign arrived). */
(function () {
  "use strict";
  const root = document.getElementById("report");
  if (!root || !window.Hydra || !Hydra.live) return;
  const id = root.dataset.report;

  async function refresh() {
    const response = await fetch(root.dataset.partial, { credentials: "same-origin" });
    if (!response.ok) return;
    // The partial is rendered (and escaped) by Django; it is parsed in an inert document and its nodes
    // moved over, so nothing is ever assigned as markup to the live page.
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    root.replaceChildren(...Array.from(doc.body.childNodes, (node) => document.adoptNode(node)));
    root.dataset.updated = String(Date.now());
  }

  Hydra.live.on("validation.updated", (payload) => {
    if (payload.kind === "report" && String(payload.report) === id) {
      refresh().then(() => Hydra.toast && Hydra.toast("Report recomputed", "success"));
    }
  });
  Hydra.live.on("jobs.update", (job) => {
    if (job.kind !== "validation.report") return;
    const box = root.querySelector(".job-progress");
    if (!box || String(job.id) !== box.dataset.job) {
      if (job.status === "queued" || job.status === "running") refresh();
      return;
    }
    box.hidden = job.status === "done" || job.status === "failed";
    box.querySelector("progress").value = job.progress;
    box.querySelector(".job-message").textContent = job.message;
  });
})();
