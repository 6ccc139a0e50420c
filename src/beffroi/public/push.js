// Web push subscription for the public site (its messages come translated in #push-status's data-*): no third party, the browser's own push service.
// The subscription is posted with the page's CSRF token; the server then sends a confirmation
// notification to this device, and only a tap on it activates the subscription.
(function () {
  "use strict";
  var box = document.getElementById("push");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window)) { return; }
  box.hidden = false;
  var status = document.getElementById("push-status");
  function key(b64) {
    var pad = "=".repeat((4 - (b64.length % 4)) % 4);
    var raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  document.getElementById("push-button").addEventListener("click", function () {
    status.textContent = status.dataset.working;
    navigator.serviceWorker.register("/public/sw.js").then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(box.dataset.key) });
    }).then(function (sub) {
      return fetch("/public/abonnement/push/", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf },
        body: JSON.stringify({ subscription: sub.toJSON(), commune: document.getElementById("push-commune").value,
                               language: document.documentElement.lang || "fr" })
      });
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        status.textContent = data.message || (r.ok ? status.dataset.done : status.dataset.failed);
      });
    }).catch(function () { status.textContent = status.dataset.refused; });
  });
})();
