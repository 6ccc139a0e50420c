// Campaign maps (registry): draw the campaign's area by clicks, show an alert's area, or place a
// person « à localiser » with a click. Built on the shared base map (web/basemap.js); no drawing
// plugin. Every action has a keyboard/no-JS alternative in the page (GeoJSON field, lon/lat inputs).
(function () {
  "use strict";
  var element = document.getElementById("campaign-map");
  if (!element || typeof L === "undefined" || !window.Beffroi) { return; }
  var data = JSON.parse(document.getElementById("campaign-map-data").textContent);
  var T = JSON.parse(document.getElementById("campaign-map-strings").textContent);
  var base = window.Beffroi.baseMap(element, data.boundaries, data, { doubleClickZoom: false });
  var map = base.map;
  var areaStyle = { color: "#b3261e", weight: 2, fillOpacity: 0.12 };
  var areaLayer = L.layerGroup().addTo(map);
  var help = document.getElementById("map-help");
  function say(text) { if (help) { help.textContent = text; } }
  function showArea(geometry) {
    areaLayer.clearLayers();
    if (!geometry) { return; }
    var layer = L.geoJSON(geometry, { style: areaStyle, interactive: false }).addTo(areaLayer);
    map.fitBounds(layer.getBounds(), { padding: [20, 20] });
  }
  if (data.area) { showArea(data.area); }

  // --- draw the area (new campaign) -----------------------------------------------------------
  var field = document.getElementById("area");
  if (data.mode === "draw" && field) {
    var vertices = [], drawing = false, sketch = L.layerGroup().addTo(map);
    var closeButton = document.getElementById("draw-close");
    var drawnRadio = document.getElementById("zone-drawn");
    var redraw = function () {
      sketch.clearLayers();
      if (vertices.length > 1) { L.polyline(vertices, { color: "#b3261e", weight: 2, dashArray: "4 4" }).addTo(sketch); }
      vertices.forEach(function (v, i) {
        L.circleMarker(v, { radius: i === 0 ? 7 : 5, color: "#b3261e", fillOpacity: 1, className: "vertex vertex-" + i }).addTo(sketch);
      });
      closeButton.disabled = vertices.length < 3;
    };
    document.getElementById("draw-start").addEventListener("click", function () {
      vertices = []; drawing = true; areaLayer.clearLayers(); redraw();
      element.classList.add("drawing"); say(T.drawHelp);
      if (drawnRadio) { drawnRadio.checked = true; }
    });
    closeButton.addEventListener("click", function () {
      if (vertices.length < 3) { return; }
      var ring = vertices.map(function (v) { return [Number(v.lng.toFixed(6)), Number(v.lat.toFixed(6))]; });
      ring.push(ring[0]);
      var polygon = { type: "Polygon", coordinates: [ring] };
      field.value = JSON.stringify(polygon);
      drawing = false; vertices = []; sketch.clearLayers(); closeButton.disabled = true;
      element.classList.remove("drawing");
      showArea(polygon); say(T.closed);
    });
    document.getElementById("draw-clear").addEventListener("click", function () {
      vertices = []; drawing = false; sketch.clearLayers(); areaLayer.clearLayers(); field.value = "";
      closeButton.disabled = true; element.classList.remove("drawing"); say("");
    });
    map.on("click", function (e) { if (drawing) { vertices.push(e.latlng); redraw(); } });
    if (field.value) { try { showArea(JSON.parse(field.value)); } catch (err) { /* the server says what is wrong */ } }
    var alertSelect = document.getElementById("alert");
    var alertRadio = document.getElementById("zone-alert");
    if (alertSelect) {
      alertSelect.addEventListener("change", function () {
        if (alertRadio) { alertRadio.checked = true; }
        showArea((data.alerts || {})[alertSelect.value]);
      });
    }
  }

  // --- place a person « à localiser » ---------------------------------------------------------
  if (data.mode === "place") {
    var active = null, marker = null;
    document.querySelectorAll("[data-pick]").forEach(function (button) {
      button.addEventListener("click", function () {
        active = document.getElementById(button.dataset.pick);
        document.querySelectorAll(".to-locate li").forEach(function (li) { li.classList.remove("picking"); });
        if (active) { active.closest("li").classList.add("picking"); }
        element.classList.add("drawing");
        say(T.pickHelp);
        element.scrollIntoView({ behavior: "smooth", block: "center" });
      });
    });
    map.on("click", function (e) {
      if (!active) { return; }
      active.querySelector("input[name=lon]").value = e.latlng.lng.toFixed(6);
      active.querySelector("input[name=lat]").value = e.latlng.lat.toFixed(6);
      if (marker) { marker.remove(); }
      marker = L.circleMarker(e.latlng, { radius: 9, color: "#b3261e", fillOpacity: 0.8, className: "picked" }).addTo(map);
      say(T.picked + " " + e.latlng.lat.toFixed(5) + ", " + e.latlng.lng.toFixed(5));
      var submit = active.querySelector("button[value=map]");
      if (submit) { submit.focus({ preventScroll: true }); }
    });
  }
})();
