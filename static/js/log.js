/* Monitoring log: offer a reload when a verdict that belongs in the log arrives. */
document.addEventListener("DOMContentLoaded", () => {
  const live = window.Hydra && window.Hydra.live;
  if (!live) return;
  live.on("verdicts.new", (p) => {
    if (p.bad || !p.confirmed) document.getElementById("log-new").hidden = false;
  });
});
