"""Gunicorn settings for Maillage (read by `gunicorn wsgi:app` from this directory).

One gevent worker per process: WebSockets through simple-websocket, thousands of sockets per
worker. Measured on this machine (bench/chat.py), a gevent worker keeps a 200-client room's p99
delivery in tens of milliseconds where Werkzeug's or gthread's threads fall seconds behind.
Several workers need Redis as the Socket.IO message queue and sticky sessions (README,
Production). Everything here can be overridden on the command line.
"""
import os

bind = f"{os.environ.get('MAILLAGE_HOST', '127.0.0.1')}:{os.environ.get('MAILLAGE_PORT', '5000')}"
workers = int(os.environ.get("MAILLAGE_WORKERS", "1"))
worker_class = "gevent"
worker_connections = 2000
control_socket_disable = True  # gunicorn 27 would otherwise write ~/.gunicorn/
graceful_timeout = 5  # open WebSockets are closed on restart; clients reconnect and catch up
keepalive = 5
accesslog = os.environ.get("MAILLAGE_ACCESS_LOG") or None


def post_worker_init(worker):
    """Each worker may run the e-mail sender in the background (a greenlet); one of them at a
    time sends, through a lease in the database (app/mail/worker.py, MAIL_SENDER_THREAD)."""
    from flask import Flask

    from app.mail.worker import start_in_server
    if isinstance(worker.wsgi, Flask):  # not for another app served with this file (bench/)
        start_in_server(worker.wsgi)
