"""Alerts: who should hear of a profile that is new or was edited.

Run by a mail loop every SAVED_SEARCH_ALERT_EVERY seconds, once across all processes (app/jobs.py:
JOBS), or `flask search alerts`. It looks at the profiles whose `updated_at` passed since
its last look (kept in `saved_search_scan`, read back SLACK earlier so that a transaction
committed late is not missed), and matches each against every saved search whose member is
active: the same reading as the search page (search/understanding/: the words with their skill
synonyms must all be in the profile's document, the place's communes must hold its commune, the
kind must be the same). A match is told once per search and profile (`saved_search_match`,
unique), by a notification (app/social/notify.py: never across a block, either way), which the
member's preferences send by mail in the daily (or weekly) digest, or not at all: never at once
(models/mail.py: NOT_AT_ONCE). Never about someone suspended, oneself, or a profile older than
the search; at most MATCHES_PER_DAY notifications per search a day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.savedsearch.service import describe
from app.social.notify import notify
from models import (
    NotificationKind,
    Profile,
    SavedSearch,
    SavedSearchMatch,
    SavedSearchScan,
    User,
)
from models.types import utcnow
from search import documents
from search.understanding import sources, understand
from search.understanding.words import query_terms, terms

SCAN = "alerts"
SLACK = timedelta(minutes=5)
FIRST_LOOK = timedelta(days=1)  # the first run looks this far back
MATCHES_PER_DAY = 20
BATCH = 500  # changed profiles read at a time


@dataclass
class AlertReport:
    profiles: int = 0  # looked at
    alerts: int = 0  # notifications made


@dataclass
class _Compiled:
    search: SavedSearch
    words: list[list[str]]  # per word, its forms (synonyms): one must be in the document
    communes: set[str] | None
    none: bool  # the place is unknown now (the gazetteer changed): matches nothing


def _compile(session: Session, searches: list[SavedSearch]) -> list[_Compiled]:
    gazetteer, thesaurus = sources.gazetteer(session), sources.thesaurus(session)
    out = []
    for s in searches:
        understood = understand(gazetteer, s.query, s.commune, s.within_km)
        words = [thesaurus.alternatives(w) for w in query_terms(understood.text, 8)]
        communes = understood.communes
        out.append(_Compiled(s, words, set(communes) if communes is not None else None,
                             understood.unplaceable))
    return out


def matches(c: _Compiled, doc_terms: set[str], commune: str | None, kind) -> bool:
    if c.none:
        return False
    if c.search.profile_kind and kind != c.search.profile_kind:
        return False
    if c.communes is not None and commune not in c.communes:
        return False
    return all(any(form in doc_terms for form in forms) for forms in c.words)


def send_alerts(session: Session, now: datetime | None = None) -> AlertReport:
    """Look at the profiles changed since the last run; notify. The caller commits."""
    now = now or utcnow()
    scan = session.get(SavedSearchScan, SCAN)
    if scan is None:
        scan = SavedSearchScan(name=SCAN, until=now - FIRST_LOOK)
        session.add(scan)
    since = scan.until - SLACK
    report = AlertReport()
    searches = list(session.scalars(
        select(SavedSearch).join(User, User.id == SavedSearch.user_id)
        .where(User.suspended_at.is_(None)).order_by(SavedSearch.id)))
    if searches:
        compiled = _compile(session, searches)
        changed = list(session.scalars(
            select(Profile.id).join(User, User.id == Profile.user_id)
            .where(Profile.updated_at > since, Profile.updated_at <= now,
                   User.suspended_at.is_(None)).order_by(Profile.id)))
        for start in range(0, len(changed), BATCH):
            report.profiles += _look(session, compiled, changed[start:start + BATCH], now,
                                     report)
    scan.until = now
    return report


def _look(session: Session, compiled: list[_Compiled], ids: list[int], now: datetime,
          report: AlertReport) -> int:
    rows = {p.id: p for p in session.scalars(select(Profile).where(Profile.id.in_(ids)))}
    told = set(tuple(r) for r in session.execute(select(SavedSearchMatch.saved_search_id,
                                      SavedSearchMatch.profile_id)
                               .where(SavedSearchMatch.profile_id.in_(ids))).all())
    today = dict(tuple(r) for r in session.execute(
        select(SavedSearchMatch.saved_search_id, func.count())
        .where(SavedSearchMatch.created_at > now - timedelta(days=1))
        .group_by(SavedSearchMatch.saved_search_id)).all())
    for doc in documents.profile_docs(session, ids):
        profile = rows.get(int(doc["key"].split(":")[1]))
        if profile is None:
            continue
        doc_terms = set(terms(doc["all"]))
        for c in compiled:
            s = c.search
            if s.user_id == profile.user_id or (s.id, profile.id) in told \
                    or profile.updated_at < s.created_at or today.get(s.id, 0) >= MATCHES_PER_DAY:
                continue
            if not matches(c, doc_terms, profile.commune_insee, profile.kind):
                continue
            session.add(SavedSearchMatch(saved_search_id=s.id, profile_id=profile.id,
                                         created_at=now))
            told.add((s.id, profile.id))
            today[s.id] = today.get(s.id, 0) + 1
            # notify() leaves out anyone who blocked the profile's owner or was blocked by
            # them: the match is kept all the same, so it is never told later either.
            report.alerts += notify(session, [s.user_id], NotificationKind.SEARCH_MATCH,
                                    profile.user_id, detail=describe(s))
    return len(rows)
