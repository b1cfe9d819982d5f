"""The baseline of bench/chat.py: a bare python-socketio broadcast on the same server mode as
Maillage (gunicorn, one gevent worker, gunicorn.conf.py), with no database, no session and no
checks. `join` enters the room, `send` emits the message to the room and acks.

    MAILLAGE_PORT=5001 .venv/bin/gunicorn bench.raw_socketio:app
"""
import itertools

import socketio

sio = socketio.Server(async_mode="gevent", cors_allowed_origins=[])
_ids = itertools.count(1)


@sio.on("connect", namespace="/chat")
def connect(sid, environ, auth=None):
    return True


@sio.on("join", namespace="/chat")
def join(sid, data):
    sio.enter_room(sid, f"room:{data['room']}", namespace="/chat")
    return {"ok": True, "missed": []}


@sio.on("send", namespace="/chat")
def send(sid, data):
    message_id = next(_ids)
    sio.emit("message", {"id": message_id, "room": data["room"], "body": data["body"],
                         "client_id": data["client_id"]}, to=f"room:{data['room']}",
             namespace="/chat")
    return {"ok": True, "id": message_id}


app = socketio.WSGIApp(sio)
