// Station picker of the source form: search the Vigicrues catalogue by commune, river or station
// name and add the chosen station's code to the option field (comma-separated codes).
(function () {
  "use strict";
  var stringsEl = document.getElementById("picker-strings");
  var S = stringsEl ? JSON.parse(stringsEl.textContent) : {};
  var mapConfigEl = document.getElementById("map-config");
  var mapConfig = mapConfigEl ? JSON.parse(mapConfigEl.textContent) : null;
  function t(key, vars) {
    var s = S[key] || key;
    Object.keys(vars || {}).forEach(function (k) { s = s.replace("{" + k + "}", vars[k]); });
    return s;
  }
  document.querySelectorAll(".station-picker").forEach(function (picker) {
    var input = picker.querySelector("input[type=search]");
    var list = picker.querySelector(".station-list");
    var status = picker.querySelector(".station-status");
    var target = document.getElementById(picker.dataset.target);
    var timer = null, active = -1, results = [];
    // The stations found, on a map too: a click on one picks it (as choosing it in the list).
    var mapEl = picker.querySelector(".station-map"), map = null, markers = null;
    function drawMap() {
      if (!mapEl || typeof L === "undefined") { return; }
      var located = results.filter(function (st) { return st.lat !== null && st.lon !== null; });
      if (!located.length) { return; }
      mapEl.hidden = false;
      if (!map) {
        map = L.map(mapEl, { zoomSnap: 0.25 });
        if (window.BeffroiBaseMap) { window.BeffroiBaseMap(map, mapConfig); }
        markers = L.layerGroup().addTo(map);
      }
      markers.clearLayers();
      located.forEach(function (st) {
        var m = L.circleMarker([st.lat, st.lon], { radius: 8, color: "#123c69", weight: 2, fillOpacity: 0.7,
          fillColor: st.forecast ? "#2f6fbf" : "#8a8a8a" });
        m.bindTooltip(st.label + " (" + st.code + ")" + (st.river ? " — " + st.river : "") + " · " + t("pick"));
        m.on("click", function () { choose(st); });
        m.addTo(markers);
      });
      map.invalidateSize();
      map.fitBounds(L.latLngBounds(located.map(function (st) { return [st.lat, st.lon]; })).pad(0.3), { maxZoom: 12 });
      mapEl.dataset.stations = String(located.length);
    }

    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; }
    function choose(st) {
      var codes = target.value.split(",").map(function (c) { return c.trim(); }).filter(Boolean);
      if (codes.indexOf(st.code) < 0) { codes.push(st.code); }
      target.value = codes.join(",");
      status.textContent = t("added", { label: st.label, code: st.code });
      input.value = "";
      close();
    }
    function describe(st) {
      var parts = [st.label + " (" + st.code + ")"];
      if (st.river) { parts.push(t("section", { label: st.river, code: st.section })); }
      if (st.commune_name || st.commune) { parts.push(t("commune", { name: st.commune_name || st.commune })); }
      if (st.distance_km !== null && st.distance_km !== undefined) { parts.push(t("near", { km: st.distance_km })); }
      if (st.forecast) { parts.push(t("forecast")); }
      return parts.join(" · ");
    }
    function render() {
      list.innerHTML = "";
      results.forEach(function (st, i) {
        var li = document.createElement("li");
        li.id = input.id + "_opt" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        li.textContent = describe(st);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(st); });
        list.appendChild(li);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      if (active >= 0) { input.setAttribute("aria-activedescendant", input.id + "_opt" + active); }
    }
    function search() {
      var q = input.value.trim();
      if (q.length < 2) { results = []; render(); status.textContent = ""; return; }
      fetch(picker.dataset.url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          results = body.stations || [];
          active = -1;
          render();
          drawMap();
          status.textContent = results.length ? t("found", { n: results.length }) : t("none");
        })
        .catch(function () { status.textContent = t("failed"); });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 200); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && results.length) { active = Math.min(active + 1, results.length - 1); render(); e.preventDefault(); }
      else if (e.key === "ArrowUp" && results.length) { active = Math.max(active - 1, 0); render(); e.preventDefault(); }
      else if (e.key === "Enter" && active >= 0) { choose(results[active]); e.preventDefault(); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", close);
  });
})();
