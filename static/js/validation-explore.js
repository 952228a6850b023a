/* The explore page: an embedding map of up to ~1e5 plots drawn on a canvas.

   Points arrive as one binary payload (see apps/validation/explore.py) and are drawn by writing
   pixels straight into an ImageData, rarest colour last so a few Bad plots among thousands of Good
   ones stay visible. Hover uses a screen-space grid index; selection, zoom and pan are drawn on an
   overlay canvas so the points are only redrawn when the view changes. */
(function () {
  "use strict";
  const canvas = document.getElementById("map");
  if (!canvas) return;
  const wrap = document.getElementById("map-wrap");
  const overlay = document.createElement("canvas");
  overlay.className = "map-overlay";
  overlay.setAttribute("aria-hidden", "true");
  wrap.appendChild(overlay);
  const tip = document.getElementById("map-tip");
  const tipImg = document.getElementById("tip-img");
  const tipText = document.getElementById("tip-text");
  const legendEl = document.getElementById("legend");
  const countEl = document.getElementById("map-count");
  const selText = document.getElementById("sel-text");
  const selThumbs = document.getElementById("sel-thumbs");
  const toLabeler = document.getElementById("to-labeler");
  const plotType = canvas.dataset.plotType;
  const MAX_LABELER_IDS = 500;
  const CELL = 8;

  const state = {
    n: 0, header: null, ids: null, x: null, y: null, run: null, codes: {}, outlier: null,
    colour: canvas.dataset.colour || "label", hidden: new Set(),
    view: null, sx: null, sy: null, order: null, grid: null, selected: null, hover: -1,
    width: 0, height: 0, dpr: 1, timings: {},
  };
  const Explore = (window.HydraExplore = { state, timings: state.timings });

  function parse(buffer) {
    const view = new DataView(buffer);
    const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
    if (magic !== "HVM1") throw new Error("unexpected map payload");
    const length = view.getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, length)));
    const n = header.n;
    let offset = 8 + length;
    const take = (Type) => {
      const array = new Type(buffer, offset, n);
      offset += Math.ceil((n * Type.BYTES_PER_ELEMENT) / 4) * 4;
      return array;
    };
    state.header = header;
    state.n = n;
    state.ids = take(Uint32Array);
    state.x = take(Float32Array);
    state.y = take(Float32Array);
    state.run = take(Uint32Array);
    for (const name of ["label", "cluster", "campaign", "run_period", "verdict", "anomaly"]) state.codes[name] = take(Uint16Array);
    state.outlier = take(Uint8Array);
  }

  function colourTable(name) {
    const legend = state.header.legends[name];
    const table = new Uint32Array(legend.length);
    legend.forEach((entry, i) => {
      const hex = entry.colour.replace("#", "");
      const r = parseInt(hex.slice(0, 2), 16), g = parseInt(hex.slice(2, 4), 16), b = parseInt(hex.slice(4, 6), 16);
      table[i] = (255 << 24) | (b << 16) | (g << 8) | r; // ImageData is RGBA in memory: little-endian ABGR words
    });
    return table;
  }

  function drawOrder() {
    // Most common category first, rarest last (on top); unlabeled/none underneath everything.
    const codes = state.codes[state.colour];
    const counts = new Uint32Array(state.header.legends[state.colour].length);
    for (let i = 0; i < state.n; i++) counts[codes[i]]++;
    const rank = Array.from(counts.keys()).sort((a, b) => (a === 0 ? -1 : b === 0 ? 1 : counts[b] - counts[a]));
    const position = new Uint32Array(counts.length);
    rank.forEach((code, i) => (position[code] = i));
    const starts = new Uint32Array(counts.length);
    let sum = 0;
    for (const code of rank) { starts[position[code]] = sum; sum += counts[code]; }
    const order = new Uint32Array(state.n);
    for (let i = 0; i < state.n; i++) order[starts[position[codes[i]]]++] = i;
    state.order = order;
    state.counts = counts;
  }

  function resize() {
    const rect = wrap.getBoundingClientRect();
    state.dpr = Math.min(window.devicePixelRatio || 1, 2);
    state.width = Math.max(200, Math.floor(rect.width));
    state.height = Math.max(200, Math.floor(rect.height));
    for (const c of [canvas, overlay]) {
      c.width = Math.floor(state.width * state.dpr);
      c.height = Math.floor(state.height * state.dpr);
      c.style.width = state.width + "px";
      c.style.height = state.height + "px";
    }
  }

  function resetView() {
    const [x0, x1, y0, y1] = state.header.bounds;
    const pad = 0.04;
    const w = x1 - x0 || 1, h = y1 - y0 || 1;
    state.view = { x0: x0 - w * pad, x1: x1 + w * pad, y0: y0 - h * pad, y1: y1 + h * pad };
  }

  function project() {
    const { x0, x1, y0, y1 } = state.view;
    const W = state.width, H = state.height;
    const kx = W / (x1 - x0), ky = H / (y1 - y0);
    const sx = state.sx && state.sx.length === state.n ? state.sx : new Float32Array(state.n);
    const sy = state.sy && state.sy.length === state.n ? state.sy : new Float32Array(state.n);
    for (let i = 0; i < state.n; i++) {
      sx[i] = (state.x[i] - x0) * kx;
      sy[i] = H - (state.y[i] - y0) * ky;
    }
    state.sx = sx;
    state.sy = sy;
    buildGrid();
  }

  function buildGrid() {
    const cols = Math.ceil(state.width / CELL) + 1, rows = Math.ceil(state.height / CELL) + 1;
    const cellOf = new Int32Array(state.n);
    const counts = new Uint32Array(cols * rows + 1);
    for (let i = 0; i < state.n; i++) {
      const cx = Math.floor(state.sx[i] / CELL), cy = Math.floor(state.sy[i] / CELL);
      const visible = cx >= 0 && cy >= 0 && cx < cols && cy < rows && !state.hidden.has(state.codes[state.colour][i]);
      cellOf[i] = visible ? cy * cols + cx : -1;
      if (visible) counts[cellOf[i] + 1]++;
    }
    for (let c = 1; c < counts.length; c++) counts[c] += counts[c - 1];
    const items = new Uint32Array(counts[counts.length - 1]);
    const fill = counts.slice(0, -1);
    for (let i = 0; i < state.n; i++) if (cellOf[i] >= 0) items[fill[cellOf[i]]++] = i;
    state.grid = { cols, rows, starts: counts, items };
  }

  function render() {
    const t0 = performance.now();
    const ctx = canvas.getContext("2d");
    const W = canvas.width, H = canvas.height, dpr = state.dpr;
    const image = ctx.createImageData(W, H);
    const pixels = new Uint32Array(image.data.buffer);
    pixels.fill(0xffffffff);
    const table = colourTable(state.colour);
    const codes = state.codes[state.colour];
    const size = Math.max(2, Math.round((state.n > 30000 ? 2 : state.n > 3000 ? 3 : 5) * dpr));
    const half = size >> 1;
    const order = state.order;
    for (let k = 0; k < state.n; k++) {
      const i = order[k];
      const code = codes[i];
      if (state.hidden.has(code)) continue;
      const px = Math.round(state.sx[i] * dpr) - half, py = Math.round(state.sy[i] * dpr) - half;
      if (px < -size || py < -size || px >= W || py >= H) continue;
      const colour = table[code];
      const xa = Math.max(0, px), xb = Math.min(W, px + size), ya = Math.max(0, py), yb = Math.min(H, py + size);
      for (let yy = ya; yy < yb; yy++) {
        const row = yy * W;
        for (let xx = xa; xx < xb; xx++) pixels[row + xx] = colour;
      }
    }
    ctx.putImageData(image, 0, 0);
    state.timings.render = performance.now() - t0;
    drawOverlay();
  }

  function drawOverlay(box) {
    const ctx = overlay.getContext("2d");
    ctx.setTransform(state.dpr, 0, 0, state.dpr, 0, 0);
    ctx.clearRect(0, 0, state.width, state.height);
    if (state.selected && state.selBox) {
      // The selection stays a box in map coordinates, so it follows zoom and pan; few points get rings.
      const b = state.selBox, v = state.view;
      const x0 = ((b.x0 - v.x0) / (v.x1 - v.x0)) * state.width, x1 = ((b.x1 - v.x0) / (v.x1 - v.x0)) * state.width;
      const y0 = state.height - ((b.y1 - v.y0) / (v.y1 - v.y0)) * state.height;
      const y1 = state.height - ((b.y0 - v.y0) / (v.y1 - v.y0)) * state.height;
      ctx.strokeStyle = "#1f5fa8";
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
      if (state.selected.length <= 300) {
        ctx.strokeStyle = "rgba(17, 26, 46, 0.8)";
        ctx.lineWidth = 1;
        for (const i of state.selected) {
          ctx.beginPath();
          ctx.arc(state.sx[i], state.sy[i], 4, 0, 2 * Math.PI);
          ctx.stroke();
        }
      }
    }
    if (box) {
      ctx.fillStyle = "rgba(31, 95, 168, 0.12)";
      ctx.strokeStyle = "#1f5fa8";
      ctx.setLineDash([4, 3]);
      ctx.fillRect(box.x, box.y, box.w, box.h);
      ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.w, box.h);
      ctx.setLineDash([]);
    }
    if (state.hover >= 0) {
      const i = state.hover;
      ctx.strokeStyle = "#111a2e";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(state.sx[i], state.sy[i], 7, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }

  function legend() {
    const entries = state.header.legends[state.colour];
    legendEl.replaceChildren();
    entries.forEach((entry, code) => {
      const n = state.counts[code];
      if (!n) return;
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "legend-item";
      button.setAttribute("aria-pressed", state.hidden.has(code) ? "false" : "true");
      button.title = "Show or hide " + entry.name;
      button.append(
        el("span", "swatch", ""),
        el("span", "name", entry.name),
        el("span", "count", n.toLocaleString()),
      );
      // A CSSOM property, not a style attribute: a colour that is not one is simply ignored.
      button.firstChild.style.background = entry.colour;
      button.addEventListener("click", () => {
        state.hidden.has(code) ? state.hidden.delete(code) : state.hidden.add(code);
        buildGrid();
        render();
        legend();
      });
      li.appendChild(button);
      legendEl.appendChild(li);
    });
  }

  function nearest(mx, my) {
    const g = state.grid;
    const cx = Math.floor(mx / CELL), cy = Math.floor(my / CELL);
    let best = -1, bestD = 8 * 8;
    for (let y = cy - 1; y <= cy + 1; y++) {
      if (y < 0 || y >= g.rows) continue;
      for (let x = cx - 1; x <= cx + 1; x++) {
        if (x < 0 || x >= g.cols) continue;
        const c = y * g.cols + x;
        for (let k = g.starts[c]; k < g.starts[c + 1]; k++) {
          const i = g.items[k];
          const d = (state.sx[i] - mx) ** 2 + (state.sy[i] - my) ** 2;
          if (d < bestD) { bestD = d; best = i; }
        }
      }
    }
    return best;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    node.textContent = text;
    return node;
  }

  // Campaign and label-class names are user input: they go in as text, never as markup.
  function describe(i) {
    const name = (key) => state.header.legends[key][state.codes[key][i]].name;
    return [
      el("strong", "", `Run ${state.run[i]}`),
      ` · plot ${state.ids[i]}`,
      document.createElement("br"),
      `${name("label")} · ${name("campaign")}`,
      document.createElement("br"),
      `${name("cluster")} · ${name("anomaly")}`,
    ];
  }

  function showTip(i, mx, my) {
    if (i < 0) { tip.hidden = true; return; }
    const src = `/validation/thumb/${state.ids[i]}`;
    if (tipImg.getAttribute("src") !== src) tipImg.src = src;
    tipText.replaceChildren(...describe(i));
    tip.hidden = false;
    const left = mx + 180 > state.width ? mx - 176 : mx + 14;
    const top = my + 170 > state.height ? my - 166 : my + 14;
    tip.style.transform = `translate(${Math.max(0, left)}px, ${Math.max(0, top)}px)`;
  }

  function select(box) {
    const picked = [];
    const codes = state.codes[state.colour];
    for (let i = 0; i < state.n; i++) {
      if (state.hidden.has(codes[i])) continue;
      const x = state.sx[i], y = state.sy[i];
      if (x >= box.x && x <= box.x + box.w && y >= box.y && y <= box.y + box.h) picked.push(i);
    }
    state.selected = picked.length ? picked : null;
    const v = state.view;
    const toX = (px) => v.x0 + (px / state.width) * (v.x1 - v.x0);
    const toY = (py) => v.y0 + (1 - py / state.height) * (v.y1 - v.y0);
    state.selBox = { x0: toX(box.x), x1: toX(box.x + box.w), y0: toY(box.y + box.h), y1: toY(box.y) };
    const ids = picked.map((i) => state.ids[i]);
    selText.textContent = picked.length
      ? `${picked.length.toLocaleString()} plots selected` + (picked.length > MAX_LABELER_IDS ? ` (the labeler gets the first ${MAX_LABELER_IDS})` : "")
      : "Nothing in that box.";
    if (picked.length) {
      toLabeler.href = `/labeler/?plot_type=${plotType}&mode=editor&ids=${ids.slice(0, MAX_LABELER_IDS).join(",")}`;
      toLabeler.removeAttribute("aria-disabled");
    } else {
      toLabeler.href = "#";
      toLabeler.setAttribute("aria-disabled", "true");
    }
    selThumbs.replaceChildren();
    for (const id of ids.slice(0, 24)) {
      const a = document.createElement("a");
      a.href = `/plots/${id}/`;
      const img = document.createElement("img");
      img.alt = `plot ${id}`;
      img.loading = "lazy";
      img.src = `/validation/thumb/${id}`;
      a.append(img);
      selThumbs.appendChild(a);
    }
    drawOverlay();
  }

  function setView(view) {
    state.view = view;
    project();
    render();
  }

  function zoom(mx, my, factor) {
    const { x0, x1, y0, y1 } = state.view;
    const fx = mx / state.width, fy = 1 - my / state.height;
    const cx = x0 + fx * (x1 - x0), cy = y0 + fy * (y1 - y0);
    const w = (x1 - x0) * factor, h = (y1 - y0) * factor;
    setView({ x0: cx - fx * w, x1: cx + (1 - fx) * w, y0: cy - fy * h, y1: cy + (1 - fy) * h });
  }

  function bindEvents() {
    let drag = null;
    const local = (e) => {
      const r = overlay.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    };
    overlay.addEventListener("mousedown", (e) => {
      const [mx, my] = local(e);
      drag = { mx, my, pan: e.shiftKey || e.button === 1, view: { ...state.view }, moved: false };
      e.preventDefault();
    });
    window.addEventListener("mousemove", (e) => {
      const [mx, my] = local(e);
      if (drag) {
        const dx = mx - drag.mx, dy = my - drag.my;
        if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
        if (drag.pan && drag.moved) {
          const v = drag.view, kx = (v.x1 - v.x0) / state.width, ky = (v.y1 - v.y0) / state.height;
          setView({ x0: v.x0 - dx * kx, x1: v.x1 - dx * kx, y0: v.y0 + dy * ky, y1: v.y1 + dy * ky });
        } else if (drag.moved) {
          drawOverlay({ x: Math.min(mx, drag.mx), y: Math.min(my, drag.my), w: Math.abs(dx), h: Math.abs(dy) });
        }
        tip.hidden = true;
        return;
      }
      if (mx < 0 || my < 0 || mx > state.width || my > state.height) {
        if (state.hover >= 0) { state.hover = -1; drawOverlay(); tip.hidden = true; }
        return;
      }
      const i = nearest(mx, my);
      if (i !== state.hover) { state.hover = i; drawOverlay(); }
      showTip(i, mx, my);
      overlay.style.cursor = i >= 0 ? "pointer" : "crosshair";
    });
    window.addEventListener("mouseup", (e) => {
      if (!drag) return;
      const [mx, my] = local(e);
      if (!drag.moved && !drag.pan) {
        const i = nearest(mx, my);
        if (i >= 0) {
          const url = `/plots/${state.ids[i]}/`;
          if (e.ctrlKey || e.metaKey) window.open(url, "_blank");
          else window.location.href = url;
        }
      } else if (!drag.pan) {
        select({ x: Math.min(mx, drag.mx), y: Math.min(my, drag.my), w: Math.abs(mx - drag.mx), h: Math.abs(my - drag.my) });
      }
      drag = null;
    });
    overlay.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [mx, my] = local(e);
      zoom(mx, my, e.deltaY > 0 ? 1.2 : 1 / 1.2);
    }, { passive: false });
    overlay.addEventListener("dblclick", () => { resetView(); project(); render(); });
    overlay.addEventListener("mouseleave", () => { tip.hidden = true; state.hover = -1; drawOverlay(); });
    document.getElementById("sel-clear").addEventListener("click", () => {
      state.selected = null;
      state.selBox = null;
      selText.textContent = "Drag a box over the map to select plots.";
      selThumbs.replaceChildren();
      toLabeler.href = "#";
      toLabeler.setAttribute("aria-disabled", "true");
      drawOverlay();
    });
    const form = document.getElementById("explore-form");
    form.querySelector("#pt").addEventListener("change", () => form.submit());
    const method = form.querySelector("#method");
    if (method) method.addEventListener("change", () => form.submit());
    form.querySelector("#colour").addEventListener("change", (e) => {
      state.colour = e.target.value;
      state.hidden.clear();
      const url = new URL(window.location.href);
      url.searchParams.set("colour", state.colour);
      history.replaceState(null, "", url);
      drawOrder();
      buildGrid();
      render();
      legend();
    });
    let pending = null;
    window.addEventListener("resize", () => {
      clearTimeout(pending);
      pending = setTimeout(() => { resize(); project(); render(); }, 120);
    });
  }

  async function load() {
    const t0 = performance.now();
    const response = await fetch(canvas.dataset.points, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`points: HTTP ${response.status}`);
    const buffer = await response.arrayBuffer();
    const t1 = performance.now();
    parse(buffer);
    const t2 = performance.now();
    state.timings.fetch = t1 - t0;
    state.timings.parse = t2 - t1;
    state.timings.bytes = buffer.byteLength;
    resize();
    resetView();
    drawOrder();
    project();
    const t3 = performance.now();
    state.timings.project = t3 - t2;
    render();
    legend();
    state.timings.firstRender = performance.now() - t0;
    const h = state.header;
    countEl.textContent = h.downsampled
      ? `${h.n.toLocaleString()} of ${h.total.toLocaleString()} plots shown (downsampled on the server; the most different are always kept)`
      : `${h.n.toLocaleString()} plots`;
    document.getElementById("map-loading").hidden = true;
    canvas.dataset.ready = "1";
  }

  Explore.nearest = (x, y) => nearest(x, y);
  Explore.ready = load()
    .then(bindEvents)
    .catch((error) => {
      document.getElementById("map-loading").textContent = "Could not load the map: " + error.message;
      throw error;
    });

  if (window.Hydra && Hydra.live) {
    Hydra.live.on("validation.updated", (payload) => {
      if (payload.kind === "map" && String(payload.space) === canvas.dataset.space && Hydra.toast) {
        Hydra.toast(`The map changed (${payload.points} plots): reload to see it.`);
      }
    });
  }
})();
