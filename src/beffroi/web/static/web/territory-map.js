// Draws the territory's communes on a Leaflet map. Works without any tile server: the boundaries
// are the map; a tile layer is added only when BEFFROI_MAP_TILE_URL is set.
(function () {
  "use strict";
  var element = document.getElementById("territory-map");
  if (!element || typeof L === "undefined") { return; }
  var boundaries = JSON.parse(document.getElementById("territory-boundaries").textContent);
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var map = L.map(element, { zoomSnap: 0.25, keyboard: true });
  window.BeffroiBaseMap(map, config);
  var layer = L.geoJSON(boundaries, {
    style: function () { return { color: "#123c69", weight: 2, fillColor: "#5b8cc0", fillOpacity: 0.25 }; },
    onEachFeature: function (feature, featureLayer) {
      var p = feature.properties;
      featureLayer.bindTooltip(p.name + " (" + p.code + ")", { permanent: true, direction: "center", className: "commune-label" });
      featureLayer.on("click", function () {
        var card = document.getElementById("commune-" + p.code);
        if (card) { card.scrollIntoView({ behavior: "smooth", block: "nearest" }); card.focus({ preventScroll: true }); }
      });
    }
  }).addTo(map);
  element.dataset.communes = String(boundaries.features.length);
  if (boundaries.features.length) { map.fitBounds(layer.getBounds(), { padding: [20, 20] }); }
  else { map.setView([46.6, 2.4], 5); }
})();
