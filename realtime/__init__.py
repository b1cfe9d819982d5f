"""Real-time layer: the Flask-SocketIO server object.

The chat namespace arrives with the chat issue; the server already runs with WebSocket support
(`socketio.run` in `make run`, a threaded gunicorn worker in production), so nothing about the
server changes then.
"""
from __future__ import annotations

from flask import Flask
from flask_socketio import SocketIO


class _SocketIO(SocketIO):
    def init_app(self, app: Flask, **kwargs):
        kwargs.setdefault("message_queue", app.config.get("SOCKETIO_MESSAGE_QUEUE"))
        kwargs.setdefault("cors_allowed_origins", app.config.get("SOCKETIO_CORS_ALLOWED_ORIGINS"))
        kwargs.setdefault("async_mode", "threading")
        return super().init_app(app, **kwargs)


socketio = _SocketIO()
