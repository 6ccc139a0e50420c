// The crisis map: the crisis's communes and the main-courante entries that have a position.
// Clicking the map fills the entry form's latitude/longitude. Works without tiles (boundaries only).
(function () {
  "use strict";
  var element = document.getElementById("crisis-map");
  if (!element || typeof L === "undefined") { return; }
  var boundaries = JSON.parse(document.getElementById("crisis-boundaries").textContent);
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var map = L.map(element, { zoomSnap: 0.25, keyboard: true });
  window.BeffroiBaseMap(map, config);
  var communes = L.geoJSON(boundaries, {
    style: function () { return { color: "#123c69", weight: 2, fillColor: "#5b8cc0", fillOpacity: 0.15 }; }
  }).addTo(map);
  if (boundaries.features.length) { map.fitBounds(communes.getBounds(), { padding: [10, 10] }); }
  var markers = L.layerGroup().addTo(map);

  function drawEntries() {
    markers.clearLayers();
    var items = document.querySelectorAll("#entries [data-lat][data-lon]");
    items.forEach(function (item) {
      var lat = parseFloat(item.dataset.lat.replace(",", ".")), lon = parseFloat(item.dataset.lon.replace(",", "."));
      if (isNaN(lat) || isNaN(lon)) { return; }
      L.circleMarker([lat, lon], { radius: 7, color: "#b3261e", weight: 2, fillOpacity: 0.6 })
        .bindTooltip("n°" + item.dataset.seq + " " + (item.dataset.label || ""))
        .addTo(markers);
    });
    element.dataset.markers = String(items.length);
  }
  drawEntries();
  document.body.addEventListener("htmx:afterSwap", drawEntries);

  var picked = null;
  map.on("click", function (event) {
    var lat = document.getElementById("id_lat"), lon = document.getElementById("id_lon");
    if (!lat || !lon) { return; }
    lat.value = event.latlng.lat.toFixed(6);
    lon.value = event.latlng.lng.toFixed(6);
    var details = lat.closest("details");
    if (details) { details.open = true; }
    if (picked) { picked.remove(); }
    picked = L.marker(event.latlng).addTo(map);
  });
})();
