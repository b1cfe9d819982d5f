"""The `/chat` socket namespace bound to the app: the chat functions it calls, handed to
realtime/ as a typed `ChatService` (realtime/ does not import the app); its fan-out, which is
`app.extensions["maillage.chat"]` for the pages and the commit hooks; and the orders it takes
from the other server processes."""
from __future__ import annotations

from flask import Flask

from app.api.moderation import act
from app.chat import messages, rooms, sending
from realtime import socketio
from realtime.chat import ChatNamespace
from realtime.control import Control
from realtime.fanout import FanOut
from realtime.presence import Presence
from realtime.protocol import NAMESPACE
from realtime.roster import Roster
from realtime.service import ChatService

SERVICE = ChatService(
    readable_room=rooms.readable_room, history_room=rooms.room_for_history,
    people_ids=rooms.people_ids,
    history=messages.history, missed=messages.missed, seq_of=messages.seq_of,
    last_read=messages.last_read,
    unread_count=messages.unread_count, mark_read=messages.mark_read,
    serialize=messages.serialize,
    send=sending.send_message, edit=sending.edit_own, delete=sending.delete_own,
    replay_page=messages.REPLAY_PAGE)


def init_app(app: Flask) -> None:
    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE") or ""
    roster = None
    if queue.startswith(("redis://", "rediss://", "unix://")):
        # Several processes: who is online is shared, and expires with a dead process.
        roster = Roster(queue, app.config["SOCKETIO_CHANNEL"], app.config["CHAT_PRESENCE_TTL"])
    fanout = FanOut(socketio, NAMESPACE, SERVICE, Presence(roster))
    fanout.use_control(Control(app.config.get("SOCKETIO_MESSAGE_QUEUE"),
                               app.config["SOCKETIO_CHANNEL"]))
    namespace = ChatNamespace(NAMESPACE, SERVICE, fanout, moderate=act)
    socketio.on_namespace(namespace)
    socketio.on_error(NAMESPACE)(namespace.handle_error)
    app.extensions["maillage.chat"] = fanout
