"""The `/chat` Socket.IO namespace: the protocol of docs/realtime.md.

Transport only: who may read a room and how messages are stored is the chat service's business
(`app/chat/service.py`, handed in as `service`, so this package does not import the app). Every
handler that touches a room asks the service again; the socket's session is the one it had at
connect, and its user is reloaded (and checked) on every event.

Socket.IO rooms: `user:<id>` holds every socket of a person (their unread counts, their
notifications, their eviction); `room:<id>` holds the sockets that joined a chat room.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from contextlib import nullcontext

from flask import current_app, has_app_context, has_request_context, request
from flask import session as flask_session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room, leave_room
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from models import Membership, MemberStatus, Notification, Room, RoomMember, User, db

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
    }
    return texts.get(code, texts["invalid"])


def error(code: str, **extra) -> dict:
    return {"ok": False, "error": {"code": code, "message": error_text(code), **extra}}


def _some_locale():
    """The request's language in a request; the site's default outside one (a CLI command)."""
    if has_request_context():
        return nullcontext()
    return force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "fr"))


class Presence:
    """Who has which room open, in this process: sid -> user and rooms, room -> user -> sids."""

    def __init__(self):
        self._lock = threading.Lock()
        self.user_of: dict[str, tuple[int, str]] = {}
        self.rooms_of: dict[str, set[int]] = defaultdict(set)
        self.sids_in: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))

    def connect(self, sid: str, user_id: int, name: str) -> None:
        with self._lock:
            self.user_of[sid] = (user_id, name)

    def enter(self, sid: str, room_id: int) -> bool:
        """Returns whether the person just came online in the room."""
        with self._lock:
            user_id, _name = self.user_of[sid]
            self.rooms_of[sid].add(room_id)
            sids = self.sids_in[room_id][user_id]
            first = not sids
            sids.add(sid)
            return first

    def exit(self, sid: str, room_id: int) -> bool:
        """Returns whether the person just went offline in the room."""
        with self._lock:
            self.rooms_of[sid].discard(room_id)
            user = self.user_of.get(sid)
            if user is None or room_id not in self.sids_in:
                return False
            people = self.sids_in[room_id]
            sids = people.get(user[0], set())
            if sid not in sids:
                return False
            sids.discard(sid)
            if not sids:
                del people[user[0]]
                if not people:
                    del self.sids_in[room_id]
                return True
            return False

    def disconnect(self, sid: str) -> tuple[tuple[int, str] | None, list[int]]:
        """The socket's person and the rooms where they just went offline."""
        user = self.user_of.get(sid)
        rooms = list(self.rooms_of.get(sid, ()))
        left = [room_id for room_id in rooms if self.exit(sid, room_id)]
        with self._lock:
            self.rooms_of.pop(sid, None)
            self.user_of.pop(sid, None)
        return user, left

    def online(self, room_id: int) -> list[dict]:
        with self._lock:
            people = self.sids_in.get(room_id, {})
            names = {}
            for sids in people.values():
                for sid in sids:
                    user_id, name = self.user_of[sid]
                    names[user_id] = name
        return [{"id": uid, "name": name} for uid, name in sorted(names.items())]

    def sids_of(self, user_id: int, room_id: int | None = None) -> list[str]:
        with self._lock:
            if room_id is not None:
                return list(self.sids_in.get(room_id, {}).get(user_id, ()))
            return [sid for sid, (uid, _name) in self.user_of.items() if uid == user_id]


class ChatNamespace(Namespace):
    def __init__(self, namespace: str, service):
        super().__init__(namespace)
        self.service = service
        self.presence = Presence()
        self._limiter = None
        self._typing_at: dict[tuple[int, int], float] = {}

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

    # -- events ----------------------------------------------------------------------------

    def on_connect(self, auth=None):
        if not current_user.is_authenticated:
            raise ConnectionRefusedError({"code": "unauthorized", "message": error_text("unauthorized")})
        self.presence.connect(request.sid, current_user.id, current_user.display_name)
        join_room(f"user:{current_user.id}")

    def on_disconnect(self, reason=None):
        user, rooms = self.presence.disconnect(request.sid)
        for room_id in rooms:
            self._emit_presence(room_id, user, online=False)

    def on_join(self, data):
        user_id, room, failure = self._room(data)
        if failure:
            return failure
        last_id = data.get("last_id")
        if last_id is not None and (not isinstance(last_id, int) or isinstance(last_id, bool)
                                    or last_id < 0):
            return error("invalid")
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

    def on_leave(self, data):
        room_id = data.get("room") if isinstance(data, dict) else None
        if isinstance(room_id, int) and room_id in self.presence.rooms_of.get(request.sid, ()):
            leave_room(f"room:{room_id}")
            if self.presence.exit(request.sid, room_id):
                self._broadcast_presence(room_id, request.sid, online=False)
        return {"ok": True}

    def on_send(self, data):
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

    def on_typing(self, data):
        user_id, room, failure = self._room(data)
        if failure:
            return self._refuse(failure, "typing")
        emit("typing", {"room": room.id, "user": {"id": user_id, "name": current_user.display_name}},
             to=f"room:{room.id}", skip_sid=request.sid)

    def on_read(self, data):
        user_id, room, failure = self._room(data)
        if failure:
            return self._refuse(failure, "read")
        message_id = data.get("id")
        if not isinstance(message_id, int) or isinstance(message_id, bool) or message_id < 0:
            return self._refuse(error("invalid"), "read")
        session = db.session
        marker = self.service.mark_read(session, room, user_id, message_id)
        session.commit()
        emit("unread", {"room": room.id, "count": self.service.unread_count(
            session, room.id, user_id, marker), "last_read_id": marker},
            to=f"user:{user_id}", namespace=self.namespace)

    def on_edit(self, data):
        return self._change(data, "edit")

    def on_delete(self, data):
        return self._change(data, "delete")

    def _change(self, data, action: str):
        user_id = self._user_id()
        if user_id is None:
            return error("unauthorized")
        if not isinstance(data, dict):
            return error("invalid")
        service, session = self.service, db.session
        try:
            message = service.own_message(session, user_id, data.get("id"))
            if service.readable_room(session, user_id, message.room_id) is None:
                raise service.ChatError("not_found")
            if action == "edit":
                service.edit_message(session, message, data.get("body"))
            else:
                service.delete_message(session, message)
            session.commit()
        except service.ChatError as exc:
            session.rollback()
            return error(exc.code)
        payload = service.serialize(message, current_user.display_name)
        event = "message_edited" if action == "edit" else "message_deleted"
        emit(event, payload, to=f"room:{message.room_id}", namespace=self.namespace)
        return {"ok": True, "id": message.id}

    # -- fan-out ---------------------------------------------------------------------------

    def rate_limited(self, user_id: int) -> int:
        """0 when this person may send one more message now (and count it), else the seconds
        of the window to wait. The socket and the page's form share the counter."""
        limit = parse(current_app.config["CHAT_RATE_LIMIT"])
        return 0 if self.limiter().hit(limit, "chat", str(user_id)) else limit.get_expiry()

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
        self._emit_presence(room_id, self.presence.user_of.get(sid), online)

    def _emit_presence(self, room_id: int, user: tuple[int, str] | None, online: bool) -> None:
        if user is None:
            return
        self.socketio.emit("presence", {"room": room_id, "user": {"id": user[0], "name": user[1]},
                                        "online": online}, to=f"room:{room_id}",
                           namespace=self.namespace)

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
        """Take a person's sockets out of a room now (removed, banned, left)."""
        server = self.socketio.server
        with _some_locale():
            text = error_text(code)
        for sid in self._sids_of_user(user_id):
            server.leave_room(sid, f"room:{room_id}", namespace=self.namespace)
            user = self.presence.user_of.get(sid)
            if self.presence.exit(sid, room_id):
                self._emit_presence(room_id, user, online=False)
            server.emit("error", {"event": "removed", "room": room_id, "code": code,
                                  "message": text}, to=sid, namespace=self.namespace)

    def disconnect_user(self, user_id: int) -> None:
        """Close every socket of a person (logout, suspension, deleted account)."""
        for sid in self._sids_of_user(user_id):
            self.socketio.server.disconnect(sid, namespace=self.namespace)

    def _sids_of_user(self, user_id: int) -> list[str]:
        manager = self.socketio.server.manager
        return [sid for sid, _eio in manager.get_participants(self.namespace, f"user:{user_id}")]



# -- model hooks: whoever leaves a room by any code path stops receiving it at commit --------

EVICTIONS = "chat_evictions"


def current_chat() -> ChatNamespace | None:
    return current_app.extensions.get("maillage.chat") if has_app_context() else None


def _was_active(membership: Membership) -> bool:
    history = inspect(membership).attrs.status.history
    before = history.deleted[0] if history.deleted else membership.status
    return before == MemberStatus.ACTIVE.value


@event.listens_for(Session, "after_flush")
def _collect_evictions(session: Session, _context) -> None:
    found = session.info.setdefault(EVICTIONS, set())
    for obj in session.new:
        if isinstance(obj, Notification):
            found.add(("notify", obj.user_id, obj.user_id))
    for obj in session.deleted:
        if isinstance(obj, Membership) and _was_active(obj):
            found.add(("network", obj.network_id, obj.user_id))
        elif isinstance(obj, RoomMember):
            found.add(("room", obj.room_id, obj.user_id))
        elif isinstance(obj, User):
            found.add(("user", obj.id, obj.id))
    for obj in session.dirty:
        if isinstance(obj, Membership) and obj.status != MemberStatus.ACTIVE.value \
                and _was_active(obj):
            found.add(("network", obj.network_id, obj.user_id))
        elif isinstance(obj, RoomMember) and obj.left_at is not None \
                and inspect(obj).attrs.left_at.history.has_changes():
            found.add(("room", obj.room_id, obj.user_id))
        elif isinstance(obj, User) and inspect(obj).attrs.session_token.history.has_changes():
            found.add(("user", obj.id, obj.id))  # signed out everywhere (password changed)
    if not found:
        session.info.pop(EVICTIONS, None)


@event.listens_for(Session, "after_rollback")
def _drop_evictions(session: Session) -> None:
    session.info.pop(EVICTIONS, None)


@event.listens_for(Session, "after_commit")
def _apply_evictions(session: Session) -> None:
    found = session.info.pop(EVICTIONS, None)
    chat = current_chat() if found else None
    if chat is None:
        return
    with Session(bind=session.get_bind()) as reader:
        for kind, target, user_id in sorted(found):
            if kind == "user":
                chat.disconnect_user(user_id)
                continue
            if kind == "notify":
                chat.socketio.emit("notifications", {"count": reader.scalar(
                    select(func.count()).select_from(Notification).where(
                        Notification.user_id == user_id, Notification.read_at.is_(None)))},
                    to=f"user:{user_id}", namespace=chat.namespace)
                continue
            if kind == "network":
                target = reader.scalar(select(Room.id).where(Room.network_id == target))
            if target is not None:
                chat.evict(user_id, target)
