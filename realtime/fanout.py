"""What the server pushes to chat sockets outside a reply: a new message to a room and the unread
counts it changes, presence, a changed message, an event to all of a person's sockets, and the
orders that take a person's sockets out of a room or close them.

The app's one `FanOut` is `app.extensions["maillage.chat"]`: the socket handlers, the pages
(a message sent by the form) and the commit hooks (realtime/hooks.py) all go through it.
Socket.IO rooms: `user:<id>` holds every socket of a person, `room:<id>` the sockets that joined
a chat room.
"""
from __future__ import annotations

import logging
from contextlib import nullcontext

from flask import Flask, current_app, has_request_context
from flask_babel import force_locale
from flask_socketio import SocketIO

from models import Message, Room, RoomKind, db
from realtime.control import Control
from realtime.presence import Presence, Socket
from realtime.protocol import error_text
from realtime.service import ChatService


def _some_locale():
    """The request's language in a request; the site's default outside one (a CLI command)."""
    if has_request_context():
        return nullcontext()
    return force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "fr"))


log = logging.getLogger(__name__)


class FanOut:
    def __init__(self, socketio: SocketIO, namespace: str, service: ChatService,
                 presence: Presence):
        self.socketio = socketio
        self.namespace = namespace
        self.service = service
        self.presence = presence
        self.control: Control | None = None  # orders for the sockets of every process
        self._keeping_roster = False

    def use_control(self, control: Control) -> None:
        self.control = control
        control.on("evict", self._evict_here)
        control.on("disconnect", self._disconnect_here)

    def listen(self, app: Flask) -> None:
        """Start taking orders from the other processes, and keeping the shared roster of who
        is online (from a socket's connect: a task started in a process that then forks would
        not survive in the children)."""
        if self.control is not None:
            self.control.start(self.socketio.start_background_task, app)
        if self.presence.roster is not None and not self._keeping_roster:
            self._keeping_roster = True
            self.socketio.start_background_task(self._keep_roster)

    def _keep_roster(self) -> None:
        """Every TTL/3 seconds: renew this process's entries, sweep the expired ones (a dead
        process's people) and announce who went offline."""
        roster = self.presence.roster
        while True:
            self.socketio.sleep(roster.ttl / 3)
            try:
                roster.renew(self.presence.entries())
                for room_id, user_id, name in roster.sweep():
                    self.presence_changed(room_id, Socket(user_id, name, None), online=False)
            except Exception:  # Redis restarted: try again at the next beat
                log.exception("chat presence: renewing again at the next beat")

    # -- to rooms and people -----------------------------------------------------------------

    def broadcast(self, message: dict, room_kind: str) -> None:
        """After the commit: a new message (as the protocol sends it) to everyone in its room,
        the unread counts to people whose room is not open (direct and group rooms only)."""
        room_id = message["room"]
        self.socketio.emit("message", message, to=f"room:{room_id}", namespace=self.namespace)
        if room_kind != RoomKind.NETWORK:
            self._push_unread(room_id, message["author"]["id"])

    def _push_unread(self, room_id: int, author_id: int) -> None:
        """Direct and group rooms (at most 20 people): each other person's count, to all their
        sockets, so a conversation list or a header updates even where the room is not open.
        Network rooms are counted by the client from the `message` events of rooms it joined."""
        session = db.session
        room = session.get(Room, room_id)
        for user_id in self.service.people_ids(session, room):
            if user_id != author_id:
                self.socketio.emit("unread", {"room": room_id, "count": self.service.unread_count(
                    session, room_id, user_id, None)}, to=f"user:{user_id}", namespace=self.namespace)

    def presence_changed(self, room_id: int, socket: Socket | None, online: bool) -> None:
        if socket is None:
            return
        self.socketio.emit("presence", {"room": room_id, "online": online,
                                        "user": {"id": socket.user_id, "name": socket.name}},
                           to=f"room:{room_id}", namespace=self.namespace)

    def to_user(self, user_id: int, event: str, data: dict) -> None:
        self.socketio.emit(event, data, to=f"user:{user_id}", namespace=self.namespace)

    def message_changed(self, session, kind: str, room_id: int, message_id: int) -> None:
        """After the commit: a message was deleted, hidden by a moderator (its text leaves every
        open page: only its id is sent) or shown again (sent whole, as an edit)."""
        room = f"room:{room_id}"
        if kind == "message_hidden":
            self.socketio.emit("message_hidden", {"id": message_id, "room": room_id}, to=room,
                               namespace=self.namespace)
            return
        message = session.get(Message, message_id)
        if message is None:
            return
        event = "message_deleted" if kind == "message_deleted" else "message_edited"
        self.socketio.emit(event, self.service.serialize(message, None), to=room,
                           namespace=self.namespace)

    # -- orders, carried out by every process for the sockets it holds ------------------------

    def evict(self, user_id: int, room_id: int, code: str = "removed") -> None:
        """Take a person's sockets out of a room now (removed, banned, left), in every
        process."""
        if self.control is None:
            return self._evict_here(user_id, room_id, code)
        self.control.send("evict", user_id=user_id, room_id=room_id, code=code)

    def _evict_here(self, user_id: int, room_id: int, code: str = "removed") -> None:
        server = self.socketio.server
        with _some_locale():
            text = error_text(code)
        for sid in self.presence.sids_of(user_id):
            server.leave_room(sid, f"room:{room_id}", namespace=self.namespace)
            socket = self.presence.socket(sid)
            if self.presence.exit(sid, room_id):
                self.presence_changed(room_id, socket, online=False)
            server.emit("error", {"event": "removed", "room": room_id, "code": code,
                                  "message": text}, to=sid, namespace=self.namespace)

    def disconnect_user(self, user_id: int, login_id: str | None = None) -> None:
        """Close a person's sockets, in every process: those of one login session (logout), or
        all of them (password changed, account suspended or deleted)."""
        if self.control is None:
            return self._disconnect_here(user_id, login_id)
        self.control.send("disconnect", user_id=user_id, login_id=login_id)

    def _disconnect_here(self, user_id: int, login_id: str | None = None) -> None:
        for sid in self.presence.sids_of(user_id, login_id):
            self.socketio.server.disconnect(sid, namespace=self.namespace)
