/* The device list: each device's status kept up to date (ui/live.js), organization names (the organization list), each device's location
   (its location in the management API, named from the map's GeoJSON), and, from each
   device's own monitoring answer, its unhealthy metrics and when its data last arrived
   (the latest 10-minute bucket with a value, in the browser's time zone). */
(function () {
  "use strict";
  const {api, allPages, el, statusBadge} = window.Page;
  const rows = Array.from(document.querySelectorAll("#devices tbody tr[data-device]"));
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  /* Run `task` over `items`, a few at a time: the server's workers serve others too. */
  async function eachLimited(items, limit, task) {
    const queue = items.slice();
    await Promise.all(Array.from({length: limit}, async function () {
      while (queue.length) await task(queue.shift());
    }));
  }

  /* The latest bucket label with a value in any chart, or null. */
  function lastBucket(answer) {
    const x = answer.x || [];
    let last = -1;
    (answer.charts || []).forEach(function (chart) {
      chart.traces.forEach(function ([, values]) {
        for (let i = values.length - 1; i > last; i -= 1) {
          if (values[i] !== null && !(chart.title.startsWith("WiFi clients") && values[i] === 0)) { last = i; break; }
        }
      });
    });
    return last === -1 ? null : x[last];
  }

  /* "YYYY-MM-DD HH:MM" → the "HH:MM" ten minutes later. */
  function tenMinutesLater(label) {
    const [date, time] = label.split(" ");
    const moment = new Date(date + "T" + time + ":00Z");
    return new Date(moment.getTime() + 600000).toISOString().slice(11, 16);
  }

  async function organizations() {
    const items = await allPages("/api/v1/users/organization/?page_size=100");
    const names = Object.fromEntries(items.map((item) => [item.id, item.name]));
    rows.forEach(function (row) {
      const cell = row.querySelector(".organization");
      if (names[row.dataset.organization]) cell.textContent = names[row.dataset.organization];
    });
    const select = document.getElementById("filter-organization");
    const selected = select.dataset.selected;
    select.replaceChildren(el("option", {value: "", text: "All"}));
    items.forEach((item) => select.append(el("option", {value: item.id, text: item.name, selected: item.id === selected})));
  }

  async function locations() {
    const features = await allPages("/api/v1/monitoring/geojson/");
    const names = Object.fromEntries(features.map((feature) => [feature.id, feature.properties.name]));
    await eachLimited(rows, 3, async function (row) {
      const cell = row.querySelector(".location");
      const placed = await api("/api/v1/controller/device/" + row.dataset.device + "/location/").catch(() => null);
      cell.classList.remove("muted");
      if (placed && placed.location) {
        cell.replaceChildren(el("a", {href: "/api/v1/monitoring/location/" + placed.location + "/device/",
                                      text: names[placed.location] || "location"}));
      } else {
        cell.textContent = "–";
      }
    });
  }

  async function monitoring() {
    await eachLimited(rows, 3, async function (row) {
      const query = new URLSearchParams({time: "1d", timezone: zone});
      const lastCell = row.querySelector(".last-data");
      try {
        const answer = await api("/api/v1/monitoring/device/" + row.dataset.device + "/?" + query);
        const unhealthy = (answer.monitoring.related_metrics || []).filter((m) => m.is_healthy === false);
        row.querySelector(".unhealthy").textContent = unhealthy.map((m) => m.name).join(", ");
        const last = lastBucket(answer);
        lastCell.textContent = last ? last.slice(5) + "–" + tenMinutesLater(last) : "not in the last day";
        lastCell.title = last ? "The last 10 minutes with data began at " + last + " " + zone : "";
        lastCell.classList.toggle("muted", !last);
      } catch (error) {
        lastCell.textContent = error.message;
      }
    });
  }

  /* A device's new status, from the stream or the list: its badge, and the metrics why. */
  function showStatus(deviceId, status, unhealthy) {
    const row = rows.find((candidate) => candidate.dataset.device === deviceId);
    if (!row) return;
    row.dataset.status = status;
    row.querySelector(".status").replaceWith(statusBadge(status));
    row.querySelector(".unhealthy").textContent = unhealthy.join(", ");
  }

  window.Live.on("device_status", (event) => showStatus(event.device.id, event.status, event.reasons || []));
  window.Live.refresh(async function () {
    const answer = await api(window.location.pathname + window.location.search);
    answer.results.forEach((device) => showStatus(device.id, device.monitoring.status,
                                                  (device.monitoring.problems || []).map((problem) => problem.name)));
  });

  const table = document.getElementById("devices");
  Promise.all([organizations(), locations(), monitoring()])
    .catch((error) => window.Page.showError(error.message))
    .finally(() => { table.dataset.ready = "true"; });
})();
