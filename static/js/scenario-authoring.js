// Scenario authoring pages (templates/scenarios/): keep a refused form in place.
// A form refused with 400 comes back with its errors beside the fields, and base.html's
// htmx-config swaps it in. With DEBUG on, django-htmx's debug script would instead replace the
// whole page with any 400 response; stop those events at the authoring container first.
(function () {
  "use strict";
  document.querySelectorAll("[data-keep-form-errors]").forEach(function (container) {
    container.addEventListener("htmx:beforeOnLoad", function (event) {
      if (event.detail.xhr && event.detail.xhr.status === 400) { event.stopPropagation(); }
    });
  });
})();
