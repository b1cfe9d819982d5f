"""What each moderation action does once it is allowed and audited, and whom it tells.

Called by actions.perform only, after the audit entry is written: models/moderation.py refuses a
flush that changes a moderated field without one. Live effects (a hidden message leaving open
pages, a banned member's sockets leaving the room) follow the commit through realtime/hooks.py.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.moderation.reports import open_appeal
from app.moderation.targets import IMAGE_COLUMNS, ModerationError, Target, author_membership, resolve
from app.social.notify import notify
from models import (
    Appeal,
    AppealStatus,
    MemberRole,
    Membership,
    Network,
    NotificationKind,
    TargetKind,
    User,
)
from models.types import utcnow


def _tell(session: Session, actor, target: Target, kind: NotificationKind, detail: str,
          until=None) -> None:
    if target.author_id is None or target.author_id == actor.id:
        return
    # Told even if they blocked the moderator: a block does not hide moderation from its subject.
    notify(session, [target.author_id], kind, actor.id, network_id=target.network_id,
           detail=detail, across_blocks=True, until=until)


def _do_dismiss(session, actor, target, reason, minutes):
    pass  # closing the reports is all


def _do_hide(session, actor, target, reason, minutes):
    target.obj.hidden_at = utcnow()
    target.obj.hidden_reason = reason[:500]
    _tell(session, actor, target, NotificationKind.CONTENT_HIDDEN, reason)


def _close_appeal(session: Session, actor, target: Target, status: AppealStatus) -> None:
    appeal = open_appeal(session, target)
    if appeal is not None:
        appeal.status = status
        appeal.decided_by_id = actor.id
        appeal.decided_at = utcnow()


def _do_restore(session, actor, target, reason, minutes):
    target.obj.hidden_at = None
    target.obj.hidden_reason = ""
    _close_appeal(session, actor, target, AppealStatus.OVERTURNED)
    _tell(session, actor, target, NotificationKind.CONTENT_RESTORED, reason)


def _do_delete(session, actor, target, reason, minutes):
    from app.chat.messages import delete_message
    from app.networks.service import delete_comment
    if target.kind == TargetKind.MESSAGE:
        if target.obj.deleted_at is None:
            delete_message(session, target.obj)
    elif target.kind == TargetKind.COMMENT:
        delete_comment(session, target.obj)
    else:
        session.delete(target.obj)
    _close_appeal(session, actor, target, AppealStatus.UPHELD)
    _tell(session, actor, target, NotificationKind.CONTENT_DELETED, reason)


def _do_warn(session, actor, target, reason, minutes):
    _tell(session, actor, target, NotificationKind.WARNING, reason)


def _do_mute(session, actor, target, reason, minutes):
    membership = author_membership(session, target)
    membership.muted_until = utcnow() + timedelta(minutes=minutes)
    # Which network (network_id), until when and why: on the page and in the mail.
    _tell(session, actor, target, NotificationKind.MUTED, reason, until=membership.muted_until)


def _do_unmute(session, actor, target, reason, minutes):
    author_membership(session, target).muted_until = None


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


def _do_role(role: MemberRole):
    def change(session, actor, target, reason, minutes):
        from app.networks.service import MembershipError, set_role
        network = session.get(Network, target.network_id)
        membership = author_membership(session, target)
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
        appeal.status = status
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


def _do_remove_image(session, actor, target, reason, minutes):
    """The picture is forgotten; its files go after the commit (app/images/storage.py)."""
    setattr(target.obj, IMAGE_COLUMNS[target.kind], None)
    _tell(session, actor, target, NotificationKind.CONTENT_DELETED, reason)


EFFECTS = {"dismiss": _do_dismiss, "hide": _do_hide, "restore": _do_restore,
           "delete": _do_delete, "warn": _do_warn, "mute": _do_mute, "unmute": _do_unmute,
           "ban": _do_ban, "appoint": _do_role(MemberRole.ANIMATOR),
           "demote": _do_role(MemberRole.MEMBER), "suspend": _do_suspend,
           "uphold": _decide_appeal(AppealStatus.UPHELD),
           "overturn": _decide_appeal(AppealStatus.OVERTURNED),
           "remove_image": _do_remove_image}
