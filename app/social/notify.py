"""Creating notifications, and finding @mentions in a text. Plain functions over a session."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import BindParameter, ScalarSelect, func, or_, select
from sqlalchemy.orm import Session

from app.mailprefs.instant import mail_at_once
from models import Block, Notification, NotificationKind
from models.textkey import fold

_MENTION = re.compile(r"@(?=\w)")


def blocked_between(session: Session, user_id: int) -> set[int]:
    """Everyone this user blocked or was blocked by."""
    rows = session.execute(select(Block.blocker_id, Block.blocked_id).where(
        or_(Block.blocker_id == user_id, Block.blocked_id == user_id)))
    return {b if a == user_id else a for a, b in rows}


def notify(session: Session, user_ids: Iterable[int], kind: NotificationKind,
           actor_id: int | None, *, network_id: int | None = None, post_id: int | None = None,
           comment_id: int | None = None, event_id: int | None = None, detail: str = "",
           across_blocks: bool = False, until: datetime | None = None) -> int:
    """One notification per recipient, never to the actor, never across a block (but for
    moderation: `across_blocks`); and, in the same transaction, a mail to those who want this
    kind by mail at once (app/mailprefs/instant.py: one query for their choices and addresses).
    `until`: when what it tells ends (a mute)."""
    recipients = set(user_ids) - {actor_id}
    if actor_id is not None and recipients and not across_blocks:
        recipients -= blocked_between(session, actor_id)
    made = [Notification(user_id=user_id, kind=kind, actor_id=actor_id, network_id=network_id,
                         post_id=post_id, comment_id=comment_id, event_id=event_id,
                         detail=detail[:500],
                         until=until)
            for user_id in sorted(recipients)]
    session.add_all(made)
    mail_at_once(session, made)
    return len(recipients)


def unread(user_id: int | BindParameter[int]) -> ScalarSelect[int]:
    """How many of this person's notifications are unread."""
    return select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).scalar_subquery()


def find_mentions(text: str, people: Iterable[tuple[int, str]]) -> set[int]:
    """Ids of the people whose display name follows an "@" in the text, accents and case aside:
    "@Camille Fabre", "@camille fabre," and "@Élodie" all count. Names have spaces, so at each
    "@" the longest matching name wins ("@Anne Marie" is Anne Marie, not Anne)."""
    if "@" not in text:
        return set()
    by_name: list[tuple[str, int]] = sorted(
        ((fold(name), user_id) for user_id, name in people if fold(name)),
        key=lambda pair: -len(pair[0]))
    found = set()
    for match in _MENTION.finditer(text):
        rest = fold(text[match.end(): match.end() + 100])
        for name, user_id in by_name:
            if rest.startswith(name) and (len(rest) == len(name) or not rest[len(name)].isalnum()):
                found.add(user_id)
                break
    return found
