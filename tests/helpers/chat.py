"""Flask-SocketIO test clients for the /chat namespace, each call in its own context, and the
events they received."""
from __future__ import annotations

import contextvars

from models import db
from realtime import socketio
from tests.helpers.apps import login_as


class IsolatedSocket:
    """Flask-SocketIO's test client, each call in its own context (as IsolatedClient does for
    HTTP): otherwise every socket shares the test's app context, and so Flask-Login's cached
    user."""

    def __init__(self, app, flask_client):
        self.inner = contextvars.Context().run(
            socketio.test_client, app, namespace="/chat", flask_test_client=flask_client)

    def __getattr__(self, name):
        method = getattr(self.inner, name)

        def isolated(*args, **kwargs):
            result = contextvars.Context().run(method, *args, **kwargs)
            db.session.rollback()
            return result
        return isolated


def sock(app, user=None):
    client = app.test_client()
    if user is not None:
        login_as(client, user)
    return IsolatedSocket(app, client)


def events(client, name):
    out = []
    for e in client.get_received("/chat"):
        if e["name"] == name:  # the test client gives one argument as itself, several as a list
            out.append(e["args"][0] if isinstance(e["args"], list) else e["args"])
    return out
