// Web push subscription for the public site: no third party, the browser's own push service.
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
    navigator.serviceWorker.register("/public/sw.js").then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(box.dataset.key) });
    }).then(function (sub) {
      return fetch("/public/abonnement/push/", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ subscription: sub.toJSON(), commune: document.getElementById("push-commune").value,
                               language: document.documentElement.lang || "fr" })
      });
    }).then(function (r) {
      status.textContent = r.ok ? "Notifications activées sur cet appareil." : "L'abonnement a échoué.";
    }).catch(function () { status.textContent = "Notifications refusées ou indisponibles sur cet appareil."; });
  });
})();
