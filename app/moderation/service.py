"""The rules of moderation, as plain functions over a session (the caller commits).

One entry point, `perform`, for the pages, the JSON API and the socket: it checks the actor's
scope, writes the audit entry first, then acts, closes the reports on the target and tells the
people concerned. Live effects (a hidden chat message leaving every open page, a banned member's
sockets leaving the room, a suspended account's sockets closing) follow the commit through
realtime/hooks.py, whatever code path made the change.

Scope: organisers and admins moderate everywhere; a network's animators moderate its posts,
comments, chat messages and members; a place's animators its reports; suspending an account is
for admins only. Nobody moderates outside their scope.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from app.moderation.audit import audit
from app.social.notify import notify
from models import (
    Appeal,
    AppealStatus,
    Comment,
    MemberRole,
    Membership,
    MemberStatus,
    Message,
    Network,
    NotificationKind,
    Place,
    Post,
    Profile,
    Report,
    ReportReason,
    ReportStatus,
    Role,
    Room,
    TargetKind,
    User,
    place_animator,
)
from models.types import utcnow

CONTENT_KINDS = (TargetKind.POST.value, TargetKind.COMMENT.value, TargetKind.MESSAGE.value)
REPORTABLE = tuple(k.value for k in TargetKind)
ACTIONS = ("dismiss", "hide", "restore", "delete", "warn", "mute", "unmute", "ban", "suspend",
           "appoint", "demote", "uphold", "overturn")
# Which actions apply to which kind of target.
ACTIONS_FOR = {
    TargetKind.POST.value: ("dismiss", "hide", "restore", "delete", "warn", "mute", "ban",
                            "suspend"),
    TargetKind.COMMENT.value: ("dismiss", "hide", "restore", "delete", "warn", "mute", "ban",
                               "suspend"),
    TargetKind.MESSAGE.value: ("dismiss", "hide", "restore", "delete", "warn", "mute", "ban",
                               "suspend"),
    TargetKind.PROFILE.value: ("dismiss", "warn", "mute", "unmute", "ban", "suspend", "appoint",
                               "demote"),
    TargetKind.NETWORK.value: ("dismiss",),
    TargetKind.PLACE.value: ("dismiss",),
    "appeal": ("uphold", "overturn"),
}
NEEDS_NETWORK = ("mute", "unmute", "ban", "appoint", "demote")
MUTE_MAX_MINUTES = 366 * 24 * 60
REASON_MAX = 1000
NOTE_MAX = 1000
APPEAL_MAX = 2000


class ModerationError(ValueError):
    """Refused; `code` is part of the JSON and socket protocol, `status` the HTTP status."""

    STATUS = {"unauthorized": 401, "forbidden": 403, "not_found": 404}

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code
        self.status = self.STATUS.get(code, 422)


@dataclass
class Target:
    kind: str
    id: int
    obj: object
    network_id: int | None  # the network whose animators moderate it
    place_id: int | None
    author_id: int | None  # the person concerned
    label: str  # for the queue and the audit log
    excerpt: str = ""
    hidden: bool = False


def _excerpt(text: str, size: int = 200) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _int_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        value = int(value)
    return value if isinstance(value, int) and 0 < value < 2**31 else None  # PostgreSQL INTEGER


def resolve(session: Session, kind, target_id) -> Target:
    """What a report or an action is about (ModerationError "not_found" if nothing)."""
    target_id = _int_id(target_id)
    if kind not in REPORTABLE and kind != "appeal" or target_id is None:
        raise ModerationError("not_found")
    if kind == TargetKind.POST.value:
        post = session.get(Post, target_id)
        if post is None:
            raise ModerationError("not_found")
        return Target(kind, post.id, post, post.network_id, None, post.author_id,
                      _author_label(post.author), _excerpt(post.body), post.hidden_at is not None)
    if kind == TargetKind.COMMENT.value:
        comment = session.get(Comment, target_id)
        if comment is None:
            raise ModerationError("not_found")
        return Target(kind, comment.id, comment, comment.post.network_id, None,
                      comment.author_id, _author_label(comment.author), _excerpt(comment.body),
                      comment.hidden_at is not None)
    if kind == TargetKind.MESSAGE.value:
        message = session.get(Message, target_id)
        if message is None:
            raise ModerationError("not_found")
        network_id = session.scalar(select(Room.network_id).where(Room.id == message.room_id))
        return Target(kind, message.id, message, network_id, None, message.author_id,
                      _author_label(message.author), _excerpt(message.body),
                      message.hidden_at is not None)
    if kind == TargetKind.PROFILE.value:
        profile = session.get(Profile, target_id)
        if profile is None:
            raise ModerationError("not_found")
        return Target(kind, profile.id, profile, None, None, profile.user_id,
                      profile.user.display_name, _excerpt(profile.headline))
    if kind == TargetKind.NETWORK.value:
        network = session.get(Network, target_id)
        if network is None:
            raise ModerationError("not_found")
        # Reports on a network itself go to the organisers, not to its own animators.
        return Target(kind, network.id, network, None, None, network.created_by_id,
                      network.name, _excerpt(network.description))
    if kind == TargetKind.PLACE.value:
        place = session.get(Place, target_id)
        if place is None:
            raise ModerationError("not_found")
        return Target(kind, place.id, place, None, place.id, None, place.name,
                      _excerpt(getattr(place, "description", "") or ""))
    appeal = session.get(Appeal, target_id)
    if appeal is None:
        raise ModerationError("not_found")
    try:
        content = resolve(session, appeal.target_kind, appeal.target_id)
    except ModerationError:  # deleted since: the appeal is still decided (upheld)
        return Target("appeal", appeal.id, appeal, appeal.network_id, None, appeal.author_id,
                      "", _excerpt(appeal.body))
    return Target("appeal", appeal.id, appeal, content.network_id, content.place_id,
                  appeal.author_id, content.label, _excerpt(appeal.body))


def _author_label(user: User | None) -> str:
    return user.display_name if user else ""


# -- scope -----------------------------------------------------------------------------------

def animates_network(session: Session, user_id: int, network_id: int) -> bool:
    return session.scalar(select(exists().where(
        Membership.network_id == network_id, Membership.user_id == user_id,
        Membership.role == MemberRole.ANIMATOR.value,
        Membership.status == MemberStatus.ACTIVE.value))) or False


def animates_place(session: Session, user_id: int, place_id: int) -> bool:
    return session.scalar(select(exists().where(
        place_animator.c.place_id == place_id, place_animator.c.user_id == user_id))) or False


def can_moderate(session: Session, user, network_id: int | None, place_id: int | None) -> bool:
    """Organisers and admins everywhere; animators in their own network or place only."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_organiser:
        return True
    if network_id is not None and animates_network(session, user.id, network_id):
        return True
    return place_id is not None and animates_place(session, user.id, place_id)


def is_moderator(session: Session, user) -> bool:
    """Whether the queue means anything to this person."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.is_organiser or bool(session.scalar(select(exists().where(
        Membership.user_id == user.id, Membership.role == MemberRole.ANIMATOR.value,
        Membership.status == MemberStatus.ACTIVE.value)))) or bool(session.scalar(select(
            exists().where(place_animator.c.user_id == user.id))))


def in_network(session: Session, network_id: int, user_id: int | None) -> bool:
    """Whether this person has a membership row there (any status: requested, banned…)."""
    return user_id is not None and bool(session.scalar(select(exists().where(
        Membership.network_id == network_id, Membership.user_id == user_id))))


def moderated_networks(session: Session, user) -> list[int] | None:
    """The networks this person moderates: None for all (organisers, admins)."""
    if user.is_organiser:
        return None
    return list(session.scalars(select(Membership.network_id).where(
        Membership.user_id == user.id, Membership.role == MemberRole.ANIMATOR.value,
        Membership.status == MemberStatus.ACTIVE.value)))


def moderated_places(session: Session, user) -> list[int] | None:
    if user.is_organiser:
        return None
    return list(session.scalars(select(place_animator.c.place_id).where(
        place_animator.c.user_id == user.id)))


def other_moderators(session: Session, network_id: int | None, place_id: int | None,
                     *excluded: int | None) -> set[int]:
    """Who else could decide (an appeal): the network's or place's animators, and organisers."""
    people = set(session.scalars(select(User.id).where(
        User.role.in_((Role.ORGANISER.value, Role.ADMIN.value)), User.suspended_at.is_(None))))
    if network_id is not None:
        people |= set(session.scalars(select(Membership.user_id).where(
            Membership.network_id == network_id, Membership.role == MemberRole.ANIMATOR.value,
            Membership.status == MemberStatus.ACTIVE.value)))
    if place_id is not None:
        people |= set(session.scalars(select(place_animator.c.user_id).where(
            place_animator.c.place_id == place_id)))
    return people - set(excluded)


def scope_filter(session: Session, user, network_col, place_col=None):
    """A WHERE clause: rows of the networks (and places) this person moderates."""
    networks = moderated_networks(session, user)
    if networks is None:
        return True
    clause = network_col.in_(networks)
    if place_col is not None:
        clause = or_(clause, place_col.in_(moderated_places(session, user) or []))
    return clause


# -- actions ---------------------------------------------------------------------------------

@dataclass
class Outcome:
    action: str
    target: Target
    audit_id: int
    closed_reports: int


def clean_reason(reason) -> str:
    if not isinstance(reason, str):
        raise ModerationError("reason_required")
    reason = " ".join(reason.split())
    if not reason:
        raise ModerationError("reason_required")
    if len(reason) > REASON_MAX:
        raise ModerationError("too_long")
    return reason


def clean_minutes(minutes) -> int:
    minutes = _int_id(minutes)
    if minutes is None or minutes > MUTE_MAX_MINUTES:
        raise ModerationError("duration")
    return minutes


def perform(session: Session, actor, action, kind, target_id, reason, *, minutes=None,
            network_id=None) -> Outcome:
    """Check, audit, act. Raises ModerationError with the reason of a refusal; changes nothing
    then."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise ModerationError("unauthorized")
    if not is_moderator(session, actor):
        raise ModerationError("forbidden")  # before any lookup: ids are not confirmed to them
    if action not in ACTIONS:
        raise ModerationError("invalid")
    target = resolve(session, kind, target_id)
    if action not in ACTIONS_FOR[target.kind]:
        raise ModerationError("invalid")
    if target.kind == TargetKind.PROFILE.value:
        network_id = _int_id(network_id) if network_id not in (None, "") else None
        if action in NEEDS_NETWORK and network_id is None:
            raise ModerationError("no_network")
        if network_id is not None and action not in ("dismiss", "suspend"):
            # A member's page in a network: the person's moderation there.
            if session.get(Network, network_id) is None:
                raise ModerationError("not_found")
            if action != "ban" and not in_network(session, network_id, target.author_id):
                raise ModerationError("not_member")
            target.network_id = network_id
    if action == "suspend":
        allowed = actor.is_admin
    else:
        allowed = can_moderate(session, actor, target.network_id, target.place_id)
    if not allowed:
        raise ModerationError("forbidden")
    reason = clean_reason(reason)
    if action in NEEDS_NETWORK and target.network_id is None:
        raise ModerationError("no_network")  # a direct conversation's message: no network
    if action in ("mute",):
        minutes = clean_minutes(minutes)
    check = _CHECKS.get(action)
    if check:
        check(session, actor, target)
    detail = ""
    if action == "mute":
        detail = f"{minutes} min"
    entry = audit(session, actor, action, target.kind, target.id,
                  label=f"{target.label}: {target.excerpt}" if target.excerpt else target.label,
                  network_id=target.network_id, reason=reason, detail=detail)
    session.flush()
    _DO[action](session, actor, target, reason, minutes)
    closed = _close_reports(session, actor, target, action)
    session.flush()
    return Outcome(action, target, entry.id, closed)


def _membership(session: Session, target: Target) -> Membership:
    membership = session.scalar(select(Membership).where(
        Membership.network_id == target.network_id, Membership.user_id == target.author_id))
    if membership is None or membership.status not in (MemberStatus.ACTIVE.value,
                                                       MemberStatus.BANNED.value):
        raise ModerationError("not_member")
    return membership


def _check_hide(session, actor, target):
    if target.hidden:
        raise ModerationError("already")
    if target.kind == TargetKind.MESSAGE.value and target.obj.deleted_at is not None:
        raise ModerationError("already")


def _open_appeal(session: Session, target: Target) -> Appeal | None:
    return session.scalar(select(Appeal).where(
        Appeal.target_kind == target.kind, Appeal.target_id == target.id,
        Appeal.status == AppealStatus.OPEN.value))


def _check_restore(session, actor, target):
    if not target.hidden:
        raise ModerationError("already")
    appeal = _open_appeal(session, target)
    if appeal is not None and appeal.first_moderator_id == actor.id and other_moderators(
            session, target.network_id, target.place_id, actor.id, appeal.author_id):
        raise ModerationError("another_moderator")


def _check_subject(session, actor, target):
    if target.author_id is None:
        raise ModerationError("no_author")
    if target.author_id == actor.id:
        raise ModerationError("self")


def _check_member_action(session, actor, target):
    _check_subject(session, actor, target)
    membership = _membership(session, target)
    if membership.status == MemberStatus.BANNED.value:
        raise ModerationError("already")


def _check_ban(session, actor, target):
    """Also someone who left (or never joined) an open network: they stay out."""
    _check_subject(session, actor, target)
    membership = session.scalar(select(Membership).where(
        Membership.network_id == target.network_id, Membership.user_id == target.author_id))
    if membership is not None and membership.status == MemberStatus.BANNED.value:
        raise ModerationError("already")


def _check_unmute(session, actor, target):
    _check_member_action(session, actor, target)
    if not _membership(session, target).is_muted():
        raise ModerationError("already")


def _check_suspend(session, actor, target):
    _check_subject(session, actor, target)
    subject = session.get(User, target.author_id)
    if subject.suspended_at is not None:
        raise ModerationError("already")


def _check_dismiss(session, actor, target):
    if not session.scalar(select(exists().where(
            Report.target_kind == target.kind, Report.target_id == target.id,
            Report.status == ReportStatus.OPEN.value))):
        raise ModerationError("no_report")


def _check_appeal(session, actor, target):
    appeal: Appeal = target.obj
    if appeal.status != AppealStatus.OPEN.value:
        raise ModerationError("already")
    if appeal.author_id == actor.id:
        raise ModerationError("self")
    if appeal.first_moderator_id == actor.id and other_moderators(
            session, target.network_id, target.place_id, actor.id, appeal.author_id):
        raise ModerationError("another_moderator")


def _check_delete(session, actor, target):
    if target.kind == TargetKind.MESSAGE.value and target.obj.deleted_at is not None:
        raise ModerationError("already")


_CHECKS = {"hide": _check_hide, "restore": _check_restore, "delete": _check_delete,
           "warn": _check_subject, "mute": _check_member_action, "unmute": _check_unmute,
           "ban": _check_ban, "appoint": _check_member_action,
           "demote": _check_member_action, "suspend": _check_suspend, "dismiss": _check_dismiss,
           "uphold": _check_appeal, "overturn": _check_appeal}


def _tell(session: Session, actor, target: Target, kind: NotificationKind, detail: str) -> None:
    if target.author_id is None or target.author_id == actor.id:
        return
    # Told even if they blocked the moderator: a block does not hide moderation from its subject.
    notify(session, [target.author_id], kind.value, actor.id, network_id=target.network_id,
           detail=detail, across_blocks=True)


def _do_dismiss(session, actor, target, reason, minutes):
    pass  # closing the reports is all


def _do_hide(session, actor, target, reason, minutes):
    target.obj.hidden_at = utcnow()
    target.obj.hidden_reason = reason[:500]
    _tell(session, actor, target, NotificationKind.CONTENT_HIDDEN, reason)


def _close_appeal(session: Session, actor, target: Target, status: AppealStatus) -> None:
    appeal = _open_appeal(session, target)
    if appeal is not None:
        appeal.status = status.value
        appeal.decided_by_id = actor.id
        appeal.decided_at = utcnow()


def _do_restore(session, actor, target, reason, minutes):
    target.obj.hidden_at = None
    target.obj.hidden_reason = ""
    _close_appeal(session, actor, target, AppealStatus.OVERTURNED)
    _tell(session, actor, target, NotificationKind.CONTENT_RESTORED, reason)


def _do_delete(session, actor, target, reason, minutes):
    from app.chat.service import delete_message
    from app.networks.service import delete_comment
    if target.kind == TargetKind.MESSAGE.value:
        if target.obj.deleted_at is None:
            delete_message(session, target.obj)
    elif target.kind == TargetKind.COMMENT.value:
        delete_comment(session, target.obj)
    else:
        session.delete(target.obj)
    _close_appeal(session, actor, target, AppealStatus.UPHELD)
    _tell(session, actor, target, NotificationKind.CONTENT_DELETED, reason)


def _do_warn(session, actor, target, reason, minutes):
    _tell(session, actor, target, NotificationKind.WARNING, reason)


def _do_mute(session, actor, target, reason, minutes):
    membership = _membership(session, target)
    membership.muted_until = utcnow() + timedelta(minutes=minutes)
    _tell(session, actor, target, NotificationKind.MUTED, reason)


def _do_unmute(session, actor, target, reason, minutes):
    _membership(session, target).muted_until = None


def _do_ban(session, actor, target, reason, minutes):
    from app.networks.service import MembershipError, ban
    network = session.get(Network, target.network_id)
    membership = session.scalar(select(Membership).where(
        Membership.network_id == target.network_id, Membership.user_id == target.author_id))
    if membership is None:
        membership = Membership(network_id=network.id, user_id=target.author_id)
        session.add(membership)
    try:
        ban(session, network, membership)
    except MembershipError as error:
        raise ModerationError(str(error)) from None
    _tell(session, actor, target, NotificationKind.BANNED, reason)


def _do_role(role: str):
    def change(session, actor, target, reason, minutes):
        from app.networks.service import MembershipError, set_role
        network = session.get(Network, target.network_id)
        membership = _membership(session, target)
        if membership.role == role:
            raise ModerationError("already")
        try:
            set_role(session, network, membership, role)
        except MembershipError as error:
            raise ModerationError(str(error)) from None
    return change


def _do_suspend(session, actor, target, reason, minutes):
    subject = session.get(User, target.author_id)
    subject.suspended_at = utcnow()
    subject.sign_out_everywhere()  # its pages and sockets end now (realtime/hooks.py)


def _decide_appeal(status: AppealStatus):
    def decide(session, actor, target, reason, minutes):
        appeal: Appeal = target.obj
        appeal.status = status.value
        appeal.decided_by_id = actor.id
        appeal.decided_at = utcnow()
        try:
            content = resolve(session, appeal.target_kind, appeal.target_id)
        except ModerationError:
            if status == AppealStatus.OVERTURNED:
                raise ModerationError("not_found") from None  # deleted: nothing to show again
            content = None
        if content is not None and status == AppealStatus.OVERTURNED and content.hidden:
            content.obj.hidden_at = None
            content.obj.hidden_reason = ""
        kind = (NotificationKind.CONTENT_RESTORED if status == AppealStatus.OVERTURNED
                else NotificationKind.APPEAL_REJECTED)
        _tell(session, actor, target, kind, reason)
    return decide


_DO = {"dismiss": _do_dismiss, "hide": _do_hide, "restore": _do_restore, "delete": _do_delete,
       "warn": _do_warn, "mute": _do_mute, "unmute": _do_unmute, "ban": _do_ban,
       "appoint": _do_role(MemberRole.ANIMATOR.value), "demote": _do_role(MemberRole.MEMBER.value),
       "suspend": _do_suspend, "uphold": _decide_appeal(AppealStatus.UPHELD),
       "overturn": _decide_appeal(AppealStatus.OVERTURNED)}


def _close_reports(session: Session, actor, target: Target, action: str) -> int:
    """Every open report on the target is answered by this action; each reporter hears of it."""
    if target.kind == "appeal":
        return 0
    reports = list(session.scalars(select(Report).where(
        Report.target_kind == target.kind, Report.target_id == target.id,
        Report.status == ReportStatus.OPEN.value)))
    now = utcnow()
    for report in reports:
        report.status = (ReportStatus.DISMISSED if action == "dismiss"
                         else ReportStatus.ACTIONED).value
        report.outcome = action
        report.handled_by_id = actor.id
        report.handled_at = now
    reporters = {r.reporter_id for r in reports if r.reporter_id}
    if reporters:
        notify(session, reporters, NotificationKind.REPORT_HANDLED.value, None,
               network_id=target.network_id, detail=action)
    return len(reports)


# -- reports and appeals ---------------------------------------------------------------------

def report(session: Session, reporter: User, target: Target, reason: str, note: str) -> Report:
    if reason not in {r.value for r in ReportReason}:
        raise ModerationError("invalid")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ModerationError("too_long")
    if target.author_id == reporter.id:
        raise ModerationError("self")
    found = Report(reporter_id=reporter.id, target_kind=target.kind, target_id=target.id,
                   network_id=target.network_id, place_id=target.place_id, reason=reason,
                   note=note, excerpt=target.excerpt[:300])
    session.add(found)
    session.flush()
    return found


def hider_of(session: Session, kind: str, target_id: int) -> int | None:
    """Who hid this content last (from the audit log)."""
    from models import AuditEntry
    return session.scalar(select(AuditEntry.actor_id).where(
        AuditEntry.target_kind == kind, AuditEntry.target_id == target_id,
        AuditEntry.action == "hide").order_by(AuditEntry.id.desc()).limit(1))


def appeal(session: Session, author: User, target: Target, body: str) -> Appeal:
    """Once per piece of content, by its author, while it is hidden."""
    if target.kind not in CONTENT_KINDS or target.author_id != author.id or not target.hidden:
        raise ModerationError("not_found")
    body = (body or "").strip()
    if not body:
        raise ModerationError("reason_required")
    if len(body) > APPEAL_MAX:
        raise ModerationError("too_long")
    if session.scalar(select(exists().where(Appeal.target_kind == target.kind,
                                            Appeal.target_id == target.id))):
        raise ModerationError("appealed")
    found = Appeal(author_id=author.id, target_kind=target.kind, target_id=target.id,
                   network_id=target.network_id, body=body,
                   first_moderator_id=hider_of(session, target.kind, target.id))
    session.add(found)
    session.flush()
    return found


def hidden_content_of(session: Session, user_id: int) -> list[Target]:
    """What a moderator hid of this person's, newest first (for their appeals)."""
    rows: list[tuple[datetime, Target]] = []
    for model, kind in ((Post, "post"), (Comment, "comment"), (Message, "message")):
        for obj in session.scalars(select(model).where(model.author_id == user_id,
                                                       model.hidden_at.is_not(None))
                                   .order_by(model.hidden_at.desc()).limit(50)):
            rows.append((obj.hidden_at, resolve(session, kind, obj.id)))
    rows.sort(key=lambda pair: pair[0], reverse=True)
    return [target for _, target in rows]
