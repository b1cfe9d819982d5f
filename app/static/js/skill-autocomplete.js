// Skill suggestions for a comma-separated skills field inside [data-skill-autocomplete]: the
// word being typed (after the last comma) is looked up in the canonical list and its synonyms
// (/api/v1/skills: "photo" finds "Photographie"), shown as an ARIA 1.2 combobox listbox.
// Keyboard: Down/Up move, Enter or Tab picks, Escape closes. Without JavaScript the field is a
// plain text input, as before: the server matches every spelling it knows.
(function () {
  "use strict";
  if (!window.fetch) return;
  var counter = 0;

  function setup(wrapper) {
    var input = wrapper.querySelector("input");
    if (!input) return;
    var id = "skill-options-" + (++counter);
    var list = document.createElement("ul");
    list.id = id;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", wrapper.getAttribute("data-label") || "");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    var status = document.createElement("p");
    status.className = "sr-only";
    status.setAttribute("role", "status");
    list.insertAdjacentElement("afterend", status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    input.setAttribute("autocomplete", "off");
    var items = [], active = -1, timer = null, asked = "";

    function current() {
      var value = input.value, cut = value.lastIndexOf(",");
      return { head: cut < 0 ? "" : value.slice(0, cut + 1), word: value.slice(cut + 1).trim() };
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) input.setAttribute("aria-activedescendant", id + "-" + index);
      else input.removeAttribute("aria-activedescendant");
    }

    function pick(index) {
      var parts = current(), chosen = items[index];
      if (!chosen) return;
      var taken = parts.head.split(",").map(function (s) { return s.trim().toLowerCase(); });
      var head = parts.head ? parts.head.replace(/\s*$/, " ") : "";
      input.value = taken.indexOf(chosen.toLowerCase()) >= 0 ? head : head + chosen + ", ";
      close();
      input.focus();
    }

    function show(found) {
      // A list that comes back while someone is choosing keeps their choice highlighted: else
      // Enter, pressed just as it redrew, would send the form instead of picking.
      var kept = active >= 0 ? items[active] : null;
      list.textContent = "";
      items = found.map(function (s) { return s.name; });
      found.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = s.name;
        li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      status.textContent = items.length ? (wrapper.getAttribute("data-count") || "%d")
        .replace("%d", String(items.length)) : "";
      highlight(kept === null ? -1 : items.indexOf(kept));
    }

    function suggest() {
      var word = current().word;
      if (word.length < 2) { asked = ""; close(); return; }
      if (word === asked) return;
      asked = word;
      fetch("/api/v1/skills?limit=8&q=" + encodeURIComponent(word),
            { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (data) { if (current().word === word) show(data.items || []); })
        .catch(function () { close(); /* offline: the server still understands what was typed */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(suggest, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var next = active + (event.key === "ArrowDown" ? 1 : -1);
        highlight(next < 0 ? items.length - 1 : next % items.length);
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        pick(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  document.querySelectorAll("[data-skill-autocomplete]").forEach(setup);
})();
