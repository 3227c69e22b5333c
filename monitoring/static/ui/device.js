/* The device page: its health status and why (the metrics that are unhealthy), for every
   answer the page draws and every change the event stream tells (ui/live.js). */
(function () {
  "use strict";
  const {api, statusBadge} = window.Page;
  const deviceId = window.Page.document.id;

  function showStatus(status, unhealthy) {
    document.getElementById("status").replaceChildren(statusBadge(status, true));
    document.getElementById("status-reason").textContent = unhealthy.length
      ? "Unhealthy: " + unhealthy.join(", ")
      : status === "ok" ? "Every metric is healthy." : "";
  }

  function showAnswer(answer) {
    const monitoring = answer.monitoring || {};
    showStatus(monitoring.status, (monitoring.related_metrics || []).filter((metric) => metric.is_healthy === false)
      .map((metric) => metric.name));
  }

  window.ChartPage.onAnswer(showAnswer);
  window.Live.on("device_status", function (event) {
    if (event.device.id === deviceId) showStatus(event.status, event.reasons || []);
  });
  // Without the stream: the status of a day's answer (the charts shown stay as they are).
  window.Live.refresh(async () => showAnswer(await api(window.location.pathname + "?time=1d")));
})();
