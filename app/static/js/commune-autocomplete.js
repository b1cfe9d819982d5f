// Commune suggestions for every input bound to <datalist id="commune-options">.
// Progressive enhancement: without JavaScript the server still understands a typed name or postcode.
(function () {
  "use strict";
  var list = document.getElementById("commune-options");
  if (!list || !window.fetch) return;
  var inputs = document.querySelectorAll('input[list="commune-options"]');
  var timer = null, lastQuery = "";

  function fill(items) {
    list.textContent = "";
    items.forEach(function (c) {
      var option = document.createElement("option");
      option.value = c.name + " (" + (c.postcodes[0] || c.departement) + ")";
      list.appendChild(option);
    });
  }

  function suggest(value) {
    var q = value.trim();
    if (q.length < 2 || q === lastQuery || /\(\d{5}\)$/.test(q)) return;
    lastQuery = q;
    fetch("/api/v1/communes?limit=12&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) { fill(data.items); })
      .catch(function () { /* offline: the server will resolve what was typed */ });
  }

  inputs.forEach(function (input) {
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { suggest(input.value); }, 150);
    });
  });
})();
