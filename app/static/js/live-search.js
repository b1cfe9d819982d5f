// Results as you type (debounced); without JavaScript the form is a plain GET form.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var box = document.querySelector("[data-live-search]");
  var target = document.getElementById("search-results");
  if (!form || !box || !target || !window.fetch || !window.URLSearchParams) return;
  var timer = null, last = null, controller = null;

  function refresh() {
    var params = new URLSearchParams(new FormData(form));
    var query = params.toString();
    if (query === last) return;
    last = query;
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    params.set("partial", "1");
    fetch(form.action + "?" + params.toString(), controller ? { signal: controller.signal } : {})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return;
        target.innerHTML = html;
        history.replaceState(null, "", form.action + "?" + query);
      })
      .catch(function () { /* offline or superseded: the form still works */ });
  }

  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
})();
