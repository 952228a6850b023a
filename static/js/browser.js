/* The plot browser: clean URLs from the filter form, keyboard moves between plots, and live new plots. */
(function () {
  "use strict";
  const Hydra = window.Hydra;
  const form = document.getElementById("filters");
  const results = document.getElementById("plots");
  const pill = document.getElementById("new-pill");
  const config = JSON.parse(document.getElementById("browser-config").textContent);
  let newCount = 0;
  config.view = results.closest("[data-view]").dataset.view;

  // Only the filters that are set (and not at their default) go into the URL: links stay short and shareable.
  form.addEventListener("submit", () => {
    for (const el of form.elements) {
      if (el.name && (!el.value || el.value === el.dataset.default)) el.disabled = true;
    }
    setTimeout(() => {
      for (const el of form.elements) el.disabled = false;
    }, 0);
  });
  // Back and forward show the filters of that URL, not what was typed before leaving it.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) form.reset();
  });
  for (const el of form.elements) {
    if (el.tagName === "SELECT") el.addEventListener("change", () => form.requestSubmit());
  }

  function items() {
    return Array.from(results.querySelectorAll(config.view === "list" ? "a.row-link" : "a.cover"));
  }
  function columns() {
    const cards = results.querySelectorAll(".plot-card");
    if (cards.length < 2) return 1;
    const top = cards[0].getBoundingClientRect().top;
    let n = 0;
    for (const c of cards) {
      if (Math.abs(c.getBoundingClientRect().top - top) > 2) break;
      n += 1;
    }
    return Math.max(n, 1);
  }
  function move(delta) {
    const list = items();
    if (!list.length) return;
    const at = list.indexOf(document.activeElement);
    const next = at < 0 ? 0 : Math.min(list.length - 1, Math.max(0, at + delta));
    list[next].focus();
    list[next].scrollIntoView({ block: "nearest" });
  }
  function follow(selector) {
    const link = document.querySelector(selector);
    if (link) location.href = link.href;
  }

  document.addEventListener("keydown", (event) => {
    if (Hydra.typing(event) || !Hydra.plainKey(event)) return;
    const grid = config.view !== "list";
    const keys = {
      "/": () => document.getElementById("f-plot-type").focus(),
      ArrowRight: () => move(1),
      ArrowLeft: () => move(-1),
      ArrowDown: () => move(grid ? columns() : 1),
      ArrowUp: () => move(grid ? -columns() : -1),
      j: () => move(1),
      k: () => move(-1),
      "]": () => follow('.pager:not([aria-label*="top"]) a[data-page="next"]'),
      "[": () => follow('.pager:not([aria-label*="top"]) a[data-page="prev"]'),
      g: () => follow('.btn-group a:first-child'),
      l: () => follow('.btn-group a:last-child'),
    };
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });
  function showPill() {
    pill.hidden = false;
    pill.textContent = `${newCount} new plot${newCount === 1 ? "" : "s"}` + (config.first_page ? " ↑" : " — show");
  }
  pill.addEventListener("click", (event) => {
    if (!config.first_page) return; // the link leads to the first page
    event.preventDefault();
    window.scrollTo({ top: 0, behavior: "smooth" });
    newCount = 0;
    pill.hidden = true;
  });

  // The newest plot id this page knows of: a re-sync asks for the matching plots after it.
  let newest = Number(config.newest) || 0;

  // The server says which plots (by ``ids``, or all ``since`` an id) match this page's filters.
  async function showNew(selection) {
    const url = `${config.new_url}?${config.query}${config.query ? "&" : ""}${selection}`;
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    newest = Math.max(newest, ...data.ids);
    const fresh = data.ids.filter((id) => !results.querySelector(`[data-plot="${id}"]`));
    if (!fresh.length) return;
    if (config.first_page) {
      // Django renders and escapes the fragment; it is parsed in an inert document (table rows need
      // their table around them) and its nodes are moved over, never assigned as markup.
      const list = config.view === "list";
      const doc = new DOMParser().parseFromString(list ? `<table><tbody>${data.html}</tbody></table>` : data.html, "text/html");
      const holder = list ? doc.querySelector("tbody") : doc.body;
      const nodes = Array.from(holder.children)
        .filter((n) => fresh.includes(Number(n.dataset.plot)))
        .map((n) => document.adoptNode(n));
      results.prepend(...nodes);
      const none = document.getElementById("no-plots");
      if (none) none.remove();
    }
    newCount += fresh.length;
    showPill();
  }
  Hydra.live.on("plots.created", (payload) => {
    if (config.experiment && payload.experiment && payload.experiment !== config.experiment) return;
    if (!payload.ids || !payload.ids.length) return;
    newest = Math.max(newest, ...payload.ids);
    showNew(`ids=${payload.ids.join(",")}`);
  });
  // Back from a reconnect: plots created meanwhile were never announced, so ask for them.
  Hydra.live.on("resync", () => showNew(`since=${newest}`));

  // Labels saved elsewhere recolour the plots shown here.
  Hydra.live.on("labels.saved", (payload) => {
    for (const item of payload.labels || []) {
      const card = results.querySelector(`[data-plot="${item.plot}"]`);
      if (!card) continue;
      card.style.setProperty("--cls", item.colour);
      const pillEl = card.querySelector(".cls");
      if (pillEl) {
        pillEl.className = "cls";
        pillEl.textContent = item["class"];
        pillEl.style.background = item.colour;
        pillEl.style.color = Hydra.textOn(item.colour);
      }
    }
  });
})();
