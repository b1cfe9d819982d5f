"""JSON for the tiers-lieux directory (public, like its pages)."""
from __future__ import annotations

from flask import abort, request, url_for
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.api import schemas
from app.api.blueprint import bp
from app.api.contract import contract
from app.api.paging import cursor_arg, next_cursor
from app.args import page_arg
from app.places.forms import PlaceFilterForm
from app.places.queries import filtered_places
from app.places.sources import SOURCES
from app.text import render_markdown
from models import Place, PlaceInterest, db

PLACES_PER_PAGE = 50


def place_dict(place: Place, interested: int, full: bool = False) -> dict:
    data = {
        "id": place.id, "name": place.name, "status": place.status,
        "commune": {"code": place.commune.insee, "name": place.commune.name,
                    "epci": place.commune.epci.to_dict() if place.commune.epci else None},
        "capacity_desks": place.capacity_desks, "surface_m2": place.surface_m2,
        "equipment": place.equipment, "free_first_month": place.free_first_month,
        "plans": [{"name": p.name, "price_eur": p.price_cents / 100, "period": p.period,
                   "included_days": p.included_days, "tax_included": p.tax_included}
                  for p in place.plans],
        "interested": interested,
        "kind": place.kind, "website": place.website,
        # An imported place: its list, its ID there, whether it was checked since, and the
        # attribution the list's licence asks of whoever reuses it (app/places/sources.py).
        "source": {"name": place.source, "id": place.source_id,
                   "confirmed": place.confirmed_at is not None,
                   "attribution": SOURCES[place.source].attribution
                   if place.source in SOURCES else None} if place.source else None,
        "url": url_for("places.show", place_id=place.id, _external=True),
    }
    if full:
        data.update({
            "address": place.address, "rent_eur_month": place.rent_eur_month,
            "opening_hours": place.opening_hours, "description": place.description,
            "description_html": str(render_markdown(place.description)),
            "charter": place.charter, "governance_model": place.governance_model,
            "animators": [a.display_name for a in place.animators],
        })
    return data


def _interest(ids: list[int]) -> dict[int, int]:
    return dict(db.session.execute(select(PlaceInterest.place_id, func.count())
                                   .where(PlaceInterest.place_id.in_(ids))
                                   .group_by(PlaceInterest.place_id)).all()) if ids else {}


@bp.route("/places")
@contract(response=schemas.Places, summary="Tiers-lieux",
          query={"commune": str, "epci": str, "status": str, "equipment": str, "page": int},
          tags=("places",))
def places():
    """`?commune=&epci=&status=&equipment=kitchen&equipment=printer&page=`"""
    form = PlaceFilterForm(MultiDict(request.args))
    form.epci.choices = []
    page = cursor_arg("page") or page_arg()
    total, found = filtered_places(db.session, form, PLACES_PER_PAGE, (page - 1) * PLACES_PER_PAGE)
    interest = _interest([p.id for p in found])
    return {"total": total, "page": page, "per_page": PLACES_PER_PAGE,
            "items": [place_dict(p, interest.get(p.id, 0)) for p in found],
            "next": next_cursor("page", page + 1 if page * PLACES_PER_PAGE < total else None)}


@bp.route("/places/<id:place_id>")
@contract(response=schemas.Place, summary="One tiers-lieu", tags=("places",))
def place(place_id: int):
    found = db.session.get(Place, place_id)
    if found is None:
        abort(404)
    return place_dict(found, _interest([found.id]).get(found.id, 0), full=True)
