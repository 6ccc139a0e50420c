// The skip link moves keyboard focus into the main content, not only the scroll position.
(function () {
  "use strict";
  document.querySelectorAll("a.skip-link").forEach(function (link) {
    link.addEventListener("click", function () {
      var target = document.querySelector(link.getAttribute("href"));
      if (target) { target.focus(); }
    });
  });
})();
