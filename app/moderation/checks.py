"""The refusals that depend on the target's state, one check per action: what is already done,
who cannot be acted on (oneself, a deleted author, a non-member), and the rule that whoever hid
a piece of content does not decide its appeal while another moderator could. Each check raises
ModerationError before anything changes."""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.moderation.reports import open_appeal
from app.moderation.scope import other_moderators
from app.moderation.targets import IMAGE_COLUMNS, ModerationError, Target, author_membership
from models import (
    Appeal,
    AppealStatus,
    Membership,
    MemberStatus,
    Report,
    ReportStatus,
    TargetKind,
    User,
)


def _check_hide(session: Session, actor, target: Target) -> None:
    if target.hidden:
        raise ModerationError("already")
    if target.kind == TargetKind.MESSAGE and target.obj.deleted_at is not None:
        raise ModerationError("already")


def _check_restore(session: Session, actor, target: Target) -> None:
    if not target.hidden:
        raise ModerationError("already")
    appeal = open_appeal(session, target)
    if appeal is not None and appeal.first_moderator_id == actor.id and other_moderators(
            session, target.network_id, target.place_id, actor.id, appeal.author_id):
        raise ModerationError("another_moderator")


def _check_subject(session: Session, actor, target: Target) -> None:
    if target.author_id is None:
        raise ModerationError("no_author")
    if target.author_id == actor.id:
        raise ModerationError("self")


def _check_member_action(session: Session, actor, target: Target) -> None:
    _check_subject(session, actor, target)
    membership = author_membership(session, target)
    if membership.status == MemberStatus.BANNED:
        raise ModerationError("already")


def _check_ban(session: Session, actor, target: Target) -> None:
    """Also someone who left (or never joined) an open network: they stay out."""
    _check_subject(session, actor, target)
    membership = session.scalar(select(Membership).where(
        Membership.network_id == target.network_id, Membership.user_id == target.author_id))
    if membership is not None and membership.status == MemberStatus.BANNED:
        raise ModerationError("already")


def _check_unmute(session: Session, actor, target: Target) -> None:
    _check_member_action(session, actor, target)
    if not author_membership(session, target).is_muted():
        raise ModerationError("already")


def _check_suspend(session: Session, actor, target: Target) -> None:
    _check_subject(session, actor, target)
    subject = session.get(User, target.author_id)
    if subject.suspended_at is not None:
        raise ModerationError("already")


def _check_dismiss(session: Session, actor, target: Target) -> None:
    if not session.scalar(select(exists().where(
            Report.target_kind == target.kind, Report.target_id == target.id,
            Report.status == ReportStatus.OPEN))):
        raise ModerationError("no_report")


def _check_appeal(session: Session, actor, target: Target) -> None:
    appeal: Appeal = target.obj
    if appeal.status != AppealStatus.OPEN:
        raise ModerationError("already")
    if appeal.author_id == actor.id:
        raise ModerationError("self")
    if appeal.first_moderator_id == actor.id and other_moderators(
            session, target.network_id, target.place_id, actor.id, appeal.author_id):
        raise ModerationError("another_moderator")


def _check_delete(session: Session, actor, target: Target) -> None:
    if target.kind == TargetKind.MESSAGE and target.obj.deleted_at is not None:
        raise ModerationError("already")


def _check_remove_image(session: Session, actor, target: Target) -> None:
    if not getattr(target.obj, IMAGE_COLUMNS[target.kind], None):
        raise ModerationError("already")  # no picture (any more)


CHECKS = {"hide": _check_hide, "restore": _check_restore, "delete": _check_delete,
          "warn": _check_subject, "mute": _check_member_action, "unmute": _check_unmute,
          "ban": _check_ban, "appoint": _check_member_action,
          "demote": _check_member_action, "suspend": _check_suspend, "dismiss": _check_dismiss,
          "uphold": _check_appeal, "overturn": _check_appeal,
          "remove_image": _check_remove_image}
