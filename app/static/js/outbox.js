// The outbox: what a member writes while offline, kept in the browser (IndexedDB) until the
// server has it. Each item has a key chosen once (a chat message's client_id, a form's
// idempotency key): sending it again after a lost connection never stores it twice.
//   Maillage.outbox.put(item) -> Promise   item: {key, kind, ...}
//   Maillage.outbox.remove(key) -> Promise
//   Maillage.outbox.all(kind) -> Promise<[item]>
(function () {
  "use strict";
  window.Maillage = window.Maillage || {};
  var opening = null;
  function open() {
    if (!window.indexedDB) return Promise.reject(new Error("no IndexedDB"));
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open("maillage-outbox", 1);
        request.onupgradeneeded = function () { request.result.createObjectStore("items", { keyPath: "key" }); };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opening;
  }
  function run(mode, action) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("items", mode);
        var result = action(tx.objectStore("items"));
        tx.oncomplete = function () { resolve(result && result.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  window.Maillage.outbox = {
    put: function (item) { item.saved_at = item.saved_at || new Date().toISOString(); return run("readwrite", function (s) { return s.put(item); }); },
    remove: function (key) { return run("readwrite", function (s) { return s["delete"](key); }); },
    all: function (kind) {
      return run("readonly", function (s) { return s.getAll(); }).then(function (items) {
        return (items || []).filter(function (i) { return !kind || i.kind === kind; })
          .sort(function (a, b) { return a.saved_at < b.saved_at ? -1 : 1; });
      });
    },
  };
})();

// Forms marked data-outbox (the coworking declaration, posts, replies): written offline, they
// are kept here and sent when the connection returns, each with its own idempotency key (the
// server acts on a key once: app/idempotency.py), after fetching a fresh CSRF token.
(function () {
  "use strict";
  var store = window.Maillage.outbox;
  var textNode = document.getElementById("outbox-text");
  var T = textNode ? JSON.parse(textNode.textContent) : {};
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function formOf(item) {
    var forms = document.querySelectorAll("form[data-outbox]");
    for (var i = 0; i < forms.length; i++) {
      if (forms[i].getAttribute("data-outbox-key") === item.key || forms[i].action === item.url) return forms[i];
    }
    return null;
  }
  function say(form, template, item, state) {
    var text = String(template || "").replace("%(what)s", item.label || "");
    var line = form ? form.querySelector("[data-outbox-status]") : document.getElementById("outbox-status");
    if (!line) return;
    line.textContent = text;
    line.hidden = false;
    line.setAttribute("data-state", state);
  }
  function refill(form, item) {  // a refused form: what was typed goes back into it
    if (!form) return;
    item.fields.forEach(function (pair) {
      var field = form.elements[pair[0]];
      if (!field || pair[0] === "csrf_token" || pair[0] === "idempotency_key") return;
      if (field.length !== undefined && !field.tagName) {  // radios and checkboxes
        Array.prototype.forEach.call(field, function (f) { if (f.value === pair[1]) f.checked = true; });
      } else if (field.type === "checkbox" || field.type === "radio") {
        field.checked = field.value === pair[1];
      } else {
        field.value = pair[1];
      }
    });
  }
  // Every such form is sent by fetch, through the outbox: kept on the device first, then sent;
  // on a weak connection ("lie-fi": no answer in OUTBOX_TIMEOUT, the connection dropped, the
  // server busy or down) it stays there, the notice says so next to the button, and it is sent
  // again later, once (its idempotency key). A refused form is sent natively again, so the
  // server's page shows what to correct with everything typed.
  var inFlight = {};
  var retryTimer = null;
  function timeoutMs() { return (window.Maillage && window.Maillage.outboxTimeout) || 20000; }
  function later() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(sendAll, (window.Maillage && window.Maillage.outboxRetry) || 15000);
  }
  function post(url, body) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, timeoutMs()) : null;
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", redirect: "follow",
                        signal: controller ? controller.signal : undefined })
      .then(function (response) { clearTimeout(timer); return response; },
            function (error) { clearTimeout(timer); throw error; });
  }
  // What an answer means for an item: "login" (the session ended), "sent" (the server took it
  // and redirected), "later" (busy, down, or the same key still being handled) or "refused".
  function outcome(response) {
    if (new URL(response.url, location.href).pathname.indexOf("/auth/") === 0) return "login";
    if (response.ok && response.redirected) return "sent";
    if (response.status >= 500 || response.status === 429 || response.status === 409) return "later";
    return "refused";
  }
  function bodyOf(item, csrf) {
    var body = new URLSearchParams();
    item.fields.forEach(function (pair) {
      body.append(pair[0], pair[0] === "csrf_token" && csrf ? csrf : pair[1]);
    });
    return body;
  }
  function native(form) {
    form.setAttribute("data-outbox-native", "1");
    HTMLFormElement.prototype.submit.call(form);
  }
  Array.prototype.forEach.call(document.querySelectorAll("form[data-outbox]"), function (form) {
    var status = form.querySelector("[data-outbox-status]");
    var button = form.querySelector("button[type=submit], button:not([type])");
    if (status && button) button.insertAdjacentElement("afterend", status);  // in sight
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-outbox-native") === "1" || !window.fetch || !window.URLSearchParams) return;
      event.preventDefault();
      var key = newKey();
      var fields = [];
      new FormData(form).forEach(function (value, name) {
        if (typeof value === "string") fields.push([name, name === "idempotency_key" ? key : value]);
      });
      var item = { key: key, kind: "form", url: form.action, page: location.pathname + location.search,
                   fields: fields, label: form.getAttribute("data-outbox") };
      form.setAttribute("data-outbox-key", key);
      store.put(item).then(function () {
        if (navigator.onLine === false) { say(form, T.pending, item, "pending"); return; }
        say(form, T.sending, item, "sending");
        inFlight[key] = true;
        return post(item.url, bodyOf(item)).then(function (response) {
          delete inFlight[key];
          var result = outcome(response);
          if (result === "sent") {
            return store.remove(key).then(function () { location.assign(response.url); });
          }
          if (result === "later") {
            say(form, T.pending, item, "pending");
            later();
            return;
          }
          // A definite answer that is not a success (a form error, the session ended): the
          // browser shows the server's own page for it.
          return store.remove(key).then(function () { native(form); });
        }, function () {  // no answer in time, or the connection dropped: kept, sent later
          delete inFlight[key];
          say(form, T.pending, item, "pending");
          later();
        });
      })["catch"](function () { native(form); });  // no IndexedDB: the browser posts it
    });
  });
  var sending = false;
  function sendOne(item) {
    var form = formOf(item);
    if (inFlight[item.key]) return Promise.resolve(null);
    return fetch(item.page, { credentials: "same-origin" }).then(function (page) { return page.text(); })
      .then(function (html) {
        var meta = new DOMParser().parseFromString(html, "text/html").querySelector('meta[name="csrf-token"]');
        return post(item.url, bodyOf(item, meta && meta.getAttribute("content")));
      }).then(function (response) {
        var result = outcome(response);
        if (result === "login") {  // the session ended: kept until they log in again
          say(form, T.login, item, "pending");
          return null;
        }
        if (result === "sent") {
          return store.remove(item.key).then(function () { say(form, T.sent, item, "sent"); });
        }
        if (result === "later") {
          later();
          return null;
        }
        // Refused (the form has an error): kept, marked, and put back into the form when it is
        // on screen, so that nothing typed is lost.
        item.failed = true;
        return store.put(item).then(function () { showFailed(item); });
      }, function (error) { later(); throw error; });
  }
  function showFailed(item) {
    var form = formOf(item);
    if (!form) { say(null, T.failed, item, "failed"); return; }
    refill(form, item);
    say(form, T.failed, item, "failed");
    store.remove(item.key)["catch"](function () {});  // it is in the form again now
  }
  function sendAll() {
    if (sending || navigator.onLine === false) return;
    sending = true;
    store.all("form").then(function (items) {
      items.filter(function (item) { return item.failed; }).forEach(showFailed);
      return items.filter(function (item) { return !item.failed; }).reduce(function (chain, item) {
        return chain.then(function () { return sendOne(item); })["catch"](function () {});
      }, Promise.resolve());
    })["catch"](function () {}).then(function () { sending = false; });
  }
  window.addEventListener("online", sendAll);
  sendAll();
})();
