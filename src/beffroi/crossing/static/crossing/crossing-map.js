// Crossing map: draw a polygon (click vertices, close on the first one) or a circle, or pick a
// commune; the exposure panel shows what the API computes. No drawing plugin, no tile server.
(function () {
  "use strict";
  var element = document.getElementById("crossing-map");
  if (!element || typeof L === "undefined") { return; }
  var data = JSON.parse(document.getElementById("crossing-data").textContent);
  var T = JSON.parse(document.getElementById("crossing-strings").textContent);
  var csrf = document.querySelector("#crossing-tools input[name=csrfmiddlewaretoken]").value;
  var panel = document.getElementById("exposure-panel");
  var help = document.getElementById("draw-help");
  var closeButton = document.getElementById("close-polygon");

  var map = L.map(element, { zoomSnap: 0.25, keyboard: true, doubleClickZoom: false });
  window.BeffroiBaseMap(map, data);
  var communes = L.geoJSON(data.boundaries, {
    style: function () { return { color: "#123c69", weight: 2, fillColor: "#5b8cc0", fillOpacity: 0.15 }; },
    interactive: false
  }).addTo(map);
  if (data.boundaries.features.length) { map.fitBounds(communes.getBounds(), { padding: [20, 20] }); }
  else { map.setView([48.85, 2.35], 11); }

  element.leafletMap = map;  // for tests and keyboard helpers
  var savedLayer = L.geoJSON(null, {
    style: function () { return { color: "#1b7f3b", weight: 2, dashArray: "6 4", fillOpacity: 0.05 }; },
    onEachFeature: function (f, l) { l.bindTooltip(f.properties.name); }
  }).addTo(map);
  if (data.saved && data.saved.features.length) { savedLayer.addData(data.saved); }
  var drawing = L.layerGroup().addTo(map);
  var lastArea = null;
  var saveForm = document.getElementById("save-crossing");
  var scenarioLayer = L.layerGroup().addTo(map);
  var mode = null;
  var vertices = [];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  var locale = document.documentElement.lang || "fr";
  function fmt(value) {
    return typeof value === "number" ? value.toLocaleString(locale) : String(value);
  }
  function label(key) { return (T.figureLabels && T.figureLabels[key]) || key; }

  function resetDrawing() {
    drawing.clearLayers(); vertices = []; mode = null;
    closeButton.disabled = true; element.classList.remove("drawing");
  }
  function redraw() {
    drawing.clearLayers();
    if (vertices.length > 1) { L.polyline(vertices, { color: "#b3261e", weight: 2, dashArray: "4 4" }).addTo(drawing); }
    vertices.forEach(function (v, i) {
      var marker = L.circleMarker(v, { radius: i === 0 ? 7 : 5, color: "#b3261e", fillOpacity: 1, className: "vertex vertex-" + i });
      if (i === 0 && mode === "polygon") { marker.on("click", function (e) { L.DomEvent.stopPropagation(e); closePolygon(); }); }
      marker.addTo(drawing);
    });
    closeButton.disabled = vertices.length < 3;
  }
  function closePolygon() {
    if (mode === "line") { return finishLine(); }
    if (vertices.length < 3) { help.textContent = T.clickFirst; return; }
    var ring = vertices.map(function (v) { return [v.lng, v.lat]; });
    ring.push(ring[0]);
    var shape = vertices.slice();
    resetDrawing();
    L.polygon(shape, { color: "#b3261e", weight: 2, fillOpacity: 0.15 }).addTo(drawing);
    help.textContent = T.closed;
    compute({ area: { type: "Polygon", coordinates: [ring] } });
  }

  function finishLine() {
    if (vertices.length < 2) { help.textContent = T.clickLine; return; }
    var radius = parseFloat(document.getElementById("circle-radius").value) || 300;
    var coords = vertices.map(function (v) { return [v.lng, v.lat]; });
    var shape = vertices.slice();
    resetDrawing();
    L.polyline(shape, { color: "#b3261e", weight: 3 }).addTo(drawing);
    help.textContent = T.closed;
    compute({ area: { type: "LineString", coordinates: coords }, buffer_m: radius });
  }

  map.on("click", function (e) {
    if (mode === "polygon" || mode === "line") { vertices.push(e.latlng); redraw(); if (mode === "line") { closeButton.disabled = vertices.length < 2; } }
    else if (mode === "circle") {
      var radius = parseFloat(document.getElementById("circle-radius").value) || 300;
      resetDrawing();
      L.circle(e.latlng, { radius: radius, color: "#b3261e", weight: 2, fillOpacity: 0.15 }).addTo(drawing);
      compute({ area: { type: "Point", coordinates: [e.latlng.lng, e.latlng.lat] }, buffer_m: radius });
    }
  });
  document.getElementById("draw-polygon").addEventListener("click", function () {
    resetDrawing(); mode = "polygon"; element.classList.add("drawing"); help.textContent = T.clickFirst;
  });
  closeButton.addEventListener("click", closePolygon);
  document.getElementById("draw-line").addEventListener("click", function () {
    resetDrawing(); mode = "line"; element.classList.add("drawing"); help.textContent = T.clickLine;
  });
  document.getElementById("draw-circle").addEventListener("click", function () {
    resetDrawing(); mode = "circle"; element.classList.add("drawing"); help.textContent = T.clickCentre;
  });
  document.getElementById("clear-area").addEventListener("click", function () {
    resetDrawing(); panel.replaceChildren(); panel.dataset.state = "empty";
    lastArea = null; if (select) { loadScenario(); }
  });
  document.getElementById("commune-area").addEventListener("change", function (e) {
    var code = e.target.value;
    var feature = data.boundaries.features.find(function (f) { return f.properties.code === code; });
    if (!feature) { return; }
    resetDrawing();
    var chosen = L.geoJSON(feature, { style: { color: "#b3261e", weight: 2, fillOpacity: 0.1 } }).addTo(drawing);
    map.fitBounds(chosen.getBounds(), { padding: [20, 20] });
    compute({ area: feature.geometry });
  });

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); });
  }

  function compute(body) {
    body.repair = document.getElementById("repair-area").checked;
    window.__lastExposureBody = body;
    panel.dataset.state = "computing";
    panel.replaceChildren(el("p", { "class": "muted" }, T.computing));
    post(data.exposureUrl, body).then(function (res) {
      if (!res.ok) { showError(res.body); return; }
      renderExposure(panel, res.body);
      panel.dataset.state = "done";
      lastArea = { area: res.body.area.geometry, layers: null };
      if (saveForm) { saveForm.hidden = false; }
      if (select) { loadScenario(); }
    }).catch(function (err) { showError({ detail: String(err) }); });
  }
  function showError(body) {
    panel.dataset.state = "error";
    var box = el("div", { "class": "error", role: "alert" });
    box.appendChild(el("p", {}, T.error + T.colon + (body.detail || "")));
    (body.problems || []).forEach(function (p) { box.appendChild(el("p", {}, p)); });
    panel.replaceChildren(box);
  }

  function sourcesLine(sources) {
    var p = el("p", { "class": "source" });
    p.appendChild(document.createTextNode(T.sources + T.colon));
    sources.forEach(function (s, i) {
      if (i) { p.appendChild(document.createTextNode(" ; ")); }
      var when = s.updated_at ? " (" + T.updated + " " + new Date(s.updated_at).toLocaleString(locale) + ")" : "";
      p.appendChild(document.createTextNode(s.title + when));
      if (s.synthetic) { p.appendChild(document.createTextNode(" ")); p.appendChild(el("strong", { "class": "badge-synthetic" }, T.synthetic)); }
    });
    return p;
  }

  function csvCell(v) {
    var s = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function exposureCsv(result) {
    // Same columns and rows as `beffroi crossing exposure --format csv`.
    var lines = ["layer,figure,value,method,sources"];
    result.layers.forEach(function (layer) {
      var sources = layer.sources.map(function (s) {
        return s.dataset + (s.synthetic ? " (synthetic)" : "") + " @ " + (s.updated_at || "?");
      }).join("; ");
      Object.keys(layer.figures).forEach(function (k) {
        lines.push([layer.layer, k, layer.figures[k], layer.method, sources].map(csvCell).join(","));
      });
    });
    return lines.join("\n") + "\n";
  }

  function renderExposure(target, result) {
    var nodes = [];
    var download = el("a", { "class": "button", id: "exposure-csv", download: "croisement.csv" }, T.exportCsv);
    download.href = URL.createObjectURL(new Blob([exposureCsv(result)], { type: "text/csv" }));
    nodes.push(download);
    var info = el("p", { "class": "area-info" });
    info.textContent = T.area + T.colon + fmt(result.area.km2) + " km² · " + T.communes + T.colon + result.area.communes.join(", ");
    nodes.push(info);
    if (result.area.notes.length) {
      var notes = el("ul", { "class": "notes", "aria-label": T.notes });
      result.area.notes.forEach(function (n) { notes.appendChild(el("li", {}, n)); });
      nodes.push(notes);
    }
    result.layers.forEach(function (layer) {
      var section = el("section", { "class": "layer", "data-layer": layer.layer });
      section.appendChild(el("h3", {}, layer.title));
      var table = el("table", { "class": "table figures" });
      var head = el("tr"); head.appendChild(el("th", { scope: "col" }, T.figure)); head.appendChild(el("th", { scope: "col" }, T.value));
      var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
      var tbody = el("tbody");
      Object.keys(layer.figures).forEach(function (k) {
        var tr = el("tr", { "data-figure": k });
        tr.appendChild(el("th", { scope: "row" }, label(k)));
        tr.appendChild(el("td", { "class": "num" }, fmt(layer.figures[k])));
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      section.appendChild(table);
      var rows = (layer.details && layer.details.rows) || [];
      if (rows.length) {
        var more = el("details");
        more.appendChild(el("summary", {}, T.list + " (" + rows.length + ")"));
        var list = el("ul");
        rows.forEach(function (r) { list.appendChild(el("li", {}, r.filter(function (v) { return v !== null; }).join(" — "))); });
        more.appendChild(list);
        section.appendChild(more);
      }
      var method = el("p", { "class": "method" }); method.textContent = T.method + T.colon + layer.method;
      section.appendChild(method);
      section.appendChild(sourcesLine(layer.sources));
      nodes.push(section);
    });
    target.replaceChildren.apply(target, nodes);
  }

  if (saveForm) {
    saveForm.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!lastArea) { return; }
      var status = document.getElementById("save-status");
      var name = document.getElementById("save-name").value;
      post(data.savedUrl, { name: name, area: lastArea.area })
        .then(function (res) {
          status.textContent = res.ok ? T.saved : (T.error + T.colon + (res.body.detail || ""));
          if (res.ok) {
            savedLayer.addData({ type: "Feature", geometry: lastArea.area, properties: { name: name } });
            refreshSavedTable();
          }
        });
    });
  }

  // The saved crossings' table as the server renders it (figures, dates in the reader's language).
  function refreshSavedTable() {
    fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("#saved-table tbody");
        var current = document.querySelector("#saved-table tbody");
        if (fresh && current) { current.replaceWith(fresh); }
      });
  }

  // --- scenario: slide the hazard level ---------------------------------------------------------
  var select = document.getElementById("scenario-dataset");
  var slider = document.getElementById("scenario-level");
  var output = document.getElementById("scenario-level-value");
  var scenarioPanel = document.getElementById("scenario-panel");
  var scenario = null;
  function showLevel() {
    if (!scenario || !scenario.levels.length) { return; }
    var level = scenario.levels[parseInt(slider.value, 10)];
    output.textContent = fmt(level.level) + " m";
    scenarioLayer.clearLayers();
    if (level.zone) L.geoJSON(level.zone, { style: { color: "#0b5cad", weight: 1, fillColor: "#3a8fd9", fillOpacity: 0.45 } }).addTo(scenarioLayer);
    var table = el("table", { "class": "table scenario" });
    var caption = el("caption", {}, scenario.title + (scenario.in_area ? " — " + T.inArea : ""));
    table.appendChild(caption);
    var head = el("tr");
    [T.level, T.residents, T.over75, T.addresses, T.facilities, T.registry].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
    var tbody = el("tbody");
    scenario.levels.forEach(function (lv, i) {
      var s = lv.summary;
      var tr = el("tr", { "data-level": lv.level });
      if (i === parseInt(slider.value, 10)) { tr.className = "current"; tr.setAttribute("aria-current", "true"); }
      tr.appendChild(el("th", { scope: "row" }, fmt(lv.level) + " m"));
      [s.residents, s["75+"], s.addresses, s.facilities, s.registry].forEach(function (v) {
        tr.appendChild(el("td", { "class": "num" }, v === undefined || v === null ? "—" : fmt(v)));
      });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    scenarioPanel.replaceChildren(table, sourcesLine([scenario.source]));
  }
  function loadScenario() {
    if (!select) { return; }
    scenarioPanel.replaceChildren(el("p", { "class": "muted" }, T.computing));
    var url = data.scenarioUrl + encodeURIComponent(select.value);
    var request = lastArea ? post(url, { area: lastArea.area }).then(function (res) { return res.body; })
      : fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); });
    request.then(function (body) {
        if (!body.levels) { scenarioPanel.replaceChildren(el("p", { "class": "error" }, body.detail || T.error)); return; }
        scenario = body;
        slider.max = String(Math.max(0, body.levels.length - 1));
        slider.value = "0"; slider.disabled = body.levels.length < 2;
        showLevel();
      });
  }
  if (select) {
    select.addEventListener("change", loadScenario);
    slider.addEventListener("input", showLevel);
    loadScenario();
  }
})();
