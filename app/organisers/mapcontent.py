"""What the organisers' map shows over the territory's outlines: the communes' figures (already
suppressed under the threshold), the proposed sites, the places, the events, the selection and
the title. app/organisers/mapsvg.py draws it, app/organisers/maplabels.py names its points."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MapSite:
    number: int
    insee: str
    people: int | None  # None: under the small-cell threshold


@dataclass(frozen=True)
class MapPlace:
    insee: str
    name: str
    status: str
    url: str | None = None


@dataclass
class MapContent:
    """Everything drawn over the outlines. `cells` are per commune, already suppressed
    (`aggregates.suppress`: people None under the threshold)."""

    cells: dict[str, dict]
    threshold: int
    sites: list[MapSite] = field(default_factory=list)
    places: list[MapPlace] = field(default_factory=list)
    selected: str = ""
    epci_lines: bool = False
    epci: str = ""  # the filter's EPCI, outlined
    events: dict[str, tuple[int, str]] = field(default_factory=dict)  # insee -> (dates, url)
    title: str = ""
    notes: list[str] = field(default_factory=list)  # filters and date, under the title


def map_content(cells: dict, threshold: int, sites=(), places=(),
                place_url: Callable | None = None, **options) -> MapContent:
    """From a cluster result's sites (with `.commune` and `.people`) and Place rows; a site
    covering fewer people than the threshold keeps its number but not its figure."""
    return MapContent(
        cells=cells, threshold=threshold,
        sites=[MapSite(i, s.commune, s.people if s.people >= threshold else None)
               for i, s in enumerate(sites, 1)],
        places=[MapPlace(p.commune_insee, p.name, str(p.status), place_url(p) if place_url else None)
                for p in places], **options)
