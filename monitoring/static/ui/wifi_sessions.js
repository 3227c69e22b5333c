/* WiFi sessions: times in the browser's zone, and each device name (sessions carry names)
   linked to its device page, found by name in the device list of the management API. */
(function () {
  "use strict";
  const {api, el, formatDateTime} = window.Page;
  document.querySelectorAll("#wifi-sessions time").forEach(function (time) {
    time.textContent = formatDateTime(time.getAttribute("datetime"));
  });
  const cells = Array.from(document.querySelectorAll("#wifi-sessions td.device")).filter((cell) => !cell.querySelector("a"));
  const names = Array.from(new Set(cells.map((cell) => cell.dataset.name)));
  const table = document.getElementById("wifi-sessions");
  Promise.all(names.map(async function (name) {
    const answer = await api("/api/v1/controller/device/?search=" + encodeURIComponent(name) + "&page_size=100");
    const device = answer.results.find((item) => item.name === name);
    if (!device) return;
    cells.filter((cell) => cell.dataset.name === name).forEach(function (cell) {
      cell.replaceChildren(el("a", {href: "/api/v1/monitoring/device/" + device.id + "/", text: name}));
    });
  })).catch((error) => window.Page.showError(error.message)).finally(() => { table.dataset.ready = "true"; });
})();
