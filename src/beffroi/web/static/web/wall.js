/* The crisis room's wall screen: a clock, the state of the live connection and the time of the
   last update. The parts re-fetch themselves (htmx SSE extension, hx-trigger="sse:<name>"); this
   script only says whether what is on screen is current, and refreshes every part when the
   connection comes back (events may have been missed while it was down). */
(function () {
  "use strict";
  var strings = JSON.parse(document.getElementById("wall-strings").textContent);
  var lang = document.documentElement.lang || "fr";
  var zone = { timeZone: "Europe/Paris" };
  var clockFormat = new Intl.DateTimeFormat(lang, Object.assign({ hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }, zone));
  var dateFormat = new Intl.DateTimeFormat(lang, Object.assign({ weekday: "long", day: "numeric", month: "long", year: "numeric" }, zone));
  var lostAt = null;

  function byId(id) { return document.getElementById(id); }

  function tick() {
    var now = new Date();
    byId("wall-clock").textContent = clockFormat.format(now);
    byId("wall-clock").setAttribute("datetime", now.toISOString());
    byId("wall-date").textContent = dateFormat.format(now);
  }

  function colours(scope) {
    // Level colours come from each indicator's thresholds; set through the CSSOM (the CSP forbids
    // inline style attributes).
    (scope || document).querySelectorAll("[data-colour]").forEach(function (el) {
      el.style.setProperty("--level-colour", el.getAttribute("data-colour"));
    });
  }

  function updated() {
    var now = new Date();
    var el = byId("wall-updated");
    el.textContent = clockFormat.format(now);
    el.setAttribute("datetime", now.toISOString());
  }

  function setState(state) {
    var status = byId("wall-status");
    var lost = byId("wall-lost");
    status.setAttribute("data-state", state);
    document.body.classList.toggle("wall-offline", state === "lost");
    if (state === "live") {
      byId("wall-connection").textContent = strings.live;
      lost.hidden = true;
    } else if (state === "lost") {
      var since = clockFormat.format(lostAt);
      byId("wall-connection").textContent = strings.lostShort;
      lost.textContent = strings.lost.replace("%(since)s", since);
      lost.hidden = false;
    }
  }

  function refreshAll() {
    document.querySelectorAll("#wall-root [hx-get]").forEach(function (el) {
      if (el.id !== "wall-follow") { htmx.trigger(el, "wall-refresh"); }
    });
  }

  document.body.addEventListener("htmx:sseOpen", function () {
    if (lostAt !== null) { refreshAll(); }
    lostAt = null;
    setState("live");
  });
  document.body.addEventListener("htmx:sseError", function () {
    if (lostAt === null) { lostAt = new Date(); }
    setState("lost");
  });
  document.body.addEventListener("htmx:afterSwap", function (e) {
    colours(e.target.parentNode || document);
    updated();
  });
  document.body.addEventListener("htmx:sendError", function () {
    if (lostAt === null) { lostAt = new Date(); }
    setState("lost");
  });

  colours(document);
  tick();
  window.setInterval(tick, 1000);
})();
