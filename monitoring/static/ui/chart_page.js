/* The device page and the dashboard: the charts of the page's own answer, the period
   (1d, 7d, 30d, 365d, or a custom range) and time zone, and the CSV of the same answer.
   Changing the period asks the same URL for JSON, with the new parameters, and draws it:
   the address bar follows, so a period can be bookmarked or shared. */
(function () {
  "use strict";
  const {el, api, showError} = window.Page;
  const root = document.getElementById("chart-page");
  const chartsBox = document.getElementById("charts");
  const defaultTime = root.dataset.defaultTime;
  const defaultZone = root.dataset.defaultZone;
  const path = window.location.pathname;
  const onAnswer = [];  // callbacks of the page (the device's status) for each new answer

  function currentParameters() {
    return new URLSearchParams(window.location.search);
  }

  /* The period's parameters: `time`, or `start` and `end` (the API ignores one alone). */
  function markPeriod(parameters) {
    const custom = parameters.get("start") && parameters.get("end");
    const time = custom ? null : (parameters.get("time") || defaultTime);
    document.querySelectorAll("#range-buttons button").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.value === time));
    });
    document.getElementById("range-start").value = toInput(parameters.get("start"));
    document.getElementById("range-end").value = toInput(parameters.get("end"));
    document.getElementById("timezone").value = parameters.get("timezone") || defaultZone;
  }

  /* "YYYY-MM-DD HH:MM:SS" (the API's format) ↔ the value of a datetime-local input. */
  function toInput(value) {
    return value ? value.replace(" ", "T") : "";
  }

  function fromInput(value) {
    if (!value) return "";
    const [date, time] = value.split("T");
    return date + " " + (time.length === 5 ? time + ":00" : time);
  }

  function updateLinks(parameters) {
    const query = new URLSearchParams(parameters);
    query.delete("format");
    query.delete("csv");
    const json = new URLSearchParams(query);
    json.set("format", "json");
    const api = new URLSearchParams(query);
    api.set("format", "api");
    const csv = new URLSearchParams(query);
    csv.set("csv", "true");
    document.getElementById("view-json").href = "?" + json;
    document.getElementById("view-api").href = "?" + api;
    document.getElementById("download-csv").href = "?" + csv;
  }

  function draw(answer) {
    const started = performance.now();
    window.Charts.drawCharts(chartsBox, answer);
    onAnswer.forEach((callback) => callback(answer));
    // When the charts were drawn: milliseconds to draw them, and since the navigation began.
    root.dataset.drawnIn = String(Math.round(performance.now() - started));
    root.dataset.drawnAt = String(Math.round(performance.now()));
    root.dataset.ready = "true";
  }

  async function load(parameters) {
    root.dataset.ready = "false";
    showError("");
    const query = new URLSearchParams(parameters);
    query.delete("format");
    try {
      const answer = await api(path + (String(query) ? "?" + query : ""));
      window.history.replaceState(null, "", path + (String(query) ? "?" + query : ""));
      markPeriod(query);
      updateLinks(query);
      draw(answer);
    } catch (error) {
      showError(error.message);
      markPeriod(currentParameters());
      root.dataset.ready = "true";
    }
  }

  function withPeriod(change) {
    const parameters = currentParameters();
    ["time", "start", "end"].forEach((name) => parameters.delete(name));
    Object.entries(change).forEach(([name, value]) => { if (value) parameters.set(name, value); });
    return parameters;
  }

  document.querySelectorAll("#range-buttons button").forEach(function (button) {
    button.addEventListener("click", () => load(withPeriod({time: button.value})));
  });
  document.getElementById("custom-range").addEventListener("submit", function (event) {
    event.preventDefault();
    const start = fromInput(document.getElementById("range-start").value);
    const end = fromInput(document.getElementById("range-end").value);
    if (!start || !end) {
      showError("Choose both the start and the end of the range.");
      return;
    }
    load(withPeriod({start: start, end: end}));
  });
  const zones = document.getElementById("timezone");
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const names = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [];
  [defaultZone, browserZone, "UTC", ...names].filter((name, index, all) => name && all.indexOf(name) === index)
    .forEach((name) => zones.append(el("option", {value: name, text: name})));
  zones.addEventListener("change", function () {
    const parameters = currentParameters();
    parameters.set("timezone", zones.value);
    load(parameters);
  });

  window.ChartPage = {
    onAnswer: (callback) => onAnswer.push(callback),
    reload: () => load(currentParameters()),
    load: load,
  };
  document.addEventListener("DOMContentLoaded", function () {
    markPeriod(currentParameters());
    updateLinks(currentParameters());
    draw(window.Page.document);
  });
})();
