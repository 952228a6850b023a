/* Runtime page: cards change only when the server pushes a verdict (websocket, no polling).
   Bad cards move to the top section; hidden cards and the group filter are remembered in
   localStorage; "last update N s ago" ticks locally and turns red when stale. */
(function () {
  "use strict";
  const HIDDEN_KEY = "hydra.runtime.hidden";
  const GROUP_KEY = "hydra.runtime.group";
  const OVERLAY_KEY = "hydra.runtime.gradcam";
  let lastUpdate = null;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.from((root || document).querySelectorAll(sel)); }

  function load(key, fallback) {
    try { const v = JSON.parse(localStorage.getItem(key)); return v === null ? fallback : v; } catch (e) { return fallback; }
  }
  function save(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode: not remembered */ }
  }

  function ago(seconds) {
    if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s ago`;
    if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
    if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
    return `${Math.round(seconds / 86400)} d ago`;
  }

  function tick() {
    const staleAfter = Number(($("#rt-clock") || {}).dataset?.staleAfter || 900);
    const now = Date.now();
    for (const card of $$(".rt-card")) {
      const el = $(".rt-ago", card);
      if (!card.dataset.updated || !el) continue;
      const seconds = (now - Date.parse(card.dataset.updated)) / 1000;
      el.textContent = ago(seconds);
      el.dateTime = card.dataset.updated;
      card.classList.toggle("rt-stale", seconds > staleAfter);
    }
    const last = $("#rt-last");
    if (last) {
      if (lastUpdate === null) {
        const times = $$(".rt-card[data-updated]").map((c) => Date.parse(c.dataset.updated)).filter((t) => !isNaN(t));
        if (times.length) lastUpdate = Math.max(...times);
      }
      const seconds = lastUpdate === null ? null : (now - lastUpdate) / 1000;
      last.textContent = seconds === null ? "never" : ago(seconds);
      $("#rt-clock").classList.toggle("stale", seconds === null || seconds > staleAfter);
    }
  }

  function applyFilters() {
    const hidden = new Set(load(HIDDEN_KEY, []).map(String));
    const group = ($("#rt-group") || {}).value || "";
    const showHidden = document.body.classList.contains("rt-showing-hidden");
    for (const card of $$(".rt-card")) {
      const inGroup = !group || (card.dataset.groups || "").split(/\s+/).includes(group);
      const isHidden = hidden.has(card.dataset.plotType);
      card.hidden = !inGroup || (isHidden && !showHidden);
      card.classList.toggle("rt-is-hidden", isHidden);
      const btn = $(".rt-hide", card);
      if (btn) {
        btn.textContent = isHidden ? "↺" : "×";
        btn.title = isHidden ? "Show this card again" : "Hide this card";
      }
    }
    const toggle = $("#rt-show-hidden");
    if (toggle) {
      toggle.hidden = hidden.size === 0;
      $("span", toggle).textContent = hidden.size;
      toggle.textContent = "";
      toggle.append(showHidden ? "Hide hidden (" : "Show hidden (", Object.assign(document.createElement("span"), { textContent: hidden.size }), ")");
    }
    const badSection = $("#rt-bad");
    if (badSection) {
      const shown = $$(".rt-card", badSection).filter((c) => !c.hidden).length;
      badSection.hidden = $$(".rt-card", badSection).length === 0;
      $(".count", badSection).textContent = shown;
    }
  }

  function applyOverlay() {
    const on = ($("#rt-gradcam") || {}).checked;
    const opacity = Number(($("#rt-opacity") || { value: 50 }).value) / 100;
    document.documentElement.style.setProperty("--gradcam-opacity", String(opacity));
    document.body.classList.toggle("rt-overlay", !!on);
    save(OVERLAY_KEY, { on: !!on, opacity });
  }

  function place(card) {
    const target = card.dataset.state === "bad" ? $("#rt-bad .rt-grid") : $("#rt-rest .rt-grid");
    if (target && card.parentElement !== target) {
      const name = $(".rt-name", card).textContent;
      const after = $$(".rt-card", target).find((c) => $(".rt-name", c).textContent > name);
      target.insertBefore(card, after || null);
    }
  }

  function flash(card) {
    card.classList.remove("rt-new");
    void card.offsetWidth; // restart the animation
    card.classList.add("rt-new");
  }

  function onVerdict(p) {
    const card = document.getElementById(`rt-${p.plot_type}`);
    if (!card) return;
    const state = p.bad ? "bad" : p.confirmed ? "ok" : "unconfirmed";
    card.dataset.state = state;
    card.className = card.className.replace(/\brt-(no-model|pending|bad|ok|unconfirmed)\b/g, "").trim() + ` rt-${state}`;
    card.style.setProperty("--cls", p.colour);
    card.dataset.updated = p.classified_at;
    let link = $(".rt-image", card);
    if (!link || link.tagName !== "A") {
      const fresh = document.createElement("a");
      fresh.className = "rt-image";
      const plot = Object.assign(document.createElement("img"), { className: "rt-plot", alt: "", width: 480, height: 360 });
      const gradcam = Object.assign(document.createElement("img"), { className: "rt-gradcam", alt: "", hidden: true });
      fresh.append(plot, gradcam);
      if (link) link.replaceWith(fresh); else $(".rt-head", card).after(fresh);
      link = fresh;
    }
    link.href = `/plots/${p.plot}/`;
    link.setAttribute("aria-label", `${p.plot_type_name}, run ${p.run}`);
    $(".rt-plot", link).src = p.image;
    const heat = $(".rt-gradcam", link);
    if (p.gradcam) { heat.src = `${p.gradcam}?v=${p.classification}`; heat.hidden = false; } else { heat.hidden = true; }
    const verdict = $(".rt-verdict", card);
    verdict.textContent = "";
    const strong = document.createElement("strong");
    strong.textContent = `${p.verdict} @ ${Number(p.confidence).toFixed(2)}`;
    strong.title = String(p.confidence);
    verdict.append(strong);
    if (!p.confirmed) {
      const second = document.createElement("span");
      second.className = "rt-second";
      second.title = "Confidence below the threshold: get a second opinion";
      second.textContent = "unconfirmed";
      verdict.append(" ", second);
    }
    $(".rt-run", card).textContent = `Run ${p.run}`;
    lastUpdate = Date.parse(p.classified_at) || Date.now();
    place(card);
    flash(card);
    applyFilters();
    tick();
  }

  async function onPlots(p) {
    // New plots of types without a model: fetch their cards (verdicts come by their own push).
    const ids = (p.plot_types || []).filter((id) => {
      const card = document.getElementById(`rt-${id}`);
      return card && (card.dataset.state === "no-model" || !card.dataset.updated);
    });
    if (!ids.length) return;
    if (await refresh(ids)) lastUpdate = Date.now();
  }

  /** Replace the cards of these plot types with fresh ones; true if any changed. */
  async function refresh(ids) {
    let changed = false;
    for (let at = 0; at < ids.length; at += 200) { // the server answers 200 plot types at a time
      const url = new URL($("#rt-tools").dataset.cardsUrl, location.href);
      ids.slice(at, at + 200).forEach((id) => url.searchParams.append("plot_type", id));
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return changed;
      const body = await response.json();
      for (const [id, html] of Object.entries(body.cards)) {
        const old = document.getElementById(`rt-${id}`);
        if (!old) continue;
        // Django renders and escapes the card; it is parsed in an inert document and moved over.
        const doc = new DOMParser().parseFromString(html, "text/html");
        const card = document.adoptNode(doc.body.firstElementChild);
        const same = Date.parse(card.dataset.updated) === Date.parse(old.dataset.updated);
        if (same && card.dataset.state === old.dataset.state) continue;
        old.replaceWith(card);
        place(card);
        flash(card);
        changed = true;
      }
    }
    applyFilters();
    tick();
    return changed;
  }

  // Back from a reconnect: verdicts pushed meanwhile were lost, so every card is fetched again.
  async function resync() {
    const ids = $$(".rt-card").map((c) => c.id.replace(/^rt-/, ""));
    if (ids.length && (await refresh(ids))) lastUpdate = null; // recomputed from the cards
  }

  function onModel(p) {
    const card = document.getElementById(`rt-${p.plot_type}`);
    if (card && card.dataset.state === "no-model") onPlots({ plot_types: [p.plot_type] });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!$("#rt-tools")) return;
    const group = $("#rt-group");
    const fromUrl = new URLSearchParams(location.search).get("group");
    group.value = fromUrl !== null ? fromUrl : load(GROUP_KEY, "");
    if (!$$("option", group).some((o) => o.value === group.value)) group.value = "";
    group.addEventListener("change", () => {
      save(GROUP_KEY, group.value);
      const url = new URL(location.href);
      if (group.value) url.searchParams.set("group", group.value); else url.searchParams.delete("group");
      history.replaceState(null, "", url);
      applyFilters();
    });
    document.addEventListener("click", (event) => {
      const btn = event.target.closest(".rt-hide");
      if (!btn) return;
      const hidden = new Set(load(HIDDEN_KEY, []).map(String));
      const id = btn.dataset.hide;
      if (hidden.has(id)) hidden.delete(id); else hidden.add(id);
      save(HIDDEN_KEY, Array.from(hidden));
      applyFilters();
    });
    $("#rt-show-hidden").addEventListener("click", () => {
      document.body.classList.toggle("rt-showing-hidden");
      applyFilters();
    });
    const overlay = load(OVERLAY_KEY, { on: false, opacity: 0.5 });
    $("#rt-gradcam").checked = !!overlay.on;
    $("#rt-opacity").value = Math.round((overlay.opacity ?? 0.5) * 100);
    $("#rt-gradcam").addEventListener("change", applyOverlay);
    $("#rt-opacity").addEventListener("input", applyOverlay);
    applyOverlay();
    applyFilters();
    tick();
    setInterval(tick, 1000);
    const live = window.Hydra && window.Hydra.live;
    if (live) {
      live.on("verdicts.new", onVerdict);
      live.on("verdicts.model", onModel);
      live.on("plots.created", onPlots);
      live.on("resync", resync);
    }
  });
})();
