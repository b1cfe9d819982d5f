// Live chat over the /chat socket (protocol: docs/realtime.md). Without JavaScript the page's
// form posts and reloads; with it, messages go over the socket, each with a client_id so a
// resend after a lost connection is never a second message.
(function () {
  "use strict";
  var socket = window.Maillage && window.Maillage.socket;
  if (!socket) return;
  var textNode = document.getElementById("chat-text");
  var T = textNode ? JSON.parse(textNode.textContent) : {};
  var section = document.querySelector("[data-chat-room]");
  var openRoom = section ? Number(section.getAttribute("data-chat-room")) : null;
  var me = section ? Number(section.getAttribute("data-me")) : null;
  var list = document.getElementById("messages");
  var form = document.getElementById("chat-form");
  var box = form ? form.querySelector("textarea") : null;
  var statusLine = document.querySelector("[data-chat-status]");
  var typingLine = document.querySelector("[data-typing]");
  var lastSeen = {};      // room -> highest message id this page has (read markers)
  // room -> highest seq up to which this page has every message (catch-up after a reconnect:
  // docs/realtime.md), and the seqs it holds beyond a gap (a live message that came first).
  var seqSeen = {}, seqAhead = {};
  function gotSeq(room, seq) {
    if (!seq) return;
    var ahead = seqAhead[room] || (seqAhead[room] = {});
    if (seq > (seqSeen[room] || 0)) ahead[seq] = true;
    while (ahead[(seqSeen[room] || 0) + 1]) { seqSeen[room] = (seqSeen[room] || 0) + 1; delete ahead[seqSeen[room]]; }
  }
  var outbox = [];        // {client_id, body, node} not yet acked by the server
  var markerShown = false;
  var olderPage = section ? section.hasAttribute("data-older-page") : false;  // ?before=: history only

  function fmt(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; });
  }
  function status(text) { if (statusLine) statusLine.textContent = text || ""; }
  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // -- the conversation list -----------------------------------------------------------------
  var roomItems = {};
  Array.prototype.forEach.call(document.querySelectorAll("#room-list [data-room]"), function (li) {
    var id = Number(li.getAttribute("data-room"));
    roomItems[id] = li;
    lastSeen[id] = Number(li.getAttribute("data-last-id")) || 0;
    seqSeen[id] = Number(li.getAttribute("data-last-seq")) || 0;
  });
  function setBadge(room, count) {
    var li = roomItems[room];
    if (!li) return;
    var badge = li.querySelector("[data-unread]");
    badge.firstChild.nodeValue = String(count);
    badge.hidden = !count;
  }
  function bumpBadge(room) {
    var li = roomItems[room];
    if (!li) return;
    var badge = li.querySelector("[data-unread]");
    setBadge(room, (Number(badge.firstChild.nodeValue) || 0) + 1);
    li.parentNode.insertBefore(li, li.parentNode.firstChild);
  }

  // -- messages in the open room -------------------------------------------------------------
  function atBottom() { return window.innerHeight + window.scrollY >= document.body.scrollHeight - 80; }
  // The author's picture (48 px file shown at 24) or their initials, as templates/macros/images.html
  // draws them (the same letters and colour: app/images/storage.py, initials and initials_colour).
  var SVG = "http://www.w3.org/2000/svg";
  function avatar(author) {
    var name = (author && author.name) || "";
    if (author && author.avatar) {
      var img = document.createElement("img");
      img.className = "avatar"; img.src = author.avatar; img.alt = "";
      img.width = 24; img.height = 24; img.loading = "lazy"; img.decoding = "async";
      return img;
    }
    var letters = name.split(/\s+/).filter(function (w) { return w && /[\p{L}\p{N}]/u.test(w[0]); })
      .map(function (w) { return w[0]; }).slice(0, 2).join("").toUpperCase() || "?";
    var sum = 0;
    for (var i = 0; i < name.length; i++) sum += name.charCodeAt(i);
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "avatar avatar-initials avatar-c" + (sum % 8));
    svg.setAttribute("width", "24"); svg.setAttribute("height", "24");
    svg.setAttribute("viewBox", "0 0 48 48"); svg.setAttribute("aria-hidden", "true");
    var rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("width", "48"); rect.setAttribute("height", "48"); rect.setAttribute("rx", "24");
    var text = document.createElementNS(SVG, "text");
    text.setAttribute("x", "24"); text.setAttribute("y", "24"); text.setAttribute("dy", ".35em");
    text.setAttribute("text-anchor", "middle"); text.setAttribute("font-size", "19");
    text.textContent = letters;
    svg.appendChild(rect); svg.appendChild(text);
    return svg;
  }
  function render(m) {
    var li = document.createElement("li");
    li.className = "message" + (m.author && m.author.id === me ? " mine" : "") + (m.deleted ? " deleted" : "");
    li.id = "m" + m.id;
    li.setAttribute("data-id", m.id);
    if (m.seq) li.setAttribute("data-seq", m.seq);
    if (m.author && m.author.id === me && !m.deleted) li.setAttribute("data-body", m.body || "");
    var meta = document.createElement("p");
    meta.className = "message-meta";
    var who = document.createElement("strong");
    who.textContent = (m.author && m.author.name) || T.former;
    var when = document.createElement("time");
    when.setAttribute("datetime", m.created_at);
    when.textContent = new Date(m.created_at).toLocaleString(document.documentElement.lang,
      { dateStyle: "short", timeStyle: "short" });
    meta.appendChild(avatar(m.author)); meta.appendChild(who);
    meta.appendChild(document.createTextNode(" ")); meta.appendChild(when);
    var body = document.createElement("div");
    body.className = "message-body";
    li.appendChild(meta); li.appendChild(body);
    fill(li, m);
    return li;
  }
  function fill(li, m) {
    var body = li.querySelector(".message-body");
    var meta = li.querySelector(".message-meta");
    if (m.deleted || m.hidden) {
      li.classList.add(m.deleted ? "deleted" : "hidden");
      li.removeAttribute("data-body");
      body.innerHTML = "";
      var p = document.createElement("p"); p.className = m.deleted ? "muted" : "hidden-notice";
      p.textContent = m.deleted ? T.deleted : T.hidden;
      body.appendChild(p);
      var tools = li.querySelector(".message-tools"); if (tools) tools.remove();
      var links = li.querySelector(".message-links"); if (links) links.remove();
    } else {
      li.classList.remove("hidden");
      body.innerHTML = m.body_html;  // sanitised on the server (app/text.py, lite)
      if (m.author && m.author.id === me && !li.hasAttribute("data-body")) li.setAttribute("data-body", m.body || "");
      else if (li.hasAttribute("data-body")) li.setAttribute("data-body", m.body || "");
      addLinks(li, m);
    }
    if (m.edited_at && !m.deleted && !meta.querySelector("[data-edited]")) {
      var e = document.createElement("span"); e.className = "muted small"; e.setAttribute("data-edited", "");
      e.textContent = " " + T.edited; meta.appendChild(e);
    }
    addTools(li);
  }
  function linkTo(template, id) { return template.replace("/message/0", "/message/" + id); }
  function addLinks(li, m) {
    // Report (and, for a moderator, Moderate): plain links to pages that work without JavaScript.
    if (!m.id || (m.author && m.author.id === me) || li.querySelector(".message-links") || !T.report_url) return;
    var p = document.createElement("p"); p.className = "message-links small";
    var a = document.createElement("a"); a.className = "report-link"; a.href = linkTo(T.report_url, m.id); a.textContent = T.report;
    p.appendChild(a);
    if (T.moderate_url) {
      var b = document.createElement("a"); b.className = "moderate-link"; b.href = linkTo(T.moderate_url, m.id); b.textContent = T.moderate;
      p.appendChild(document.createTextNode(" ")); p.appendChild(b);
    }
    li.appendChild(p);
  }
  function addTools(li) {
    if (!li.hasAttribute("data-body") || li.querySelector(".message-tools") || li.classList.contains("pending")) return;
    var tools = document.createElement("span");
    tools.className = "message-tools";
    var edit = document.createElement("button");
    edit.type = "button"; edit.className = "linklike small"; edit.textContent = T.edit;
    edit.addEventListener("click", function () { startEdit(li); });
    var del = document.createElement("button");
    del.type = "button"; del.className = "linklike small"; del.textContent = T["delete"];
    del.addEventListener("click", function () {
      if (window.confirm(T.confirm_delete)) {
        socket.emit("delete", { id: Number(li.getAttribute("data-id")) }, function (ack) {
          if (ack && !ack.ok) status(ack.error.message);
        });
      }
    });
    tools.appendChild(edit); tools.appendChild(document.createTextNode(" ")); tools.appendChild(del);
    li.querySelector(".message-meta").appendChild(tools);
  }
  function startEdit(li) {
    var body = li.querySelector(".message-body");
    if (body.querySelector("textarea")) return;
    var keep = body.innerHTML;
    var area = document.createElement("textarea");
    area.rows = 2; area.value = li.getAttribute("data-body") || "";
    area.setAttribute("aria-label", T.edit);
    var save = document.createElement("button"); save.type = "button"; save.className = "button small"; save.textContent = T.save;
    var cancel = document.createElement("button"); cancel.type = "button"; cancel.className = "button small secondary"; cancel.textContent = T.cancel;
    body.innerHTML = ""; body.appendChild(area); body.appendChild(save); body.appendChild(cancel);
    area.focus();
    cancel.addEventListener("click", function () {
      body.innerHTML = keep;
      var edit = li.querySelector(".message-tools button"); if (edit) edit.focus();
    });
    save.addEventListener("click", function () {
      socket.emit("edit", { id: Number(li.getAttribute("data-id")), body: area.value }, function (ack) {
        if (ack && !ack.ok) { status(ack.error.message); area.focus(); return; }
        // The message_edited event (it comes first) brought the new text; else restore.
        if (body.contains(area)) body.innerHTML = keep;
        var edit = li.querySelector(".message-tools button"); if (edit) edit.focus();
      });
    });
  }
  function showMarker() {
    if (markerShown || !list || list.querySelector(".new-marker")) return;
    markerShown = true;
    var marker = document.createElement("li");
    marker.className = "new-marker"; marker.setAttribute("role", "separator"); marker.textContent = T["new"];
    list.appendChild(marker);
  }
  function place(m) {
    if (!list) return;
    lastSeen[m.room] = Math.max(lastSeen[m.room] || 0, m.id);
    gotSeq(m.room, m.seq);
    var existing = document.getElementById("m" + m.id);
    if (existing) { fill(existing, m); return; }
    var pending = m.client_id && list.querySelector('[data-client-id="' + CSS.escape(m.client_id) + '"]');
    if (pending) { pending.replaceWith(render(m)); return; }
    var empty = list.querySelector("[data-empty]"); if (empty) empty.remove();
    var follow = atBottom();
    if (!(m.author && m.author.id === me) && (document.hidden || !follow)) showMarker();
    var node = render(m);
    // Keep the room's order (seq) even when events cross (a catch-up and a live message).
    var after = null;
    Array.prototype.some.call(list.querySelectorAll("li.message[data-seq]"), function (li) {
      if (Number(li.getAttribute("data-seq")) > m.seq) { after = li; return true; }
      return false;
    });
    list.insertBefore(node, after || list.querySelector("li.pending"));
    if (follow) window.scrollTo(0, document.body.scrollHeight);
  }
  var readSent = 0;
  function markRead() {
    var newest = openRoom ? lastSeen[openRoom] || 0 : 0;
    if (newest > readSent && !document.hidden && socket.connected) {
      readSent = newest;
      socket.emit("read", { room: openRoom, id: newest });
    }
  }

  // -- sending -------------------------------------------------------------------------------
  // Written offline or before the ack came: kept in the browser (static/js/outbox.js) until the
  // server has it, so a reload or a closed tab loses nothing; the same client_id on every try.
  var store = window.Maillage && window.Maillage.outbox;
  function keep(item) {
    if (store) store.put({ key: item.client_id, kind: "chat", room: openRoom, body: item.body })["catch"](function () {});
  }
  function forget(item) { if (store) store.remove(item.client_id)["catch"](function () {}); }
  function setState(item, text) {
    var state = item.node.querySelector("[data-state]");
    if (state && !item.node.classList.contains("failed")) state.textContent = text;
  }
  function flush(item) {
    if (!socket.connected) { setState(item, T.waiting); return; }
    if (item.inFlight) return;
    setState(item, T.pending);
    item.inFlight = true;
    socket.timeout(15000).emit("send", { room: openRoom, body: item.body, client_id: item.client_id }, function (err, ack) {
      item.inFlight = false;
      if (err) {  // no ack in time: it stays in the outbox, sent again (same client_id) on reconnect
        status(T.offline);
        return;
      }
      if (ack && ack.ok) {
        outbox = outbox.filter(function (o) { return o !== item; });
        forget(item);
        item.node.classList.remove("pending", "failed");
        item.node.setAttribute("data-id", ack.id);
        if (ack.seq) { item.node.setAttribute("data-seq", ack.seq); gotSeq(openRoom, ack.seq); }
        // The room's echo may have come first and replaced the pending line: mark that one.
        var shown = document.getElementById("m" + ack.id);
        if (!shown) { item.node.id = "m" + ack.id; shown = item.node; } else if (shown !== item.node) item.node.remove();
        var tag = shown.querySelector("[data-state]");
        if (!tag) {
          tag = document.createElement("span"); tag.className = "muted small";
          shown.querySelector(".message-meta").appendChild(document.createTextNode(" "));
          shown.querySelector(".message-meta").appendChild(tag);
        }
        tag.textContent = T.sent; tag.setAttribute("data-state", "sent");
        if (shown === item.node) { item.node.setAttribute("data-body", item.body); addTools(item.node); }
        return;
      }
      var error = ack && ack.error ? ack.error : { message: T.failed };
      item.node.classList.add("failed");
      var state = item.node.querySelector("[data-state]");
      state.textContent = T.failed + " — " + error.message + " ";
      var retry = document.createElement("button");
      retry.type = "button"; retry.className = "linklike small"; retry.textContent = T.retry;
      retry.addEventListener("click", function () {
        item.node.classList.remove("failed"); state.textContent = T.pending; flush(item);
      });
      state.appendChild(retry);
      if (error.code !== "rate_limited") {
        outbox = outbox.filter(function (o) { return o !== item; });
        forget(item);
        if (box && !box.value) box.value = item.body;  // nothing typed is lost
      }
      status(error.message);
    });
  }
  function pendingNode(body) {
    var li = document.createElement("li");
    li.className = "message mine pending";
    var meta = document.createElement("p"); meta.className = "message-meta";
    var who = document.createElement("strong"); who.textContent = "…";
    var state = document.createElement("span"); state.className = "muted small"; state.setAttribute("data-state", "");
    state.textContent = T.pending;
    meta.appendChild(state);
    var text = document.createElement("div"); text.className = "message-body";
    var p = document.createElement("p"); p.textContent = body; text.appendChild(p);
    li.appendChild(meta); li.appendChild(text);
    return li;
  }
  function queue(item, restored) {
    item.node = pendingNode(item.body);
    item.node.setAttribute("data-client-id", item.client_id);
    var empty = list.querySelector("[data-empty]"); if (empty) empty.remove();
    list.appendChild(item.node);
    window.scrollTo(0, document.body.scrollHeight);
    outbox.push(item);
    if (!restored) keep(item);
    flush(item);
  }
  if (form && box && openRoom) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = box.value.trim();
      if (!body) { box.focus(); return; }
      queue({ client_id: newClientId(), body: body });
      box.value = "";
    });
    if (store) {  // what an earlier visit of this room could not send yet
      store.all("chat").then(function (items) {
        items.forEach(function (saved) {
          if (saved.room !== openRoom || outbox.some(function (o) { return o.client_id === saved.key; })) return;
          queue({ client_id: saved.key, body: saved.body }, true);
        });
      })["catch"](function () {});
    }
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });
    var lastTyping = 0;
    box.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTyping > 2000 && socket.connected) { lastTyping = now; socket.emit("typing", { room: openRoom }); }
    });
  }

  // -- older messages (keyset pagination) ----------------------------------------------------
  var older = document.querySelector("[data-load-older]");
  if (older && section && window.fetch) {
    older.addEventListener("click", function (event) {
      event.preventDefault();
      var first = list.querySelector("li.message[data-seq]");
      var url = section.getAttribute("data-history-url") + "?before=" + (first ? first.getAttribute("data-seq") : "");
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (page) {
        if (!page) return;
        var height = document.body.scrollHeight;
        page.items.slice().reverse().forEach(function (m) {
          if (!document.getElementById("m" + m.id)) list.insertBefore(render(m), list.firstChild);
        });
        window.scrollTo(0, window.scrollY + document.body.scrollHeight - height);
        if (!page.next_before) older.parentNode.remove();
      });
    });
  }

  // -- socket events -------------------------------------------------------------------------
  function joinAll() {
    Object.keys(roomItems).forEach(function (key) {
      var id = Number(key);
      if (id === openRoom) return;
      socket.emit("join", { room: id, last_seq: seqSeen[id] || 0 }, function (ack) {
        if (ack && ack.ok) {
          setBadge(id, ack.unread);
          // Only the newest id and seq matter here (badges); the pages follow on their own.
          ack.missed.forEach(function (m) { lastSeen[id] = Math.max(lastSeen[id] || 0, m.id); gotSeq(id, m.seq); });
          if (ack.more && ack.missed.length) seqSeen[id] = ack.missed[ack.missed.length - 1].seq;
        }
      });
    });
    if (!openRoom) return;
    if (lastSeen[openRoom] === undefined || !roomItems[openRoom]) {
      var all = list.querySelectorAll("li.message[data-id]");
      lastSeen[openRoom] = all.length ? Number(all[all.length - 1].getAttribute("data-id")) : 0;
    }
    if (seqSeen[openRoom] === undefined || !roomItems[openRoom]) {
      var shown = list.querySelectorAll("li.message[data-seq]");
      Array.prototype.forEach.call(shown, function (li) { gotSeq(openRoom, Number(li.getAttribute("data-seq"))); });
    }
    socket.emit("join", { room: openRoom, last_seq: olderPage ? null : seqSeen[openRoom] || 0 }, function (ack) {
      if (!ack || !ack.ok) { if (ack) status(ack.error.message); return; }
      if (!olderPage) catchUp(ack);
      setOnline(ack.online);
      setBadge(openRoom, 0);
      markRead();
      outbox.forEach(flush);  // what was written while the connection was down
    });
  }
  // A catch-up comes in pages: ask for the next one until the room is complete.
  function catchUp(page) {
    page.missed.forEach(place);
    if (!page.more || !socket.connected) return;
    socket.emit("missed", { room: openRoom, last_seq: seqSeen[openRoom] || 0 }, function (next) {
      if (next && next.ok) catchUp(next); else if (next) status(next.error.message);
    });
  }
  var online = {};
  function setOnline(people) {
    online = {};
    (people || []).forEach(function (p) { online[p.id] = true; });
    showOnline();
  }
  function showOnline() {
    var n = 0;
    Array.prototype.forEach.call(document.querySelectorAll("[data-person]"), function (li) {
      var on = !!online[Number(li.getAttribute("data-person"))];
      li.querySelector("[data-online]").hidden = !on;
      if (on) n += 1;
    });
    var count = document.querySelector("[data-online-count]");
    if (count) count.textContent = fmt(T.online_count, { num: n });
  }

  Array.prototype.forEach.call(document.querySelectorAll("li.message[data-body]"), addTools);
  socket.on("connect", function () { status(""); joinAll(); });
  socket.on("disconnect", function () { if (openRoom) status(T.offline); });
  socket.on("message", function (m) {
    if (m.room === openRoom) {
      if (olderPage) return;
      place(m);
      if (!document.hidden && atBottom()) markRead();
    } else if (roomItems[m.room] && !(m.author && m.author.id === me)) {
      gotSeq(m.room, m.seq);
      if (m.id > (lastSeen[m.room] || 0)) { lastSeen[m.room] = m.id; bumpBadge(m.room); }
    }
  });
  socket.on("message_edited", function (m) { var li = document.getElementById("m" + m.id); if (li) fill(li, m); });
  socket.on("message_deleted", function (m) { var li = document.getElementById("m" + m.id); if (li) fill(li, m); });
  // A moderator hid a message: its text leaves this page at once (the notice replaces it).
  socket.on("message_hidden", function (m) { var li = document.getElementById("m" + m.id); if (li) fill(li, { id: m.id, hidden: true }); });
  socket.on("unread", function (u) { if (u.room !== openRoom) setBadge(u.room, u.count); });
  socket.on("presence", function (p) {
    if (p.room !== openRoom) return;
    if (p.online) online[p.user.id] = true; else delete online[p.user.id];
    showOnline();
  });
  var typingTimer = null;
  socket.on("typing", function (t) {
    if (t.room !== openRoom || !typingLine) return;
    typingLine.textContent = fmt(T.typing, { name: t.user.name });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingLine.textContent = ""; }, 3000);
  });
  socket.on("error", function (e) {
    if (!e) return;
    if (e.event === "removed" && e.room === openRoom && form) {
      Array.prototype.forEach.call(form.elements, function (el) { el.disabled = true; });
    }
    if (e.room === undefined || e.room === openRoom) status(e.message);
  });
  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("scroll", function () { if (atBottom()) markRead(); }, { passive: true });
  if (socket.connected) joinAll();
})();
