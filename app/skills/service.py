"""Skill curation as plain functions over a session (the caller commits).

Invariant: every skill has an alias for its own key, and an alias key belongs to one skill.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from app.networks.queries import clamp_offset
from models import Skill, SkillAlias, network_skill, profile_skill
from models.textkey import skill_key, tidy

SEED_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "skills.json"


class SkillError(ValueError):
    """A curation request that cannot be done as asked (the message says why)."""


def load_seed(session: Session, path: Path = SEED_FILE) -> dict:
    """Create or refresh the canonical skills of the seed list; a free tag already typed with
    one of their spellings is merged into them. Safe to run again."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    created = merged = 0
    for entry in entries:
        spellings = [entry["fr"], entry.get("en") or "", *entry.get("synonyms", [])]
        known = Skill.lookup(session, [s for s in spellings if s])
        skill = known.get(skill_key(entry["fr"]))
        if skill is None:
            skill = Skill(name=tidy(entry["fr"]), key=skill_key(entry["fr"]))
            skill.aliases.append(SkillAlias(key=skill.key, label=skill.name))
            session.add(skill)
            session.flush()
            created += 1
        skill.name_en = tidy(entry.get("en") or "") or None
        skill.canonical = True
        for other in {s.id: s for s in known.values() if s is not skill}.values():
            merge_skills(session, target=skill, source=other)
            merged += 1
        add_aliases(session, skill, spellings)
    session.flush()
    return {"skills": len(entries), "created": created, "merged": merged}


def add_aliases(session: Session, skill: Skill, spellings: list[str]) -> None:
    """Point these spellings at the skill (those already pointing elsewhere are left alone)."""
    wanted = {skill_key(s): tidy(s) for s in spellings if skill_key(s)}
    taken = set(session.scalars(select(SkillAlias.key).where(SkillAlias.key.in_(wanted))))
    for key, label in wanted.items():
        if key not in taken:
            session.add(SkillAlias(key=key, label=label, skill_id=skill.id))


def merge_skills(session: Session, target: Skill, source: Skill, actor=None,
                 reason: str = "") -> int:
    """Move every profile, network and alias of `source` to `target`, then delete `source`.
    Returns how many profiles gained the target skill. Audited (`actor` None: the command
    line)."""
    from app.moderation.audit import audit
    if target.id == source.id:
        raise SkillError("same skill")
    audit(session, actor, "skill_merge", "skill", target.id, label=target.name,
          reason=reason, detail=f"{source.name} -> {target.name}")
    moved = 0
    for table, owner in ((profile_skill, profile_skill.c.profile_id),
                         (network_skill, network_skill.c.network_id)):
        already = select(owner).where(table.c.skill_id == target.id)
        # Counted by hand: an INSERT ... SELECT's rowcount is -1 on some drivers (psycopg).
        added = session.scalar(select(func.count()).select_from(table).where(
            table.c.skill_id == source.id, owner.not_in(already)))
        session.execute(insert(table).from_select(
            [owner.name, "skill_id"],
            select(owner, literal(target.id)).where(table.c.skill_id == source.id,
                                                    owner.not_in(already))))
        if table is profile_skill:
            moved = added
        session.execute(delete(table).where(table.c.skill_id == source.id))
    session.execute(update(SkillAlias).where(SkillAlias.skill_id == source.id)
                    .values(skill_id=target.id).execution_options(synchronize_session=False))
    # Profiles, networks and aliases loaded before the merge hold stale lists; the source's
    # aliases, reloaded, are now empty, so deleting it (through the session, which tells the
    # page caches) takes nothing else along.
    session.expire_all()
    session.delete(source)
    session.flush()
    return moved


def rename_skill(session: Session, skill: Skill, name: str, name_en: str | None = None) -> None:
    """Give the skill a new name; its old spellings keep leading to it. A name that already
    belongs to another skill is refused: that is a merge."""
    key = skill_key(name)
    if not key:
        raise SkillError("empty name")
    owner = session.scalar(select(SkillAlias.skill_id).where(SkillAlias.key == key))
    if owner is not None and owner != skill.id:
        raise SkillError("taken")
    skill.name, skill.key = tidy(name), key
    skill.name_en = tidy(name_en) if name_en else skill.name_en
    skill.canonical = True
    if owner is None:
        session.add(SkillAlias(key=key, label=skill.name, skill_id=skill.id))


@dataclass
class SkillRow:
    id: int
    name: str
    name_en: str | None
    canonical: bool
    profiles: int
    networks: int
    synonyms: list[str]


def skill_rows(session: Session, q: str = "", limit: int = 50,
               offset: int = 0) -> tuple[int, list[SkillRow]]:
    """(total, one page of skills with their usage counts and spellings), most used first.
    `q` matches any spelling by the start of its key ("dev" finds "Développement web")."""
    profiles = (select(profile_skill.c.skill_id, func.count().label("n"))
                .group_by(profile_skill.c.skill_id).subquery())
    networks = (select(network_skill.c.skill_id, func.count().label("n"))
                .group_by(network_skill.c.skill_id).subquery())
    query = (select(Skill, func.coalesce(profiles.c.n, 0), func.coalesce(networks.c.n, 0))
             .outerjoin(profiles, profiles.c.skill_id == Skill.id)
             .outerjoin(networks, networks.c.skill_id == Skill.id))
    key = skill_key(q) if q else ""
    if key:
        query = query.where(Skill.id.in_(select(SkillAlias.skill_id).where(
            SkillAlias.key.startswith(key, autoescape=True))))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    offset = clamp_offset(offset, limit, total)
    page = session.execute(query.order_by(func.coalesce(profiles.c.n, 0).desc(), Skill.name)
                           .limit(limit).offset(offset)).all()
    labels: dict[int, list[str]] = {}
    for skill_id, label in session.execute(
            select(SkillAlias.skill_id, SkillAlias.label)
            .where(SkillAlias.skill_id.in_([s.id for s, _, _ in page])).order_by(SkillAlias.label)):
        labels.setdefault(skill_id, []).append(label)
    rows = [SkillRow(s.id, s.name, s.name_en, s.canonical, n_p, n_n,
                     [x for x in labels.get(s.id, []) if x and x not in (s.name, s.name_en)])
            for s, n_p, n_n in page]
    return total, rows
