// The background of every Leaflet map: the tile layer of the settings (Plan IGN by default) with its
// attribution, and a discreet notice when no tile can be reached (offline crisis room, blocked
// network): the map then keeps what it draws itself (communes, zones, local layers).
// The container's data-background says which: "tiles", "offline" or "none" (no tile layer set).
(function () {
  "use strict";
  window.BeffroiBaseMap = function (map, config) {
    var container = map.getContainer();
    if (!config || !config.tileUrl) { container.dataset.background = "none"; return null; }
    var loaded = 0, failed = 0, notice = null;
    var layer = L.tileLayer(config.tileUrl, {
      attribution: config.tileAttribution || "", maxZoom: 19, crossOrigin: false
    });
    function showNotice() {
      if (notice || loaded) { return; }
      container.dataset.background = "offline";
      notice = L.control({ position: "bottomleft" });
      notice.onAdd = function () {
        var div = L.DomUtil.create("div", "map-offline-notice");
        div.setAttribute("role", "status");
        div.textContent = config.offlineNotice || "";
        return div;
      };
      notice.addTo(map);
    }
    layer.on("tileload", function () {
      loaded += 1;
      container.dataset.background = "tiles";
      if (notice) { notice.remove(); notice = null; }
    });
    layer.on("tileerror", function () {
      failed += 1;
      if (failed >= 2 && !loaded) { showNotice(); }
    });
    layer.addTo(map);
    return layer;
  };
})();

// A map with the communes' outlines over that background, for pages that draw their own layers on
// top (campaign areas, alert areas): returns the map and the outlines' layer.
(function () {
  "use strict";
  window.Beffroi = window.Beffroi || {};
  window.Beffroi.baseMap = function (element, boundaries, config, options) {
    var opts = options || {};
    var map = L.map(element, { zoomSnap: 0.25, keyboard: true, doubleClickZoom: opts.doubleClickZoom !== false });
    window.BeffroiBaseMap(map, config);
    var communes = L.geoJSON(boundaries, {
      style: function () { return { color: "#123c69", weight: 2, fillColor: "#5b8cc0", fillOpacity: opts.fillOpacity || 0.15 }; },
      interactive: !!opts.onEachFeature,
      onEachFeature: opts.onEachFeature,
      pmIgnore: true  // Leaflet-Geoman (alerts' composer) never edits the communes' outlines
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
