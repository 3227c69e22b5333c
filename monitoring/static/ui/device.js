/* The device page: its health status and why (the metrics that are unhealthy), for every
   answer the page draws. */
(function () {
  "use strict";
  const {statusBadge} = window.Page;

  function showStatus(answer) {
    const monitoring = answer.monitoring || {};
    document.getElementById("status").replaceChildren(statusBadge(monitoring.status, true));
    const unhealthy = (monitoring.related_metrics || []).filter((metric) => metric.is_healthy === false)
      .map((metric) => metric.name);
    document.getElementById("status-reason").textContent = unhealthy.length
      ? "Unhealthy: " + unhealthy.join(", ")
      : monitoring.status === "ok" ? "Every metric is healthy." : "";
  }

  window.ChartPage.onAnswer(showStatus);
})();
