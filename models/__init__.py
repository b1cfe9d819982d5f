"""SQLAlchemy models and the `db` object.

This package is the floor of the project: it imports nothing from app/, realtime/ or search/.
"""
from __future__ import annotations

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# A naming convention makes constraint names stable, so Alembic batch migrations work on SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL lets readers run beside the single writer; busy_timeout makes a writer wait instead of
    failing with 'database is locked'; SQLite leaves foreign keys off unless asked."""
    if type(dbapi_connection).__module__.split(".")[0] != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


from models.chat import GROUP_MAX_PEOPLE, DirectMessages, Message, Room, RoomKind, RoomMember  # noqa: E402
from models.content import ContentVersion, current_content_version  # noqa: E402  (need `db`)
from models.demand import Campaign, Declaration, DeclarationVersion, Formula, Track  # noqa: E402
from models.idempotency import IdempotencyKey  # noqa: E402
from models.moderation import (  # noqa: E402
    Appeal,
    AppealStatus,
    AuditEntry,
    Report,
    ReportReason,
    ReportStatus,
    TargetKind,
)
from models.network import (  # noqa: E402
    Comment,
    Invitation,
    MemberRole,
    Membership,
    MemberStatus,
    Network,
    NetworkCharter,
    NetworkVisibility,
    Post,
    Scope,
    network_skill,
)
from models.place import (  # noqa: E402
    Place,
    PlaceFollow,
    PlaceInterest,
    PlaceStatus,
    PlanPeriod,
    Poll,
    PricingPlan,
    Proposal,
    ProposalStatus,
    Vote,
    place_animator,
)
from models.sirene import SireneEstablishment, SireneImport  # noqa: E402
from models.skill import Skill, SkillAlias, profile_skill  # noqa: E402
from models.social import Block, Connection, ConnectionStatus, Notification, NotificationKind  # noqa: E402
from models.territory import Commune, Epci  # noqa: E402
from models.user import Profile, ProfileKind, Role, User, Visibility  # noqa: E402

__all__ = ["db", "Base", "ContentVersion", "current_content_version", "Commune", "Epci", "User",
           "Profile", "Skill", "SkillAlias", "Role", "ProfileKind", "Visibility", "profile_skill",
           "Network", "NetworkCharter", "NetworkVisibility", "Membership", "MemberRole",
           "MemberStatus", "Invitation", "Post", "Comment", "Scope", "network_skill",
           "Connection", "ConnectionStatus", "Block", "Notification", "NotificationKind",
           "Campaign", "Declaration", "DeclarationVersion", "Formula", "Track", "Place",
           "PlaceFollow", "PlaceInterest", "PlaceStatus", "PlanPeriod", "Poll", "PricingPlan",
           "Proposal", "ProposalStatus", "Vote", "place_animator", "SireneEstablishment",
           "SireneImport", "Room", "RoomKind", "RoomMember", "Message", "DirectMessages",
           "GROUP_MAX_PEOPLE", "Report", "ReportReason", "ReportStatus", "Appeal",
           "AppealStatus", "AuditEntry", "TargetKind", "IdempotencyKey"]
