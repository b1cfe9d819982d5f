"""A campaign's frame: its territory (EPCIs and communes), its deadline, a referent per EPCI
and the answers aimed at per EPCI and questionnaire. Plain functions over a session; the views
commit. Every change is written in the audit log."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.census import refs
from app.moderation.audit import audit
from models import Campaign, CensusEpci, CensusFrame, CensusQuota, Commune, Epci, Track, User
from models.types import utcnow


@dataclass(frozen=True)
class Place:
    """A commune of the territory as the draw sees it."""

    insee: str
    epci: str  # "" for a commune without an EPCI
    population: int


def frame_for(session: Session, campaign: Campaign) -> CensusFrame:
    """The campaign's frame, made (with a new short code) the first time it is asked for."""
    frame = session.get(CensusFrame, campaign.id)
    if frame is not None:
        return frame
    try:
        with session.begin_nested():  # two first visits at once: the first one's stands
            frame = CensusFrame(campaign_id=campaign.id, commune_codes=[],
                                short_code=_free_short_code(session))
            session.add(frame)
    except IntegrityError:
        frame = session.get(CensusFrame, campaign.id, populate_existing=True)
    return frame


def _free_short_code(session: Session) -> str:
    while True:  # 2^30 codes: a collision is rare, and then another is drawn
        code = refs.new_code(refs.CAMPAIGN_CODE_LENGTH)
        if session.scalar(select(CensusFrame.campaign_id).where(
                CensusFrame.short_code == code)) is None:
            return code


def territory(session: Session, campaign: Campaign, frame: CensusFrame | None) -> dict[str, Place]:
    """The communes surveyed: those of the campaign's EPCIs and the frame's communes; neither
    given, the whole territory."""
    epcis = set(campaign.epci_codes or [])
    communes = set(frame.commune_codes or []) if frame is not None else set()
    query = select(Commune.insee, Commune.epci_code, Commune.population)
    places = {insee: Place(insee, epci or "", population or 0)
              for insee, epci, population in session.execute(query)}
    if not epcis and not communes:
        return places
    return {insee: p for insee, p in places.items() if p.epci in epcis or insee in communes}


def territory_epcis(session: Session, places: dict[str, Place]) -> list[Epci]:
    codes = {p.epci for p in places.values() if p.epci}
    if not codes:
        return []
    return list(session.scalars(select(Epci).where(Epci.code.in_(sorted(codes)))
                                .order_by(Epci.name)))


def save_frame(session: Session, campaign: Campaign, frame: CensusFrame, actor: User, *,
               epci_codes: list[str], commune_codes: list[str], deadline: date,
               letter_text: str, flyer_text: str) -> None:
    """The frame as the form gave it. Referents and answer targets of EPCIs that leave the
    territory go (each referent removed is written in the log)."""
    campaign.epci_codes = sorted(set(epci_codes))
    frame.commune_codes = sorted(set(commune_codes))
    campaign.ends_on = deadline
    frame.letter_text = letter_text
    frame.flyer_text = flyer_text
    frame.updated_at = utcnow()
    frame.updated_by_id = actor.id
    kept = {p.epci for p in territory(session, campaign, frame).values()}
    for row in session.scalars(select(CensusEpci).where(CensusEpci.campaign_id == campaign.id)):
        if row.epci_code not in kept:
            if row.referent_id is not None:
                audit(session, actor, "census_referent", "campaign", campaign.id,
                      label=campaign.title, detail=f"{row.epci_code}: #{row.referent_id} -> -")
            session.delete(row)
    session.execute(delete(CensusQuota).where(CensusQuota.campaign_id == campaign.id,
                                              CensusQuota.epci_code.not_in(sorted(kept))))
    audit(session, actor, "census_frame", "campaign", campaign.id, label=campaign.title,
          detail=f"EPCI {len(campaign.epci_codes)}, communes {len(frame.commune_codes)}, "
                 f"deadline {deadline.isoformat()}")


@dataclass
class EpciSetting:
    epci: str
    referent: User | None
    answers: dict[Track, int]


def epci_settings(session: Session, campaign: Campaign, epcis: list[Epci]) -> dict[str, EpciSetting]:
    """Each EPCI's referent and answer targets as stored (none yet: no referent, 0)."""
    rows = {r.epci_code: r for r in session.scalars(select(CensusEpci).where(
        CensusEpci.campaign_id == campaign.id))}
    quotas = {(q.epci_code, q.track): q.answers for q in session.scalars(
        select(CensusQuota).where(CensusQuota.campaign_id == campaign.id))}
    out = {}
    for epci in epcis:
        row = rows.get(epci.code)
        out[epci.code] = EpciSetting(
            epci.code, row.referent if row is not None else None,
            {track: quotas.get((epci.code, track), 0) for track in Track})
    return out


def save_epcis(session: Session, campaign: Campaign, actor: User,
               settings: dict[str, EpciSetting]) -> None:
    """Referents and answer targets per EPCI; each referent named or removed and each change of
    targets written in the log."""
    rows = {r.epci_code: r for r in session.scalars(select(CensusEpci).where(
        CensusEpci.campaign_id == campaign.id))}
    quotas = {(q.epci_code, q.track): q for q in session.scalars(
        select(CensusQuota).where(CensusQuota.campaign_id == campaign.id))}
    changed_targets = []
    for code, setting in settings.items():
        row = rows.get(code)
        old = row.referent_id if row is not None else None
        new = setting.referent.id if setting.referent is not None else None
        if old != new:
            if row is None:
                row = CensusEpci(campaign_id=campaign.id, epci_code=code)
                session.add(row)
            row.referent_id = new
            audit(session, actor, "census_referent", "campaign", campaign.id,
                  label=campaign.title,
                  detail=f"{code}: #{old or '-'} -> #{new or '-'}".replace("#-", "-"))
        for track, answers in setting.answers.items():
            quota = quotas.get((code, track))
            if quota is None and answers:
                session.add(CensusQuota(campaign_id=campaign.id, epci_code=code, track=track,
                                        answers=answers))
                changed_targets.append(f"{code} {track} {answers}")
            elif quota is not None and quota.answers != answers:
                quota.answers = answers
                changed_targets.append(f"{code} {track} {answers}")
    if changed_targets:
        audit(session, actor, "census_quota", "campaign", campaign.id, label=campaign.title,
              detail="; ".join(changed_targets))
