// The live monitoring dashboard: a Leaflet map of indicators coloured by level, one uPlot chart per
// indicator (observations, source forecasts, trend projection with its band, thresholds drawn),
// the proposals list and source freshness, all updated from the /live/ Server-Sent Events stream.
(function () {
  "use strict";
  var root = document.getElementById("veille");
  if (!root) { return; }
  var config = JSON.parse(document.getElementById("veille-config").textContent);
  var S = config.strings || {};
  function t(key, params) {
    return String(S[key] || key).replace(/\{(\w+)\}/g, function (_, name) { return params && params[name] !== undefined ? params[name] : ""; });
  }
  var data = JSON.parse(document.getElementById("veille-data").textContent);
  var byKey = {};
  var charts = {};
  var markers = {};
  var map = null;
  var statusEl = document.getElementById("live-status");
  var announceEl = document.getElementById("live-announce");
  var STALE_COLOUR = "#6b6b6b";
  var LOCALE = S.numberLocale || "fr-FR";
  var fmt = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 2 });
  var dayFmt = new Intl.DateTimeFormat(LOCALE, { day: "2-digit", month: "2-digit" });
  var hourFmt = new Intl.DateTimeFormat(LOCALE, { hour: "2-digit", minute: "2-digit" });
  function axisLabel(v) { var d = new Date(v * 1000); return hourFmt.format(d) + "\n" + dayFmt.format(d); }
  var timeFmt = new Intl.DateTimeFormat(LOCALE, { day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" });
  // A reading with its unit as the server writes it: « 3,12 m », « niveau 2 », "level 2".
  function reading(value, unit) {
    var word = S["unit_" + unit];
    return word ? word.replace("{v}", fmt.format(value)) : (fmt.format(value) + " " + (unit || "")).trim();
  }

  function colourOf(s) { return s.stale ? STALE_COLOUR : s.colour; }
  function ts(iso) { return Date.parse(iso) / 1000; }

  function ageText(s) {
    if (!s.at) { return t("noValue"); }
    var minutes = Math.max(0, Math.round((Date.now() - Date.parse(s.at)) / 60000));
    var txt = minutes < 60 ? t("agoMinutes", { m: minutes }) : t("agoHours", { h: Math.floor(minutes / 60), m: minutes % 60 });
    return s.stale ? t("sourceLate", { age: txt }) : txt;
  }

  // --- Map ----------------------------------------------------------------------------------------
  function initMap() {
    var el = document.getElementById("veille-map");
    if (!el || typeof L === "undefined") { return; }
    map = L.map(el, { zoomSnap: 0.25, keyboard: true });
    window.BeffroiBaseMap(map, config);
    // Panes stack the layers: commune outlines (overlay pane, 400), then hazard zones, facilities and
    // the indicator markers on top, so a zone never hides the station whose height it shows.
    [["veilleZones", 410], ["veilleFacilities", 415], ["veilleIndicators", 420]].forEach(function (p) {
      map.createPane(p[0]).style.zIndex = String(p[1]);
    });
    zonesGroup = L.layerGroup().addTo(map);
    facilitiesGroup = L.layerGroup().addTo(map);
    var overlays = {};
    overlays[t("zonesLayer")] = zonesGroup;
    overlays[t("facilitiesLayer")] = facilitiesGroup;
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    var bounds = null;
    if (config.boundaries && config.boundaries.features && config.boundaries.features.length) {
      var layer = L.geoJSON(config.boundaries, {
        style: function () { return { color: "#123c69", weight: 1.5, fillColor: "#9fb7d3", fillOpacity: 0.2 }; },
        onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { direction: "center", className: "commune-label" }); }
      }).addTo(map);
      bounds = layer.getBounds();
    }
    data.indicators.forEach(function (s) {
      if (s.lat === null || s.lon === null) { return; }
      var ll = L.latLng(s.lat, s.lon);
      bounds = bounds ? bounds.extend(ll) : L.latLngBounds(ll, ll);
    });
    if (bounds) { map.fitBounds(bounds, { padding: [50, 50], maxZoom: 13 }); } else { map.setView([48.86, 2.35], 10); }
  }

  function updateMarker(s) {
    if (!map || s.lat === null || s.lon === null) { return; }
    var style = { radius: 11, color: "#1b1b1b", weight: 2, fillColor: colourOf(s), fillOpacity: 0.95, dashArray: s.stale ? "4 3" : null };
    var label = (s.value === null ? "—" : reading(s.value, s.unit)) + " · " + s.level_label + (s.stale ? " (" + t("late") + ")" : "");
    var m = markers[s.key];
    if (!m) {
      m = L.circleMarker([s.lat, s.lon], L.extend({ pane: "veilleIndicators" }, style)).addTo(map);
      m.bindTooltip(label, { permanent: true, direction: "top", offset: [0, -12], className: "indicator-label" });
      m.bindPopup(s.label);
      m.on("click", function () {
        var card = document.getElementById("ind-" + s.key);
        if (card) { card.scrollIntoView({ behavior: "smooth", block: "nearest" }); }
      });
      markers[s.key] = m;
    } else {
      m.setStyle(style);
      m.setTooltipContent(label);
    }
    var path = m.getElement ? m.getElement() : null;
    if (path) { path.setAttribute("data-key", s.key); path.setAttribute("data-colour", colourOf(s)); path.setAttribute("data-level", String(s.level)); }
  }

  // Crisis cell layer: located main-courante entries (squares) and shelters (triangles drawn as
  // diamonds), redrawn when a crisis event arrives.
  var crisisGroup = null;
  function drawCrisisLayer(layer) {
    if (!map) { return; }
    if (crisisGroup) { crisisGroup.clearLayers(); } else { crisisGroup = L.layerGroup().addTo(map); }
    (layer.entries || []).forEach(function (e) {
      var icon = L.divIcon({ className: "crisis-entry-icon", iconSize: [14, 14] });
      var m = L.marker([e.lat, e.lon], { icon: icon, keyboard: false, title: e.text });
      m.bindPopup((e.exercise ? t("exercise") + " — " : "") + t("entryPopup", { crisis: e.crisis_title, seq: e.seq, text: e.text }));
      crisisGroup.addLayer(m);
    });
    (layer.shelters || []).forEach(function (s) {
      var icon = L.divIcon({ className: "shelter-icon", iconSize: [14, 14] });
      crisisGroup.addLayer(L.marker([s.lat, s.lon], { icon: icon, keyboard: false, title: s.name }).bindPopup(t("shelter", { name: s.name }) + (s.capacity ? " (" + t("places", { n: s.capacity }) + ")" : "")));
    });
    root.dataset.crisisEntries = String((layer.entries || []).length);
  }
  function refreshCrisisLayer() {
    fetchJSON(config.crisisUrl).then(drawCrisisLayer).catch(function () {});
  }

  // Hazard zones and facilities (crossing datasets), re-fetched when an observation arrives: the zone
  // reached at each linked station's current value, filled, and the one its forecast peak would
  // reach, dashed; facilities as small dots. Names come from datasets: set as text, never as HTML.
  var zonesGroup = null;
  var facilitiesGroup = null;
  function textNode(str) { var span = document.createElement("span"); span.textContent = str; return span; }
  function zoneText(p) {
    var value = reading(p.value, p.unit);
    var head = p.kind === "forecast"
      ? t("zoneForecast", { value: value, at: p.at ? timeFmt.format(new Date(p.at)) : "—" })
      : t("zoneCurrent", { value: value });
    return head + " : " + p.label + " — " + p.indicator_label + " (" + t("source", { source: p.title }) + ")";
  }
  function drawMapLayers(layers) {
    if (!map || !zonesGroup) { return; }
    zonesGroup.clearLayers();
    facilitiesGroup.clearLayers();
    var zones = (layers.zones && layers.zones.features) || [];
    // The forecast outline goes on top of the filled current zone, so its dashes stay visible.
    zones.slice().sort(function (a, b) { return (a.properties.kind === "forecast") - (b.properties.kind === "forecast"); })
      .forEach(function (f) {
        var p = f.properties;
        var forecast = p.kind === "forecast";
        var style = forecast
          ? { pane: "veilleZones", color: p.colour, weight: 2.5, dashArray: "8 6", fillColor: p.colour, fillOpacity: 0.08 }
          : { pane: "veilleZones", color: p.colour, weight: 1.5, fillColor: p.colour, fillOpacity: 0.35 };
        var layer = L.geoJSON(f, { style: function () { return style; } });
        layer.bindTooltip(textNode(zoneText(p)), { sticky: true });
        zonesGroup.addLayer(layer);
      });
    var facilities = (layers.facilities && layers.facilities.features) || [];
    facilities.forEach(function (f) {
      var p = f.properties;
      var c = f.geometry.coordinates;
      var m = L.circleMarker([c[1], c[0]], { pane: "veilleFacilities", radius: 4, color: "#1b1b1b", weight: 1, fillColor: "#5b3c88", fillOpacity: 0.9 });
      var type = S["facilityType_" + p.type] || p.type;
      m.bindTooltip(textNode(p.name + (type ? " — " + type : "") + (p.synthetic ? " (" + t("synthetic") + ")" : "")));
      facilitiesGroup.addLayer(m);
    });
    root.dataset.zones = String(zones.length);
    root.dataset.forecastZones = String(zones.filter(function (f) { return f.properties.kind === "forecast"; }).length);
    root.dataset.facilities = String(facilities.length);
  }
  var layersTimer = null;
  function refreshMapLayers() {
    // Observations come in bursts (one per series of a source run): one fetch for the burst.
    if (layersTimer) { return; }
    layersTimer = setTimeout(function () {
      layersTimer = null;
      fetchJSON(config.layersUrl).then(drawMapLayers).catch(function () {});
    }, 1000);
  }

  // --- Charts -------------------------------------------------------------------------------------
  function chartData(s) {
    var rows = {};
    function put(t, idx, v) { (rows[t] = rows[t] || [null, null, null, null, null, null, null])[idx] = v; }
    s.observations.forEach(function (p) { put(ts(p[0]), 0, p[1]); });
    if (s.forecast.length && s.observations.length) { var last = s.observations[s.observations.length - 1]; put(ts(last[0]), 1, last[1]); }
    s.forecast.forEach(function (p) { put(ts(p[0]), 1, p[1]); });
    s.trend.forEach(function (p) { var t = ts(p[0]); put(t, 2, p[1]); put(t, 3, p[2]); put(t, 4, p[3]); });
    // The source's own forecast band (low–high, Vigicrues' ResMinPrev–ResMaxPrev), shaded.
    (s.forecast_band || []).forEach(function (p) { var t = ts(p[0]); put(t, 5, p[1]); put(t, 6, p[2]); });
    var xs = Object.keys(rows).map(Number).sort(function (a, b) { return a - b; });
    var out = [xs, [], [], [], [], [], [], []];
    xs.forEach(function (x) { for (var i = 0; i < 7; i++) { out[i + 1].push(rows[x][i]); } });
    return out;
  }

  function yRange(s) {
    return function (u, min, max) {
      if (min === null || max === null) { min = 0; max = 1; }
      // Show the thresholds up to the first one above the data, so the next step is always visible.
      var shown = s.thresholds.filter(function (t) { return t.value <= max; });
      var next = s.thresholds.filter(function (t) { return t.value > max; })[0];
      if (next) { shown.push(next); }
      shown.forEach(function (t) { min = Math.min(min, t.value); max = Math.max(max, t.value); });
      var pad = (max - min) * 0.08 || 0.5;
      return [min - pad, max + pad];
    };
  }

  function thresholdHook(s) {
    return function (u) {
      var ctx = u.ctx;
      ctx.save();
      s.thresholds.forEach(function (t) {
        var y = u.valToPos(t.value, "y", true);
        if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) { return; }
        ctx.strokeStyle = t.colour; ctx.lineWidth = 2 * devicePixelRatio; ctx.setLineDash([8, 5]);
        ctx.beginPath(); ctx.moveTo(u.bbox.left, y); ctx.lineTo(u.bbox.left + u.bbox.width, y); ctx.stroke();
        ctx.setLineDash([]); ctx.fillStyle = "#1b1b1b"; ctx.font = (12 * devicePixelRatio) + "px system-ui";
        ctx.textAlign = "right"; ctx.fillText(t.label + " " + fmt.format(t.value), u.bbox.left + u.bbox.width - 4, y - 4);
      });
      ctx.restore();
    };
  }

  function drawChart(s) {
    var card = document.getElementById("ind-" + s.key);
    if (!card || typeof uPlot === "undefined") { return; }
    var el = card.querySelector(".chart");
    var width = Math.max(260, el.clientWidth || 400);
    var height = root.classList.contains("wall") ? 300 : 200;
    if (charts[s.key]) { charts[s.key].destroy(); el.innerHTML = ""; }
    var opts = {
      width: width, height: height, legend: { show: false },
      scales: { x: { time: true }, y: { range: yRange(s) } },
      axes: [{ size: 48, values: function (u, vals) { return vals.map(axisLabel); } },
             { size: 56, values: function (u, vals) { return vals.map(function (v) { return fmt.format(v); }); } }],
      series: [
        {},
        { label: t("observed"), stroke: "#123c69", width: 2, spanGaps: true },
        { label: t("forecastSeries"), stroke: "#123c69", width: 2, dash: [4, 4], spanGaps: true },
        { label: t("trendSeries"), stroke: "#7a4ea3", width: 1.5, dash: [2, 3], spanGaps: true },
        { label: t("low"), stroke: "rgba(122,78,163,0.3)", width: 0.5, spanGaps: true },
        { label: t("high"), stroke: "rgba(122,78,163,0.3)", width: 0.5, spanGaps: true },
        { label: t("forecastLow"), stroke: "rgba(18,60,105,0.35)", width: 0.5, spanGaps: true },
        { label: t("forecastHigh"), stroke: "rgba(18,60,105,0.35)", width: 0.5, spanGaps: true }
      ],
      bands: [{ series: [5, 4], fill: "rgba(122,78,163,0.15)" }, { series: [7, 6], fill: "rgba(18,60,105,0.18)" }],
      hooks: { draw: [thresholdHook(s)] }
    };
    charts[s.key] = new uPlot(opts, chartData(s), el);
    el.setAttribute("data-points", String(s.observations.length));
    el.setAttribute("data-last", s.value === null ? "" : String(s.value));
    el.setAttribute("data-forecast-band", String((s.forecast_band || []).length));
    el.setAttribute("data-forecast", String(s.forecast.length));
    // Say what the dashed line and the shading are: the source's forecast (with its issue time) or
    // the projection, named by its method.
    var note = card.querySelector(".chart-note");
    if (!note) { note = document.createElement("p"); note.className = "chart-note"; el.insertAdjacentElement("afterend", note); }
    if (s.forecast.length) {
      note.textContent = (s.forecast_band || []).length ? t("bandNote") : t("forecastNote");
      if (s.forecast_issued_at) { note.textContent += " " + t("issuedAt", { at: timeFmt.format(new Date(s.forecast_issued_at)) }); }
    } else if (s.trend.length) {
      note.textContent = t("trendNote", { method: t("method_" + (s.trend_method || "linear")) });
    } else { note.textContent = ""; }
  }

  // --- Cards --------------------------------------------------------------------------------------
  function renderCard(s) {
    var card = document.getElementById("ind-" + s.key);
    if (!card) { return; }
    card.dataset.level = String(s.level);
    card.dataset.stale = s.stale ? "1" : "0";
    card.style.setProperty("--level-colour", colourOf(s));
    card.querySelector(".value").textContent = s.value === null ? "—" : reading(s.value, s.unit);
    var badge = card.querySelector(".badge");
    badge.textContent = s.stale ? s.level_label + " · " + t("late") : s.level_label;
    badge.style.setProperty("--badge-colour", colourOf(s));
    card.querySelector(".age").textContent = ageText(s);
    var eta = card.querySelector(".eta");
    if (s.next_threshold) {
      var basis = s.next_threshold.basis === "forecast" ? t("basisForecast")
        : t("basisTrend", { method: t("method_" + (s.trend_method || "linear")) });
      var nt = s.next_threshold;
      if (nt.day) {
        // A forecast per day (ATMO index, next-day vigilance map): the day, not the hour of its start.
        eta.textContent = nt.days_ahead === 1 ? t("etaTomorrow", { label: nt.label, basis: basis })
          : nt.days_ahead === 0 ? t("etaToday", { label: nt.label, basis: basis })
          : t("etaDay", { label: nt.label, day: dayFmt.format(new Date(nt.day + "T12:00:00")), basis: basis });
      } else {
        eta.textContent = t("eta", { label: nt.label, at: timeFmt.format(new Date(nt.at)),
          hours: fmt.format(nt.hours), basis: basis });
      }
      if (s.next_threshold.earliest_at) {
        eta.textContent += " " + t("etaEarliest", { at: timeFmt.format(new Date(s.next_threshold.earliest_at)) });
      }
    } else {
      eta.textContent = s.thresholds.length && s.level >= s.thresholds.length ? t("maxLevel") : t("noCrossing");
    }
  }

  // What will be in the water at the forecast peak (stations linked to zones per water height).
  var SUMMARY = { residents: t("residents"), addresses: t("addresses"), facilities: t("facilities"), registry: t("registry") };
  // A released count is a number, or the registry's label when it may not be given (« moins de 5 »,
  // « non communiqué »): formatting the label as a number gave « NaN ».
  function count(v) {
    if (typeof v === "number") { return fmt.format(v); }
    if (typeof v === "string" && v.trim() !== "") { return /^\d+$/.test(v) ? fmt.format(Number(v)) : v; }
    return t("notReleased");
  }
  function refreshExposure(s) {
    var card = document.getElementById("ind-" + s.key);
    var el = card && card.querySelector(".exposure");
    if (!el || !s.zones_dataset) { return; }
    fetchJSON(config.apiIndicators + "/" + encodeURIComponent(s.key) + "/exposure").then(function (x) {
      if (x.peak === null) { el.textContent = ""; return; }
      var head = (x.basis === "forecast" ? t("atForecast") : x.basis === "trend" ? t("atTrend") : t("atObserved")) +
        " (" + reading(x.peak, x.unit) + (x.peak_at ? ", " + timeFmt.format(new Date(x.peak_at)) : "") + ") : ";
      if (!x.zone) {
        el.textContent = head + t("noZone") + (x.first_level !== null ? " (" + t("firstZone", { level: reading(x.first_level, x.unit) }) + ")." : ".");
      } else {
        var parts = Object.keys(x.zone.summary).filter(function (k) { return k === "registry" || (x.zone.summary[k] !== null && x.zone.summary[k] !== undefined); })
          .map(function (k) { return k === "75+" ? t("over75", { n: count(x.zone.summary[k]) }) : count(x.zone.summary[k]) + " " + (SUMMARY[k] || k); });
        el.textContent = head + t("zone", { label: x.zone.label }) + " — " + (parts.join(", ") || t("nothingCounted")) + ". " + t("source", { source: x.title || x.dataset }) + ".";
      }
      el.dataset.zone = x.zone ? String(x.zone.level) : "";
    }).catch(function () { el.textContent = ""; });
  }

  function render(s) {
    byKey[s.key] = s;
    renderCard(s);
    drawChart(s);
    updateMarker(s);
    refreshExposure(s);
  }

  function renderFreshness() {
    var tbody = document.querySelector("#freshness tbody");
    if (!tbody) { return; }
    var sources = {};
    Object.keys(byKey).forEach(function (k) {
      var s = byKey[k];
      var e = sources[s.source] = sources[s.source] || { last: null, stale: false };
      if (s.at && (!e.last || Date.parse(s.at) > Date.parse(e.last))) { e.last = s.at; }
      e.stale = e.stale || s.stale;
    });
    tbody.innerHTML = "";
    Object.keys(sources).sort().forEach(function (name) {
      var e = sources[name];
      var tr = document.createElement("tr");
      [name, e.last ? timeFmt.format(new Date(e.last)) : "—", e.stale ? t("late") : t("upToDate")].forEach(function (txt, i) {
        var td = document.createElement("td");
        if (i === 2 && e.stale) { var strong = document.createElement("strong"); strong.className = "stale-text"; strong.textContent = txt; td.appendChild(strong); }
        else { td.textContent = txt; }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
  }

  // --- Live updates -------------------------------------------------------------------------------
  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  var pending = {};
  function refreshIndicator(key) {
    if (pending[key]) { return; }
    pending[key] = true;
    fetchJSON(config.apiIndicators + "/" + encodeURIComponent(key)).then(function (s) {
      pending[key] = false;
      if (!document.getElementById("ind-" + key)) { return reloadAll(); }
      render(s); renderFreshness();
    }).catch(function () { pending[key] = false; });
  }

  function reloadAll() {
    return fetchJSON(config.apiIndicators).then(function (d) {
      d.indicators.forEach(function (s) { if (document.getElementById("ind-" + s.key)) { render(s); } });
      renderFreshness();
    });
  }

  function refreshProposals() {
    fetch(config.proposalsUrl, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var box = document.getElementById("proposals");
      if (box) { box.innerHTML = html; }
    });
  }

  function setStatus(state, text) { statusEl.dataset.state = state; statusEl.textContent = text; }

  // What an observation event carries is enough to update the card, the marker and the chart's last
  // points at once; the trend and the next-threshold estimate are computed by the server, so the one
  // indicator is then fetched again (never the whole list). Zones are re-fetched only when this
  // indicator draws them.
  function applyObservation(d) {
    var s = byKey[d.indicator];
    if (!s) { return refreshIndicator(d.indicator); }
    ["value", "at", "level", "stale"].forEach(function (k) { s[k] = d[k]; });
    s.level_label = d.label;
    s.colour = d.colour;
    if (d.points && d.points.length) {
      var seen = {};
      s.observations.forEach(function (p) { seen[p[0]] = true; });
      d.points.forEach(function (p) { if (!seen[p[0]]) { s.observations.push(p); } });
      s.observations.sort(function (a, b) { return Date.parse(a[0]) - Date.parse(b[0]); });
    }
    renderCard(s); updateMarker(s); drawChart(s); renderFreshness();
    refreshIndicator(d.indicator);
    if (s.zones_dataset) { refreshMapLayers(); }
  }

  function applyStale(d) {
    var s = byKey[d.indicator];
    if (!s) { return; }
    s.stale = d.stale;
    renderCard(s); updateMarker(s); renderFreshness();
  }

  // The names a page may listen to come from the server's catalogue (base template, "live-events"):
  // every listener goes through onLive(name, …), and tests/web scans the code for onLive("…") calls.
  var CATALOGUE = JSON.parse((document.getElementById("live-events") || { textContent: "[]" }).textContent);
  function onLive(source, name, handler) {
    if (CATALOGUE.indexOf(name) < 0) { throw new Error("live event not in the catalogue: " + name); }
    source.addEventListener(name, handler);
  }

  function connect() {
    if (typeof EventSource === "undefined") { setStatus("off", t("noEventSource")); return; }
    var url = config.liveUrl + (config.liveUrl.indexOf("?") >= 0 ? "&" : "?") + "last_event_id=" + encodeURIComponent(config.lastEventId);
    var source = new EventSource(url);
    source.onopen = function () { setStatus("live", t("live")); };
    source.onerror = function () { setStatus("reconnecting", t("reconnecting")); };
    onLive(source, "observation", function (e) { applyObservation(JSON.parse(e.data)); root.dataset.lastEvent = e.lastEventId; });
    onLive(source, "stale", function (e) { applyStale(JSON.parse(e.data)); });
    onLive(source, "level", function (e) {
      var d = JSON.parse(e.data);
      var s = byKey[d.indicator];
      announceEl.textContent = t("levelAnnounce", { label: s ? s.label : d.indicator, level: d.label });
      refreshIndicator(d.indicator);
    });
    onLive(source, "proposal", function () { refreshProposals(); });
    onLive(source, "resync", function () { reloadAll(); refreshProposals(); refreshCrisisLayer(); refreshMapLayers(); });
    // The crisis layer shows located main-courante entries and shelters.
    onLive(source, "crisis.opened", refreshCrisisLayer);
    onLive(source, "crisis.level", refreshCrisisLayer);
    onLive(source, "crisis.closed", refreshCrisisLayer);
    onLive(source, "entry", refreshCrisisLayer);
    onLive(source, "shelter", refreshCrisisLayer);
    window.beffroiLive = source;
  }

  // --- Wall-screen mode: one panel group at a time, large and high contrast ------------------------
  function startRotation() {
    var panels = Array.prototype.slice.call(root.querySelectorAll(".panel"));
    var i = 0;
    function show() {
      panels.forEach(function (p, j) { p.classList.toggle("wall-hidden", j !== i); });
      if (panels[i].dataset.panel === "map" && map) { map.invalidateSize(); }
      if (panels[i].dataset.panel === "indicators") { Object.keys(byKey).forEach(function (k) { drawChart(byKey[k]); }); }
      i = (i + 1) % panels.length;
    }
    show();
    setInterval(show, (config.rotateSeconds || 15) * 1000);
  }

  initMap();
  drawCrisisLayer(config.crisisLayer || {});
  // Zones and facilities take a moment to compute: fetched after the page shows, not inlined in it.
  if (config.layersUrl) { fetchJSON(config.layersUrl).then(drawMapLayers).catch(function () {}); }
  data.indicators.forEach(render);
  renderFreshness();
  setInterval(function () { Object.keys(byKey).forEach(function (k) { var c = document.getElementById("ind-" + k); if (c) { c.querySelector(".age").textContent = ageText(byKey[k]); } }); }, 30000);
  if (config.wall) { document.body.classList.add("wall-body"); startRotation(); }
  connect();
})();
