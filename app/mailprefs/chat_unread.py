"""Unread direct and group messages by mail: a member whose mode for "direct and group messages"
is "at once" gets one mail per conversation once a message from someone else has stayed unread
CHAT_UNREAD_MAIL_DELAY seconds (30 minutes), then no other mail for that conversation until
they come back, i.e. until their read marker reaches the newest message that mail spoke of.

- Which conversations: direct and group rooms they are still in. Not network rooms: a network's
  room is everyone's chat, and a mail per unread message there would be noise (new posts in
  a network are the digest's job).
- Which messages count: from someone else, not deleted, not hidden by a moderator, from an
  account not suspended, nobody they blocked or who blocked them, written less than
  CHAT_UNREAD_MAIL_MAX_AGE ago (7 days: the first run after an upgrade does not mail about
  last month's conversations).
- Who: a verified address, an account not suspended (`mailable`), the mode "at once" for
  `MailKind.MESSAGES` (a digest mode counts them in the digest; "in the app only", nothing).
  The mail goes to that participant only; staff see its address, never its text (app/admin/).
- Once: `room_member.mailed_through_id` holds the newest message the mail spoke of. A mail is
  queued only if a conditional UPDATE of that row (still "came back" since the last mail, still
  unread) changed it, in the mail's own transaction: two runs at once (two processes) queue one
  mail, the second finding the row taken once the first commits (PostgreSQL re-reads the locked
  row; SQLite has one writer).

`mail_unread_chats` is the job: `flask mail chat-unread` runs it once; the mail loop
(app/mail/worker.py) every CHAT_UNREAD_MAIL_EVERY seconds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from app.mail import queue_mail
from app.mail.compose import absolute_url
from app.mailprefs.links import unsubscribe_context
from app.text import excerpt
from models import (
    DEFAULT_MODES,
    Block,
    MailKind,
    MailMode,
    MailPreference,
    Message,
    Room,
    RoomKind,
    RoomMember,
    User,
)
from models.types import utcnow

MAIL_KIND = "chat_unread"  # the outbox rows' kind (the admin's pages hide their text)
BATCH = 200  # conversations whose names and texts are loaded together
EXCERPT = 200  # characters of the latest message quoted
AUTHORS_SHOWN = 3


@dataclass
class Due:
    """A conversation with unread messages for one member, as the candidates query found it."""
    room_id: int
    user_id: int
    unread: int = 0
    newest_id: int = 0  # the newest counted message: the mail speaks up to it
    oldest_at: datetime | None = None
    authors: list[tuple[int, int]] = field(default_factory=list)  # (newest id, author id)


@dataclass
class UnreadReport:
    due: int = 0  # conversations unread long enough
    queued: int = 0
    already: int = 0  # mailed by another run at the same time, or read meanwhile


def _wants_messages_at_once(user_id_column):
    """The member's mode for messages is "at once" (stored only when not the default)."""
    kind, mode = MailKind.MESSAGES, MailMode.NOW
    if DEFAULT_MODES[kind] == mode:
        return ~exists().where(MailPreference.user_id == user_id_column,
                               MailPreference.kind == kind, MailPreference.mode != mode)
    return exists().where(MailPreference.user_id == user_id_column,
                          MailPreference.kind == kind, MailPreference.mode == mode)


def due_conversations(session: Session, now: datetime, delay: timedelta,
                      max_age: timedelta) -> list[Due]:
    """Every (conversation, member) due a mail now, in one query: the member's unread messages
    that count, grouped by author, for the members who want them at once and have come back
    since their last mail of that conversation. Ordered by room and member."""
    reader, author = aliased(User), aliased(User)
    rows = session.execute(
        select(RoomMember.room_id, RoomMember.user_id, Message.author_id, func.count(),
               func.max(Message.id), func.min(Message.created_at))
        .select_from(RoomMember)
        .join(Room, Room.id == RoomMember.room_id)
        .join(reader, reader.id == RoomMember.user_id)
        .join(Message, and_(Message.room_id == RoomMember.room_id,
                            Message.id > RoomMember.last_read_id))
        .join(author, author.id == Message.author_id)
        .where(Room.kind.in_((RoomKind.DIRECT, RoomKind.GROUP)), RoomMember.left_at.is_(None),
               or_(RoomMember.mailed_through_id.is_(None),
                   RoomMember.mailed_through_id <= RoomMember.last_read_id),
               reader.email_verified_at.is_not(None), reader.suspended_at.is_(None),
               _wants_messages_at_once(reader.id),
               Message.author_id != RoomMember.user_id, Message.deleted_at.is_(None),
               Message.hidden_at.is_(None), Message.created_at > now - max_age,
               Message.created_at <= now, author.suspended_at.is_(None),
               ~exists().where(Block.blocker_id == RoomMember.user_id,
                               Block.blocked_id == Message.author_id),
               ~exists().where(Block.blocker_id == Message.author_id,
                               Block.blocked_id == RoomMember.user_id))
        .group_by(RoomMember.room_id, RoomMember.user_id, Message.author_id)).all()
    found: dict[tuple[int, int], Due] = {}
    for room_id, user_id, author_id, count, newest_id, oldest_at in rows:
        due = found.setdefault((room_id, user_id), Due(room_id, user_id))
        due.unread += count
        due.newest_id = max(due.newest_id, newest_id)
        due.oldest_at = oldest_at if due.oldest_at is None else min(due.oldest_at, oldest_at)
        due.authors.append((newest_id, author_id))
    cutoff = now - delay
    return [due for _key, due in sorted(found.items()) if due.oldest_at <= cutoff]


def take(session: Session, due: Due) -> bool:
    """Mark this conversation mailed up to `due.newest_id`, only if no other run did since the
    member last came back and they have not read it meanwhile. On the session's connection (no
    flush of the mail waiting in the session); the caller commits, with the mail."""
    return session.connection().execute(
        update(RoomMember.__table__)
        .where(RoomMember.room_id == due.room_id, RoomMember.user_id == due.user_id,
               RoomMember.left_at.is_(None), RoomMember.last_read_id < due.newest_id,
               or_(RoomMember.mailed_through_id.is_(None),
                   RoomMember.mailed_through_id <= RoomMember.last_read_id))
        .values(mailed_through_id=due.newest_id)).rowcount == 1


def _names(session: Session, user_ids) -> dict[int, str]:
    return dict(session.execute(
        select(User.id, User.display_name).where(User.id.in_(user_ids))).all())


def _group_people(session: Session, rooms: dict) -> dict[int, list[tuple[int, str]]]:
    """The people of the groups that have no name (their title lists them)."""
    unnamed = [room_id for room_id, room in rooms.items()
               if room.kind == RoomKind.GROUP and not room.name]
    people: dict[int, list[tuple[int, str]]] = {}
    if unnamed:
        for room_id, user_id, name in session.execute(
                select(RoomMember.room_id, RoomMember.user_id, User.display_name)
                .join(User, User.id == RoomMember.user_id)
                .where(RoomMember.room_id.in_(unnamed), RoomMember.left_at.is_(None))
                .order_by(User.display_name)):
            people.setdefault(room_id, []).append((user_id, name))
    return people


def _context(due: Due, user, room, names: dict[int, str], latest,
             group_people: list[tuple[int, str]]) -> dict:
    authors = [names.get(author_id, "") for _newest, author_id in sorted(due.authors, reverse=True)]
    title = None
    if room.kind == RoomKind.GROUP:
        title = room.name or ", ".join(name for uid, name in group_people if uid != user.id)[:80]
    return {"name": user.display_name, "group": title, "unread": due.unread,
            "authors": ", ".join(authors[:AUTHORS_SHOWN]),
            "more_authors": max(0, len(authors) - AUTHORS_SHOWN),
            "latest_author": names.get(latest.author_id, ""),
            "excerpt": excerpt(latest.body, EXCERPT),
            "url": absolute_url("chat.room", room_id=room.id, _anchor=f"m{latest.id}")}


def mail_due(session: Session, due_list: list[Due], *, batch: int = BATCH) -> UnreadReport:
    """Queue the mails of these conversations, each in its own transaction with `take`. What
    the mails need is read per batch as plain rows (a commit expires loaded objects: they
    would be read again one by one)."""
    report = UnreadReport(due=len(due_list))
    for offset in range(0, len(due_list), batch):
        chunk = due_list[offset:offset + batch]
        # Still allowed mail now (the candidates were read a moment ago).
        users = {u.id: u for u in session.execute(
            select(User.id, User.email, User.display_name, User.locale)
            .where(User.id.in_({d.user_id for d in chunk}), User.email_verified_at.is_not(None),
                   User.suspended_at.is_(None)))}
        rooms = {r.id: r for r in session.execute(
            select(Room.id, Room.kind, Room.name).where(Room.id.in_({d.room_id for d in chunk})))}
        latest = {m.id: m for m in session.execute(
            select(Message.id, Message.author_id, Message.body)
            .where(Message.id.in_({d.newest_id for d in chunk})))}
        names = _names(session, {a for d in chunk for _newest, a in d.authors})
        people = _group_people(session, rooms)
        session.rollback()  # reading ends here: no transaction left open between mails
        for due in chunk:
            user, room, message = (users.get(due.user_id), rooms.get(due.room_id),
                                   latest.get(due.newest_id))
            if user is None or room is None or message is None:  # gone or suspended meanwhile
                report.already += 1
                continue
            context, headers = unsubscribe_context(user.id, MailKind.MESSAGES)
            # Rendered before the row is taken: SQLite's write lock is held only for the
            # UPDATE, the INSERT and the commit.
            with session.no_autoflush:
                row = queue_mail(session, user.email, MAIL_KIND, {
                    **context, **_context(due, user, room, names, message,
                                          people.get(room.id, []))},
                    kind=MAIL_KIND, user=user, headers=headers)
            if take(session, due):
                session.commit()
                report.queued += 1
            else:
                session.expunge(row)
                session.rollback()
                report.already += 1
    return report


def mail_unread_chats(session: Session, now: datetime | None = None) -> UnreadReport:
    """The job: find the conversations due a mail now and queue one mail each."""
    config = current_app.config
    now = now or utcnow()
    due_list = due_conversations(
        session, now, timedelta(seconds=float(config["CHAT_UNREAD_MAIL_DELAY"])),
        timedelta(seconds=float(config["CHAT_UNREAD_MAIL_MAX_AGE"])))
    session.rollback()  # the candidates' read ends before the first write
    return mail_due(session, due_list)


__all__ = ["MAIL_KIND", "mail_unread_chats", "due_conversations", "mail_due", "take"]
