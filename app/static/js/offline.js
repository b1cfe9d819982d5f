// Offline support on every page: registers the service worker (templates/offline/sw.js), shows
// a banner while the connection is down (with the time this copy of the page was made), and
// makes the saved pages forgotten at logout.
(function () {
  "use strict";
  var banner = document.getElementById("offline-banner");
  var rendered = document.querySelector('meta[name="rendered-at"]');
  // The offline page (shown for a page never saved) is not a copy of anything: no "saved on"
  // banner, and no visitor's links in the header of a member's browser (it was saved without
  // cookies, for anyone).
  var fallback = !!document.querySelector('meta[name="offline-page"]');
  if (fallback) {
    banner = null;
    Array.prototype.forEach.call(document.querySelectorAll(
      'header a[href$="/auth/login"], header a[href$="/auth/register"]'), function (a) {
      (a.closest("li") || a).hidden = true;
    });
  }

  function savedAt() {
    var when = rendered ? new Date(rendered.getAttribute("content")) : null;
    if (!when || isNaN(when)) return "";
    return when.toLocaleString(document.documentElement.lang, { dateStyle: "short", timeStyle: "short" });
  }
  function update() {
    if (!banner) return;
    var offline = navigator.onLine === false;
    if (offline) {
      var text = banner.getAttribute("data-text") || "";
      banner.querySelector("[data-offline-text]").textContent = text.replace("%(when)s", savedAt());
    }
    banner.hidden = !offline;
    if (offline) document.documentElement.setAttribute("data-offline", "");
    else document.documentElement.removeAttribute("data-offline");
  }
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  update();

  // Saved pages and the outbox belong to one account: when another account (or nobody) uses
  // this browser, they are forgotten here (the server also sends Clear-Site-Data at logout).
  var account = document.querySelector('meta[name="account"]');
  account = account ? account.getAttribute("content") : "";
  function forget() {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "forget" });
    }
    if (window.caches) caches.delete("maillage-pages");
    if (window.indexedDB) indexedDB.deleteDatabase("maillage-outbox");
  }
  try {
    var last = localStorage.getItem("maillage-account");
    if (account && last !== null && last !== account) forget();
    if (account) localStorage.setItem("maillage-account", account);
  } catch (e) { /* storage refused: nothing was saved either */ }
  Array.prototype.forEach.call(document.querySelectorAll('form[action$="/auth/logout"]'), function (form) {
    form.addEventListener("submit", function () {
      forget();
      try { localStorage.removeItem("maillage-account"); } catch (e) { /* ignore */ }
    });
  });

  if (!("serviceWorker" in navigator)) return;
  var worker = document.querySelector('meta[name="service-worker"]');
  if (!worker) return;
  var controlled = !!navigator.serviceWorker.controller;
  function register() {
    navigator.serviceWorker.register(worker.getAttribute("content"), { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // This page came from the network before the worker controlled it: save it once too.
      if (!controlled && account && registration.active && navigator.onLine !== false) {
        registration.active.postMessage({ type: "save", url: location.href });
      }
      document.documentElement.setAttribute("data-sw", "ready");
    })["catch"](function () {});
  }
  // After the page's own load: on a first visit over a slow link, the worker's install (the
  // app shell, ~40 KB) would otherwise share the link with the page's styles, scripts and faces.
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register);
})();
