/* Model pages: loss/accuracy curves drawn as inline SVG, and live training progress from
   "jobs.update" pushes (the job's result carries the epoch history). */
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const SERIES = [
    ["loss", "#1f5fa8", "left"],
    ["val_loss", "#8fb3e0", "left"],
    ["accuracy", "#2e9e4f", "right"],
    ["val_accuracy", "#9fd4ae", "right"],
  ];

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }

  /** Draw curves {loss: [...], val_loss: [...], accuracy: [...], ...} into an <svg viewBox="0 0 600 200">. */
  function drawCurves(svg, curves) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const W = 600, H = 200, L = 40, R = 40, T = 10, B = 22;
    const epochs = Math.max(0, ...SERIES.map(([k]) => (curves[k] || []).length));
    if (!epochs) {
      const t = el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "axis-label" }, svg);
      t.textContent = "no epochs yet";
      return;
    }
    const losses = SERIES.filter(([, , a]) => a === "left").flatMap(([k]) => curves[k] || []);
    const maxLoss = Math.max(1e-6, ...losses.filter(Number.isFinite)) * 1.05;
    const x = (i) => L + (epochs === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (epochs - 1));
    const yLeft = (v) => T + (1 - v / maxLoss) * (H - T - B);
    const yRight = (v) => T + (1 - v) * (H - T - B);
    for (let g = 0; g <= 4; g++) {
      const y = T + (g * (H - T - B)) / 4;
      el("line", { x1: L, x2: W - R, y1: y, y2: y, class: "grid" }, svg);
      el("text", { x: L - 4, y: y + 3, "text-anchor": "end", class: "axis-label" }, svg).textContent = (maxLoss * (1 - g / 4)).toFixed(2);
      el("text", { x: W - R + 4, y: y + 3, class: "axis-label" }, svg).textContent = (1 - g / 4).toFixed(2);
    }
    const step = Math.max(1, Math.ceil(epochs / 10));
    for (let i = 0; i < epochs; i += step) {
      el("text", { x: x(i), y: H - 6, "text-anchor": "middle", class: "axis-label" }, svg).textContent = i + 1;
    }
    for (const [key, colour, axis] of SERIES) {
      const values = curves[key] || [];
      if (!values.length) continue;
      const y = axis === "left" ? yLeft : yRight;
      const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
      el("polyline", { points, class: "series", stroke: colour }, svg);
      if (values.length === 1) el("circle", { cx: x(0), cy: y(values[0]), r: 3, fill: colour }, svg);
    }
    if (curves.best_epoch) {
      const bx = x(curves.best_epoch - 1);
      el("line", { x1: bx, x2: bx, y1: T, y2: H - B, stroke: "#f59f00", "stroke-dasharray": "4 3" }, svg);
    }
  }

  function showJob(box, job) {
    const pct = Math.round((job.progress || 0) * 100);
    const bar = box.querySelector(".progress");
    bar.setAttribute("aria-valuenow", pct);
    bar.querySelector("span").style.width = `${pct}%`;
    box.querySelector(".job-message").textContent = `${job.status}: ${job.message || ""}`;
    const history = (job.result || {}).history;
    const svg = box.querySelector("svg[data-curves='live']");
    if (svg && history) drawCurves(svg, history);
    if (job.status === "done" || job.status === "failed") {
      box.classList.add(`job-${job.status}`);
      if (job.status === "done") setTimeout(() => location.reload(), 1200);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const svg of document.querySelectorAll("svg[data-curves]")) {
      if (svg.dataset.curves === "live") continue;
      try { drawCurves(svg, JSON.parse(svg.dataset.curves || "{}")); } catch (e) { /* no curves */ }
    }
    const boxes = Array.from(document.querySelectorAll(".job-progress[data-job]"));
    for (const box of boxes) {
      try {
        const initial = JSON.parse(box.dataset.jobInitial || "null");
        if (initial) showJob(box, initial);
      } catch (e) { /* first push fills it */ }
    }
    const live = window.Hydra && window.Hydra.live;
    if (live && boxes.length) {
      live.on("jobs.update", (job) => {
        for (const box of boxes) if (String(job.id) === box.dataset.job) showJob(box, job);
      });
      // Back from a reconnect: progress pushed meanwhile was lost, so each job is read again.
      live.on("resync", async () => {
        for (const box of boxes) {
          if (box.classList.contains("job-done") || box.classList.contains("job-failed")) continue;
          const response = await fetch(`/api/v1/jobs/${box.dataset.job}/`, { credentials: "same-origin", headers: { Accept: "application/json" } });
          if (response.ok) showJob(box, await response.json());
        }
      });
    }
  });
  window.Hydra = window.Hydra || {};
  window.Hydra.drawCurves = drawCurves;
})();
