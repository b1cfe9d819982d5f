"""A new account's first steps, shown on its home until every one is done: a profile others can
find (a commune, a skill and a few words), an interest in a coworking place declared, a network
joined, a first connection."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from models import Connection, ConnectionStatus, Declaration, Membership, MemberStatus, User
from models.skill import profile_skill


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    endpoint: str
    done: bool


def steps(session: Session, user: User) -> list[Step]:
    """The four steps and whether each is done (four EXISTS in one query)."""
    profile = user.profile
    has_skill = exists().where(profile_skill.c.profile_id == (profile.id if profile else -1))
    declared = exists().where(Declaration.user_id == user.id, Declaration.withdrawn_at.is_(None))
    joined = exists().where(Membership.user_id == user.id,
                            Membership.status == MemberStatus.ACTIVE)
    connected = exists().where(or_(Connection.low_id == user.id, Connection.high_id == user.id),
                               Connection.status == ConnectionStatus.ACCEPTED)
    skill, declaration, network, connection = session.execute(
        select(has_skill, declared, joined, connected)).one()
    complete = bool(profile and profile.commune_insee and profile.bio.strip() and skill)
    return [
        Step("profile", _l("Complete your profile: your commune, your skills and a few words"),
             "people.edit", complete),
        Step("interest", _l("Say what coworking place you would use"), "demand.new",
             bool(declaration)),
        Step("network", _l("Join a network of your trade or your area"), "networks.index",
             bool(network)),
        Step("connect", _l("Connect with someone near you"), "social.suggestions",
             bool(connection)),
    ]
