// The base map every page shares: the communes' outlines (the map works without any tile server),
// plus a tile layer only when BEFFROI_MAP_TILE_URL is set. Pages draw their own layers on top.
(function () {
  "use strict";
  window.Beffroi = window.Beffroi || {};
  window.Beffroi.baseMap = function (element, boundaries, config, options) {
    var opts = options || {};
    var map = L.map(element, { zoomSnap: 0.25, keyboard: true, doubleClickZoom: opts.doubleClickZoom !== false });
    if (config && config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
    }
    var communes = L.geoJSON(boundaries, {
      style: function () { return { color: "#123c69", weight: 2, fillColor: "#5b8cc0", fillOpacity: opts.fillOpacity || 0.15 }; },
      interactive: !!opts.onEachFeature,
      onEachFeature: opts.onEachFeature
    }).addTo(map);
    if (boundaries && boundaries.features && boundaries.features.length) {
      map.fitBounds(communes.getBounds(), { padding: [20, 20] });
    } else {
      map.setView([46.6, 2.4], 5);
    }
    element.leafletMap = map;  // for tests and keyboard helpers
    return { map: map, communes: communes };
  };
})();
