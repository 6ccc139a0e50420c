// The alert area on a map, with the estimate beside it.
// Composer (#alert-form present): draw one polygon and/or one circle with Leaflet-Geoman, tick whole
// communes, or load a zone from a dataset; the shapes fill the form's GeoJSON and circle fields
// (kept as the no-JS fallback, hidden here) and the estimate is fetched again, debounced.
// Approver's page (no form): the stored area, read-only, and the same estimate.
(function () {
  "use strict";
  var element = document.getElementById("alert-map");
  var panel = document.getElementById("area-estimate");
  if (!element || !panel || typeof L === "undefined" || !window.Beffroi || !window.Beffroi.baseMap) { return; }
  var data = JSON.parse(document.getElementById("alert-map-data").textContent);
  var T = data.strings;
  var LANG = document.documentElement.lang || "fr";
  var SEP = LANG.slice(0, 2) === "fr" ? " : " : ": ";  // French typography puts a space before the colon
  var form = document.getElementById("alert-form");
  // Shown before the map is made: Leaflet measures its container to fit the communes.
  var section = document.getElementById("area-map-section");
  if (section) { section.hidden = false; }
  var base = window.Beffroi.baseMap(element, data.boundaries, data, { fillOpacity: 0.12 });
  var map = base.map;
  var alerted = L.geoJSON(null, {
    style: { color: "#b3261e", weight: 2, fillColor: "#e06055", fillOpacity: 0.3 },
    interactive: false, pmIgnore: true
  }).addTo(map);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function fmt(value) {
    if (value === null || value === undefined) { return T.unknown; }
    return typeof value === "number" ? value.toLocaleString(LANG) : String(value);
  }
  function sourceLine(layer) {
    if (!layer || !layer.sources || !layer.sources.length) { return null; }
    var text = layer.sources.map(function (s) {
      var when = s.updated_at ? " (" + T.updated + " " + new Date(s.updated_at).toLocaleDateString(LANG) + ")" : "";
      return s.title + when + (s.synthetic ? " — " + T.synthetic : "");
    }).join(" ; ");
    return el("p", { "class": "source" }, T.source + SEP + text);
  }
  function row(tbody, key, label, value, detail) {
    var tr = el("tr", { "data-figure": key });
    tr.appendChild(el("th", { scope: "row" }, label));
    var td = el("td", { "class": "num" }, fmt(value));
    tr.appendChild(td);
    tbody.appendChild(tr);
    if (detail) { var d = el("tr", { "class": "detail" }); d.appendChild(el("td", { colspan: "2" })).appendChild(detail); tbody.appendChild(d); }
  }

  function render(result) {
    alerted.clearLayers();
    if (result.area) { alerted.addData(result.area); }
    var nodes = [];
    nodes.push(el("p", { "class": "area-info" }, T.area + SEP + fmt(result.km2) + " " + T.km2 + " · " + result.communes.join(", ")));
    var table = el("table", { "class": "table figures", id: "estimate-figures" });
    var tbody = el("tbody");
    var r = result.residents;
    var over = r && r.over_75 !== undefined && r.over_75 !== null ? el("span", { "class": "muted" }, T.over75 + SEP + fmt(r.over_75)) : null;
    row(tbody, "residents", T.residents, r ? r.total : null, over);
    row(tbody, "addresses", T.addresses, result.addresses ? result.addresses.total : null);
    var s = result.subscribers;
    var channels = s ? el("span", { "class": "muted" }, Object.keys(s.by_channel).map(function (c) {
      return (T.channels[c] || c) + SEP + fmt(s.by_channel[c]);
    }).join(" · ")) : null;
    row(tbody, "subscribers", T.subscribers, s ? s.total : null, channels);
    var f = result.facilities;
    var types = f && f.by_type ? el("span", { "class": "muted" }, Object.keys(f.by_type).map(function (k) {
      return (T.types[k] || k) + SEP + fmt(f.by_type[k]);
    }).join(" · ")) : null;
    row(tbody, "facilities", T.facilities, f ? f.total : null, types);
    var reg = result.registry;
    row(tbody, "registry", T.registry, reg ? reg.total : null, reg && reg.method ? el("span", { "class": "muted" }, reg.method) : null);
    table.appendChild(tbody);
    nodes.push(table);
    if (s && s.test_recipients_only) { nodes.push(el("p", { "class": "notice" }, T.exercise)); }
    [r, result.addresses, f].forEach(function (layer) { var line = sourceLine(layer); if (line) { nodes.push(line); } });
    if (result.warnings && result.warnings.length) {
      var list = el("ul", { "class": "notes", "aria-label": T.warnings });
      result.warnings.forEach(function (w) { list.appendChild(el("li", {}, w)); });
      nodes.push(list);
    }
    panel.replaceChildren.apply(panel, nodes);
    panel.dataset.state = "done";
  }
  function showError(body) {
    alerted.clearLayers();
    panel.dataset.state = "error";
    var box = el("div", { "class": "error", role: "alert" });
    box.appendChild(el("p", {}, T.error + SEP + (body.detail || "")));
    panel.replaceChildren(box);
  }

  var pending = null;
  var lastBody = null;
  var sequence = 0;
  function fetchEstimate(body) {
    var mine = ++sequence;
    panel.dataset.state = "computing";
    var request = body
      ? fetch(data.estimateUrl, { method: "POST", body: body, credentials: "same-origin" })
      : fetch(data.estimateUrl, { credentials: "same-origin" });
    request.then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        if (mine !== sequence) { return; }  // a newer area was asked for meanwhile
        if (res.ok) { render(res.body); } else { showError(res.body); }
      })
      .catch(function (err) { showError({ detail: String(err) }); });
  }

  if (!form) {  // approver's page: the stored area, read-only
    alerted.options.interactive = false;
    fetchEstimate(null);
    return;
  }

  // --- composer ------------------------------------------------------------------------------------
  var field = function (name) { return form.querySelector("[name=" + name + "]"); };
  var fallbacks = (data.areaFields || []).map(function (name) {
    var input = field(name);
    return input && input.closest(".area-fallback");
  }).filter(Boolean);
  fallbacks.forEach(function (wrapper) { wrapper.hidden = true; });  // the map fills them
  // The keyboard alternative to drawing: the same fields, shown on demand (typed values are read
  // back on submit; the map shows them after the next page load).
  var toggle = document.getElementById("area-fields-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      fallbacks.forEach(function (wrapper) { wrapper.hidden = !open; });
    });
  }
  var help = document.getElementById("area-help");
  var drawn = L.featureGroup().addTo(map);

  function areaKey() {
    var parts = ["polygon", "circle_lat", "circle_lon", "circle_radius_km", "hazard", "status"].map(function (n) {
      var input = field(n); return input ? input.value : "";
    });
    form.querySelectorAll("[name=communes]:checked").forEach(function (c) { parts.push(c.value); });
    return parts.join("|");
  }
  function schedule() {
    var key = areaKey();
    if (key === lastBody) { return; }  // same area: no new query (the registry counts each one)
    clearTimeout(pending);
    sequence++;  // an answer still on its way is for the previous area: it is dropped
    panel.dataset.state = "pending";  // the figures shown are those of the previous area
    pending = setTimeout(function () {
      lastBody = areaKey();
      fetchEstimate(new FormData(form));
    }, 600);
  }

  function writeFields() {
    var polygon = null, circle = null;
    drawn.eachLayer(function (layer) {
      if (layer instanceof L.Circle) { circle = layer; }
      else if (layer.toGeoJSON) { polygon = layer; }
    });
    field("polygon").value = polygon ? JSON.stringify(polygon.toGeoJSON().geometry) : "";
    field("circle_lat").value = circle ? circle.getLatLng().lat.toFixed(6) : "";
    field("circle_lon").value = circle ? circle.getLatLng().lng.toFixed(6) : "";
    field("circle_radius_km").value = circle ? (circle.getRadius() / 1000).toFixed(3) : "";
    form.dispatchEvent(new Event("input", { bubbles: true }));
    schedule();
  }
  function keepOne(layer) {
    // One polygon and one circle per alert (what the server stores): a new one replaces the old.
    var isCircle = layer instanceof L.Circle;
    drawn.eachLayer(function (other) {
      if (other !== layer && (other instanceof L.Circle) === isCircle) {
        drawn.removeLayer(other);
        if (help) { help.textContent = isCircle ? T.oneCircle : T.onePolygon; }
      }
    });
  }
  function adopt(layer) {
    layer.setStyle && layer.setStyle({ color: "#6d2c91", weight: 2, dashArray: "5 4", fillOpacity: 0.05 });
    drawn.addLayer(layer);
    keepOne(layer);
    layer.on("pm:edit pm:dragend pm:update", writeFields);
  }

  map.pm.setLang(LANG.slice(0, 2) === "en" ? "en" : "fr");
  map.pm.addControls({
    position: "topleft",
    drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawRectangle: true,
    drawText: false, cutPolygon: false, rotateMode: false, drawPolygon: true, drawCircle: true,
    editMode: true, dragMode: true, removalMode: true
  });
  map.pm.setGlobalOptions({ allowSelfIntersection: false, layerGroup: drawn, snappable: false });
  map.on("pm:create", function (e) { adopt(e.layer); writeFields(); });
  map.on("pm:remove", function (e) { drawn.removeLayer(e.layer); writeFields(); });

  // The fields on the map: a stored area (editing a draft, the form sent back), or typed values.
  function loadFields() {
    drawn.clearLayers();
    var polygon = field("polygon").value.trim();
    if (polygon) {
      try {
        L.geoJSON(JSON.parse(polygon)).eachLayer(adopt);
      } catch (err) { /* the estimate and the server say what is wrong with it */ }
    }
    var lat = parseFloat(field("circle_lat").value), lon = parseFloat(field("circle_lon").value);
    var radius = parseFloat(field("circle_radius_km").value);
    if (!isNaN(lat) && !isNaN(lon) && radius > 0) { adopt(L.circle([lat, lon], { radius: radius * 1000 })); }
    if (drawn.getLayers().length) { map.fitBounds(drawn.getBounds(), { padding: [30, 30] }); }
  }
  loadFields();

  var zoneSelect = document.getElementById("zone-select");
  if (zoneSelect) {
    zoneSelect.addEventListener("change", function () {
      if (!zoneSelect.value) { return; }
      var cut = zoneSelect.value.lastIndexOf("|");
      var url = data.zoneUrl + "?dataset=" + encodeURIComponent(zoneSelect.value.slice(0, cut)) +
        "&level=" + encodeURIComponent(zoneSelect.value.slice(cut + 1));
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (res) {
          if (!res.ok) { showError(res.body); return; }
          drawn.eachLayer(function (layer) { if (!(layer instanceof L.Circle)) { drawn.removeLayer(layer); } });
          L.geoJSON(res.body).eachLayer(adopt);
          if (help) { help.textContent = T.zoneLoaded; }
          map.fitBounds(drawn.getBounds(), { padding: [30, 30] });
          writeFields();
        });
    });
  }

  // Choosing the linked crisis ticks its communes (among the user's).
  var crisisSelect = field("crisis");
  var crisisCommunes = document.getElementById("crisis-communes");
  if (crisisSelect && crisisCommunes) {
    var byCrisis = JSON.parse(crisisCommunes.textContent);
    crisisSelect.addEventListener("change", function () {
      var codes = byCrisis[crisisSelect.value];
      if (!codes) { return; }
      var boxes = form.querySelectorAll("[name=communes]");
      var any = Array.prototype.some.call(boxes, function (b) { return codes.indexOf(b.value) >= 0; });
      if (!any) { return; }
      boxes.forEach(function (b) { b.checked = codes.indexOf(b.value) >= 0; });
      schedule();
    });
  }

  form.addEventListener("change", function (e) {
    if (!e.target) { return; }
    if ((data.areaFields || []).indexOf(e.target.name) >= 0) { loadFields(); }
    if (["communes", "hazard", "status"].concat(data.areaFields || []).indexOf(e.target.name) >= 0) { schedule(); }
  });
  panel.replaceChildren(el("p", { "class": "muted" }, T.empty));
  schedule();
})();
