"""What the header shows a member on every page: unread notifications, the "Messages" dot, the
moderation link. One query per request, made the first time a template asks (pages cached per
login session key on it: app/pagecache.py)."""
from __future__ import annotations

from functools import cache
from typing import NamedTuple

from flask import Flask, g
from flask_login import current_user
from sqlalchemy import Select, bindparam, select

from models import db


class Header(NamedTuple):
    unread_notifications: int = 0
    unread_messages: bool = False
    moderator: bool = False


@cache
def _statement() -> Select:
    """Built once (building it costs more than running it), run with the member's id."""
    # Imported here: app.pagecache (imported by views) needs this module, and these packages
    # load their views when imported.
    from app.chat.messages import unread_conversation
    from app.moderation.scope import animates_something
    from app.social.notify import unread
    user_id = bindparam("user_id")
    return select(unread(user_id), unread_conversation(user_id), animates_something(user_id))


def member_header() -> Header:
    """This request's header for the member logged in (nothing for a visitor)."""
    header = g.get("member_header")
    if header is None:
        if not current_user.is_authenticated:
            header = Header()
        else:
            count, chat, animator = db.session.execute(
                _statement(), {"user_id": current_user.id}).one()
            header = Header(count or 0, bool(chat), current_user.is_organiser or bool(animator))
        g.member_header = header
    return header


def init_app(app: Flask) -> None:
    @app.context_processor
    def _header():
        return {"unread_notifications": lambda: member_header().unread_notifications,
                "unread_messages": lambda: member_header().unread_messages,
                "is_moderator": lambda: member_header().moderator}
