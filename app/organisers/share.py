"""Read-only links for elected officials without an account: an organiser makes a link to the
overview, the map and a viability sheet for a filter; anyone holding it sees those aggregates
(nothing under ORGANISER_MIN_CELL, the organisers' small-cell threshold) until it expires or is
revoked. Every use is logged (`SharedLinkUse`: when, what, the outcome; no address).

The token is a random secret signed with the app's secret key (itsdangerous, salted for this
use): a token we never made is refused before any query. The database keeps only its SHA-256,
so a copy of the table opens nothing; the link is shown once, when it is made. A link stops
working when it expires, when an organiser revokes it, or when its author is no longer an
organiser (their role changed, their account suspended or deleted).

Plain functions over a session: the views (`share_views.py`) commit."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from app.organisers.data import Filters
from app.organisers.forms import PRICE_FIELDS, ViabilityForm
from app.organisers.params import K_MAX, filters_from_request
from models import SharedLink, SharedLinkUse, ShareOutcome, User

SALT = "organisers.shared-link"
VALIDITY_DAYS = (7, 30, 90)
TOKEN_MAX_LENGTH = 200
PLAN_FIELDS = ("rent", "other_costs", *(f"price_{f}" for f in PRICE_FIELDS), "occupancy")
PLAN_FLAGS = ("free_first_month", "include_open")


class LinkState(StrEnum):
    OK = "ok"
    EXPIRED = "expired"
    REVOKED = "revoked"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(session: Session, creator: User, label: str, params: dict, days: int,
                now: datetime) -> tuple[SharedLink, str]:
    """(the new link, its token): the token is in no row, it is shown once."""
    token = _serializer().dumps(secrets.token_urlsafe(32))
    link = SharedLink(token_hash=token_hash(token), label=label.strip(), params=params,
                      created_by_id=creator.id, created_at=now,
                      expires_at=now + timedelta(days=days))
    session.add(link)
    session.flush()
    return link, token


def find_link(session: Session, token: str) -> SharedLink | None:
    """The link of a token, or None for one we did not sign (no query) or do not know."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    try:
        _serializer().loads(token)
    except BadSignature:
        return None
    return session.scalar(select(SharedLink).where(SharedLink.token_hash == token_hash(token)))


def link_state(link: SharedLink, now: datetime) -> LinkState:
    author = link.created_by
    if link.revoked_at is not None or author is None or not author.is_organiser \
            or author.suspended_at is not None:
        return LinkState.REVOKED
    if link.expires_at <= now:
        return LinkState.EXPIRED
    return LinkState.OK


def log_use(session: Session, link: SharedLink, what: str, state: LinkState,
            now: datetime) -> None:
    outcome = {LinkState.OK: ShareOutcome.SHOWN, LinkState.EXPIRED: ShareOutcome.EXPIRED,
               LinkState.REVOKED: ShareOutcome.REVOKED}[state]
    session.add(SharedLinkUse(link_id=link.id, used_at=now, what=what, outcome=outcome))


def revoke(session: Session, link: SharedLink, by: User, now: datetime) -> bool:
    """False when it already was."""
    if link.revoked_at is not None:
        return False
    link.revoked_at = now
    link.revoked_by_id = by.id
    return True


@dataclass
class Listed:
    link: SharedLink
    state: LinkState
    uses: int  # shown
    refused: int  # after it expired or was revoked
    last_used: datetime | None


def listing(session: Session, now: datetime) -> list[Listed]:
    """Every link, newest first, with its uses counted in one query."""
    counts = {}
    for link_id, outcome, n, last in session.execute(
            select(SharedLinkUse.link_id, SharedLinkUse.outcome, func.count(),
                   func.max(SharedLinkUse.used_at)).group_by(SharedLinkUse.link_id,
                                                             SharedLinkUse.outcome)):
        entry = counts.setdefault(link_id, [0, 0, None])
        entry[0 if outcome == ShareOutcome.SHOWN else 1] += n
        entry[2] = max(filter(None, (entry[2], last)), default=None)
    links = session.scalars(select(SharedLink).order_by(SharedLink.created_at.desc(),
                                                        SharedLink.id.desc())).all()
    return [Listed(link, link_state(link, now), *counts.get(link.id, (0, 0, None)))
            for link in links]


def uses(session: Session, link: SharedLink, limit: int = 500) -> list[SharedLinkUse]:
    return list(session.scalars(select(SharedLinkUse).where(SharedLinkUse.link_id == link.id)
                                .order_by(SharedLinkUse.used_at.desc(), SharedLinkUse.id.desc())
                                .limit(limit)))


# --- What a link shows ------------------------------------------------------------------------

def params_from(query: MultiDict, k: int, epcis: bool, site: str) -> dict | None:
    """What a link will show, from the organiser's page's query string (filters; the viability
    plan when they came from the viability sheet, else its defaults) and the share form's
    choices. None when the plan carried is not a valid one."""
    filters = filters_from_request(query)
    plan_form = ViabilityForm(query if query.get("site") else None)
    plan_form.site.data = site
    if not plan_form.validate():
        return None
    plan = {name: str(getattr(plan_form, name).data) for name in PLAN_FIELDS}
    plan.update({name: "y" for name in PLAN_FLAGS if getattr(plan_form, name).data})
    return {"filters": {"epci": filters.epci, "campaign": filters.campaign_id,
                        "track": filters.track,
                        "since": filters.since.isoformat() if filters.since else None,
                        "until": filters.until.isoformat() if filters.until else None},
            "k": max(0, min(k, K_MAX)), "epcis": bool(epcis), "site": site, "plan": plan}


def filters_of(params: dict) -> Filters:
    saved = params.get("filters", {})
    return filters_from_request({name: str(value) for name, value in saved.items() if value})


def report_args(params: dict) -> MultiDict:
    """The council report's settings of a link (`report.council`'s `args`): its viability plan
    and site, and the map's EPCI boundaries; its number of sites is `params["k"]`."""
    args = MultiDict(params.get("plan", {}))
    if params.get("site"):
        args["site"] = params["site"]
    if params.get("epcis"):
        args["epcis"] = "1"
    return args


def plan_form_of(params: dict) -> ViabilityForm | None:
    """The viability form of a link's plan, validated; None when it shows no sheet."""
    if not params.get("site"):
        return None
    form = ViabilityForm(MultiDict({**params.get("plan", {}), "site": params["site"]}))
    return form if form.validate() else None
