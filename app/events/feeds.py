"""Calendar feeds (iCalendar) and the embeddable agenda.

Public feeds (a place, a network, a commune, an EPCI, within a distance) carry the public events
only: calendar programs fetch them without anyone's cookies. A member's own calendar ("events I'm
going to", every audience) is behind a private link whose secret only its hash is kept of; a new
link revokes the old one. One event's `.ics` follows the event page's visibility.

The agenda page (`/events/embed`) is made to be shown in another site's frame (a town hall's):
public events, no JavaScript, links opening outside the frame; it alone allows any framing site
(`frame-ancestors *`), every other page refuses to be framed.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.events import queries
from app.events.access import event_or_404
from app.events.blueprint import bp
from app.events.calendar import calendar
from app.events.forms import EventFilterForm
from app.events.labels import DISTANCES
from app.pagecache import cached_page
from app.security import CONTENT_SECURITY_POLICY
from app.territory.gazetteer import match_communes
from models import (
    Commune,
    Epci,
    Event,
    EventAudience,
    EventRegistration,
    Network,
    Place,
    RegistrationStatus,
    User,
    db,
)
from models.types import utcnow

FEED_DAYS_BACK = 31  # a feed keeps last month's events (calendars show what happened)
FEED_DAYS_AHEAD = 366
EMBED_POLICY = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")


FEED_MAX = 500  # one-off events per feed, the soonest (and every recurring one)
CACHE_BUCKET_SECONDS = 300


def _ics(events, name: str, filename: str, shared: bool = True) -> Response:
    """`events`: the list, or a function giving it (a shared feed is built once per change of
    what pages show, or every CACHE_BUCKET_SECONDS, for everyone asking)."""
    def build() -> bytes:
        found = events() if callable(events) else events
        return calendar(found, name, request.host.split(":")[0] or "maillage", utcnow())
    bucket = int(utcnow().timestamp()) // CACHE_BUCKET_SECONDS
    body = cached_page(f"ics:{bucket}", build) if shared else build()
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'inline; filename="{filename}"',
        "Cache-Control": "max-age=300" if shared else "no-store"})


def _public_events(**where) -> list[Event]:
    """Public, not cancelled or cancelled lately, recurring or within the feed's window."""
    now = utcnow()
    found = queries.listed_events(db.session, None, queries.Filters(
        start=now - timedelta(days=FEED_DAYS_BACK), end=now + timedelta(days=FEED_DAYS_AHEAD),
        **where), include_cancelled=True, limit=FEED_MAX)
    return [event for event in found if event.audience == EventAudience.PUBLIC]


@bp.route("/<id:event_id>.ics")
def event_ics(event_id: int):
    event = event_or_404(event_id)
    return _ics([event], event.title, f"event-{event.id}.ics", shared=False)


@bp.route("/feeds/place/<id:place_id>.ics")
def place_feed(place_id: int):
    place = db.session.get(Place, place_id) or abort(404)
    return _ics(lambda: _public_events(place_id=place.id), place.name, f"place-{place.id}.ics")


@bp.route("/feeds/network/<id:network_id>.ics")
def network_feed(network_id: int):
    network = db.session.get(Network, network_id)
    if network is None or network.is_private:
        abort(404)  # a private network is not named to anyone outside it
    return _ics(lambda: _public_events(network_id=network.id), network.name,
                f"network-{network.id}.ics")


@bp.route("/feeds/commune/<insee>.ics")
def commune_feed(insee: str):
    commune = db.session.get(Commune, insee[:5]) or abort(404)
    km = request.args.get("km", "")
    km = int(km) if km.isdigit() and int(km) in DISTANCES else None
    name = commune.name if km is None else _("%(commune)s and %(km)d km around",
                                             commune=commune.name, km=km)
    return _ics(lambda: _public_events(commune=commune, km=km), name,
                f"commune-{commune.insee}.ics")


@bp.route("/feeds/epci/<code>.ics")
def epci_feed(code: str):
    epci = db.session.get(Epci, code[:9]) or abort(404)
    return _ics(lambda: _public_events(epci=epci.code), epci.name, f"epci-{epci.code}.ics")


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@bp.route("/feeds/me/<secret>.ics")
def my_feed(secret: str):
    user = db.session.scalar(select(User).where(
        User.calendar_token_hash == _token_hash(secret[:100]), User.suspended_at.is_(None)))
    if user is None:
        abort(404)
    events = db.session.scalars(select(Event).join(
        EventRegistration, EventRegistration.event_id == Event.id).where(
        EventRegistration.user_id == user.id,
        EventRegistration.status == RegistrationStatus.REGISTERED)
        .order_by(Event.starts_at)).all()
    return _ics(list(events), _("My events on Maillage"), "maillage.ics", shared=False)


@bp.route("/mine")
@login_required
def mine():
    """The events I'm going to (or waiting for), and my calendar's private link."""
    rows = db.session.execute(select(Event, EventRegistration.status).join(
        EventRegistration, EventRegistration.event_id == Event.id).where(
        EventRegistration.user_id == current_user.id,
        EventRegistration.status != RegistrationStatus.CANCELLED,
        Event.ends_at > utcnow() - timedelta(days=1)).order_by(Event.starts_at)).all()
    return render_template("events/mine.html", rows=rows,
                           has_link=current_user.calendar_token_hash is not None)


@bp.post("/mine/link")
@login_required
def new_link():
    """A new private link (the old one stops working). Shown once: only its hash is kept."""
    secret = secrets.token_urlsafe(24)
    user = db.session.get(User, current_user.id)
    user.calendar_token_hash = _token_hash(secret)
    db.session.commit()
    return render_template("events/mine_link.html",
                           link=url_for("events.my_feed", secret=secret, _external=True))


@bp.post("/mine/link/revoke")
@login_required
def revoke_link():
    user = db.session.get(User, current_user.id)
    user.calendar_token_hash = None
    db.session.commit()
    flash(_("Your calendar link no longer works."), "success")
    return redirect(url_for("events.mine"))


@bp.route("/embed")
def embed():
    """Public events of a commune (and around it) or of an EPCI, for another site's frame."""
    form = EventFilterForm(request.args)
    now = utcnow()
    commune = None
    typed = (form.commune.data or "").strip()[:120]
    if typed:
        found = match_communes(db.session, typed)
        commune = found[0] if found else None
    km = int(form.km.data) if (form.km.data or "").isdigit() and \
        int(form.km.data) in DISTANCES else None
    epci = (request.args.get("epci") or "")[:9] or None
    items = [] if typed and commune is None else queries.listed(db.session, None, queries.Filters(
        start=now, end=now + timedelta(days=92), commune=commune, km=km, epci=epci), limit=20,
        each_once=True)
    response = Response(render_template("events/embed.html", items=items, commune=commune,
                                        km=km))
    response.headers["Content-Security-Policy"] = EMBED_POLICY
    return response
