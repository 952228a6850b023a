/* The labeler: paint plots with a class (click, shift-click range, hotkeys), apply the batch in one POST,
   and show labels that other people save while this page is open. */
(function () {
  "use strict";
  const Hydra = window.Hydra;
  const config = JSON.parse(document.getElementById("labeler-config").textContent);
  const tilesBox = document.getElementById("tiles");
  const palette = document.getElementById("palette");
  const applyButton = document.getElementById("apply");
  const discardButton = document.getElementById("discard");
  const classes = new Map(config.classes.map((c) => [String(c.id), c]));
  const tiles = tilesBox ? Array.from(tilesBox.querySelectorAll(".tile")) : [];
  const pending = new Map(); // plot id → class id, or "erase"
  let brush = config.classes.length ? String(config.classes[0].id) : "erase";
  let anchor = null;
  // A class key paints the focused plot only while the user works from the keyboard; after a click
  // it just changes the brush (so switching brush never repaints the plot clicked last).
  let keyboardMode = false;
  let lastPointer = 0;

  function setBrush(value) {
    brush = value;
    palette.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.class === value)));
  }

  function render(tile) {
    const id = tile.dataset.plot;
    const want = pending.get(id);
    const stateEl = tile.querySelector(".state");
    tile.classList.toggle("pending", want !== undefined && want !== "erase");
    tile.classList.toggle("pending-erase", want === "erase");
    tile.setAttribute("aria-selected", String(want !== undefined));
    if (want === undefined) {
      tile.style.removeProperty("--pending");
      stateEl.textContent = tile.dataset.saved || "";
    } else if (want === "erase") {
      stateEl.textContent = "erase";
    } else {
      const cls = classes.get(want);
      tile.style.setProperty("--pending", cls.colour);
      tile.style.setProperty("--on-pending", Hydra.textOn(cls.colour));
      stateEl.textContent = cls.name;
    }
  }

  function paint(tile) {
    const id = tile.dataset.plot;
    if (brush === "erase") {
      if (tile.dataset.saved) pending.set(id, "erase");
      else pending.delete(id);
    } else if (tile.dataset.saved && classes.get(brush).name === tile.dataset.saved) {
      pending.delete(id); // already carries this class
    } else {
      pending.set(id, brush);
    }
    render(tile);
  }

  function paintRange(from, to) {
    const [lo, hi] = from < to ? [from, to] : [to, from];
    for (let i = lo; i <= hi; i++) paint(tiles[i]);
  }

  function refreshCounts() {
    const counts = {};
    for (const value of pending.values()) counts[value] = (counts[value] || 0) + 1;
    palette.querySelectorAll("[data-count]").forEach((el) => {
      const n = counts[el.dataset.count] || 0;
      el.textContent = n ? `+${n}` : "";
    });
    if (applyButton) {
      applyButton.textContent = `Apply ${pending.size} label${pending.size === 1 ? "" : "s"}`;
      applyButton.disabled = pending.size === 0 || !config.mayLabel;
    }
    if (discardButton) discardButton.disabled = pending.size === 0;
    tiles.forEach((t) => t.classList.remove("anchor"));
    if (anchor !== null && tiles[anchor]) tiles[anchor].classList.add("anchor");
  }

  function click(tile, withShift) {
    const index = Number(tile.dataset.index);
    if (withShift && anchor !== null) paintRange(anchor, index);
    else paint(tile);
    anchor = index;
    focusTile(index);
    refreshCounts();
  }

  function focusTile(index) {
    const tile = tiles[Math.max(0, Math.min(tiles.length - 1, index))];
    if (!tile) return;
    tiles.forEach((t) => (t.tabIndex = -1));
    tile.tabIndex = 0;
    tile.focus();
    tile.scrollIntoView({ block: "nearest" });
  }

  function columns() {
    if (tiles.length < 2) return 1;
    const top = tiles[0].getBoundingClientRect().top;
    let n = 0;
    for (const t of tiles) {
      if (Math.abs(t.getBoundingClientRect().top - top) > 2) break;
      n += 1;
    }
    return Math.max(n, 1);
  }

  async function apply() {
    if (!pending.size || !applyButton || applyButton.disabled) return;
    applyButton.disabled = true;
    const labels = {};
    for (const [id, value] of pending) labels[id] = value === "erase" ? null : Number(value);
    const params = new URLSearchParams(location.search);
    const answer = await Hydra.post(config.applyUrl, {
      plot_type: config.plotType,
      labels,
      run_min: params.get("run_min"),
      run_max: params.get("run_max"),
      conditions: params.get("conditions"),
    });
    if (!answer.ok) {
      Hydra.toast(answer.data.message || "Could not save the labels.", "error");
      refreshCounts();
      return;
    }
    for (const [id, value] of pending) {
      const tile = tilesBox.querySelector(`[data-plot="${id}"]`);
      if (value === "erase") {
        delete tile.dataset.saved;
        tile.style.removeProperty("--saved");
      } else {
        const cls = classes.get(value);
        tile.dataset.saved = cls.name;
        tile.style.setProperty("--saved", cls.colour);
      }
    }
    const changed = Array.from(pending.keys());
    pending.clear();
    changed.forEach((id) => render(tilesBox.querySelector(`[data-plot="${id}"]`)));
    document.getElementById("remaining").textContent = answer.data.remaining.toLocaleString("en-US");
    Hydra.toast(`Saved ${answer.data.saved} label${answer.data.saved === 1 ? "" : "s"}` + (answer.data.erased ? `, erased ${answer.data.erased}` : ""), "success");
    refreshCounts();
  }

  palette.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-class]");
    if (button) setBrush(button.dataset.class);
  });
  if (tilesBox) {
    tilesBox.addEventListener("mousedown", (event) => {
      lastPointer = Date.now();
      keyboardMode = false;
      if (event.shiftKey) event.preventDefault(); // no text selection on shift-click
    });
    tilesBox.addEventListener("focusin", () => {
      if (Date.now() - lastPointer > 300) keyboardMode = true;
    });
    tilesBox.addEventListener("click", (event) => {
      const tile = event.target.closest(".tile");
      if (tile) click(tile, event.shiftKey);
    });
  }
  if (applyButton) applyButton.addEventListener("click", apply);
  if (discardButton) {
    discardButton.addEventListener("click", () => {
      const ids = Array.from(pending.keys());
      pending.clear();
      ids.forEach((id) => render(tilesBox.querySelector(`[data-plot="${id}"]`)));
      refreshCounts();
    });
  }

  document.addEventListener("keydown", (event) => {
    if (Hydra.typing(event) || document.querySelector("dialog[open]")) return;
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      apply();
      return;
    }
    if (!Hydra.plainKey(event)) return;
    const focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".tile") : null;
    const at = focused ? Number(focused.dataset.index) : null;
    const hotkey = config.classes.find((c) => c.hotkey && c.hotkey === event.key) ||
      config.classes.find((c) => c.hotkey && c.hotkey.toLowerCase() === event.key.toLowerCase());
    if (hotkey) {
      event.preventDefault();
      setBrush(String(hotkey.id));
      if (focused && keyboardMode) {
        click(focused, false);
        focusTile(at + 1);
      }
      return;
    }
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns(), ArrowUp: -columns() };
    if (event.key in moves) {
      event.preventDefault();
      keyboardMode = true;
      focusTile(at === null ? 0 : at + moves[event.key]);
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      setBrush("erase");
    } else if (event.key === " " && focused) {
      event.preventDefault();
      click(focused, event.shiftKey);
    } else if (event.key === "o" && focused) {
      location.href = focused.querySelector("a").href;
    }
  });

  window.addEventListener("beforeunload", (event) => {
    if (pending.size) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // Labels saved by someone else appear on their tiles.
  Hydra.live.on("labels.saved", (payload) => {
    if (!tilesBox || payload.user === config.user) return;
    for (const item of payload.labels || []) {
      const tile = tilesBox.querySelector(`[data-plot="${item.plot}"]`);
      if (!tile) continue;
      tile.dataset.saved = item["class"];
      tile.style.setProperty("--saved", item.colour);
      let by = tile.querySelector(".by");
      if (!by) {
        by = document.createElement("span");
        by.className = "by";
        tile.appendChild(by);
      }
      by.textContent = payload.user || "someone";
      by.title = `${item["class"]}, saved by ${payload.user || "someone"}`;
      render(tile);
    }
  });
  Hydra.live.on("labels.erased", (payload) => {
    if (!tilesBox || payload.user === config.user) return;
    for (const id of payload.plots || []) {
      const tile = tilesBox.querySelector(`[data-plot="${id}"]`);
      if (!tile) continue;
      delete tile.dataset.saved;
      tile.style.removeProperty("--saved");
      render(tile);
    }
  });

  // Back from a reconnect: labels saved or erased meanwhile were never announced, so each tile's
  // label is read again (a few requests at a time); one that differs was changed by someone else.
  Hydra.live.on("resync", async () => {
    if (!tilesBox) return;
    const byId = new Map(config.classes.map((c) => [c.id, c]));
    for (let at = 0; at < tiles.length; at += 6) {
      await Promise.all(tiles.slice(at, at + 6).map(async (tile) => {
        const response = await fetch(`/api/v1/plots/${tile.dataset.plot}/`, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const plot = await response.json();
        const cls = plot.label_class === null ? null : byId.get(plot.label_class);
        if ((plot.label || undefined) === tile.dataset.saved) return;
        if (cls) {
          Hydra.live.dispatch("labels.saved", { labels: [{ plot: plot.id, class: cls.name, colour: cls.colour }] });
        } else if (plot.label_class === null) {
          Hydra.live.dispatch("labels.erased", { plots: [plot.id] });
        }
      }));
    }
  });

  setBrush(brush);
  refreshCounts();
})();
