"""SQLAlchemy models and the `db` object.

This package is the floor of the project: it imports nothing from app/, realtime/ or search/.
"""
from __future__ import annotations

from models import commit_hooks, personal  # noqa: F401  (what a commit triggers)
from models.base import NAMING_CONVENTION, Base, db  # noqa: F401
from models.census import (
    AnswerChannel,
    CensusAnswer,
    CensusDraw,
    CensusEpci,
    CensusFrame,
    CensusQuota,
    CensusSuppression,
    CensusTarget,
    CensusUnit,
    OutreachStatus,
    SuppressionReason,
)
from models.chat import GROUP_MAX_PEOPLE, Message, Room, RoomKind, RoomMember
from models.content import ContentVersion, current_content_version
from models.demand import Campaign, Declaration, DeclarationVersion, Formula, Track
from models.event import (
    Event,
    EventAudience,
    EventKind,
    EventLocation,
    EventRegistration,
    RegistrationStatus,
)
from models.idempotency import IdempotencyKey
from models.mail import (
    DEFAULT_MODES,
    DIGEST_MODES,
    NOT_AT_ONCE,
    DigestRun,
    MailKind,
    MailMode,
    MailPreference,
    MailSenderLease,
    MailStatus,
    OutboxMessage,
)
from models.moderation import (
    Appeal,
    AppealStatus,
    AuditEntry,
    Report,
    ReportReason,
    ReportStatus,
    TargetKind,
)
from models.network import (
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
from models.place import (
    Place,
    PlaceFollow,
    PlaceInterest,
    PlaceKind,
    PlaceStatus,
    PlanPeriod,
    Poll,
    PricingPlan,
    Proposal,
    ProposalStatus,
    Vote,
    place_animator,
)
from models.saved_search import SavedSearch, SavedSearchMatch, SavedSearchScan
from models.share import SharedLink, SharedLinkUse, ShareOutcome
from models.shared import JobLease, StoredFile
from models.sirene import SireneEstablishment, SireneImport
from models.skill import Skill, SkillAlias, profile_skill
from models.social import Block, Connection, ConnectionStatus, Notification, NotificationKind
from models.staff import InvestigationAccess, RecoveryCode
from models.territory import Commune, Epci
from models.token import AccessToken
from models.user import (
    DirectMessages,
    LoginSession,
    PendingSignup,
    Profile,
    ProfileKind,
    Role,
    User,
    Visibility,
)

__all__ = ["db", "Base", "ContentVersion", "current_content_version", "Event", "EventAudience",
           "EventKind", "EventLocation", "EventRegistration", "RegistrationStatus", "Commune", "Epci", "User",
           "LoginSession", "PendingSignup",
           "Profile", "Skill", "SkillAlias", "Role", "ProfileKind", "Visibility", "profile_skill",
           "Network", "NetworkCharter", "NetworkVisibility", "Membership", "MemberRole",
           "MemberStatus", "Invitation", "Post", "Comment", "Scope", "network_skill",
           "Connection", "ConnectionStatus", "Block", "Notification", "NotificationKind",
           "Campaign", "Declaration", "DeclarationVersion", "Formula", "Track", "Place",
           "PlaceFollow", "PlaceInterest", "PlaceKind", "PlaceStatus", "PlanPeriod", "Poll", "PricingPlan",
           "Proposal", "ProposalStatus", "Vote", "place_animator", "SireneEstablishment",
           "SireneImport", "Room", "RoomKind", "RoomMember", "Message", "DirectMessages",
           "GROUP_MAX_PEOPLE", "Report", "ReportReason", "ReportStatus", "Appeal",
           "AppealStatus", "AuditEntry", "TargetKind", "IdempotencyKey", "OutboxMessage",
           "MailStatus", "MailSenderLease", "InvestigationAccess", "RecoveryCode", "MailKind",
           "MailMode", "MailPreference", "DigestRun", "DEFAULT_MODES", "DIGEST_MODES",
           "SharedLink", "SharedLinkUse", "ShareOutcome",
           "AnswerChannel", "CensusAnswer", "CensusDraw", "CensusEpci", "CensusFrame",
           "CensusQuota", "CensusSuppression", "CensusTarget", "CensusUnit", "OutreachStatus",
           "SuppressionReason",
           "NOT_AT_ONCE", "SavedSearch", "SavedSearchMatch", "SavedSearchScan", "AccessToken", "JobLease",
           "StoredFile"]
