"""The directory query, shared by the HTML directory and the JSON API."""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from models import Commune, Profile, Skill, Visibility, profile_skill
from models.textkey import fold


@dataclass
class Page:
    items: list[Profile]
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


def visible_profiles(viewer_is_member: bool):
    """Profiles a viewer may see: members see members-only profiles, visitors only public ones."""
    stmt = select(Profile)
    if not viewer_is_member:
        stmt = stmt.where(Profile.visibility == Visibility.PUBLIC.value)
    return stmt


def directory_page(session: Session, *, viewer_is_member: bool, commune: str | None = None,
                   epci: str | None = None, kind: str | None = None, skill: str | None = None,
                   page: int = 1, per_page: int = 20) -> Page:
    """One page of the directory, newest first. An out-of-range page number gives the nearest
    existing page rather than an error."""
    stmt = visible_profiles(viewer_is_member)
    if commune:
        stmt = stmt.where(Profile.commune_insee == commune)
    if epci:
        stmt = stmt.where(Profile.commune_insee.in_(
            select(Commune.insee).where(Commune.epci_code == epci)))
    if kind:
        stmt = stmt.where(Profile.kind == kind)
    if skill:
        stmt = stmt.where(Profile.id.in_(
            select(profile_skill.c.profile_id).join(Skill).where(Skill.key == fold(skill))))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    items = session.scalars(
        stmt.options(joinedload(Profile.user), joinedload(Profile.commune),
                     selectinload(Profile.skills))
        .order_by(Profile.updated_at.desc(), Profile.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).unique().all()
    return Page(items=list(items), total=total, page=page, per_page=per_page)
