"""A campaign's progress and its restitution.

**Progress**, per EPCI and track: the campaign's answers (current declarations that answered it,
by the EPCI of their home commune, as the organisers' figures count them) against the answers
aimed at (`CensusQuota`); per EPCI, the response rate of the sample (targets in the sample
marked answered, over the targets in the sample); the days left to the deadline. A referent
sees their EPCIs' rows only, no total.

**Closing.** A campaign closes at its deadline (`Campaign.ends_on`: answers are taken until
that day) or by hand (an organiser: the deadline becomes yesterday). Either way the closing is
written once in the audit log ("census_close", target kind "campaign"): by the mail loop's
periodic job (`close_due`, app/jobs.py JOBS, every CENSUS_CLOSE_EVERY seconds) or,
whichever comes first, on the first view of the progress page after the deadline.

**The restitution** is the council report of the organisers (app/organisers/report.py) limited
to the campaign's answers, with a section on the census: the sample's method (seed, size, the
allocation rule, the strata) and the per-EPCI response rates and answers against targets. Made
on request once the campaign is closed, from the data as it stands (nothing is kept: the
figures are those of the closed campaign, which takes no more answers).

The small-cell rule of the organisers' outputs holds in every table here (page and PDF): a
count of people or of targets under ORGANISER_MIN_CELL (but not 0) reads "fewer than 3", a rate
over such a count is not shown, and a total that would give such a cell away by subtraction
reads "N or more"."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_percent
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.census.access import CensusAccess
from app.census.labels import SIZE_LABELS
from app.demand import labels as DL
from app.moderation.audit import audit
from app.organisers.aggregates import small
from app.organisers.data import Filters, current_rows
from app.organisers.tables import INT, RATIO, Column, Hidden, Table, people, small_cell_note
from models import (
    AuditEntry,
    Campaign,
    CensusDraw,
    CensusFrame,
    CensusQuota,
    CensusTarget,
    Epci,
    OutreachStatus,
    User,
)

CLOSE_ACTION = "census_close"


def is_closed(campaign: Campaign, today: date) -> bool:
    return campaign.ends_on < today


def days_left(campaign: Campaign, today: date) -> int:
    """Days of answers left, today included (0: closed)."""
    return max((campaign.ends_on - today).days + 1, 0)


def closing_entry(session: Session, campaign: Campaign) -> AuditEntry | None:
    return session.scalar(select(AuditEntry).where(
        AuditEntry.action == CLOSE_ACTION, AuditEntry.target_kind == "campaign",
        AuditEntry.target_id == campaign.id).order_by(AuditEntry.id).limit(1))


def close(session: Session, campaign: Campaign, actor: User | None, today: date) -> bool:
    """Close the campaign (by hand: `actor`; at its deadline: None). False when it was closed
    and logged already. The caller commits."""
    if closing_entry(session, campaign) is not None:
        return False
    how = "deadline"
    if not is_closed(campaign, today):
        campaign.ends_on = today - timedelta(days=1)
        campaign.starts_on = min(campaign.starts_on, campaign.ends_on)
        how = "by hand"
    audit(session, actor, CLOSE_ACTION, "campaign", campaign.id, label=campaign.title,
          detail=f"{how}, {campaign.ends_on.isoformat()}")
    return True


def close_due(session: Session) -> int:
    """The periodic job: census campaigns (those with a frame) past their deadline and not
    logged as closed yet are. Returns how many (the loop commits)."""
    today = date.today()
    closed = 0
    for campaign in session.scalars(select(Campaign).join(
            CensusFrame, CensusFrame.campaign_id == Campaign.id).where(
            Campaign.ends_on < today)):
        closed += close(session, campaign, None, today)
    return closed


@dataclass
class Progress:
    tables: list[Table]
    days_left: int
    closed: bool


def _rate(answered: int, total: int, threshold: int):
    if total == 0:
        return None
    if small(answered, threshold) is None:
        return Hidden(threshold, about=True)
    return format_percent(answered / total, "#,##0 %")


def _total(values: list[int], threshold: int):
    """A total of counts some of which are hidden: "N or more" (their sum would give them
    away), or hidden itself when small."""
    total = sum(values)
    if small(total, threshold) is None:
        return Hidden(threshold)
    shown = sum(v for v in values if small(v, threshold) is not None)
    if shown == total:
        return total
    return _("%(n)d or more", n=max(shown, threshold))


def progress(session: Session, access: CensusAccess, threshold: int, today: date) -> Progress:
    campaign = access.campaign
    names = dict(session.execute(select(Epci.code, Epci.name)).all())
    quotas = {(q.epci_code, q.track): q.answers for q in session.scalars(
        select(CensusQuota).where(CensusQuota.campaign_id == campaign.id))}
    answers = Counter((r.epci or "", r.track) for r in current_rows(
        session, Filters(campaign_id=campaign.id)))
    sample = dict(session.execute(
        select(CensusTarget.epci_code, func.count()).where(
            CensusTarget.campaign_id == campaign.id, CensusTarget.swapped_out_at.is_(None),
            access.targets()).group_by(CensusTarget.epci_code)).all())
    answered = dict(session.execute(
        select(CensusTarget.epci_code, func.count()).where(
            CensusTarget.campaign_id == campaign.id, CensusTarget.swapped_out_at.is_(None),
            CensusTarget.status == OutreachStatus.ANSWERED, access.targets())
        .group_by(CensusTarget.epci_code)).all())
    epcis = sorted({e for e, _t in quotas} | {e for e, _t in answers if e} | set(sample)
                   | set(campaign.epci_codes or []), key=lambda e: (names.get(e, e), e))
    epcis = [e for e in epcis if access.sees_epci(e)]
    tracks = [t for t in campaign.tracks if t in DL.TRACK_LABELS] or list(DL.TRACK_LABELS)

    against = Table(_("Answers"), _("Answers against targets, per community of communes and "
                                    "questionnaire"),
                    [Column(_("Community of communes")), Column(_("Questionnaire")),
                     Column(_("Answers"), INT), Column(_("Target"), INT),
                     Column(_("Share of the target"))])
    for epci in epcis:
        for track in tracks:
            n, aim = answers.get((epci, track), 0), quotas.get((epci, track), 0)
            against.rows.append([names.get(epci, epci), str(DL.TRACK_LABELS[track]),
                                 people(n, threshold), aim or None,
                                 _rate(n, aim, threshold) if aim else None])
    if access.organiser:
        elsewhere = [answers[k] for k in answers if k[0] not in epcis]
        if sum(elsewhere):
            against.rows.append([_("Outside the communities surveyed"), "",
                                 people(sum(elsewhere), threshold), None, None])
        against.rows.append([_("Total"), "", _total(list(answers.values()), threshold),
                             sum(quotas.values()) or None, None])
    against.notes.append(small_cell_note(threshold))

    rates = Table(_("Response rates"), _("Response rate of the sample, per community of "
                                         "communes"),
                  [Column(_("Community of communes")), Column(_("Targets in the sample"), INT),
                   Column(_("Answered"), INT), Column(_("Response rate"))])
    shown_epcis = [e for e in epcis if sample.get(e)]
    for epci in shown_epcis:
        total, done = sample.get(epci, 0), answered.get(epci, 0)
        rates.rows.append([names.get(epci, epci), people(total, threshold),
                           people(done, threshold), _rate(done, total, threshold)])
    if access.organiser and shown_epcis:
        totals = [sample.get(e, 0) for e in shown_epcis]
        dones = [answered.get(e, 0) for e in shown_epcis]
        hidden = any(small(v, threshold) is None for v in dones)
        rates.rows.append([_("Total"), _total(totals, threshold), _total(dones, threshold),
                           None if hidden else _rate(sum(dones), sum(totals), threshold)])
    rates.notes.append(small_cell_note(threshold))
    return Progress([against, rates], days_left(campaign, today), is_closed(campaign, today))


def method_tables(session: Session, campaign: Campaign, threshold: int) -> list[Table]:
    """The sample's method for the restitution: the latest draw's seed, size, filters and the
    allocation rule, and its strata (counts of units under the threshold hidden)."""
    draw = session.scalar(select(CensusDraw).where(CensusDraw.campaign_id == campaign.id)
                          .order_by(CensusDraw.id.desc()).limit(1))
    names = dict(session.execute(select(Epci.code, Epci.name)).all())
    method = Table(_("Sample"), _("The sample's method"),
                   [Column(_("Item")), Column(_("Value"))])
    if draw is None:
        method.rows.append([_("Sample"), _("No sample was drawn: only the campaign's link "
                                           "and field answers.")])
        return [method]
    method.rows += [
        [_("Seed"), draw.seed],
        [_("Size asked"), str(draw.size)],
        [_("Units that could be drawn"), str(people(draw.frame_size, threshold))],
        [_("Activities"), (_("only %(codes)s", codes=", ".join(draw.naf_include))
                           if draw.naf_include else _("all"))
         + (", " + _("except %(codes)s", codes=", ".join(draw.naf_exclude))
            if draw.naf_exclude else "")],
        [_("Members who have not declared"),
         _("included") if draw.include_members else _("not included")],
        [_("Frame"), _("Active establishments of the SIRENE register whose data may be "
                       "published, in the communes surveyed, neither on the do-not-contact "
                       "list nor having declared already; and, if included, members without a "
                       "declaration.")],
        [_("Strata"), _("Community of communes × commune size: rural (under 2,000 "
                        "inhabitants), small town (2,000 to 9,999), town (10,000 or more).")],
        [_("Allocation rule"), _("To each community of communes in proportion to its units "
                                 "in the frame (largest remainder: within one target of its "
                                 "quota); within it, rural communes first get their share "
                                 "rounded up, the other sizes share the rest in proportion.")],
        [_("How units are drawn"), _("Each unit gets a key, the SHA-256 of the seed and the unit; each "
                      "stratum takes its units of smallest key: the same seed over the same "
                      "data gives the same sample.")],
    ]
    strata = Table(_("Strata"), _("Strata of the sample"),
                   [Column(_("Community of communes")), Column(_("Commune size")),
                    Column(_("Could be drawn"), INT), Column(_("Quota"), RATIO),
                    Column(_("Drawn"), INT)])
    for s in sorted(draw.strata, key=lambda s: (names.get(s["epci"], s["epci"]),
                                                s["size_class"])):
        strata.rows.append([names.get(s["epci"], s["epci"]),
                            str(SIZE_LABELS.get(s["size_class"], s["size_class"])),
                            people(int(s.get("available", 0)), threshold),
                            round(float(s.get("quota", 0)), 2),
                            people(int(s.get("drawn", 0)), threshold)])
    strata.notes.append(small_cell_note(threshold))
    return [method, strata]
