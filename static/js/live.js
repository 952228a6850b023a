/* The page's one websocket: subscribes to the topics in <body data-live-topics>, re-dispatches each
   event as a DOM event ("hydra:<type>", detail = payload) and reconnects with backoff.
   Events published while the socket was down are not replayed, so every re-open after the first one
   dispatches "resync" (and "hydra:resync"): each live page then re-fetches its state. The same happens
   when a tab comes back after being hidden for over a minute, since browsers throttle or drop the
   sockets of background tabs. Events carry a number per sending process and topic ("source", "seq"):
   a skipped number means one was lost on the way (a full channel) and re-syncs too. */
(function () {
  "use strict";
  const Hydra = (window.Hydra = window.Hydra || {});
  const MIN_DELAY = 1000;
  const MAX_DELAY = 30000;
  const HIDDEN_RESYNC_AFTER = 60000;

  const live = (Hydra.live = {
    socket: null,
    connected: false,
    attempts: 0,
    opened: 0,
    last: {}, // source → the last seq seen from it on this socket
    handlers: {},
    /** Call ``handler(payload, type)`` for each event of ``type`` ("plots.created"; "*" for all). */
    on(type, handler) {
      (this.handlers[type] = this.handlers[type] || []).push(handler);
    },
    dispatch(type, payload) {
      for (const h of this.handlers[type] || []) h(payload, type);
      for (const h of this.handlers["*"] || []) h(payload, type);
      document.dispatchEvent(new CustomEvent("hydra:" + type, { detail: payload }));
    },
  });

  function status(state) {
    const el = document.getElementById("live-status");
    if (!el) return;
    el.hidden = false;
    el.dataset.state = state;
    el.querySelector(".text").textContent = state === "open" ? "live" : state === "connecting" ? "connecting…" : "offline";
    el.title = state === "open" ? "Updates arrive as they happen" : "Not receiving live updates; retrying";
  }

  // Several causes at once (a burst of gaps) make one re-sync, after the event at hand is handled.
  let resyncPending = null;
  function resync(reason) {
    if (resyncPending) return;
    resyncPending = setTimeout(() => {
      resyncPending = null;
      live.dispatch("resync", { reason });
    }, 0);
  }

  function connect(topics) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/events/?topics=${encodeURIComponent(topics)}`);
    live.socket = socket;
    status("connecting");
    socket.addEventListener("open", () => {
      live.connected = true;
      live.attempts = 0;
      live.opened += 1;
      live.last = {};
      status("open");
      if (live.opened > 1) resync("reconnect");
    });
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      if (!event || !event.type) return;
      if (event.source && Number.isInteger(event.seq)) {
        const last = live.last[event.source];
        if (last === undefined || event.seq > last) live.last[event.source] = event.seq;
        if (last !== undefined && event.seq > last + 1) resync("gap");
      }
      live.dispatch(event.type, event.payload || {});
    });
    socket.addEventListener("close", (event) => {
      live.connected = false;
      status("closed");
      if (event.code === 4401) return; // not allowed to listen: retrying will not help
      const delay = Math.min(MAX_DELAY, MIN_DELAY * 2 ** live.attempts) * (0.75 + Math.random() / 2);
      live.attempts += 1;
      setTimeout(() => connect(topics), delay);
    });
  }

  let hiddenSince = null;
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      hiddenSince = Date.now();
    } else if (hiddenSince !== null) {
      const away = Date.now() - hiddenSince;
      hiddenSince = null;
      // A socket that is down reconnects on its own and re-syncs then.
      if (away > HIDDEN_RESYNC_AFTER && live.connected) resync("visible");
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    const topics = (document.body.dataset.liveTopics || "").trim();
    if (topics && "WebSocket" in window) connect(topics);
  });
})();
