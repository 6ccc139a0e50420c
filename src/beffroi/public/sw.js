// Service worker of the public site: shows alert notifications and opens the alert page.
// Only pages of this site are opened (the payload is encrypted for this browser, but a link to
// another origin is never followed).
function sameOrigin(url) {
  try { return new URL(url, self.location.origin).origin === self.location.origin; } catch (e) { return false; }
}
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data.json(); } catch (e) { data = { title: "Alerte", body: event.data ? event.data.text() : "" }; }
  var url = data.url && sameOrigin(data.url) ? data.url : "/public/";
  event.waitUntil(self.registration.showNotification(data.title || "Alerte", {
    body: data.body || "", data: { url: url }, requireInteraction: true
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = event.notification.data && sameOrigin(event.notification.data.url) ? event.notification.data.url : "/public/";
  event.waitUntil(clients.openWindow(url));
});
