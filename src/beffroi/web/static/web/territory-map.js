// Draws the territory's communes on a Leaflet map (web/basemap.js); a click on a commune shows its card.
(function () {
  "use strict";
  var element = document.getElementById("territory-map");
  if (!element || typeof L === "undefined" || !window.Beffroi) { return; }
  var boundaries = JSON.parse(document.getElementById("territory-boundaries").textContent);
  var config = JSON.parse(document.getElementById("map-config").textContent);
  window.Beffroi.baseMap(element, boundaries, config, {
    fillOpacity: 0.25,
    onEachFeature: function (feature, featureLayer) {
      var p = feature.properties;
      featureLayer.bindTooltip(p.name + " (" + p.code + ")", { permanent: true, direction: "center", className: "commune-label" });
      featureLayer.on("click", function () {
        var card = document.getElementById("commune-" + p.code);
        if (card) { card.scrollIntoView({ behavior: "smooth", block: "nearest" }); card.focus({ preventScroll: true }); }
      });
    }
  });
  element.dataset.communes = String(boundaries.features.length);
})();
