/* The dashboard: devices by status (the `count` of the device list filtered by each
   status, counted again when the event stream tells of a change: ui/live.js) and the organization, location and floorplan filters of the general charts
   (locations and floorplans from the management API). */
(function () {
  "use strict";
  const {el, api, allPages, showError} = window.Page;
  const organization = document.getElementById("filter-organization");
  const location = document.getElementById("filter-location");
  const floorplan = document.getElementById("filter-floorplan");

  async function countByStatus() {
    const slug = organization.value;
    await Promise.all(Object.keys(window.Page.statuses).map(async function (status) {
      const query = new URLSearchParams({monitoring__status: status, page_size: "1"});
      if (slug) query.set("organization_slug", slug);
      const link = document.querySelector("#status-counts a[data-status='" + status + "']");
      link.href = "/api/v1/monitoring/device/?" + query.toString().replace("&page_size=1", "");
      try {
        document.getElementById("count-" + status).textContent = (await api("/api/v1/monitoring/device/?" + query)).count;
      } catch (error) {
        showError(error.message);
      }
    }));
  }

  function fill(select, items, text) {
    const selected = select.dataset.selected;
    select.replaceChildren(el("option", {value: "", text: "All"}));
    items.forEach((item) => select.append(el("option", {value: item.id, text: text(item), selected: item.id === selected})));
  }

  async function loadChoices() {
    try {
      const [locations, floorplans] = await Promise.all([
        allPages("/api/v1/controller/location/?page_size=100"),
        allPages("/api/v1/controller/floorplan/?page_size=100"),
      ]);
      const names = Object.fromEntries(locations.map((item) => [item.id, item.name]));
      fill(location, locations, (item) => item.name);
      fill(floorplan, floorplans, (item) => (names[item.location] || "") + " floor " + item.floor);
    } catch (error) {
      showError(error.message);
    }
  }

  document.getElementById("dashboard-filters").addEventListener("change", function (event) {
    const parameters = new URLSearchParams(window.location.search);
    const field = event.target;
    if (field.value) parameters.set(field.name, field.value);
    else parameters.delete(field.name);
    field.dataset.selected = field.value;
    window.ChartPage.load(parameters);
    if (field === organization) countByStatus();
  });

  // A device changing status (or a new one) changes the counts: counted again, once for a burst.
  const recount = window.Live.coalesced(countByStatus, 500);
  ["device_status", "device_created"].forEach((type) => window.Live.on(type, recount));
  window.Live.refresh(countByStatus);

  countByStatus();
  loadChoices();
})();
