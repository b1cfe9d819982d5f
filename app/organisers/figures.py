"""What the organisers' map page, the shared read-only view and the council's PDF report show
of the map: the filters in words and the date under its title, its events layer, the map's
content for a filter (drawn by `mapsvg.map_svg`), and the map as a table (one row per commune
with demand, a place or a proposed site). Small cells carry no figure, as on the map."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demand import labels as L
from app.organisers.aggregates import per_commune, suppress
from app.organisers.clusters import Result
from app.organisers.data import Filters, Row
from app.organisers.events import UPCOMING_DAYS, upcoming_per_commune
from app.organisers.mapcontent import MapContent, map_content
from app.organisers.params import run_clusters
from app.templating import datetimeformat
from models import Campaign, Commune, Epci, Place, PlaceStatus


def filter_summary(session: Session, filters: Filters) -> list[str]:
    """The filters as a council reads them: "Community of communes: CC …", "Declared from … to
    …"; the whole territory when there is none."""
    out = []
    if filters.epci:
        epci = session.get(Epci, filters.epci)
        out.append(_("Community of communes: %(name)s", name=epci.name if epci else filters.epci))
    if filters.campaign_id:
        campaign = session.get(Campaign, filters.campaign_id)
        out.append(_("Campaign: %(title)s", title=campaign.title if campaign else "—"))
    if filters.track:
        out.append(_("Questionnaire: %(track)s", track=L.TRACK_LABELS.get(filters.track,
                                                                         filters.track)))
    if filters.since and filters.until:
        out.append(_("Declared from %(since)s to %(until)s", since=format_date(filters.since, "long"),
                     until=format_date(filters.until, "long")))
    elif filters.since:
        out.append(_("Declared from %(since)s", since=format_date(filters.since, "long")))
    elif filters.until:
        out.append(_("Declared until %(until)s", until=format_date(filters.until, "long")))
    return out or [_("Whole territory, every current declaration")]


def map_notes(session: Session, filters: Filters, now: datetime) -> list[str]:
    """The lines under the map's title: the filters, then the date of the figures."""
    return [*filter_summary(session, filters),
            _("Figures as of %(date)s", date=datetimeformat(now, "long"))]


def map_events(session: Session, now: datetime, epci: str, *, links: bool
               ) -> tuple[dict[str, int], dict[str, tuple[int, str | None]]]:
    """The events layer: (dates in the next three months per commune, and the map's
    `events`: per commune, those dates and, with `links`, the events list at that commune)."""
    upcoming = upcoming_per_commune(session, now, epci)
    # The events list's commune filter, as a label ("Rodez (12000)": no homonym confusion).
    labels = {c.insee: c.label for c in session.scalars(
        select(Commune).where(Commune.insee.in_(list(upcoming))))}
    events = {insee: (n, url_for("events.index", commune=labels[insee], days=UPCOMING_DAYS)
                      if links else None)
              for insee, n in upcoming.items() if insee in labels}
    return upcoming, events


@dataclass
class MapFigures:
    content: MapContent
    result: Result | None  # the proposed sites' run, when sites are asked for
    table: list[FigureRow] = field(default_factory=list)


@dataclass(frozen=True)
class FigureRow:
    insee: str
    name: str
    epci: str
    people: int | None  # None: under the threshold
    desk_days: float | None
    budget_median: float | None
    places: tuple[str, ...]
    site: int | None  # the proposed site's number


def map_figures(session: Session, rows: list[Row], threshold: int, *, k: int | None,
                occupancy: float, co2: float, selected: str = "", epci_lines: bool = False,
                epci: str = "", place_url: Callable | None = None,
                events: dict[str, tuple[int, str | None]] | None = None, title: str = "",
                notes: list[str] | None = None, result: Result | None = None) -> MapFigures:
    """The map's content for these declarations (`k` sites proposed, or none when `k` is None;
    `result`: those sites when the caller has already run the clusters with that `k`) and its
    table."""
    cells = suppress(per_commune(rows), threshold)
    if result is None and k:
        result = run_clusters(rows, k, occupancy, co2)
    elif not k:
        result = None
    places = session.scalars(select(Place).where(Place.status != PlaceStatus.CLOSED)
                             .order_by(Place.name)).all()
    content = map_content(cells, threshold, result.sites if result else (), places,
                          place_url=place_url, selected=selected, epci_lines=epci_lines,
                          epci=epci, events=events or {}, title=title, notes=notes or [])
    return MapFigures(content, result, figures_table(session, content))


def figures_table(session: Session, content: MapContent) -> list[FigureRow]:
    """The map as a table: communes with declarations (most people first, those under the
    threshold after them by name, not ranked by a figure they do not show), then those with a
    place or a site and no declaration."""
    places: dict[str, list[str]] = {}
    for p in content.places:
        places.setdefault(p.insee, []).append(p.name)
    sites = {s.insee: s.number for s in content.sites}
    codes = set(content.cells) | set(places) | set(sites)
    communes = {c.insee: c for c in session.scalars(select(Commune).where(Commune.insee.in_(codes)))}
    out = []
    for insee in codes & set(communes):
        cell = content.cells.get(insee)
        commune = communes[insee]
        out.append(FigureRow(
            insee, commune.name, commune.epci.name if commune.epci else "",
            cell["people"] if cell else 0, cell["desk_days"] if cell else None,
            cell["budget_median"] if cell else None, tuple(places.get(insee, ())),
            sites.get(insee)))
    return sorted(out, key=lambda r: (2 if r.people == 0 else r.people is None, -(r.people or 0),
                                      r.name, r.insee))
