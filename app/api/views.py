from __future__ import annotations

from flask import abort, current_app, request
from flask_login import current_user

from app.api import schemas
from app.api.blueprint import bp
from app.api.contract import contract
from app.api.paging import cursor_arg, next_cursor
from app.args import int_arg, page_arg
from app.people.queries import directory_page, load_profiles
from app.territory.gazetteer import search_communes
from models import Commune, db

COMMUNE_LIMIT_MAX = 1000


@bp.route("/communes")
@contract(response=schemas.Communes, summary="Communes by name, postcode or INSEE code",
          query={"q": str, "departement": str, "limit": int}, tags=("territory",))
def communes():
    """`?q=` name (accent/hyphen-insensitive), postcode or INSEE prefix; `?departement=12`."""
    limit = int_arg("limit", 20, 1, COMMUNE_LIMIT_MAX)
    found = search_communes(db.session, request.args.get("q", ""),
                            departement=request.args.get("departement") or None, limit=limit)
    return {"items": [c.to_dict() for c in found], "count": len(found), "next": None}


@bp.route("/communes/<insee>")
@contract(response=schemas.Commune, summary="One commune", tags=("territory",))
def commune(insee: str):
    found = db.session.get(Commune, insee)
    if found is None:
        abort(404)
    return found.to_dict()


@bp.route("/profiles")
@contract(response=schemas.Profiles, summary="The directory (members-only profiles for members)",
          query={"commune": str, "epci": str, "kind": str, "skill": str, "page": int}, tags=("people",))
def profiles():
    page = directory_page(
        db.session, viewer_is_member=current_user.is_authenticated,
        communes=[request.args["commune"]] if request.args.get("commune") else None,
        epci=request.args.get("epci") or None,
        kind=request.args.get("kind") or None, skill=request.args.get("skill") or None,
        page=cursor_arg("page") or page_arg(),
        per_page=current_app.config["DIRECTORY_PAGE_SIZE"])
    items = load_profiles(db.session, page.ids)
    return {"items": [p.to_dict() for p in items], "page": page.page,
            "pages": page.pages, "total": page.total, "per_page": page.per_page,
            "next": next_cursor("page", page.page + 1 if page.page < page.pages else None)}


@bp.route("/profiles/<id:profile_id>")
@contract(response=schemas.Profile, summary="One profile", tags=("people",))
def profile(profile_id: int):
    found = next(iter(load_profiles(db.session, [profile_id])), None)
    # A members-only profile is "not found" for visitors: its existence is not public either.
    if found is None or (not found.is_public and not current_user.is_authenticated):
        abort(404)
    return found.to_dict()


@bp.route("/naf")
@contract(response=schemas.Naf, summary="NAF activities", query={"q": str, "limit": int}, tags=("territory",))
def naf():
    """NAF rev. 2 activities: `?q=` a code ("62.01", "6201Z") or words ("menuiserie")."""
    from app.demand.naf import search_naf
    found = search_naf(request.args.get("q", "")[:100], limit=int_arg("limit", 12, 1, 50))
    return {"items": [{"code": code, "label": label} for code, label in found], "next": None}
