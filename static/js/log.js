/* Monitoring log: offer a reload when a verdict that belongs in the log arrives. */
document.addEventListener("DOMContentLoaded", () => {
  const live = window.Hydra && window.Hydra.live;
  if (!live) return;
  live.on("verdicts.new", (p) => {
    if (p.bad || !p.confirmed) document.getElementById("log-new").hidden = false;
  });

  // One key per log row: when it was written and which plot it is about.
  const keys = (doc) =>
    new Set(Array.from(doc.querySelectorAll(".log-table tbody tr"), (tr) => {
      const time = tr.querySelector("time");
      const link = tr.querySelector("a");
      return `${time ? time.getAttribute("datetime") : ""} ${link ? link.getAttribute("href") : ""}`;
    }));
  // Back from a reconnect: verdicts pushed meanwhile were lost, so this log is read again and the
  // reload is offered if it has rows this page lacks. The answer is parsed inertly, never shown.
  live.on("resync", async () => {
    const response = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const fresh = keys(new DOMParser().parseFromString(await response.text(), "text/html"));
    const shown = keys(document);
    if (Array.from(fresh).some((key) => !shown.has(key))) document.getElementById("log-new").hidden = false;
  });
});
