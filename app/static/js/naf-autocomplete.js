// NAF activity suggestions for the input bound to <datalist id="naf-options">.
// Progressive enhancement: without JavaScript the server resolves a code or words itself.
(function () {
  "use strict";
  var list = document.getElementById("naf-options");
  var input = document.querySelector('input[list="naf-options"]');
  if (!list || !input || !window.fetch) return;
  var timer = null, lastQuery = "";

  function suggest(value) {
    var q = value.trim();
    if (q.length < 2 || q === lastQuery || q.indexOf("—") !== -1) return;
    lastQuery = q;
    fetch("/api/v1/naf?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) {
        list.textContent = "";
        data.items.forEach(function (item) {
          var option = document.createElement("option");
          option.value = item.code + " — " + item.label;
          list.appendChild(option);
        });
      })
      .catch(function () { /* offline: the server will resolve what was typed */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { suggest(input.value); }, 150);
  });
})();
