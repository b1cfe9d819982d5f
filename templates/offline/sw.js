/* Maillage's service worker (version {{ version }}).
 *
 * - The app shell (styles, scripts, icon, the offline page) is cached at install; static files
 *   are fingerprinted, so they are served from the cache first.
 * - Pages are fetched from the network first; a successful page the server marks as saveable
 *   is saved, so that a page visited before can be read offline. Offline, the saved copy is served
 *   (the page says when it was saved), or the offline page for a page never visited.
 * - Writes are never cached or replayed here: the pages' own outbox (static/js/outbox.js) keeps
 *   what is written offline and sends it, idempotently, when the connection returns.
 * - Only pages the server marks (X-Maillage-Save: logged-in members' pages) are saved, and
 *   they are forgotten ({type: "forget"}) at logout and when another account uses the device;
 *   those pages also say `Cache-Control: no-store`, which is for HTTP caches (a proxy, the
 *   back button on a shared computer), not for this copy the member's own device keeps;
 *   a save that was on its way when they were forgotten is dropped (the generation counter).
 * - On a stalled connection a saved page is served after a few seconds.
 */
"use strict";
var VERSION = "{{ version }}";
var SHELL = "maillage-shell-" + VERSION;
var PAGES = "maillage-pages";
var SHELL_URLS = {{ shell|safe }};
var PAGES_MAX = 200;
var NEVER = /^\/(socket\.io|auth|api|moderation|organisers|campaigns|shared)\b|\.zip$/;
var STALLED_MS = 6000;
var generation = 0;  // bumped by "forget": a save started before it is dropped

self.addEventListener("install", function (event) {
  // Without cookies: the shell (the offline page included) holds nobody's data.
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(SHELL_URLS.map(function (url) { return new Request(url, { credentials: "omit" }); }));
  })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("maillage-shell-") === 0 && k !== SHELL; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function savePage(request, response, started) {
  if (!response || !response.ok || response.type !== "basic") return;
  if (response.headers.get("X-Maillage-Save") !== "1") return;
  if (started !== generation) return;
  caches.open(PAGES).then(function (cache) {
    if (started !== generation) return null;
    return cache.put(request, response).then(function () { return cache.keys(); })
      .then(function (keys) {  // oldest first: keep the last PAGES_MAX pages
        return Promise.all(keys.slice(0, Math.max(0, keys.length - PAGES_MAX)).map(function (k) { return cache.delete(k); }));
      });
  });
}

function saved(request) {
  return caches.open(PAGES).then(function (cache) { return cache.match(request, { ignoreVary: true }); });
}

function page(request) {
  var started = generation;
  var network = fetch(request).then(function (response) {
    savePage(request, response.clone(), started);
    return response;
  });
  var fallback = function () {
    return saved(request).then(function (copy) { return copy || caches.match("{{ url_for('offline.page') }}"); });
  };
  // A stalled link: after STALLED_MS the saved copy, if there is one (the fetch goes on and
  // refreshes it); otherwise wait for the network.
  var stalled = new Promise(function (resolve) {
    setTimeout(function () { saved(request).then(function (copy) { if (copy) resolve(copy); }); }, STALLED_MS);
  });
  return Promise.race([network, stalled])["catch"](fallback);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || NEVER.test(url.pathname)) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok && url.search) {
          var copy = response.clone();
          caches.open(SHELL).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      })["catch"](function () {
        // Offline, a page saved before a new version asks for the old file: the current one.
        return caches.match(request, { ignoreSearch: true });
      });
    }));
    return;
  }
  if (request.mode === "navigate") event.respondWith(page(request));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "forget") {
    generation += 1;
    event.waitUntil(caches.delete(PAGES));
  } else if (data.type === "save" && typeof data.url === "string") {
    // The page that registered the worker was loaded before the worker controlled it.
    var url = new URL(data.url, self.location.origin);
    if (url.origin === self.location.origin && !NEVER.test(url.pathname)) {
      var request = new Request(url.href, { credentials: "same-origin" });
      var started = generation;
      event.waitUntil(fetch(request).then(function (response) { savePage(request, response, started); })
        .catch(function () {}));
    }
  }
});
