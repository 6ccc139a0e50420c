// Live preview of each channel while composing an alert, and hazard templates on change.
(function () {
  "use strict";
  var form = document.getElementById("alert-form");
  var out = document.getElementById("live-preview");
  if (!form || !out) { return; }
  var timer = null;
  // The labels come translated from the page (data-* of #live-preview), "{name}" filled here.
  var T = out.dataset;
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_m, k) { return String(values[k]); });
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }

  function render(data) {
    out.replaceChildren();
    Object.keys(data).forEach(function (lang) {
      var p = data[lang];
      out.appendChild(el("h3", lang.toUpperCase()));
      var dl = el("dl");
      dl.setAttribute("lang", lang);
      dl.appendChild(el("dt", fill(T.sms, { length: p.sms_length, segments: p.sms_segments, encoding: p.sms_encoding })));
      var dd = el("dd"); dd.appendChild(el("pre", p.sms)); dl.appendChild(dd);
      dl.appendChild(el("dt", fill(T.email, { subject: p.email_subject })));
      dd = el("dd"); dd.appendChild(el("pre", p.email_body)); dl.appendChild(dd);
      dl.appendChild(el("dt", T.push));
      dl.appendChild(el("dd", p.push.title + " – " + p.push.body));
      dl.appendChild(el("dt", T.social));
      dd = el("dd"); dd.appendChild(el("pre", p.social)); dl.appendChild(dd);
      out.appendChild(dl);
    });
  }

  function refresh() {
    fetch(form.dataset.preview, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () {});
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });

  var hazard = form.querySelector("[name=hazard]");
  if (hazard && !hazard.disabled) {
    hazard.addEventListener("change", function () {
      fetch(form.dataset.template.replace("HAZARD", encodeURIComponent(hazard.value)), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (texts) {
          Object.keys(texts).forEach(function (lang) {
            Object.keys(texts[lang]).forEach(function (k) {
              var field = form.querySelector("[name=" + lang + "_" + k + "]");
              if (field) { field.value = texts[lang][k]; }
            });
          });
          refresh();
        });
    });
  }
  refresh();
})();
