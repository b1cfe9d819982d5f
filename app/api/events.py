"""JSON for events, with the visibility of their pages: a visitor gets the public ones, a
member the members' ones too, a network's members its network-only ones."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import request, url_for

from app.api import schemas
from app.api.blueprint import bp
from app.api.contract import contract
from app.events import queries
from app.events.access import event_or_404, viewer_id
from app.events.labels import DISTANCES
from app.events.occurrences import occurrences
from app.territory.gazetteer import match_communes
from app.text import render_markdown
from models import Event, EventKind, db
from models.types import utcnow

MAX_DAYS = 366


def event_dict(event: Event, full: bool = False) -> dict:
    data = {
        "id": event.id, "title": event.title, "kind": event.kind,
        "audience": event.audience, "location": event.location,
        "place": {"id": event.place.id, "name": event.place.name} if event.place else None,
        "network": {"id": event.network.id, "name": event.network.name}
        if event.network else None,
        "commune": {"code": event.commune.insee, "name": event.commune.name}
        if event.commune else None,
        "address": event.address, "price_eur": event.price_eur, "capacity": event.capacity,
        "seats_left": event.seats_left if event.takes_registrations else None,
        "recurrence": event.rrule, "cancelled": event.cancelled_at is not None,
        "url": url_for("events.show", event_id=event.id, _external=True),
        "ics": url_for("events.event_ics", event_id=event.id, _external=True),
    }
    if full:
        now = utcnow()
        data.update({
            "description": event.description,
            "description_html": str(render_markdown(event.description)),
            "starts_at": event.starts_at.isoformat(), "ends_at": event.ends_at.isoformat(),
            "occurrences": [{"start": o.start.isoformat(), "end": o.end.isoformat(),
                             "moved": o.moved}
                            for o in occurrences(event, now, now + timedelta(days=92))[:50]],
        })
    return data


class BadArgument(ValueError):
    pass


def _moment(name: str, default: datetime) -> datetime:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    try:
        moment = datetime.fromisoformat(raw[:40])
    except ValueError:
        raise BadArgument(f"{name}: an ISO 8601 date or date-time, e.g. 2027-03-04") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _bad(detail: str):
    return {"error": "Bad request", "detail": detail, "status": 400}, 400


@bp.route("/events")
@contract(response=schemas.Events, summary="Event occurrences, soonest first",
          query={"from": str, "to": str, "commune": str, "km": int, "epci": str, "kind": str, "place": int,
                 "network": int},
          tags=("events",))
def events():
    """`?from=&to=` (ISO 8601, at most a year apart), `commune=` (a name or a code) with
    `km=5|10|20|30|50`, `epci=`, `kind=` (repeatable), `place=`, `network=`: the occurrences,
    soonest first (at most 200)."""
    now = utcnow()
    try:
        start = _moment("from", now)
        end = _moment("to", start + timedelta(days=92))
    except BadArgument as error:
        return _bad(str(error))
    if end <= start or end - start > timedelta(days=MAX_DAYS):
        return _bad("to: after from, and at most 366 days later")
    commune = None
    if (request.args.get("commune") or "").strip():
        found = match_communes(db.session, request.args["commune"][:120])
        if not found:
            return {"total": 0, "items": [], "next": None}
        commune = found[0]
    km = request.args.get("km", "")
    km = int(km) if km.isdigit() and int(km) in DISTANCES else None
    kinds = tuple(k for k in request.args.getlist("kind") if k in EventKind._value2member_map_)
    place = request.args.get("place", "")
    network = request.args.get("network", "")
    items = queries.listed(db.session, viewer_id(), queries.Filters(
        start=start, end=end, commune=commune, km=km,
        epci=(request.args.get("epci") or "")[:9] or None, kinds=kinds,
        place_id=int(place) if place.isdigit() and len(place) < 12 else None,
        network_id=int(network) if network.isdigit() and len(network) < 12 else None),
        limit=200)
    return {"total": len(items), "items": [
        {**event_dict(item.event), "start": item.occurrence.start.isoformat(),
         "end": item.occurrence.end.isoformat(), "moved": item.occurrence.moved}
        for item in items], "next": None}


@bp.route("/events/<id:event_id>")
@contract(response=schemas.EventFull, summary="One event", tags=("events",))
def event(event_id: int):
    return event_dict(event_or_404(event_id), full=True)
