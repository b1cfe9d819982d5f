"""JSON for chat rooms: the conversation list and a room's history (keyset pagination).
Room ids here are the ones the `/chat` socket namespace takes (docs/realtime.md)."""
from __future__ import annotations

from flask import abort, url_for
from flask_login import current_user

from app.api import schemas
from app.api.blueprint import bp
from app.api.contract import contract
from app.api.paging import cursor_arg, next_cursor
from app.args import int_arg
from app.chat.messages import HISTORY_PAGE, history, serialize
from app.chat.rooms import room_for_history, room_summaries
from models import db
from models.types import ID_MAX


def _member_or_401():
    if not current_user.is_authenticated:
        abort(401)
    return current_user.id


@bp.route("/rooms")
@contract(response=schemas.Rooms, summary="My conversations", login="member", tags=("chat",))
def rooms():
    user_id = _member_or_401()
    rows = room_summaries(db.session, user_id)
    db.session.commit()
    return {"total": len(rows), "items": [
        {**row, "last_at": row["last_at"].isoformat() if row["last_at"] else None,
         "url": url_for("chat.room", room_id=row["id"], _external=True)} for row in rows],
        "next": None}


@bp.route("/rooms/<id:room_id>/messages")
@contract(response=schemas.Messages, summary="A room's history", query={"before": int, "limit": int},
          login="member", tags=("chat",))
def room_messages(room_id: int):
    """`?before=<seq>` the oldest `seq` already shown; `?limit=` 1-100 (default 50). Oldest
    first; `next_before` is the value for the page before, null at the start of the room."""
    user_id = _member_or_401()
    # Its participants, or staff under an investigation access (README, Security); anyone else,
    # staff included, gets the 404 of a room that does not exist.
    found = room_for_history(db.session, user_id, room_id)
    if found is None:
        abort(404)
    room, _participant = found
    before = cursor_arg("before") or int_arg("before", 0, 0, ID_MAX)
    limit = int_arg("limit", HISTORY_PAGE, 1, 100)
    messages = history(db.session, room.id, before or None, limit)
    next_before = messages[0].seq if len(messages) == limit else None
    return {"room": room.id, "items": [serialize(m) for m in messages],
            "next_before": next_before, "next": next_cursor("before", next_before)}
