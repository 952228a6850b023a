/* Runtime page: the open alarms of the experiment as a banner above the cards and a badge on each
   card (state, why, the expert to call, Acknowledge and Silence). Read from /api/v1/alarms/ and read
   again when an "alerts" event arrives or the websocket re-syncs. Built with DOM APIs only. */
(function () {
  "use strict";
  const API = "/api/v1/alarms/";
  let loading = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("data-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function experiment() {
    const select = document.getElementById("exp-switch");
    return select ? select.value : "";
  }

  async function fetchOpen() {
    const params = new URLSearchParams({ open: "true", page_size: "500" });
    if (experiment()) params.set("experiment", experiment());
    const response = await fetch(`${API}?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return null; // the alarms app is not installed, or reading needs a login
    const data = await response.json();
    return data.results || [];
  }

  async function act(alarm, what) {
    let body = {};
    if (what === "acknowledge") {
      const comment = window.prompt(`Acknowledge ${alarm.plot_type_name}: comment (optional)`, "");
      if (comment === null) return;
      body = { comment };
    } else {
      const reason = window.prompt(`Silence ${alarm.plot_type_name} for 4 hours: reason`, "");
      if (!reason) return;
      body = { hours: 4, reason, scope: "plot_type" };
    }
    const result = await window.Hydra.post(`${API}${alarm.id}/${what}/`, body);
    if (result.ok) {
      window.Hydra.toast(what === "acknowledge" ? `Acknowledged: ${alarm.plot_type_name}` : `Silenced: ${alarm.plot_type_name}`, "success");
      refresh();
    } else {
      const message = (result.data && result.data.error && result.data.error.message) || `Refused (${result.status})`;
      window.Hydra.toast(message, "error");
    }
  }

  function buttons(alarm) {
    if (!document.body.dataset.user) {
      return el("a", { class: "btn btn-small", href: `/accounts/login/?next=${encodeURIComponent(location.pathname)}`, text: "Log in to acknowledge" });
    }
    const box = el("span", { class: "btn-group" });
    if (alarm.state === "firing") {
      const ack = el("button", { type: "button", class: "btn btn-small btn-primary", text: "Acknowledge" });
      ack.addEventListener("click", () => act(alarm, "acknowledge"));
      box.append(ack);
    }
    const hush = el("button", { type: "button", class: "btn btn-small", text: "Silence" });
    hush.addEventListener("click", () => act(alarm, "silence"));
    box.append(hush);
    return box;
  }

  function badge(alarm) {
    return el(
      "div",
      { class: `al-card-badge al-${alarm.state}`, "data-alarm": String(alarm.id) },
      el("a", { class: `al-badge al-${alarm.state}`, href: alarm.url, text: alarm.state === "firing" ? "Alarm" : "Acknowledged" }),
      el("span", { class: "al-why", text: alarm.reason === "flicker" ? "flickering" : alarm.summary }),
      buttons(alarm),
      el("span", { class: "al-call", text: alarm.expert_contact ? `Call ${alarm.expert_contact}` : "No expert named yet" })
    );
  }

  function banner(alarms) {
    let box = document.getElementById("al-banner");
    if (!box) {
      box = el("section", { id: "al-banner", class: "al-banner", role: "alert" });
      const anchor = document.getElementById("rt-tools");
      if (!anchor) return;
      anchor.before(box);
    }
    box.replaceChildren();
    const firing = alarms.filter((a) => a.state === "firing");
    if (!alarms.length) { box.hidden = true; return; }
    box.hidden = false;
    box.classList.toggle("al-banner-ack", firing.length === 0);
    box.append(el("strong", { text: firing.length ? `${firing.length} alarm${firing.length > 1 ? "s" : ""} firing` : `${alarms.length} acknowledged` }));
    const list = el("ul", { class: "al-banner-items" });
    for (const alarm of alarms.slice(0, 8)) {
      list.append(el("li", {}, el("a", { href: alarm.url, text: `${alarm.plot_type_name} (${alarm.state})` })));
    }
    box.append(list, el("a", { class: "btn btn-small", href: "/alarms/", text: "All alarms" }));
  }

  async function refresh() {
    if (loading) return loading;
    loading = (async () => {
      try {
        const alarms = await fetchOpen();
        if (alarms === null) return;
        banner(alarms);
        document.querySelectorAll(".al-card-badge").forEach((node) => node.remove());
        const byType = new Map();
        for (const alarm of alarms) if (!byType.has(alarm.plot_type)) byType.set(alarm.plot_type, alarm);
        for (const [typeId, alarm] of byType) {
          const card = document.getElementById(`rt-${typeId}`);
          if (card) card.append(badge(alarm));
        }
      } catch (e) {
        /* offline: the next event or re-sync tries again */
      } finally {
        loading = null;
      }
    })();
    return loading;
  }

  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("hydra:alerts.changed", refresh);
  document.addEventListener("hydra:alerts.silenced", refresh);
  document.addEventListener("hydra:resync", refresh);
})();
