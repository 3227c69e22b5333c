/* The map: every location of the GeoJSON answer (all its pages) as a marker coloured by
   the worst status of its devices, with a symbol too; a popup with the counts per status
   and links; indoor locations open their floorplan with the device positions of the
   indoor-coordinates endpoint. Without MAP_TILE_URL the background is a coarse world
   outline served by this site, so the map works with no internet access. */
(function () {
  "use strict";
  const {el, api, allPages, statuses, showError} = window.Page;
  const box = document.getElementById("map");
  const WORST_FIRST = ["critical", "problem", "unknown", "ok"];

  function worstStatus(properties) {
    return WORST_FIRST.find((status) => properties[status + "_count"] > 0) || "deactivated";
  }

  function label(status) {
    return (statuses[status] || {label: status}).label;
  }

  /* A marker that says its status by colour and by symbol. */
  function statusIcon(status) {
    return L.divIcon({className: "map-marker marker-" + status, html: "", iconSize: [22, 22],
                      iconAnchor: [11, 11], popupAnchor: [0, -10]});
  }

  function addMarker(layer, latlng, status, title) {
    const marker = L.marker(latlng, {icon: statusIcon(status), title: title + ": " + label(status),
                                     alt: title + ": " + label(status), keyboard: true});
    marker.addTo(layer);
    const element = marker.getElement();
    element.textContent = (statuses[status] || {symbol: "?"}).symbol;
    element.dataset.status = status;
    return marker;
  }

  function popupFor(feature) {
    const properties = feature.properties;
    const counts = WORST_FIRST.map((status) => el("tr", {},
      el("td", {}, window.Page.statusBadge(status)), el("td", {class: "number", text: properties[status + "_count"]})));
    const content = el("div", {class: "location-popup"},
      el("strong", {text: properties.name}),
      properties.address ? el("div", {class: "muted", text: properties.address}) : null,
      el("table", {}, el("tbody", {}, counts)),
      el("div", {text: properties.device_count + " device" + (properties.device_count === 1 ? "" : "s") + " in all"}),
      el("a", {href: "/api/v1/monitoring/location/" + feature.id + "/device/", class: "location-devices",
               text: "Devices of this location"}));
    if (properties.type === "indoor") {
      content.append(" · ", el("a", {href: "#indoor", class: "open-floorplan", text: "Floorplan",
                                     onclick: function (event) { event.preventDefault(); showIndoor(feature); }}));
    }
    return content;
  }

  function fillTable(features) {
    const body = document.querySelector("#locations tbody");
    body.replaceChildren(...features.map((feature) => el("tr", {},
      el("th", {scope: "row"}, el("a", {href: "/api/v1/monitoring/location/" + feature.id + "/device/",
                                         text: feature.properties.name})),
      el("td", {text: feature.properties.type}),
      el("td", {}, window.Page.statusBadge(worstStatus(feature.properties))),
      WORST_FIRST.map((status) => el("td", {class: "number", text: feature.properties[status + "_count"]})),
      el("td", {class: "number", text: feature.properties.device_count}))));
  }

  const map = L.map(box, {worldCopyJump: true, attributionControl: !!box.dataset.tileUrl}).setView([20, 0], 2);

  async function background() {
    if (box.dataset.tileUrl) {
      L.tileLayer(box.dataset.tileUrl, {attribution: box.dataset.tileAttribution, maxZoom: 19}).addTo(map);
      return;
    }
    const response = await fetch(box.dataset.outline, {credentials: "same-origin"});
    L.geoJSON(await response.json(), {interactive: false, style: {color: "#8a9a8a", weight: 1, fillColor: "#eef0e6",
                                                                  fillOpacity: 1}}).addTo(map);
  }

  async function locations() {
    const first = window.Page.document;
    const features = first.features.slice();
    if (first.next) {
      const next = new URL(first.next);
      features.push(...await allPages(next.pathname + next.search));
    }
    const markers = L.featureGroup().addTo(map);
    features.filter((feature) => feature.geometry).forEach(function (feature) {
      const [lng, lat] = feature.geometry.coordinates;
      const marker = addMarker(markers, [lat, lng], worstStatus(feature.properties), feature.properties.name);
      marker.getElement().dataset.location = feature.id;
      marker.bindPopup(() => popupFor(feature));
    });
    if (markers.getLayers().length) map.fitBounds(markers.getBounds().pad(0.3), {maxZoom: 14});
    fillTable(features);
    return features;
  }

  /* --- indoor: a floorplan (its image when it has one) with device positions ------------ */
  let indoorMap = null;

  async function showIndoor(feature, floor) {
    const section = document.getElementById("indoor");
    section.hidden = false;
    const query = floor === undefined ? "" : "?floor=" + floor;
    let answer;
    try {
      answer = await api("/api/v1/monitoring/location/" + feature.id + "/indoor-coordinates/" + query);
    } catch (error) {
      showError(error.message);
      return;
    }
    const positions = answer.results;
    document.getElementById("indoor-title").textContent = positions.length ? positions[0].floor_name : feature.properties.name;
    document.getElementById("indoor-devices").href = "/api/v1/monitoring/location/" + feature.id + "/device/";
    const select = document.getElementById("indoor-floor");
    select.replaceChildren(...answer.floors.map((number) => el("option", {value: number, text: number,
      selected: positions.length && positions[0].floor === number})));
    select.onchange = () => showIndoor(feature, select.value);
    if (indoorMap) indoorMap.remove();
    indoorMap = L.map("floorplan", {crs: L.CRS.Simple, minZoom: -3, attributionControl: false});
    const placed = positions.filter((position) => position.coordinates);
    const lats = placed.map((p) => p.coordinates.lat), lngs = placed.map((p) => p.coordinates.lng);
    const image = positions.find((position) => position.image);
    let bounds;
    if (image) {
      const size = await imageSize(image.image);
      // Positions are "y,x" pixels from the image's top left, y negative downwards.
      bounds = lats.some((lat) => lat < 0) ? [[-size.height, 0], [0, size.width]] : [[0, 0], [size.height, size.width]];
      L.imageOverlay(image.image, bounds, {alt: "Floorplan of " + feature.properties.name}).addTo(indoorMap);
    } else {
      const pad = 40;
      bounds = placed.length ? [[Math.min(...lats) - pad, Math.min(...lngs) - pad], [Math.max(...lats) + pad, Math.max(...lngs) + pad]]
        : [[-100, 0], [0, 100]];
      L.rectangle(bounds, {color: "#8895a3", weight: 1, fillColor: "#ffffff", fillOpacity: 1, interactive: false}).addTo(indoorMap);
    }
    indoorMap.fitBounds(bounds);  // markers are drawn once the map has a view
    const layer = L.layerGroup().addTo(indoorMap);
    placed.forEach(function (position) {
      const marker = addMarker(layer, [position.coordinates.lat, position.coordinates.lng],
                               position.monitoring.status, position.device_name);
      marker.getElement().dataset.device = position.device_id;
      marker.bindPopup(() => el("div", {}, el("a", {href: "/api/v1/monitoring/device/" + position.device_id + "/",
                                                    text: position.device_name}), " ",
                                         window.Page.statusBadge(position.monitoring.status)));
    });
    document.getElementById("indoor-list").replaceChildren(...positions.map((position) => el("li", {},
      el("a", {href: "/api/v1/monitoring/device/" + position.device_id + "/", text: position.device_name}), " ",
      window.Page.statusBadge(position.monitoring.status))));
    section.dataset.ready = "true";
    section.scrollIntoView();
  }

  function imageSize(url) {
    return new Promise(function (resolve, reject) {
      const image = new Image();
      image.onload = () => resolve({width: image.naturalWidth, height: image.naturalHeight});
      image.onerror = reject;
      image.src = url;
    });
  }

  Promise.all([background(), locations()])
    .catch((error) => showError(error.message))
    .finally(() => { box.dataset.ready = "true"; });
  window.MapPage = {showIndoor: showIndoor};
})();
