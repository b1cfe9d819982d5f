"""The `/chat` Socket.IO namespace's event handlers: the protocol of docs/realtime.md.

Transport only: who may read a room and how messages are stored is the app's chat package's
business, handed in as a `ChatService` (realtime/service.py), so this package does not import
the app. Every handler that touches a room asks it again; the socket's session is the one it had
at connect, and its user is reloaded (and checked) on every event. What reaches other sockets
goes through the `FanOut` (realtime/fanout.py); error codes and texts are realtime/protocol.py's.
"""
from __future__ import annotations

import time

from flask import current_app, request
from flask import session as flask_session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room, leave_room
from sqlalchemy.exc import OperationalError

from models import db
from models.types import ID_MAX
from realtime import limits
from realtime.fanout import FanOut
from realtime.presence import Socket
from realtime.protocol import ChatError, error, error_text
from realtime.service import ChatService


class ChatNamespace(Namespace):
    def __init__(self, namespace: str, service: ChatService, fanout: FanOut, moderate=None):
        super().__init__(namespace)
        self.service = service
        self.fanout = fanout
        self.presence = fanout.presence
        self.moderate = moderate  # (data) -> (reply, status): app/api/moderation.py's `act`
        self._typing_at: dict[tuple[int, int], float] = {}  # (user, room) -> last broadcast

    # -- helpers ---------------------------------------------------------------------------

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
        """Every event but `send` (which has its own limit) counts against the event limit."""
        socket = self.presence.socket(request.sid)
        return socket is not None and limits.flooding(socket.user_id)

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

    def on_connect(self, auth=None, *_):
        self.fanout.listen(current_app._get_current_object())
        if not current_user.is_authenticated:
            raise ConnectionRefusedError({"code": "unauthorized", "message": error_text("unauthorized")})
        self.presence.connect(request.sid, Socket(current_user.id, current_user.display_name,
                                                  flask_session.get("login_id")))
        join_room(f"user:{current_user.id}")

    def on_disconnect(self, reason=None, *_):
        socket, rooms = self.presence.disconnect(request.sid)
        for room_id in rooms:
            self.fanout.presence_changed(room_id, socket, online=False)

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
            self.fanout.presence_changed(room.id, self.presence.socket(request.sid), online=True)
        service, session = self.service, db.session
        messages = (service.history(session, room.id, None) if last_id is None
                    else service.missed(session, room.id, last_id))
        read = service.last_read(session, room.id, user_id)
        return {"ok": True, "room": room.id,
                "missed": [service.serialize(m, None) for m in messages],
                "online": self.presence.online(room.id), "last_read_id": read,
                "unread": service.unread_count(session, room.id, user_id, read)}

    def on_leave(self, data=None, *_):
        room_id = data.get("room") if isinstance(data, dict) else None
        if isinstance(room_id, int) and self.presence.joined(request.sid, room_id):
            leave_room(f"room:{room_id}")
            socket = self.presence.socket(request.sid)
            if self.presence.exit(request.sid, room_id):
                self.fanout.presence_changed(room_id, socket, online=False)
        return {"ok": True}

    def on_send(self, data=None, *_):
        """The hot path (bench/chat.py): the checks in one query, the resend check, the rate
        limit, one INSERT ... RETURNING (all in the service's `send`), the commit, the emit."""
        if not isinstance(data, dict):
            return error("not_found")
        session = db.session
        # The socket's Flask-Login id ("<id>:<token>") is checked in `send`'s one query rather
        # than by loading current_user: one query fewer on every message.
        sent = self.service.send(session, flask_session.get("_user_id"), data.get("room"),
                                 data.get("body"), data.get("client_id"), limits.send_wait)
        if sent.error:
            session.rollback()
            return error(sent.error, **({"retry_after": sent.retry_after} if sent.retry_after
                                        else {}))
        session.commit()  # right after the INSERT: nothing in between may yield (README)
        if sent.created:
            self.fanout.broadcast(sent.message, sent.room_kind)
        return {"ok": True, "id": sent.message["id"], "duplicate": not sent.created}

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
            if action == "edit":
                message = service.edit(session, user_id, data.get("id"), data.get("body"))
            else:
                message = service.delete(session, user_id, data.get("id"))
            session.commit()
        except ChatError as exc:
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
