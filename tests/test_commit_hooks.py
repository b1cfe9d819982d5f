"""The commit-hook registry (models/commit_hooks.py): what a commit triggers is listed in one
place, in order, and what each hook collected is applied at the outermost COMMIT only (just
before it, in its transaction, for the PostgreSQL search engine; after it for the others); a
rolled-back SAVEPOINT or transaction drops it. Checked on the real effects: the search index
(each engine: the `search_backend` fixture), the content version that page caches key on, the
live notification count on a real socket, and the audit guard. Runs on SQLite and on PostgreSQL
(`make test` runs both)."""
from __future__ import annotations

import contextvars
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import AuditEntry, Notification, User, commit_hooks, current_content_version, db
from models.moderation import AuditLogIsAppendOnly
from realtime import socketio
from tests.helpers.apps import base_config, login_as

ROOT = Path(__file__).resolve().parent.parent
WORD = "xylophoniste"


@pytest.fixture
def app_config(db_path, search_backend) -> dict:
    return {**base_config(db_path), "SEARCH_BACKEND": search_backend}


def test_every_hook_is_registered_once_in_order_and_documented(app):
    names = [hook.name for hook in commit_hooks.registered()]
    assert names == ["audit_guard", "content_version", "personal_version", "search",
                     "realtime", "images"]
    doc = (ROOT / "docs" / "architecture.md").read_text()
    table = re.search(r"<!-- commit-hooks -->(.*?)<!-- /commit-hooks -->", doc, re.S).group(1)
    documented = re.findall(r"^\| \d+ \| `([a-z_]+)` \|", table, re.M)
    assert documented == names, "docs/architecture.md's table of commit hooks is out of date"


def _socket(app, user):
    """A real Socket.IO test client logged in as `user`, in its own context (the test holds an
    app context whose cached user must not leak into the socket's)."""
    client = app.test_client()
    login_as(client, user)
    return contextvars.Context().run(socketio.test_client, app, namespace="/chat",
                                     flask_test_client=client)


def _notification_counts(sock) -> list[int]:
    received = contextvars.Context().run(sock.get_received, "/chat")
    return [event["args"][0]["count"] if isinstance(event["args"], list) else
            event["args"]["count"] for event in received if event["name"] == "notifications"]


def _found(app, word: str) -> list[str]:
    """Search results, asked without ending the test's own transaction (as the isolated test
    client does after each request)."""
    client = FlaskClient(app, response_wrapper=app.response_class)
    response = contextvars.Context().run(client.get, "/api/v1/search", query_string={"q": word})
    data = response.get_json()
    return [result["title"] for result in data["results"]]


def _touch_everything(user: User, admin: User) -> None:
    """One change for each hook: a shown profile field (search, content version), a
    notification (realtime) and an audit entry (the audit guard's permission)."""
    user.profile.headline = f"Luthière et {WORD}"
    db.session.add(Notification(user_id=user.id, kind="mention", detail="Bonjour"))
    db.session.add(AuditEntry(actor_id=admin.id, action="warn", target_kind="profile",
                              target_id=user.profile.id, reason="test"))
    db.session.flush()
    assert set(commit_hooks.pending(db.session)) == {"audit_guard", "content_version",
                                                      "search", "realtime"}


def _moderated_change_without_audit(user: User) -> None:
    user.role = "organiser"
    db.session.flush()


@pytest.fixture
def people(make_user):
    return make_user(display_name="Lou Test"), make_user(display_name="Ada Admin", role="admin")


@pytest.mark.parametrize("ending", ["savepoint", "transaction"])
def test_a_rollback_drops_what_every_hook_collected(app, people, ending):
    user, admin = people
    sock = _socket(app, user)
    _notification_counts(sock)  # what connecting sent
    version = current_content_version(db.session)

    if ending == "savepoint":
        savepoint = db.session.begin_nested()
        _touch_everything(user, admin)
        savepoint.rollback()
        # The audit entry went with the SAVEPOINT: so did the permission it gave.
        with pytest.raises(AuditLogIsAppendOnly):
            _moderated_change_without_audit(user)
    else:
        _touch_everything(user, admin)
    db.session.rollback()
    assert commit_hooks.pending(db.session) == {}
    db.session.commit()  # an empty commit after the rollback applies nothing

    assert _found(app, WORD) == []
    assert current_content_version(db.session) == version
    assert _notification_counts(sock) == []
    assert db.session.scalar(select(AuditEntry.id)) is None
    with pytest.raises(AuditLogIsAppendOnly):
        _moderated_change_without_audit(db.session.get(User, user.id))
    db.session.rollback()


def test_a_released_savepoint_is_applied_at_the_outer_commit_only(app, people):
    """The same changes, kept: nothing happens at the SAVEPOINT's release, everything at the
    commit (so the test above can fail)."""
    user, admin = people
    sock = _socket(app, user)
    _notification_counts(sock)
    version = current_content_version(db.session)

    savepoint = db.session.begin_nested()
    _touch_everything(user, admin)
    savepoint.commit()
    _moderated_change_without_audit(user)  # allowed: the released SAVEPOINT wrote the entry
    assert _found(app, WORD) == [] and _notification_counts(sock) == []
    db.session.commit()

    assert _found(app, WORD) == ["Lou Test"]
    assert current_content_version(db.session) == version + 1
    assert _notification_counts(sock) == [1]
    assert commit_hooks.pending(db.session) == {}
