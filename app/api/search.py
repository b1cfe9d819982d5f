"""`GET /api/v1/search?q=&type=&profile_kind=&commune=&within_km=&exact=&page=`: the search page as
JSON."""
from __future__ import annotations

from flask import request

from app.api import schemas
from app.api.blueprint import bp
from app.api.contract import contract
from app.api.paging import cursor_arg, next_cursor
from app.search_results import PER_PAGE, facet_labels, load, parse_args, place_messages, run


@bp.route("/search")
@contract(response=schemas.Search, summary="Search",
          query={"q": str, "type": str, "profile_kind": str, "commune": str, "within_km": int,
                 "exact": str, "page": int}, tags=("search",))
def search():
    params = parse_args(request.args)
    params["page"] = cursor_arg("page") or params["page"]
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
            "facets": facet_labels(result.facets),
            "next": next_cursor("page", params["page"] + 1
                                if params["page"] * PER_PAGE < result.total else None)}
