/* Delivery log: a pushed "notifications.delivery" event updates the row's status and attempts when the
   row is on the page, and offers a reload for new ones. DOM APIs and textContent only. */
(function () {
  "use strict";
  const labels = { queued: "Queued", sent: "Sent", failed: "Failed" };
  document.addEventListener("hydra:notifications.delivery", (event) => {
    const data = event.detail || {};
    const row = document.querySelector(`tr[data-delivery="${Number(data.id)}"]`);
    if (!row) {
      const note = document.getElementById("nt-new");
      if (note) note.hidden = false;
      return;
    }
    if (labels[data.status]) {
      row.className = `nt-${data.status}`;
      const status = row.querySelector(".nt-status");
      if (status) status.textContent = labels[data.status];
    }
    const cells = row.querySelectorAll("td");
    if (cells.length > 4 && data.attempts !== undefined) cells[4].textContent = String(data.attempts);
  });
})();
