// One socket per page for a logged-in member (namespace /chat, docs/realtime.md): the header's
// notification count and new-message dot stay live. Pages with a chat use the same socket.
(function () {
  "use strict";
  if (!window.io) return;
  var script = document.currentScript;
  var unreadLabel = script ? script.getAttribute("data-unread-label") : "";
  var socket = window.io("/chat");
  window.Maillage = window.Maillage || {};
  window.Maillage.socket = socket;

  function setNotifications(count) {
    var link = document.getElementById("nav-notifications");
    if (!link) return;
    var badge = link.querySelector(".count");
    if (!count) { if (badge) badge.remove(); return; }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "count";
      link.appendChild(document.createTextNode(" "));
      link.appendChild(badge);
    }
    badge.textContent = String(count);
    var sr = document.createElement("span");
    sr.className = "sr-only";
    sr.textContent = " " + unreadLabel;
    badge.appendChild(sr);
  }

  socket.on("notifications", function (data) { setNotifications(data && data.count); });
  // The server closes sockets at logout and after a password change: a page whose session is
  // still valid (another login, this tab) comes back; an ended one is refused and stays off.
  socket.on("disconnect", function (reason) {
    if (reason === "io server disconnect") setTimeout(function () { socket.connect(); }, 1000);
  });
  socket.on("unread", function (data) {
    var open = document.querySelector("[data-chat-room]");
    if (data && data.count > 0 && !(open && Number(open.getAttribute("data-chat-room")) === data.room)) {
      var dot = document.querySelector("[data-messages-badge]");
      if (dot) dot.hidden = false;
    }
  });
})();
