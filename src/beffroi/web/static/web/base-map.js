// The base map every Beffroi page starts from: the user's communes drawn as the map (no tile server
// needed), a tile layer only when BEFFROI_MAP_TILE_URL is set, fitted to the communes.
// data: { boundaries: FeatureCollection, tileUrl, tileAttribution }.
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }
  window.BeffroiMap = {
    create: function (element, data, options) {
      var map = L.map(element, Object.assign({ zoomSnap: 0.25, keyboard: true }, options || {}));
      if (data.tileUrl) {
        L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
      }
      var communes = L.geoJSON(data.boundaries, {
        style: function () { return { color: "#123c69", weight: 2, fillColor: "#5b8cc0", fillOpacity: 0.12 }; },
        interactive: false,
        pmIgnore: true
      }).addTo(map);
      if (data.boundaries.features.length) { map.fitBounds(communes.getBounds(), { padding: [20, 20] }); }
      else { map.setView([46.6, 2.4], 5); }
      element.leafletMap = map;  // for tests and keyboard helpers
      return { map: map, communes: communes };
    }
  };
})();
