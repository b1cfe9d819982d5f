"""What the header shows a member on every page: unread notifications, the "Messages" dot, the
moderation link. One query per request, made the first time a template asks (pages cached per
login session key on it: app/pagecache.py); for those pages, which read it before their view
runs, it is read in the account's own statement instead (app/auth/sessions.py: `load`)."""
from __future__ import annotations

from functools import cache
from typing import NamedTuple

from flask import Flask, current_app, g, request
from flask_login import current_user
from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, select

from models import db


class Header(NamedTuple):
    unread_notifications: int = 0
    unread_messages: bool = False
    moderator: bool = False


def columns(user_id: BindParameter[int]) -> tuple[ColumnElement, ...]:
    """The header's three values as columns of a statement run with the member's id."""
    # Imported here: app.pagecache (imported by views) needs this module, and these packages
    # load their views when imported.
    from app.chat.messages import unread_conversation
    from app.moderation.scope import animates_something
    from app.social.notify import unread
    return unread(user_id), unread_conversation(user_id), animates_something(user_id)


@cache
def _statement() -> Select:
    """Built once (building it costs more than running it), run with the member's id."""
    return select(*columns(bindparam("user_id")))


def read_before_view() -> bool:
    """Whether this request's page reads the header before its view runs (a page kept per
    login session keys on it: app/pagecache.py, `member_page`), so that the account's statement
    may read it too: what the view then changes cannot have been read earlier than before."""
    return request.method == "GET" and getattr(
        current_app.view_functions.get(request.endpoint), "reads_header_first", False)


def keep(user, count: int | None, chat, animator) -> None:
    """This request's header, from the values `columns` read."""
    g.member_header = Header(count or 0, bool(chat), user.is_organiser or bool(animator))


def member_header() -> Header:
    """This request's header for the member logged in (nothing for a visitor)."""
    if "member_header" not in g:
        if current_user.is_authenticated:
            keep(current_user, *db.session.execute(
                _statement(), {"user_id": current_user.id}).one())
        else:
            g.member_header = Header()
    return g.member_header


def init_app(app: Flask) -> None:
    @app.context_processor
    def _header():
        return {"unread_notifications": lambda: member_header().unread_notifications,
                "unread_messages": lambda: member_header().unread_messages,
                "is_moderator": lambda: member_header().moderator}
