"""Read-side queries of the census, shared by its pages and exports: targets with what may be
shown of them (an establishment's name and activity as SIRENE publishes them today, a member's
name), and the audit entries of a target."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.census.access import CensusAccess
from app.demand.naf import naf_label
from models import (
    AuditEntry,
    CensusTarget,
    CensusUnit,
    Commune,
    Epci,
    SireneEstablishment,
    User,
)
from models.types import matches_value


@dataclass
class TargetRow:
    target: CensusTarget
    name: str  # "" when SIRENE does not let us name the establishment (any more)
    naf_code: str
    commune: str
    epci: str
    status_by: str

    @property
    def naf(self) -> str:
        return f"{self.naf_code} {naf_label(self.naf_code)}".strip()


def target_rows(session: Session, access: CensusAccess, *, in_sample: bool = True,
                status: str | None = None, epci: str | None = None,
                ids: list[int] | None = None) -> list[TargetRow]:
    """The targets this person may see, in the draw's order (EPCI, size class, key)."""
    by = aliased(User)
    member = aliased(User)
    e = SireneEstablishment
    query = (select(CensusTarget, e.name, e.diffusible, e.naf_code, Commune.name, Epci.name,
                    by.display_name, member.display_name)
             .outerjoin(e, e.siret == CensusTarget.siret)
             .outerjoin(member, member.id == CensusTarget.user_id)
             .outerjoin(Commune, Commune.insee == CensusTarget.commune_insee)
             .outerjoin(Epci, Epci.code == CensusTarget.epci_code)
             .outerjoin(by, by.id == CensusTarget.status_by_id)
             .where(CensusTarget.campaign_id == access.campaign.id, access.targets())
             .order_by(Epci.name, CensusTarget.epci_code, CensusTarget.size_class,
                       CensusTarget.draw_key, CensusTarget.id))
    query = query.where(CensusTarget.swapped_out_at.is_(None) if in_sample
                        else CensusTarget.swapped_out_at.is_not(None))
    if status:
        query = query.where(matches_value(CensusTarget.status, status))
    if epci:
        query = query.where(CensusTarget.epci_code == epci[:9])
    if ids is not None:
        query = query.where(CensusTarget.id.in_(ids))
    rows = []
    for target, name, diffusible, naf, commune, epci_name, status_by, member_name in \
            session.execute(query):
        if target.unit == CensusUnit.ESTABLISHMENT:
            shown = name if diffusible else ""
            code = naf if diffusible else ""
        else:
            shown, code = member_name or "", ""
        rows.append(TargetRow(target, shown or "", code or "", commune or "", epci_name or "",
                              status_by or ""))
    return rows


def history(session: Session, target: CensusTarget) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.target_kind == "census", AuditEntry.target_id == target.id)
        .order_by(AuditEntry.id)))
