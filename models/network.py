"""Skill and territorial networks: charter versions, memberships, invitations, posts, comments."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from models.base import db
from models.skill import Skill
from models.textkey import fold
from models.types import UTCDateTime, str_enum, utcnow
from models.user import User


class NetworkVisibility(enum.StrEnum):
    OPEN = "open"  # anyone joins (after accepting the charter)
    REQUEST = "request"  # listed; an animator approves each request
    PRIVATE = "private"  # not listed, 404 to non-members; entered through an invitation link


class Scope(enum.StrEnum):
    TERRITORY = "territory"
    EPCI = "epci"
    COMMUNE = "commune"


class MemberRole(enum.StrEnum):
    MEMBER = "member"
    ANIMATOR = "animator"


class MemberStatus(enum.StrEnum):
    REQUESTED = "requested"  # asked to join, waits for an animator
    APPROVED = "approved"  # may join: must accept the current charter first
    ACTIVE = "active"
    BANNED = "banned"  # removed by an animator; may not join again, sees a private network as absent


network_skill = Table(
    "network_skill",
    db.metadata,
    Column("network_id", ForeignKey("network.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skill.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Network(db.Model):
    __tablename__ = "network"
    __shown_on_pages__ = ("name", "visibility", "logo")  # in members' home feeds

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), default="")  # fold(name), for filtering
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown source
    scope: Mapped[Scope] = mapped_column(str_enum(Scope, 10), default=Scope.TERRITORY)
    # The commune's INSEE code or the EPCI's SIREN, per `scope`; empty for the whole territory.
    scope_code: Mapped[str] = mapped_column(String(9), default="", index=True)
    visibility: Mapped[NetworkVisibility] = mapped_column(
        str_enum(NetworkVisibility, 10), default=NetworkVisibility.OPEN, index=True)
    charter_version: Mapped[int] = mapped_column(Integer, default=0)  # 0: no charter yet
    # The version members must have accepted to post: the last one published as "material".
    charter_required_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    member_count: Mapped[int] = mapped_column(Integer, default=0)  # active members
    # The key of its logo in the image store (app/images/storage.py), or None.
    logo: Mapped[str | None] = mapped_column(String(40), active_history=True)

    skills: Mapped[list[Skill]] = relationship(secondary=network_skill, order_by=Skill.name)
    charters: Mapped[list[NetworkCharter]] = relationship(
        back_populates="network", cascade="all, delete-orphan",
        order_by="NetworkCharter.version")

    @validates("name")
    def _keep_name_key(self, _key, name: str) -> str:
        self.name_key = fold(name)[:100]  # folding may lengthen ("ﬃ" -> "ffi")
        return name

    @property
    def is_private(self) -> bool:
        return self.visibility == NetworkVisibility.PRIVATE

    @property
    def charter(self) -> NetworkCharter | None:
        return self.charters[-1] if self.charters else None


class NetworkCharter(db.Model):
    """Every version of a network's charter is kept: a member accepted one precise version."""

    __tablename__ = "network_charter"
    __table_args__ = (UniqueConstraint("network_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)  # Markdown source
    # A material change: members accept it before they post again (a typo fix is not one).
    material: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    network: Mapped[Network] = relationship(back_populates="charters")


class Membership(db.Model):
    __tablename__ = "membership"
    __personal_to__ = ("user_id",)
    __table_args__ = (UniqueConstraint("network_id", "user_id"),
                      Index("ix_membership_user_status", "user_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    role: Mapped[MemberRole] = mapped_column(str_enum(MemberRole, 10), default=MemberRole.MEMBER)
    status: Mapped[MemberStatus] = mapped_column(str_enum(MemberStatus, 10),
                                                 default=MemberStatus.REQUESTED)
    accepted_charter_version: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(500), default="")  # with the request to join
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # reads, cannot write

    network: Mapped[Network] = relationship()
    user: Mapped[User] = relationship()

    def is_muted(self, now: datetime | None = None) -> bool:
        return self.muted_until is not None and (now or utcnow()) < self.muted_until

    @property
    def is_active(self) -> bool:
        return self.status == MemberStatus.ACTIVE

    @property
    def is_animator(self) -> bool:
        return self.is_active and self.role == MemberRole.ANIMATOR


class Invitation(db.Model):
    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"),
                                            index=True)
    token: Mapped[str] = mapped_column(String(43), unique=True,
                                       default=lambda: secrets.token_urlsafe(32))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    network: Mapped[Network] = relationship()

    def is_valid(self, now: datetime | None = None) -> bool:
        return not self.revoked and (now or utcnow()) < self.expires_at


class Post(db.Model):
    __tablename__ = "post"
    __shown_on_pages__ = True  # in members' home feeds
    # The stream: newest first within a network, paged by id (keyset).
    __table_args__ = (Index("ix_post_network_id_desc", "network_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                  index=True)
    body: Mapped[str] = mapped_column(Text)  # Markdown source
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    # Hidden by a moderator: a notice replaces it for everyone; the text stays for the audit.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")

    network: Mapped[Network] = relationship()
    author: Mapped[User | None] = relationship()


class Comment(db.Model):
    __tablename__ = "comment"
    __shown_on_pages__ = True  # in members' home feeds

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"),
                                                  index=True)
    body: Mapped[str] = mapped_column(Text)  # Markdown source
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Hidden by a moderator: a notice replaces it for everyone; the text stays for the audit.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")

    post: Mapped[Post] = relationship()
    author: Mapped[User | None] = relationship()
