// Territorial profile: sortable tables and a choropleth of the vulnerability index.
(function () {
  "use strict";
  var COLOURS = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"];
  document.querySelectorAll(".swatch").forEach(function (s, i) { s.style.background = COLOURS[i % 5]; });
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th button").forEach(function (button, col) {
      button.addEventListener("click", function () {
        var numeric = button.dataset.type === "num";
        var asc = button.dataset.dir !== "asc";
        table.querySelectorAll("thead th").forEach(function (th) { th.removeAttribute("aria-sort"); });
        button.dataset.dir = asc ? "asc" : "desc";
        button.parentElement.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
          var c = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y, "fr");
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  var element = document.getElementById("profile-map");
  if (!element || typeof L === "undefined") { return; }
  var data = JSON.parse(document.getElementById("profile-data").textContent);
  var map = L.map(element, { zoomSnap: 0.25 });
  window.BeffroiBaseMap(map, data);
  var layer = L.geoJSON(data.boundaries, {
    style: function (f) {
      var v = data.index[f.properties.code] || 0;
      return { color: "#333", weight: 1, fillColor: COLOURS[Math.min(4, Math.floor(v / 20))], fillOpacity: 0.8 };
    },
    onEachFeature: function (f, l) {
      l.bindTooltip(f.properties.name + data.labels.colon + (data.index[f.properties.code] || 0), { permanent: true, direction: "center", className: "commune-label" });
    }
  }).addTo(map);
  // Second choropleth: share of 75+ per IRIS, classes of 3 points from 6 %.
  var iris = L.geoJSON(data.iris, {
    style: function (f) {
      var v = f.properties.share_75_plus || 0;
      var k = Math.max(0, Math.min(4, Math.floor((v - 6) / 3)));
      return { color: "#555", weight: 0.5, fillColor: COLOURS[k], fillOpacity: 0.8 };
    },
    onEachFeature: function (f, l) {
      var p = f.properties;
      l.bindTooltip(p.iris_code + data.labels.colon + p.population + " " + data.labels.inhabitants + ", 75+ " + (p.share_75_plus === null ? "—" : p.share_75_plus + " %"));
    }
  });
  var overlays = {};
  overlays[data.labels.communes] = layer;
  overlays[data.labels.iris] = iris;
  L.control.layers(overlays, null, { collapsed: false }).addTo(map);
  element.dataset.iris = String(data.iris.features.length);
  if (data.boundaries.features.length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
})();
