"""The search page: one box, French-aware, visibility applied (the JSON twin is
`app/api/search.py`)."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from app.people.labels import kind_labels
from app.search_results import (
    PER_PAGE,
    correction_message,
    facet_labels,
    load,
    parse_args,
    place_messages,
    remove_place_url,
    run,
)
from search import current_index

bp = Blueprint("search_page", __name__)


@bp.route("/search")
def page():
    params = parse_args(request.args)
    index = current_index()
    result = run(params) if index is not None and not index.rebuilding else None
    items = load(result.hits, result.words) if result else []
    facets = facet_labels(result.facets) if result else {}
    template = "search/_results.html" if request.args.get("partial") else "search/page.html"
    return render_template(template, params=params, result=result, items=items,
                           facets=facets, rebuilding=index is not None and index.rebuilding,
                           place_messages=place_messages(params, links=True),
                           correction=correction_message(params, result),
                           remove_place=remove_place_url(params), kind_labels=kind_labels(),
                           pages=max(1, -(-result.total // PER_PAGE)) if result else 1)
