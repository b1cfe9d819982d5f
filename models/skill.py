"""Skills: canonical names (French, English), and every spelling that leads to them.

A skill's `key` is `skill_key(name)`; `SkillAlias` maps every known key (the name's, the English
name's, each synonym's, and those of skills merged into it) to one skill. A typed tag is looked
up by its key among the aliases; an unknown one becomes a new skill with its own alias.
"""
from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db
from models.textkey import skill_key, tidy

profile_skill = Table(
    "profile_skill",
    db.metadata,
    Column("profile_id", ForeignKey("profile.id", ondelete="CASCADE"), primary_key=True),
    Column("skill_id", ForeignKey("skill.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Skill(db.Model):
    __tablename__ = "skill"
    __shown_on_pages__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str | None] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(60), unique=True)
    # From the seed list or curated by an organiser, rather than a free tag typed once.
    canonical: Mapped[bool] = mapped_column(Boolean, default=False)

    aliases: Mapped[list[SkillAlias]] = relationship(back_populates="skill",
                                                     cascade="all, delete-orphan")

    def display_name(self, locale: str = "fr") -> str:
        return self.name_en if locale == "en" and self.name_en else self.name

    @classmethod
    def lookup(cls, session, names: list[str]) -> dict[str, Skill]:
        """{skill_key(name): Skill} for the names already known (by any alias), one query."""
        keys = {skill_key(name) for name in names} - {""}
        if not keys:
            return {}
        rows = session.execute(select(SkillAlias.key, cls).join(cls, SkillAlias.skill)
                               .where(SkillAlias.key.in_(keys)))
        found = {key: skill for key, skill in rows}
        if missing := keys - found.keys():  # a skill whose alias is not written yet
            found.update((s.key, s) for s in session.scalars(select(cls).where(cls.key.in_(missing))))
        return found

    @classmethod
    def get_or_create(cls, session, names: list[str]) -> list[Skill]:
        """The Skill rows for typed tags, in their order, without duplicates; unknown tags
        become new skills added to the session (not committed)."""
        found = cls.lookup(session, names)
        out: dict[int, Skill] = {}
        for name in names:
            key = skill_key(name)
            if not key:
                continue
            if key not in found:
                found[key] = cls(name=tidy(name), key=key)
                found[key].aliases.append(SkillAlias(key=key, label=tidy(name)))
                session.add(found[key])
            out.setdefault(id(found[key]), found[key])
        return list(out.values())


class SkillAlias(db.Model):
    __tablename__ = "skill_alias"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skill.id", ondelete="CASCADE"), index=True)
    # The spelling as typed in the seed list or by the organiser, for display ("dev web").
    label: Mapped[str] = mapped_column(String(60), default="")

    skill: Mapped[Skill] = relationship(back_populates="aliases")
