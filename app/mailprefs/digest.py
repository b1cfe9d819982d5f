"""Digests: one mail per member and period (daily, weekly) holding what they have not seen
since their last digest of that period, for the kinds they chose to get that way.

- Who: a verified address, an account not suspended, and at least one kind in that period
  (a chosen one, or a default: new posts are weekly unless changed).
- What, since the last digest of that period (else one period back): unread notifications of
  the digest's kinds; new posts in their networks (active membership, not hidden, nobody they
  blocked or who blocked them) and new members near them (same EPCI, else same commune) with
  their skills, for "new posts in my networks"; unread direct and group messages (a count);
  pending requests to connect.
- Never empty: nothing new, no mail and no row. Once per period: a `digest_run` row (unique per
  member, period and period start) is written with the mail, in a SAVEPOINT per member, so a
  second build of the same period (or two at once) queues nothing more.

`build_digests` is what `flask mail digest` calls (run by the systemd timers in deploy/ or cron);
it commits per batch."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.mail import queue_mail
from app.mail.compose import absolute_url
from app.mailprefs.instant import notification_context
from app.mailprefs.labels import KIND_LABELS
from app.mailprefs.links import unsubscribe_context, unsubscribe_url
from app.mailprefs.preferences import NOTIFICATION_MAIL_KIND
from app.notification_targets import target_endpoint
from app.text import markdown_excerpt
from models import (
    DEFAULT_MODES,
    DIGEST_MODES,
    Block,
    Commune,
    Connection,
    ConnectionStatus,
    DigestRun,
    MailKind,
    MailMode,
    MailPreference,
    Membership,
    MemberStatus,
    Message,
    Network,
    Notification,
    NotificationKind,
    Post,
    Profile,
    Room,
    RoomKind,
    RoomMember,
    Skill,
    User,
    profile_skill,
)

PERIOD_LENGTH = {MailMode.DAILY: timedelta(days=1), MailMode.WEEKLY: timedelta(days=7)}
SHOWN = 10  # at most this many items per section (the mail says how many more)
BATCH = 200  # members per transaction
# Shown in their own sections: their notifications would say the same thing twice.
OWN_SECTION = {NotificationKind.NEW_POST, NotificationKind.CONNECTION_REQUEST}


def period_start(period: MailMode, now: datetime) -> datetime:
    """The period `now` falls in: its day, or its week's Monday (00:00 UTC)."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if period == MailMode.WEEKLY else day


@dataclass
class DigestReport:
    members: int = 0  # looked at
    queued: int = 0  # digests queued
    empty: int = 0  # nothing new: no mail
    already: int = 0  # built before for this period (or by another builder at the same time)


@dataclass
class Digest:
    notifications: list[dict] = field(default_factory=list)
    posts: list[dict] = field(default_factory=list)
    more_posts: int = 0
    unread_messages: int = 0
    requests: list[str] = field(default_factory=list)
    newcomers: list[dict] = field(default_factory=list)

    @property
    def items(self) -> int:
        return (len(self.notifications) + len(self.posts) + self.more_posts
                + self.unread_messages + len(self.requests) + len(self.newcomers))


def _in_period(period: MailMode):
    """Members with at least one kind in this period: chosen, or a default left unchanged."""
    chosen = exists().where(MailPreference.user_id == User.id, MailPreference.mode == period)
    by_default = [~exists().where(MailPreference.user_id == User.id, MailPreference.kind == kind)
                  for kind, mode in DEFAULT_MODES.items() if mode == period]
    return or_(chosen, *by_default)


def candidates(session: Session, period: MailMode, start: datetime) -> list[int]:
    """Ids of the members due a digest of this period that have none yet."""
    return list(session.scalars(
        select(User.id).where(User.email_verified_at.is_not(None), User.suspended_at.is_(None),
                              _in_period(period),
                              ~exists().where(DigestRun.user_id == User.id,
                                              DigestRun.period == period,
                                              DigestRun.period_start == start))
        .order_by(User.id)))


def _blocked(user_id: int):
    """A condition on an author id column: not blocked by, nor blocking, this member."""
    def condition(column):
        return and_(
            ~exists().where(Block.blocker_id == user_id, Block.blocked_id == column),
            ~exists().where(Block.blocked_id == user_id, Block.blocker_id == column))
    return condition


def collect(session: Session, user: User, kinds: set[MailKind], since: datetime,
            now: datetime) -> Digest:
    """What this member's digest holds for these kinds, between `since` and `now`."""
    digest = Digest()
    not_blocked = _blocked(user.id)
    notification_kinds = [n for n, k in NOTIFICATION_MAIL_KIND.items()
                          if k in kinds and n not in OWN_SECTION]
    if notification_kinds:
        for n in session.scalars(
                select(Notification).where(
                    Notification.user_id == user.id, Notification.read_at.is_(None),
                    Notification.kind.in_(notification_kinds),
                    Notification.created_at > since, Notification.created_at <= now)
                .order_by(Notification.id.desc()).limit(SHOWN)):
            endpoint, values = target_endpoint(n)
            digest.notifications.append({"n": notification_context(session, n),
                                         "url": absolute_url(endpoint, **values)})
    if MailKind.NETWORK_POSTS in kinds:
        mine = select(Membership.network_id).where(Membership.user_id == user.id,
                                                   Membership.status == MemberStatus.ACTIVE)
        wanted = [Post.network_id.in_(mine), Post.created_at > since, Post.created_at <= now,
                  Post.hidden_at.is_(None), Post.author_id != user.id,
                  not_blocked(Post.author_id)]
        rows = session.execute(
            select(Post.id, Post.network_id, Post.body, Network.name, User.display_name)
            .join(Network, Network.id == Post.network_id).join(User, User.id == Post.author_id)
            .where(*wanted).order_by(Post.id.desc()).limit(SHOWN)).all()
        digest.posts = [{"network": network, "author": author, "excerpt": markdown_excerpt(body),
                         "url": absolute_url("networks.post", network_id=network_id,
                                             post_id=post_id)}
                        for post_id, network_id, body, network, author in rows]
        if len(rows) == SHOWN:
            digest.more_posts = (session.scalar(select(func.count()).select_from(Post)
                                                .where(*wanted)) or 0) - SHOWN
        digest.newcomers = _newcomers(session, user, since, now, not_blocked)
    if MailKind.MESSAGES in kinds:
        digest.unread_messages = session.scalar(
            select(func.count()).select_from(Message)
            .join(Room, Room.id == Message.room_id)
            .join(RoomMember, and_(RoomMember.room_id == Message.room_id,
                                   RoomMember.user_id == user.id))
            .where(Room.kind.in_((RoomKind.DIRECT, RoomKind.GROUP)),
                   RoomMember.left_at.is_(None), Message.id > RoomMember.last_read_id,
                   Message.deleted_at.is_(None), Message.hidden_at.is_(None),
                   Message.author_id != user.id, not_blocked(Message.author_id),
                   Message.created_at > since, Message.created_at <= now)) or 0
    if MailKind.REQUESTS in kinds:
        digest.requests = list(session.scalars(
            select(User.display_name).join(Connection, Connection.requester_id == User.id)
            .where(or_(Connection.low_id == user.id, Connection.high_id == user.id),
                   Connection.requester_id != user.id,
                   Connection.status == ConnectionStatus.PENDING,
                   Connection.created_at > since, Connection.created_at <= now,
                   not_blocked(User.id))
            .order_by(Connection.id.desc()).limit(SHOWN)))
    return digest


def _newcomers(session: Session, user: User, since: datetime, now: datetime,
               not_blocked) -> list[dict]:
    """People who joined near this member (their commune's EPCI, else their commune)."""
    home = session.execute(select(Commune.insee, Commune.epci_code).join(
        Profile, Profile.commune_insee == Commune.insee).where(Profile.user_id == user.id)).first()
    if home is None:
        return []
    insee, epci = home
    near = (Profile.commune_insee.in_(select(Commune.insee).where(Commune.epci_code == epci))
            if epci else Profile.commune_insee == insee)
    rows = session.execute(
        select(Profile.id, User.display_name, Commune.name).join(User, User.id == Profile.user_id)
        .join(Commune, Commune.insee == Profile.commune_insee)
        .where(near, User.id != user.id, User.suspended_at.is_(None),
               User.created_at > since, User.created_at <= now, not_blocked(User.id))
        .order_by(User.id.desc()).limit(SHOWN)).all()
    if not rows:
        return []
    skills: dict[int, list[str]] = {}
    for profile_id, name in session.execute(
            select(profile_skill.c.profile_id, Skill.name)
            .join(Skill, Skill.id == profile_skill.c.skill_id)
            .where(profile_skill.c.profile_id.in_([r[0] for r in rows])).order_by(Skill.name)):
        skills.setdefault(profile_id, []).append(name)
    return [{"name": name, "commune": commune, "skills": skills.get(profile_id, [])[:5],
             "url": absolute_url("people.profile", profile_id=profile_id)}
            for profile_id, name, commune in rows]


def _modes(session: Session, user_ids: list[int]) -> dict[int, dict[MailKind, MailMode]]:
    chosen: dict[int, dict] = {user_id: {} for user_id in user_ids}
    for user_id, kind, mode in session.execute(
            select(MailPreference.user_id, MailPreference.kind, MailPreference.mode)
            .where(MailPreference.user_id.in_(user_ids))):
        chosen[user_id][kind] = mode
    return {user_id: {k: modes.get(k, DEFAULT_MODES[k]) for k in MailKind}
            for user_id, modes in chosen.items()}


def _last_covered(session: Session, user_ids: list[int], period: MailMode) -> dict[int, datetime]:
    return dict(session.execute(
        select(DigestRun.user_id, func.max(DigestRun.covered_until))
        .where(DigestRun.user_id.in_(user_ids), DigestRun.period == period)
        .group_by(DigestRun.user_id)).all())


def build_one(session: Session, user: User, period: MailMode, kinds: set[MailKind],
              start: datetime, since: datetime, now: datetime) -> str:
    """"queued", "empty" or "already" (another build took this period first)."""
    digest = collect(session, user, kinds, since, now)
    if not digest.items:
        return "empty"
    context, headers = unsubscribe_context(user.id, period)
    context["kind_links"] = [{"label": KIND_LABELS[k], "url": unsubscribe_url(user.id, k)}
                             for k in MailKind if k in kinds]
    try:
        with session.begin_nested():
            session.add(DigestRun(user_id=user.id, period=period, period_start=start,
                                  covered_until=now, items=digest.items))
            session.flush()
            queue_mail(session, user.email, "digest", {
                **context, "name": user.display_name, "period": str(period), "d": digest,
                "notifications_url": absolute_url("social.notifications"),
                "chat_url": absolute_url("chat.index"),
                "connections_url": absolute_url("social.connections")},
                kind=f"digest_{period}", user=user, headers=headers)
            session.flush()
    except IntegrityError:
        return "already"
    return "queued"


def build_digests(session: Session, period: MailMode, now: datetime, *,
                  batch: int = BATCH) -> DigestReport:
    """Build and queue this period's digests (committing every `batch` members)."""
    period = MailMode(period)
    if period not in DIGEST_MODES:
        raise ValueError(period)
    start = period_start(period, now)
    report = DigestReport()
    ids = candidates(session, period, start)
    for offset in range(0, len(ids), batch):
        chunk = ids[offset:offset + batch]
        modes = _modes(session, chunk)
        covered = _last_covered(session, chunk, period)
        users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(chunk)))}
        for user_id in chunk:
            user = users.get(user_id)
            if user is None:
                continue
            kinds = {k for k, mode in modes[user_id].items() if mode == period}
            since = max(covered.get(user_id) or now - PERIOD_LENGTH[period],
                        now - 2 * PERIOD_LENGTH[period])
            outcome = build_one(session, user, period, kinds, start, since, now)
            report.members += 1
            setattr(report, outcome, getattr(report, outcome) + 1)
        session.commit()
    return report


__all__ = ["build_digests", "period_start"]
