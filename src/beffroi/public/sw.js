// Service worker of the public site: shows alert notifications and opens the alert page.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data.json(); } catch (e) { data = { title: "Alerte", body: event.data ? event.data.text() : "" }; }
  event.waitUntil(self.registration.showNotification(data.title || "Alerte", {
    body: data.body || "", data: { url: data.url || "/public/" }, requireInteraction: true
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(clients.openWindow(event.notification.data.url));
});
