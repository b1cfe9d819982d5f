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
from flask_babel import force_locale
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room, leave_room
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

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

    def trigger_event(self, event: str, *args):
        """An event the protocol does not have is answered `invalid`, not with an empty ack."""
        if event not in ("connect", "disconnect") and not hasattr(self, "on_" + event):
            return error("invalid")
        return super().trigger_event(event, *args)

    def handle_error(self, exc: Exception):
        """Any failure in a handler: rolled back, logged, and answered (ack and `error` event),
        never a silent drop. A handler whose socket closed meanwhile ends quietly: there is no
        one to answer."""
        db.session.rollback()
        if self.presence.socket(request.sid) is None:
            return None
        if isinstance(exc, PoolTimeout):
            # Every connection of the pool stayed taken for DATABASE_POOL_TIMEOUT: "busy", the
            # client sends again. Expected under saturation: no traceback, and no database
            # work for the answer (the member's language is the session's).
            lang = flask_session.get("lang")
            if lang not in current_app.config["LANGUAGES"]:
                lang = current_app.config["BABEL_DEFAULT_LOCALE"]
            with force_locale(lang):
                reply = error("busy")
            emit("error", {"event": None, **reply["error"]})
            return reply
        # A locked database: "busy", the client retries.
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
        # The socket belongs to its login session: ending that session closes it.
        login_id = current_user.login_session_id
        self.presence.connect(request.sid, Socket(current_user.id, current_user.display_name,
                                                  str(login_id) if login_id else None))
        join_room(f"user:{current_user.id}")

    def on_disconnect(self, reason=None, *_):
        socket, rooms = self.presence.disconnect(request.sid)
        for room_id in rooms:
            self.fanout.presence_changed(room_id, socket, online=False)

    def _after_seq(self, data: dict, room_id: int) -> int | None | dict:
        """Where a catch-up starts: `last_seq` (the highest `seq` the client has), or for older
        clients `last_id` (a message id, read as that message's `seq`); None for "the latest
        page". An error reply when either is not a non-negative integer."""
        for key in ("last_seq", "last_id"):
            value = data.get(key)
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**62:
                return error("invalid")
            value = min(value, ID_MAX)  # past any seq or id there can be: "nothing missed"
            return value if key == "last_seq" else self.service.seq_of(db.session, room_id, value)
        return None

    def _replay(self, room_id: int, after: int | None) -> dict:
        """A page of the room: what comes after `after` in the room's order (at most
        REPLAY_PAGE, `more` when there is more), or the latest messages."""
        service, session = self.service, db.session
        if after is None:
            return {"missed": [service.serialize(m, None) for m in service.history(session, room_id, None)],
                    "more": False}
        page = service.missed(session, room_id, after, self.service.replay_page + 1)
        more = len(page) > self.service.replay_page
        return {"missed": [service.serialize(m, None) for m in page[:self.service.replay_page]],
                "more": more}

    def _catch_up_refused(self) -> dict | None:
        """Before any database work (a rate limit may yield): the event limit, then the replay
        budget, priced in messages (a full page), not in calls."""
        socket = self.presence.socket(request.sid)
        if socket is None:
            return error("unauthorized")
        if limits.flooding(socket.user_id):
            return error("busy")
        wait = limits.replay_wait(socket.user_id, self.service.replay_page)
        return error("rate_limited", retry_after=wait) if wait else None

    def _catch_up_start(self, data, where: dict):
        """The checks `join` and `missed` share, cheapest first: (user id, room id, where the
        replay starts), or an error reply."""
        refused = self._catch_up_refused()
        if refused:
            return refused
        user_id = self._user_id()
        if user_id is None:
            return error("unauthorized")
        found = self.service.history_room(db.session, user_id, data.get("room"))
        if found is None:
            return error("not_found")
        room, participant = found
        after = self._after_seq(where, room.id)
        return after if isinstance(after, dict) else (user_id, room.id, after, participant)

    def on_join(self, data=None, *_):
        if not isinstance(data, dict) or data.get("room") is None:
            return error("invalid")
        start = self._catch_up_start(data, data)
        if isinstance(start, dict):
            return start
        user_id, room_id, after, participant = start
        if not participant:
            # Staff under an investigation access: the history only. Not subscribed to the
            # room's live messages (the access expires; a subscription would not), not shown
            # online, no read marker.
            return {"ok": True, "room": room_id, **self._replay(room_id, after), "online": [],
                    "last_read_id": 0, "unread": 0, "investigation": True}
        # The roster of who is online may be in Redis (several processes): no pooled
        # connection is held across its calls, which may yield under gevent.
        db.session.rollback()
        join_room(f"room:{room_id}")
        if self.presence.enter(request.sid, room_id):
            self.fanout.presence_changed(room_id, self.presence.socket(request.sid), online=True)
        online = self.presence.online(room_id)
        service, session = self.service, db.session
        read = service.last_read(session, room_id, user_id)
        return {"ok": True, "room": room_id, **self._replay(room_id, after), "online": online,
                "last_read_id": read, "unread": service.unread_count(session, room_id, user_id, read)}

    def on_missed(self, data=None, *_):
        """The next page of a catch-up: `{room, last_seq}` -> `{ok, room, missed, more}`."""
        if not isinstance(data, dict) or data.get("room") is None or data.get("last_seq") is None:
            return error("invalid")
        start = self._catch_up_start(data, {"last_seq": data.get("last_seq")})
        if isinstance(start, dict):
            return start
        _user_id, room_id, after, _participant = start
        return {"ok": True, "room": room_id, **self._replay(room_id, after)}

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
            return error("invalid")
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
        return {"ok": True, "id": sent.message["id"], "seq": sent.message["seq"],
                "duplicate": not sent.created}

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
