"""The directory: which profiles match (ids, newest first), then what to show of them.

Plain functions taking a session. The HTML directory shows light "cards" loaded with two small
SQL queries; the JSON API loads full profiles. Both keep the order of the ids.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from models import Commune, Profile, Skill, SkillAlias, User, Visibility, profile_skill
from models.textkey import skill_key
from models.types import matches_value

SKILL_SEPARATOR = "\x1f"  # ASCII unit separator: never typed in a skill name


@dataclass
class Page:
    ids: list[int]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass
class Card:
    """What a list shows of a profile."""
    id: int
    display_name: str
    headline: str
    kind: str
    is_public: bool
    commune_name: str | None
    skills: list[str] = field(default_factory=list)
    avatar: str | None = None


def directory_page(session: Session, *, viewer_is_member: bool,
                   communes: list[str] | None = None, epci: str | None = None,
                   kind: str | None = None, skill: str | None = None,
                   page: int = 1, per_page: int = 20) -> Page:
    """Ids of one page of matching profiles, newest first, and how many match in all.
    `communes`: INSEE codes (an empty list matches nothing, None does not filter).
    An out-of-range page number gives the nearest existing page rather than an error."""
    conditions = []
    if not viewer_is_member:
        conditions.append(Profile.visibility == Visibility.PUBLIC)
    if communes is not None:
        conditions.append(Profile.commune_insee.in_(communes))
    if epci:
        conditions.append(Profile.commune_insee.in_(
            select(Commune.insee).where(Commune.epci_code == epci).scalar_subquery()))
    if kind:
        conditions.append(matches_value(Profile.kind, kind))
    if skill:
        conditions.append(Profile.id.in_(
            select(profile_skill.c.profile_id)
            .join(SkillAlias, SkillAlias.skill_id == profile_skill.c.skill_id)
            .where(SkillAlias.key == skill_key(skill))
            .scalar_subquery()))
    total = session.scalar(select(func.count()).select_from(Profile).where(*conditions)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    ids = list(session.scalars(
        select(Profile.id).where(*conditions)
        .order_by(Profile.updated_at.desc(), Profile.id.desc())
        .limit(per_page).offset((page - 1) * per_page)))
    return Page(ids=ids, total=total, page=page, per_page=per_page)


def load_cards(session: Session, ids: list[int]) -> list[Card]:
    """Cards for these profile ids, in the same order (two queries, no ORM objects)."""
    if not ids:
        return []
    skills = (select(profile_skill.c.profile_id,
                     func.aggregate_strings(Skill.name, SKILL_SEPARATOR).label("names"))
              .join(Skill).where(profile_skill.c.profile_id.in_(ids))
              .group_by(profile_skill.c.profile_id).subquery())
    rows = session.execute(
        select(Profile.id, User.display_name, Profile.headline, Profile.kind,
               Profile.visibility, Commune.name, skills.c.names, Profile.avatar)
        .join(User, User.id == Profile.user_id)
        .outerjoin(Commune, Commune.insee == Profile.commune_insee)
        .outerjoin(skills, skills.c.profile_id == Profile.id)
        .where(Profile.id.in_(ids)))
    cards = {r[0]: Card(r[0], r[1], r[2], r[3], r[4] == Visibility.PUBLIC, r[5],
                        sorted(r[6].split(SKILL_SEPARATOR), key=str.casefold) if r[6] else [],
                        r[7])
             for r in rows}
    return [cards[i] for i in ids if i in cards]


def load_profiles(session: Session, ids: list[int]) -> list[Profile]:
    """Full profiles (user, commune, skills loaded) for these ids, in the same order."""
    if not ids:
        return []
    found = {p.id: p for p in session.scalars(
        select(Profile).where(Profile.id.in_(ids))
        .options(joinedload(Profile.user), joinedload(Profile.commune),
                 selectinload(Profile.skills)))}
    return [found[i] for i in ids if i in found]
