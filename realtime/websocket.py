"""Whole WebSocket frames for every reader, slow ones included.

simple-websocket (1.1.0, the latest) writes each frame with one `socket.send`. A send may write
only part of its buffer: under gevent it does as soon as the kernel's buffer for a slow reader
(a phone on a weak signal, a paused tab) is full, and the rest of the frame is never written;
the next frame is spliced onto the cut one, the reader sees garbage and disconnects, and what
follows never arrives live. `WholeFrames` hands the WebSocket layer a socket whose `send` writes
everything (`sendall`), one writer at a time (Engine.IO's writer and simple-websocket's own
thread, answering pings and closes, may both write). The fix belongs upstream; this wraps the
socket from the WSGI environment rather than patching the library.
"""
from __future__ import annotations

import threading


class SendAllSocket:
    """A socket whose `send` returns only once every byte is written. Everything else is the
    wrapped socket's."""

    def __init__(self, sock) -> None:
        self._sock = sock
        self._writing = threading.Lock()  # gevent's own lock once the worker patched threading

    def send(self, data, *flags) -> int:
        with self._writing:
            # One plain send writes the whole frame almost always; sendall only for the rest
            # (gevent's sendall asks the kernel for the buffer size first: a system call more
            # per frame, per reader, was a quarter of the chat's time at saturation).
            sent = self._sock.send(data, *flags)
            if sent < len(data):
                self._sock.sendall(memoryview(data)[sent:], *flags)
        return len(data)

    def sendall(self, data, *flags) -> None:
        with self._writing:
            self._sock.sendall(data, *flags)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class WholeFrames:
    """WSGI middleware, outermost: a WebSocket upgrade's socket (gunicorn's or Werkzeug's) is
    wrapped before Engine.IO's WebSocket layer takes it."""

    KEYS = ("gunicorn.socket", "werkzeug.socket")

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("HTTP_UPGRADE", "").lower() == "websocket":
            for key in self.KEYS:
                sock = environ.get(key)
                if sock is not None and not isinstance(sock, SendAllSocket):
                    environ[key] = SendAllSocket(sock)
        return self.wsgi_app(environ, start_response)
