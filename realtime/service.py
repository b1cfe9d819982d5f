"""What the `/chat` namespace needs from the app's chat package, as a typed interface.

This package must not import the app (dependencies point app -> realtime -> models), so the app
hands these functions in (`app/__init__.py`, from `app/chat/`). Every function takes the
caller's session and does not commit: the socket handlers commit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from models import Message, Room


class SendResult(Protocol):
    """What `send` did: `error` a protocol code (nothing stored), or `message` the stored
    message as the protocol sends it, `created` False for a resend of a stored one."""

    @property
    def message(self) -> dict | None: ...

    @property
    def created(self) -> bool: ...

    @property
    def room_kind(self) -> str | None: ...

    @property
    def error(self) -> str | None: ...

    @property
    def retry_after(self) -> int: ...


@dataclass(frozen=True)
class ChatService:
    """The chat functions the handlers and the fan-out call (those that refuse raise
    `realtime.protocol.ChatError`)."""

    # (session, user id, room id as received) -> the room if this user may read it, else None
    readable_room: Callable[[Session, int, object], Room | None]
    # (session, user id, room id as received) -> (room, True) for a participant, (room, False)
    # for staff reading under an investigation access (history only: no live messages, no
    # presence, no read marker), None otherwise; what `join` and `missed` ask
    history_room: Callable[[Session, int, object], tuple[Room, bool] | None]
    # (session, room id, before seq or None) -> a page of history, oldest first
    history: Callable[[Session, int, int | None], list[Message]]
    # (session, room id, after seq, at most) -> what a reconnecting client missed, in the
    # room's commit order
    missed: Callable[[Session, int, int, int], list[Message]]
    # (session, room id, message id) -> the seq a client holding that message has seen up to
    seq_of: Callable[[Session, int, int], int]
    # (session, room id, user id) -> the read marker
    last_read: Callable[[Session, int, int], int]
    # (session, room id, user id, after this id or None for the read marker) -> unread count
    unread_count: Callable[[Session, int, int, int | None], int]
    # (session, room, user id, message id) -> the read marker, moved forward only
    mark_read: Callable[[Session, Room, int, int], int]
    # (message, author name or None to load it) -> the message as the protocol sends it
    serialize: Callable[[Message, str | None], dict]
    # (session, room) -> who reads the room now
    people_ids: Callable[[Session, Room], list[int]]
    # (session, Flask-Login id "<id>:<token>", room id, body, client id, rate limit) -> result;
    # the rate limit, (user id) -> seconds to wait or 0, is asked after the resend check and
    # before the INSERT, and nothing after the INSERT may yield before the caller commits
    send: Callable[[Session, str | None, object, object, object, Callable[[int], int]], SendResult]
    # (session, user id, message id, new body) -> the author's message, rewritten
    edit: Callable[[Session, int, object, object], Message]
    # (session, user id, message id) -> the author's message, deleted
    delete: Callable[[Session, int, object], Message]
    # messages one `join` or `missed` replays at most
    replay_page: int = 100
