"""`GET /api/v1/search?q=&type=&profile_kind=&commune=&within_km=&exact=&page=`: the search page as
JSON."""
from __future__ import annotations

from flask import request

from app.api.blueprint import bp
from app.search_results import facet_labels, load, parse_args, place_messages, run


@bp.route("/search")
def search():
    params = parse_args(request.args)
    result = run(params)
    items = load(result.hits, result.words)
    place = params["understood"].place
    return {"total": result.total, "total_is_exact": result.exact, "page": params["page"],
            "fuzzy": result.fuzzy,
            # "replaced": results for `corrected` first; "blended": below the exact ones;
            # "suggested": only offered.
            "correction": {"mode": result.correction_mode, "corrected": result.corrected_text,
                           "typed": params["text"]} if result.correction_mode else None,
            "place": {"label": place.label, "communes": len(place.communes),
                      "origin": place.origin, "within_km": place.within_km,
                      "from": place.source} if place else None,
            "place_messages": place_messages(params),
            "results": [{**item, "snippet": str(item["snippet"])} for item in items],
            "facets": facet_labels(result.facets)}
