"""The `/chat` Socket.IO namespace: the protocol of docs/realtime.md.

Transport only: who may read a room and how messages are stored is the chat service's business
(`app/chat/service.py`, handed in as `service`, so this package does not import the app). Every
handler that touches a room asks the service again; the socket's session is the one it had at
connect, and its user is reloaded (and checked) on every event.

Socket.IO rooms: `user:<id>` holds every socket of a person (their unread counts, their
notifications, their eviction); `room:<id>` holds the sockets that joined a chat room.
"""
from __future__ import annotations

import math
import time
from contextlib import nullcontext

from flask import current_app, has_request_context, request
from flask import session as flask_session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room, leave_room
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.exc import OperationalError

from models import Message, Room, db
from models.types import ID_MAX
from realtime.presence import Presence, Socket

NAMESPACE = "/chat"


def error_text(code: str) -> str:
    texts = {
        "unauthorized": _("Your session has ended: log in again."),
        "not_found": _("This conversation does not exist or you are not in it."),
        "forbidden": _("You can only change your own messages."),
        "invalid": _("This request is not valid."),
        "empty": _("Write a message first."),
        "too_long": _("A message is at most 4,000 characters."),
        "rate_limited": _("You are sending messages too fast: wait a few seconds."),
        "not_allowed": _("This person does not accept messages from you."),
        "removed": _("You are no longer a member of this conversation."),
        "charter": _("The network's charter changed: accept it on the network's page to write again."),
        "muted": _("A moderator muted you in this network for a while: you can read, not write."),
        "hidden": _("A moderator hid this message: it can no longer be changed or deleted."),
        "busy": _("Too many requests at once: wait a few seconds."),
        "server_error": _("Something went wrong on our side: try again in a moment."),
    }
    return texts.get(code, texts["invalid"])


def error(code: str, **extra) -> dict:
    return {"ok": False, "error": {"code": code, "message": error_text(code), **extra}}


def _some_locale():
    """The request's language in a request; the site's default outside one (a CLI command)."""
    if has_request_context():
        return nullcontext()
    return force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "fr"))


class ChatNamespace(Namespace):
    def __init__(self, namespace: str, service, moderate=None):
        super().__init__(namespace)
        self.service = service
        self.moderate = moderate  # (data) -> (reply, status): app/api/moderation.py's `act`
        self.control = None  # realtime/control.py: orders for the sockets of every process
        self.presence = Presence()
        self._limiter = None
        self._typing_at: dict[tuple[int, int], float] = {}  # (user, room) -> last broadcast

    # -- helpers ---------------------------------------------------------------------------

    def limiter(self):
        if self._limiter is None:
            storage = storage_from_string(current_app.config["RATELIMIT_STORAGE_URI"])
            self._limiter = MovingWindowRateLimiter(storage)
        return self._limiter

    def _user_id(self) -> int | None:
        """The socket's person, reloaded: None once their session is no longer valid (password
        changed, account gone)."""
        return current_user.id if current_user.is_authenticated else None

    def _room(self, data):
        room_id = data.get("room") if isinstance(data, dict) else None
        user_id = self._user_id()
        if user_id is None:
            return None, None, error("unauthorized")
        room = self.service.readable_room(db.session, user_id, room_id)
        if room is None:
            return user_id, None, error("not_found")
        return user_id, room, None

    def _refuse(self, reply: dict, event: str) -> None:
        """For events without an ack in the protocol: the error is an `error` event."""
        emit("error", {"event": event, **reply["error"]})

    def _flooding(self) -> bool:
        """Every event but `send` (which has its own limit) counts against CHAT_EVENT_RATE_LIMIT
        per person: a script cannot keep the worker busy with joins, reads or typing."""
        socket = self.presence.socket(request.sid)
        if socket is None:
            return False
        limit = parse(current_app.config["CHAT_EVENT_RATE_LIMIT"])
        return not self.limiter().hit(limit, "chat-events", str(socket.user_id))

    def handle_error(self, exc: Exception):
        """Any failure in a handler: rolled back, logged, and answered (ack and `error` event),
        never a silent drop."""
        db.session.rollback()
        code = "busy" if isinstance(exc, OperationalError) else "server_error"
        current_app.logger.exception("chat event failed: %s", exc)
        reply = error(code)
        emit("error", {"event": None, **reply["error"]})
        return reply

    # -- events ----------------------------------------------------------------------------

    def use_control(self, control) -> None:
        self.control = control
        control.on("evict", self._evict_here)
        control.on("disconnect", self._disconnect_here)

    def on_connect(self, auth=None, *_):
        if self.control is not None:
            self.control.start(self.socketio.start_background_task,
                               current_app._get_current_object())
        if not current_user.is_authenticated:
            raise ConnectionRefusedError({"code": "unauthorized", "message": error_text("unauthorized")})
        self.presence.connect(request.sid, Socket(current_user.id, current_user.display_name,
                                                  flask_session.get("login_id")))
        join_room(f"user:{current_user.id}")

    def on_disconnect(self, reason=None, *_):
        socket, rooms = self.presence.disconnect(request.sid)
        for room_id in rooms:
            self._emit_presence(room_id, socket, online=False)

    def on_join(self, data=None, *_):
        if self._flooding():
            return error("busy")
        user_id, room, failure = self._room(data)
        if failure:
            return failure
        last_id = data.get("last_id")
        if last_id is not None and (not isinstance(last_id, int) or isinstance(last_id, bool)
                                    or not 0 <= last_id < 2**62):
            return error("invalid")
        if last_id is not None:
            last_id = min(last_id, ID_MAX)  # "nothing missed": past any id there can be
        join_room(f"room:{room.id}")
        if self.presence.enter(request.sid, room.id):
            self._broadcast_presence(room.id, request.sid, online=True)
        session = db.session
        messages = (self.service.history(session, room.id, None) if last_id is None
                    else self.service.missed(session, room.id, last_id))
        read = self.service.last_read(session, room.id, user_id)
        reply = {"ok": True, "room": room.id,
                 "missed": [self.service.serialize(m) for m in messages],
                 "online": self.presence.online(room.id), "last_read_id": read,
                 "unread": self.service.unread_count(session, room.id, user_id, read)}
        return reply

    def on_leave(self, data=None, *_):
        room_id = data.get("room") if isinstance(data, dict) else None
        if isinstance(room_id, int) and self.presence.joined(request.sid, room_id):
            leave_room(f"room:{room_id}")
            if self.presence.exit(request.sid, room_id):
                self._broadcast_presence(room_id, request.sid, online=False)
        return {"ok": True}

    def on_send(self, data=None, *_):
        """The hot path (bench/chat.py): the other handlers' checks in one query, the resend
        check, the rate limit, one INSERT ... RETURNING, the commit, then the emit."""
        service, session = self.service, db.session
        if not isinstance(data, dict):
            return error("not_found")
        who = service.sender(session, flask_session.get("_user_id"), data.get("room"))
        if isinstance(who, str):
            return error(who)
        try:
            body = service.clean_body(data.get("body"))
            client_id = service.clean_client_id(data.get("client_id"))
            # A resend of a stored message is acked again without counting.
            stored = service.find_resend(session, who.user_id, client_id, who.room_id)
            if stored is not None:
                return {"ok": True, "id": stored.id, "duplicate": True}
            # Before the INSERT: under gevent the limiter may yield to other greenlets, and no
            # greenlet may yield while it holds SQLite's write lock (another one would wait
            # for it in sqlite3's busy handler, which blocks the whole worker).
            retry_after = self.rate_limited(who.user_id)
            if retry_after:
                return error("rate_limited", retry_after=retry_after)
            message, created = service.insert_message(session, who, body, client_id)
            session.commit()
        except service.ChatError as exc:
            session.rollback()
            return error(exc.code)
        if created:
            self.broadcast(message, who.room_id, who.kind, who.user_id)
        return {"ok": True, "id": message["id"], "duplicate": not created}

    def on_typing(self, data=None, *_):
        if self._flooding():
            return self._refuse(error("busy"), "typing")
        user_id, room, failure = self._room(data)
        if failure:
            return self._refuse(failure, "typing")
        now, key = time.monotonic(), (user_id, room.id)
        if now - self._typing_at.get(key, 0.0) < 1.0:
            return None  # one "is writing" a second per person and room is plenty
        if len(self._typing_at) > 10_000:
            self._typing_at.clear()
        self._typing_at[key] = now
        emit("typing", {"room": room.id, "user": {"id": user_id, "name": current_user.display_name}},
             to=f"room:{room.id}", skip_sid=request.sid)

    def on_read(self, data=None, *_):
        if self._flooding():
            return self._refuse(error("busy"), "read")
        user_id, room, failure = self._room(data)
        if failure:
            return self._refuse(failure, "read")
        message_id = data.get("id")
        if not isinstance(message_id, int) or isinstance(message_id, bool) \
                or not 0 <= message_id < 2**62:
            return self._refuse(error("invalid"), "read")
        session = db.session
        marker = self.service.mark_read(session, room, user_id, message_id)
        session.commit()
        emit("unread", {"room": room.id, "count": self.service.unread_count(
            session, room.id, user_id, marker), "last_read_id": marker},
            to=f"user:{user_id}", namespace=self.namespace)

    def on_edit(self, data=None, *_):
        return self._change(data, "edit")

    def on_delete(self, data=None, *_):
        return self._change(data, "delete")

    def _change(self, data, action: str):
        if self._flooding():
            return error("busy")
        user_id = self._user_id()
        if user_id is None:
            return error("unauthorized")
        if not isinstance(data, dict):
            return error("invalid")
        service, session = self.service, db.session
        try:
            message = service.own_message(session, user_id, data.get("id"))
            room = service.readable_room(session, user_id, message.room_id)
            if room is None:
                raise service.ChatError("not_found")
            if message.hidden_at is not None:
                raise service.ChatError("hidden")  # kept for the audit and the appeal
            refusal = service.write_refusal_for(session, room, user_id)
            if action == "edit" and refusal:
                raise service.ChatError(refusal)  # muted, or a new charter to accept
            if action == "edit":
                service.edit_message(session, message, data.get("body"))
            else:
                service.delete_message(session, message)
            session.commit()
        except service.ChatError as exc:
            session.rollback()
            return error(exc.code)
        if action == "edit":  # a deletion is announced by realtime/hooks.py, whoever made it
            emit("message_edited", service.serialize(message, current_user.display_name),
                 to=f"room:{message.room_id}", namespace=self.namespace)
        return {"ok": True, "id": message.id}

    def on_moderate(self, data=None, *_):
        """A moderator's action from a socket (the same rules and reply as the JSON API)."""
        if self._flooding():
            return error("busy")
        if self._user_id() is None:
            return error("unauthorized")
        if self.moderate is None:
            return error("invalid")
        reply, _status = self.moderate(data)
        return reply

    # -- fan-out ---------------------------------------------------------------------------

    def rate_limited(self, user_id: int) -> int:
        """0 when this person may send one more message now (and count it), else the seconds
        to wait. The socket and the page's form share the counter."""
        limit = parse(current_app.config["CHAT_RATE_LIMIT"])
        if self.limiter().hit(limit, "chat", str(user_id)):
            return 0
        reset_at, _remaining = self.limiter().get_window_stats(limit, "chat", str(user_id))
        return max(1, math.ceil(reset_at - time.time()))

    def announce(self, session, room, message, author_name: str) -> None:
        """After the commit: the message to everyone in the room, the unread counts to people
        whose room is not open (room not open: direct and group rooms only)."""
        self.broadcast(self.service.serialize(message, author_name), room.id, room.kind,
                       message.author_id)

    def broadcast(self, payload: dict, room_id: int, kind: str, author_id: int) -> None:
        self.socketio.emit("message", payload, to=f"room:{room_id}", namespace=self.namespace)
        if kind != "network":
            self._push_unread(room_id, author_id)

    def _broadcast_presence(self, room_id: int, sid: str, online: bool) -> None:
        self._emit_presence(room_id, self.presence.socket(sid), online)

    def _emit_presence(self, room_id: int, socket: Socket | None, online: bool) -> None:
        if socket is None:
            return
        self.socketio.emit("presence", {"room": room_id, "online": online,
                                        "user": {"id": socket.user_id, "name": socket.name}},
                           to=f"room:{room_id}", namespace=self.namespace)

    def to_user(self, user_id: int, event: str, data: dict) -> None:
        self.socketio.emit(event, data, to=f"user:{user_id}", namespace=self.namespace)

    def _push_unread(self, room_id: int, author_id: int) -> None:
        """Direct and group rooms (at most 20 people): each other person's count, to all their
        sockets, so a conversation list or a header updates even where the room is not open.
        Network rooms are counted by the client from the `message` events of rooms it joined."""
        session = db.session
        room = session.get(Room, room_id)
        for user_id in self.service.people_ids(session, room):
            if user_id != author_id:
                self.socketio.emit("unread", {"room": room_id, "count": self.service.unread_count(
                    session, room_id, user_id)}, to=f"user:{user_id}", namespace=self.namespace)

    # -- called from HTTP views and model hooks (this process's sockets) ---------------------

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
                self._emit_presence(room_id, socket, online=False)
            server.emit("error", {"event": "removed", "room": room_id, "code": code,
                                  "message": text}, to=sid, namespace=self.namespace)

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
        self.socketio.emit(event, self.service.serialize(message), to=room,
                           namespace=self.namespace)

    def disconnect_user(self, user_id: int, login_id: str | None = None) -> None:
        """Close a person's sockets, in every process: those of one login session (logout), or
        all of them (password changed, account suspended or deleted)."""
        if self.control is None:
            return self._disconnect_here(user_id, login_id)
        self.control.send("disconnect", user_id=user_id, login_id=login_id)

    def _disconnect_here(self, user_id: int, login_id: str | None = None) -> None:
        for sid in self.presence.sids_of(user_id, login_id):
            self.socketio.server.disconnect(sid, namespace=self.namespace)
