"""Orders for the sockets of every server process: take a person out of a room (removed, banned),
close a person's sockets (logout, password changed, suspended, account deleted).

With one process they are carried out at once. With several (SOCKETIO_MESSAGE_QUEUE set to a
Redis URL), a socket lives in one process only and each process knows only its own, so an order
is published on a Redis channel and every process carries it out for the sockets it holds. The
Socket.IO events themselves (messages, notifications, hidden messages) already reach every
process through Flask-SocketIO's message queue.
"""
from __future__ import annotations

import json
import logging

log = logging.getLogger(__name__)


class Control:
    def __init__(self, url: str | None, channel: str = "maillage"):
        self.url = url if url and url.startswith(("redis://", "rediss://", "unix://")) else None
        # One per deployment (SOCKETIO_CHANNEL): another deployment on the same Redis must not
        # carry out this one's orders.
        self.channel = f"{channel}:socket-orders"
        self._redis = None
        self._listening = False
        self._handlers = {}

    def on(self, kind: str, handler) -> None:
        """`handler(**payload)` carries an order out for this process's sockets."""
        self._handlers[kind] = handler

    def send(self, kind: str, **payload) -> None:
        if self.url is None:
            self._handlers[kind](**payload)
            return
        self._connection().publish(self.channel, json.dumps({"kind": kind, **payload}))

    def start(self, start_background_task, app) -> None:
        """Listen for orders (once per process, from its first socket: a listener started in
        a process that then forks would not survive in the children)."""
        if self.url is None or self._listening:
            return
        self._listening = True
        start_background_task(self._listen, app)

    def _connection(self):
        if self._redis is None:
            import redis
            self._redis = redis.Redis.from_url(self.url)
        return self._redis

    def _listen(self, app) -> None:
        import time
        while True:
            try:
                pubsub = self._connection().pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                for message in pubsub.listen():
                    with app.app_context():
                        self._apply(message.get("data"))
            except Exception:  # Redis restarted: listen again in a moment
                log.exception("socket orders: listening again in 1 s")
                time.sleep(1)

    def _apply(self, data) -> None:
        try:
            order = json.loads(data)
            handler = self._handlers[order.pop("kind")]
        except (TypeError, ValueError, KeyError):
            return
        try:
            handler(**order)
        except Exception:
            log.exception("socket order failed: %s", order)
