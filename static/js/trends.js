/* Trends: a hand-written canvas renderer for up to a few hundred thousand points.
   Each series (a verdict class, confirmed or not) is one path; points landing on a pixel already
   drawn for their series are skipped (per-pixel decimation), a line is reduced to its min and max per
   pixel column, and hovering looks the nearest point up in a grid of cells (a spatial index) instead
   of scanning every point. The series come from the API as one array per column. */
(function () {
  "use strict";

  const PAD = { left: 48, right: 14, top: 14, bottom: 44 };
  const LANE = 8; // the labels' lane under the plot area
  const CELL = 8; // spatial index cell, CSS pixels
  const HOVER_RADIUS = 8;
  const LIVE_DELAY = 10000;

  function niceTicks(min, max, count) {
    if (!(max > min)) return [min];
    const raw = (max - min) / count;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
    const ticks = [];
    for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(v);
    return ticks;
  }

  function timeTicks(min, max, count) {
    const spans = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400, 2 * 86400, 7 * 86400, 30 * 86400, 91 * 86400, 365 * 86400];
    const want = (max - min) / count;
    const step = spans.find((s) => s >= want) || spans[spans.length - 1];
    const ticks = [];
    for (let v = Math.ceil(min / step) * step; v <= max; v += step) ticks.push(v);
    return { ticks, step };
  }

  function formatX(axis, value, step) {
    if (axis === "time") {
      const d = new Date(value * 1000);
      if (step && step >= 86400) return d.toISOString().slice(0, 10);
      return d.toISOString().slice(5, 16).replace("T", " ");
    }
    if (axis === "run") return String(Math.round(value));
    return Math.abs(value) >= 1000 || Number.isInteger(value) ? String(Math.round(value * 100) / 100) : value.toPrecision(3);
  }

  class Trend {
    constructor(root) {
      this.root = root;
      this.canvas = root.querySelector("canvas");
      this.tip = root.querySelector(".trend-tip");
      this.ctx = this.canvas.getContext("2d");
      this.data = null;
      this.hover = -1;
      this.index = null;
      this.canvas.addEventListener("mousemove", (e) => this.onMove(e));
      this.canvas.addEventListener("mouseleave", () => this.setHover(-1));
      this.canvas.addEventListener("click", (e) => this.onClick(e));
      if (window.ResizeObserver) new ResizeObserver(() => this.data && this.draw()).observe(root);
    }

    async load() {
      const started = performance.now();
      this.root.dataset.state = "loading";
      const response = await fetch(this.root.dataset.seriesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) {
        let message = `The series could not be read (${response.status}).`;
        try {
          const body = await response.json();
          if (body && body.error && body.error.message) message = body.error.message;
        } catch (e) {
          /* not JSON */
        }
        this.summary(message);
        this.root.dataset.state = "error";
        return;
      }
      this.data = await response.json();
      this.fetched = performance.now() - started;
      this.prepare();
      this.draw();
      this.legend();
      const d = this.data;
      let text = `${d.count.toLocaleString()} ${d.kind === "group" ? "runs" : "plots"}`;
      if (d.dropped) text += `, ${d.dropped.toLocaleString()} without an x value left out`;
      if (d.truncated) text += " (the newest only: narrow the run range)";
      this.summary(text);
      this.root.dataset.state = d.count ? "ready" : "empty";
      this.root.dataset.readyMs = String(Math.round(performance.now() - started));
    }

    summary(text) {
      const el = document.getElementById("trend-summary");
      if (el) el.textContent = text;
    }

    prepare() {
      const d = this.data;
      const p = d.points;
      const xs = p.x;
      const ys = d.kind === "group" ? p.fraction : p.bad;
      this.n = xs.length;
      this.xs = Float64Array.from(xs);
      this.ys = new Float64Array(this.n);
      for (let i = 0; i < this.n; i++) this.ys[i] = ys[i] === null ? NaN : ys[i];
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < this.n; i++) {
        if (this.xs[i] < min) min = this.xs[i];
        if (this.xs[i] > max) max = this.xs[i];
      }
      for (const a of d.activations || []) {
        if (a[0] < min) min = a[0];
        if (a[0] > max) max = a[0];
      }
      if (!isFinite(min)) {
        min = 0;
        max = 1;
      }
      if (min === max) {
        min -= 1;
        max += 1;
      }
      const pad = (max - min) * 0.01;
      this.xmin = min - pad;
      this.xmax = max + pad;
    }

    layout() {
      const rect = this.root.getBoundingClientRect();
      const dpr = window.devicePixelRatio || 1;
      this.w = Math.max(200, Math.round(rect.width));
      this.h = Math.max(160, Math.round(rect.height));
      this.canvas.width = Math.round(this.w * dpr);
      this.canvas.height = Math.round(this.h * dpr);
      this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      const narrow = this.w < 500;
      this.pad = { ...PAD, left: narrow ? 36 : PAD.left };
      this.pw = this.w - this.pad.left - this.pad.right;
      this.ph = this.h - this.pad.top - this.pad.bottom - LANE - 4;
    }

    px(x) {
      return this.pad.left + ((x - this.xmin) / (this.xmax - this.xmin)) * this.pw;
    }

    py(y) {
      return this.pad.top + (1 - y) * this.ph;
    }

    draw() {
      const started = performance.now();
      this.layout();
      const ctx = this.ctx;
      ctx.clearRect(0, 0, this.w, this.h);
      this.axes();
      if (this.data.kind === "group") this.drawLine();
      else {
        this.drawThresholds();
        this.drawActivations();
        this.drawPoints();
        this.drawLabels();
      }
      this.buildIndex();
      this.keepBase();
      this.drawMs = performance.now() - started;
      if (this.hover >= 0) this.highlight(this.hover);
    }

    keepBase() {
      // A copy of the drawn chart: hovering restores it and draws one ring, never every point again.
      if (!this.base) this.base = document.createElement("canvas");
      this.base.width = this.canvas.width;
      this.base.height = this.canvas.height;
      this.base.getContext("2d").drawImage(this.canvas, 0, 0);
    }

    restoreBase() {
      const ctx = this.ctx;
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
      ctx.drawImage(this.base, 0, 0);
      ctx.restore();
    }

    axes() {
      const ctx = this.ctx;
      const d = this.data;
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillStyle = "#5b6779";
      ctx.strokeStyle = "#e6eaf0";
      ctx.lineWidth = 1;
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      ctx.beginPath();
      for (const y of [0, 0.25, 0.5, 0.75, 1]) {
        const py = Math.round(this.py(y)) + 0.5;
        ctx.moveTo(this.pad.left, py);
        ctx.lineTo(this.pad.left + this.pw, py);
        ctx.fillText(y.toFixed(2), this.pad.left - 6, py);
      }
      ctx.stroke();
      const count = Math.max(2, Math.floor(this.pw / 90));
      let ticks;
      let step = 0;
      if (d.x === "time") ({ ticks, step } = timeTicks(this.xmin, this.xmax, count));
      else ticks = niceTicks(this.xmin, this.xmax, count);
      if (d.x === "run") ticks = ticks.filter((t) => Number.isInteger(t));
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      const base = this.pad.top + this.ph;
      ctx.beginPath();
      for (const t of ticks) {
        const x = Math.round(this.px(t)) + 0.5;
        ctx.moveTo(x, base);
        ctx.lineTo(x, base + 4);
        ctx.fillText(formatX(d.x, t, step), x, base + LANE + 8);
      }
      ctx.strokeStyle = "#8a94a6";
      ctx.moveTo(this.pad.left, base + 0.5);
      ctx.lineTo(this.pad.left + this.pw, base + 0.5);
      ctx.stroke();
      ctx.fillText(d.x_label, this.pad.left + this.pw / 2, this.h - 14);
      ctx.save();
      ctx.translate(11, this.pad.top + this.ph / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = "middle";
      ctx.fillText(d.y_label, 0, 0);
      ctx.restore();
    }

    badNames() {
      return new Set(this.data.classes.filter((c) => c[3]).map((c) => c[1]));
    }

    drawThresholds() {
      const ctx = this.ctx;
      const bad = this.badNames();
      ctx.save();
      ctx.setLineDash([6, 4]);
      ctx.lineWidth = 1.5;
      for (const m of this.data.models) {
        const [, name, thresholds, from, to] = m;
        if (from === null) continue;
        const x0 = Math.max(this.pad.left, this.px(from) - 4);
        const x1 = Math.min(this.pad.left + this.pw, this.px(to) + 4);
        for (const [cls, value] of thresholds) {
          if (!bad.has(cls)) continue; // the y axis is the Bad confidence: its threshold is the line that matters
          const y = Math.round(this.py(value)) + 0.5;
          ctx.strokeStyle = "#d62828";
          ctx.beginPath();
          ctx.moveTo(x0, y);
          ctx.lineTo(x1, y);
          ctx.stroke();
          ctx.fillStyle = "#d62828";
          ctx.textAlign = "left";
          ctx.textBaseline = "bottom";
          ctx.fillText(`${cls} ≥ ${value} (${name})`, x0 + 4, y - 2);
        }
      }
      ctx.restore();
    }

    drawActivations() {
      const ctx = this.ctx;
      ctx.save();
      ctx.strokeStyle = "#1f5fa8";
      ctx.fillStyle = "#1f5fa8";
      ctx.setLineDash([2, 3]);
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      for (const a of this.data.activations || []) {
        const x = Math.round(this.px(a[0])) + 0.5;
        ctx.beginPath();
        ctx.moveTo(x, this.pad.top);
        ctx.lineTo(x, this.pad.top + this.ph);
        ctx.stroke();
        ctx.fillText(`▲ ${a[2]}`, x + 3, this.pad.top + 2);
      }
      ctx.restore();
    }

    drawPoints() {
      const ctx = this.ctx;
      const p = this.data.points;
      const classes = this.data.classes;
      const w = Math.ceil(this.w);
      const h = Math.ceil(this.h);
      const series = classes.length * 2 + 2;
      // One occupancy bit per CSS pixel and series: a point on a pixel its series already has is skipped.
      const seen = new Uint32Array(w * h);
      const paths = new Array(series);
      for (let s = 0; s < series; s++) paths[s] = new Path2D();
      const verdict = p.verdict;
      const confirmed = p.confirmed;
      let drawn = 0;
      for (let i = 0; i < this.n; i++) {
        const y = this.ys[i];
        if (y !== y) continue;
        const x = this.px(this.xs[i]) | 0;
        const yy = this.py(y) | 0;
        const v = verdict[i] < 0 ? classes.length : verdict[i];
        const s = v * 2 + (confirmed[i] ? 0 : 1);
        const bit = 1 << (s & 31);
        const at = yy * w + x;
        if (seen[at] & bit) continue;
        seen[at] |= bit;
        if (confirmed[i]) paths[s].rect(x - 1.5, yy - 1.5, 3, 3);
        else paths[s].rect(x - 1, yy - 1, 2.5, 2.5);
        drawn++;
      }
      this.drawn = drawn;
      for (let s = 0; s < series; s++) {
        const cls = classes[s >> 1];
        const colour = cls ? cls[2] : "#8a94a6";
        if (s & 1) {
          ctx.strokeStyle = colour;
          ctx.lineWidth = 1;
          ctx.stroke(paths[s]);
        } else {
          ctx.fillStyle = colour;
          ctx.fill(paths[s]);
        }
      }
    }

    drawLabels() {
      // The plots' current labels, as a lane under the axis: per pixel column the last label in it.
      const ctx = this.ctx;
      const p = this.data.points;
      const classes = this.data.classes;
      const columns = new Int16Array(Math.ceil(this.w)).fill(-1);
      for (let i = 0; i < this.n; i++) {
        if (p.label[i] < 0) continue;
        columns[this.px(this.xs[i]) | 0] = p.label[i];
      }
      const paths = classes.map(() => new Path2D());
      const top = this.pad.top + this.ph + 2;
      let any = false;
      for (let x = 0; x < columns.length; x++) {
        const c = columns[x];
        if (c < 0) continue;
        paths[c].rect(x, top, 1, LANE);
        any = true;
      }
      classes.forEach((cls, i) => {
        ctx.fillStyle = cls[2];
        ctx.fill(paths[i]);
      });
      this.hasLabels = any;
    }

    drawLine() {
      // The Bad fraction per run: min and max per pixel column, one path.
      const ctx = this.ctx;
      const w = Math.ceil(this.w);
      const lo = new Float64Array(w).fill(Infinity);
      const hi = new Float64Array(w).fill(-Infinity);
      const first = new Float64Array(w).fill(NaN);
      const last = new Float64Array(w).fill(NaN);
      for (let i = 0; i < this.n; i++) {
        const x = this.px(this.xs[i]) | 0;
        const y = this.py(this.ys[i]);
        if (y < lo[x]) lo[x] = y;
        if (y > hi[x]) hi[x] = y;
        if (first[x] !== first[x]) first[x] = y;
        last[x] = y;
      }
      const path = new Path2D();
      let started = false;
      for (let x = 0; x < w; x++) {
        if (lo[x] === Infinity) continue;
        if (!started) path.moveTo(x, first[x]);
        else path.lineTo(x, first[x]);
        started = true;
        if (hi[x] !== lo[x]) {
          path.lineTo(x, lo[x]);
          path.lineTo(x, hi[x]);
        }
        path.lineTo(x, last[x]);
      }
      ctx.strokeStyle = "#d62828";
      ctx.lineWidth = 1.5;
      ctx.stroke(path);
      if (this.n <= this.pw / 4) {
        const dots = new Path2D();
        for (let i = 0; i < this.n; i++) dots.rect(this.px(this.xs[i]) - 2, this.py(this.ys[i]) - 2, 4, 4);
        ctx.fillStyle = "#d62828";
        ctx.fill(dots);
      }
    }

    buildIndex() {
      // A grid of CELL-pixel cells; cells hold point indices (counting sort into one Int32Array).
      const cols = Math.ceil(this.w / CELL) + 1;
      const rows = Math.ceil(this.h / CELL) + 1;
      const counts = new Int32Array(cols * rows + 1);
      const cellOf = new Int32Array(this.n);
      for (let i = 0; i < this.n; i++) {
        const y = this.ys[i];
        if (y !== y) {
          cellOf[i] = -1;
          continue;
        }
        const c = ((this.py(y) / CELL) | 0) * cols + ((this.px(this.xs[i]) / CELL) | 0);
        cellOf[i] = c;
        counts[c + 1]++;
      }
      for (let c = 1; c < counts.length; c++) counts[c] += counts[c - 1];
      const fill = counts.slice();
      const items = new Int32Array(this.n);
      for (let i = 0; i < this.n; i++) if (cellOf[i] >= 0) items[fill[cellOf[i]]++] = i;
      this.index = { cols, rows, starts: counts, items };
    }

    nearest(mx, my) {
      const ix = this.index;
      if (!ix) return -1;
      const cx = (mx / CELL) | 0;
      const cy = (my / CELL) | 0;
      let best = -1;
      let bestD = HOVER_RADIUS * HOVER_RADIUS;
      for (let y = cy - 1; y <= cy + 1; y++) {
        if (y < 0 || y >= ix.rows) continue;
        for (let x = cx - 1; x <= cx + 1; x++) {
          if (x < 0 || x >= ix.cols) continue;
          const c = y * ix.cols + x;
          for (let k = ix.starts[c]; k < ix.starts[c + 1]; k++) {
            const i = ix.items[k];
            const dx = this.px(this.xs[i]) - mx;
            const dy = this.py(this.ys[i]) - my;
            const d = dx * dx + dy * dy;
            if (d <= bestD) {
              bestD = d;
              best = i;
            }
          }
        }
      }
      return best;
    }

    pointer(e) {
      const rect = this.canvas.getBoundingClientRect();
      return [e.clientX - rect.left, e.clientY - rect.top];
    }

    onMove(e) {
      if (!this.data) return;
      const [mx, my] = this.pointer(e);
      this.setHover(this.nearest(mx, my));
    }

    setHover(i) {
      if (i === this.hover) return;
      this.hover = i;
      if (this.base) this.restoreBase();
      if (i >= 0) this.highlight(i);
      this.showTip(i);
      this.canvas.style.cursor = i >= 0 ? "pointer" : "crosshair";
    }

    highlight(i) {
      const ctx = this.ctx;
      ctx.save();
      ctx.strokeStyle = "#111a2e";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(this.px(this.xs[i]), this.py(this.ys[i]), 5, 0, Math.PI * 2);
      ctx.stroke();
      ctx.restore();
    }

    describe(i) {
      const d = this.data;
      const p = d.points;
      if (d.kind === "group") {
        return `Run ${p.run[i]}\nBad ${p.bad[i]} of ${p.total[i]} (${(p.fraction[i] * 100).toFixed(1)} %)\nClick to browse the run's Bad plots`;
      }
      const cls = d.classes[p.verdict[i]];
      const label = p.label[i] >= 0 ? d.classes[p.label[i]][1] : "not labeled";
      const model = d.models[p.model[i]];
      const lines = [
        `Run ${p.run[i]} · plot ${p.plot[i]}`,
        `Verdict ${cls ? cls[1] : "?"}${p.confirmed[i] ? "" : " (unconfirmed)"}`,
        `Bad confidence ${p.bad[i] === null ? "–" : p.bad[i].toFixed(4)}`,
        `Label ${label}`,
        `Model ${model ? model[1] : "?"}`,
      ];
      if (d.x !== "run") lines.splice(1, 0, `${d.x === "time" ? "time" : d.x.slice(5)} ${formatX(d.x, p.x[i], 0)}`);
      return lines.join("\n");
    }

    showTip(i) {
      if (i < 0) {
        this.tip.hidden = true;
        return;
      }
      this.tip.textContent = this.describe(i);
      this.tip.hidden = false;
      const x = this.px(this.xs[i]);
      const y = this.py(this.ys[i]);
      const left = x + 12 + 240 > this.w ? x - 12 - this.tip.offsetWidth : x + 12;
      this.tip.style.left = `${Math.max(0, left)}px`;
      this.tip.style.top = `${Math.max(0, Math.min(y - 10, this.h - this.tip.offsetHeight))}px`;
    }

    onClick(e) {
      if (!this.data) return;
      const [mx, my] = this.pointer(e);
      const i = this.nearest(mx, my);
      if (i < 0) return;
      const d = this.data;
      if (d.kind === "group") window.location.assign(d.run_url.replace("{run}", d.points.run[i]));
      else window.location.assign(d.plot_url.replace("{id}", d.points.plot[i]));
    }

    legend() {
      const list = document.getElementById("trend-legend");
      if (!list) return;
      const items = [];
      const item = (colour, text, line) => {
        const li = document.createElement("li");
        const sw = document.createElement("span");
        sw.className = line ? "swatch line" : "swatch";
        if (line) sw.style.color = colour;
        else sw.style.background = colour;
        li.append(sw, document.createTextNode(text));
        items.push(li);
      };
      const d = this.data;
      if (d.kind === "group") item("#d62828", "Bad fraction per run", false);
      else {
        const used = new Set(d.points.verdict);
        d.classes.forEach((c, i) => used.has(i) && item(c[2], `${c[1]} verdict (hollow: unconfirmed)`, false));
        item("#d62828", "Bad threshold of the model", true);
        if ((d.activations || []).length) item("#1f5fa8", "model activated", true);
        if (this.hasLabels) item("#8a94a6", "lane under the axis: current labels, in their class colour", false);
      }
      list.replaceChildren(...items);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const select of document.querySelectorAll("[data-trend-nav]")) {
      select.addEventListener("change", () => select.value && window.location.assign(select.value));
    }
    // The free-text condition axis wins over the list: choosing from the list clears it.
    const axis = document.getElementById("t-x");
    const byCondition = document.querySelector("[data-x-condition]");
    if (axis && byCondition) axis.addEventListener("change", () => (byCondition.value = ""));
    const root = document.getElementById("trend");
    if (!root) return;
    const trend = new Trend(root);
    window.HydraTrend = trend;
    trend.load();
    const live = window.Hydra && window.Hydra.live;
    if (!live) return;
    let timer = null;
    const again = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        trend.load().then(() => {
          const note = document.getElementById("trend-new");
          if (note) note.hidden = false;
        });
      }, LIVE_DELAY);
    };
    live.on("verdicts.new", (p) => {
      if (root.dataset.kind === "group" || String(p.plot_type) === root.dataset.subject) again();
    });
    live.on("resync", again);
  });
})();
