"""The directory of places filtered as its page and the JSON API filter it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.networks.queries import clamp_offset
from app.places.forms import PlaceFilterForm
from app.territory.gazetteer import match_communes
from models import Commune, Place
from models.types import matches_value


def filtered_places(session: Session, form: PlaceFilterForm, limit: int,
                    offset: int) -> tuple[int, list[Place]]:
    """(how many places match the filter form, the page of them from `offset`)."""
    conditions = []
    if (form.commune.data or "").strip():
        conditions.append(Place.commune_insee.in_(
            [c.insee for c in match_communes(session, form.commune.data[:120])]))
    if form.epci.data:
        conditions.append(Place.commune_insee.in_(
            select(Commune.insee).where(Commune.epci_code == form.epci.data[:9])))
    if form.status.data:
        conditions.append(matches_value(Place.status, form.status.data))
    query = select(Place).where(*conditions)
    places = session.scalars(query.options(selectinload(Place.plans),
                                           selectinload(Place.commune))
                             .order_by(Place.status, Place.name_key)).all()
    wanted = set(form.equipment.data or [])
    if wanted:  # a JSON list: filtered here, on a few hundred places at most
        places = [p for p in places if wanted <= set(p.equipment or [])]
    return len(places), places[clamp_offset(offset, limit, len(places)):][:limit]
