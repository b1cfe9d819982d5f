"""Reports, appeals and the audit log.

The audit log is append-only in the code: an AuditEntry cannot be updated or deleted through the
ORM, and a flush that changes a moderated field (a hidden post, a role, a ban or mute, a charter
version, an account's role or suspension, a merged skill) without writing an AuditEntry in the
same transaction is refused. `app/moderation/audit.py` writes the entries.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models import commit_hooks
from models.base import db
from models.commit_hooks import Collected
from models.types import UTCDateTime, str_enum, utcnow
from models.user import User


class TargetKind(enum.StrEnum):
    PROFILE = "profile"
    POST = "post"
    COMMENT = "comment"
    MESSAGE = "message"
    NETWORK = "network"
    PLACE = "place"


class ReportReason(enum.StrEnum):
    SPAM = "spam"
    HARASSMENT = "harassment"
    HATE = "hate"
    ILLEGAL = "illegal"
    PERSONAL_DATA = "personal_data"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"  # looked at, nothing done
    ACTIONED = "actioned"  # a moderator acted on it


class Report(db.Model):
    __tablename__ = "report"
    __table_args__ = (Index("ix_report_status_network", "status", "network_id"),
                      Index("ix_report_target", "target_kind", "target_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                    index=True)
    target_kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind, 10))
    target_id: Mapped[int] = mapped_column()
    # Whose queue it is in: the network's animators, the place's, else organisers only.
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="SET NULL"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="SET NULL"))
    reason: Mapped[ReportReason] = mapped_column(str_enum(ReportReason, 20))
    note: Mapped[str] = mapped_column(String(1000), default="")
    excerpt: Mapped[str] = mapped_column(String(300), default="")  # what was reported, as reported
    status: Mapped[ReportStatus] = mapped_column(str_enum(ReportStatus, 10), default=ReportStatus.OPEN)
    outcome: Mapped[str] = mapped_column(String(20), default="")  # the action taken
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])


class AppealStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the content stays hidden
    OVERTURNED = "overturned"  # the content is shown again


class Appeal(db.Model):
    """The author of hidden content asks once for a second look."""

    __tablename__ = "appeal"
    __table_args__ = (UniqueConstraint("target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                  index=True)
    target_kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind, 10))
    target_id: Mapped[int] = mapped_column()
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(String(2000))
    # Who hid the content: another moderator decides when there is one.
    first_moderator_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[AppealStatus] = mapped_column(str_enum(AppealStatus, 10), default=AppealStatus.OPEN)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


class AuditEntry(db.Model):
    """One row per moderation action, role change, charter change and skill merge."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_network", "network_id", "id"),
                      Index("ix_audit_entry_action", "action", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None: the command line (`flask user set-role`, `flask skills load`).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                 index=True)
    actor_name: Mapped[str] = mapped_column(String(80), default="")  # kept if the account goes
    action: Mapped[str] = mapped_column(String(20))
    # A TargetKind or another kind ("skill"): a plain string.
    target_kind: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int | None] = mapped_column()
    target_label: Mapped[str] = mapped_column(String(200), default="")
    network_id: Mapped[int | None] = mapped_column()  # no foreign key: the log outlives it
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(String(300), default="")  # "until 2026-12-01", "A -> B"

    actor: Mapped[User | None] = relationship()


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
def _no_update(_mapper, _connection, _target):
    raise AuditLogIsAppendOnly("audit entries cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _no_delete(_mapper, _connection, _target):
    raise AuditLogIsAppendOnly("audit entries cannot be deleted")


# -- no moderated change without its audit entry --------------------------------------------

def _moderated_fields() -> dict[type, tuple[str, ...]]:
    from models.chat import Message
    from models.network import Comment, Membership, Network, Post
    return {Post: ("hidden_at",), Comment: ("hidden_at",), Message: ("hidden_at",),
            Membership: ("role", "muted_until"), Network: ("charter_version",),
            User: ("role", "suspended_at")}


def _moderated_change(session: Session) -> str | None:
    from models.network import Membership, MemberStatus
    from models.skill import Skill
    fields = _moderated_fields()
    for obj in session.dirty:
        names = fields.get(type(obj))
        if not names:
            continue
        state = inspect(obj)
        for name in names:
            if state.attrs[name].history.has_changes():
                return f"{type(obj).__name__}.{name}"
        if isinstance(obj, Membership) and obj.status == MemberStatus.BANNED \
                and state.attrs.status.history.has_changes():
            return "Membership.status"
    for obj in session.deleted:
        if isinstance(obj, Skill):
            return "Skill deleted"
        if isinstance(obj, Membership) and obj.status == MemberStatus.BANNED:
            return "Membership (banned) deleted"
    return None


def _require_audit(session: Session, collected: Collected) -> None:
    if collected.seen("audited"):
        return
    if any(isinstance(obj, AuditEntry) for obj in session.new):
        collected.here["audited"] = True
        return
    change = _moderated_change(session)
    if change:
        raise AuditLogIsAppendOnly(f"{change} changed without an audit entry")


# Registered at import, not from an init_app: no code path, app or script, may skip it.
commit_hooks.register(commit_hooks.CommitHook(
    "audit_guard", 10, "refuse a flush that makes a moderated change (hidden content, roles, "
    "mutes, bans, charters, suspensions, skill deletion) without an audit entry in the same "
    "transaction", before_flush=_require_audit))
