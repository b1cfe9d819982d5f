"""JSON for skills and networks, with the same visibility rules as the HTML pages."""
from __future__ import annotations

from flask import request, url_for
from flask_login import current_user

from app.api import schemas
from app.api.blueprint import bp
from app.api.contract import contract
from app.api.paging import cursor_arg, next_cursor
from app.api.serialize import post_dict
from app.args import int_arg, page_arg
from app.forms import int_or_none
from app.networks.access import load_network
from app.networks.labels import scope_label
from app.networks.queries import post_stream, visible_networks
from app.skills.service import skill_rows
from app.text import render_markdown
from models import Network, db

NETWORKS_PER_PAGE = 50


@bp.route("/skills")
@contract(response=schemas.Skills, summary="Skills, most used first", query={"q": str, "limit": int},
          tags=("networks",))
def skills():
    """`?q=` any spelling's start ("dev", "menuisière"); most used first."""
    limit = int_arg("limit", 20, 1, 100)
    total, rows = skill_rows(db.session, request.args.get("q", "")[:60], limit=limit)
    return {"total": total, "items": [
        {"id": r.id, "name": r.name, "name_en": r.name_en, "canonical": r.canonical,
         "synonyms": r.synonyms, "profiles": r.profiles, "networks": r.networks} for r in rows],
        "next": None}


def network_dict(network: Network, full: bool = False) -> dict:
    data = {
        "id": network.id, "name": network.name, "visibility": network.visibility,
        "scope": {"kind": network.scope, "code": network.scope_code or None,
                  "label": scope_label(network)},
        "skills": [s.name for s in network.skills], "member_count": network.member_count,
        "url": url_for("networks.show", network_id=network.id, _external=True),
    }
    if full:
        data["description"] = network.description
        data["description_html"] = str(render_markdown(network.description))
        data["charter"] = ({"version": network.charter_version, "body": network.charter.body}
                           if network.charter else None)
    return data


@bp.route("/networks")
@contract(response=schemas.Networks, summary="Networks visible to me",
          query={"q": str, "scope": str, "epci": str, "skill": str, "page": int}, tags=("networks",))
def networks():
    page = cursor_arg("page") or page_arg()
    total, found = visible_networks(
        db.session, current_user.id if current_user.is_authenticated else None,
        q=request.args.get("q", "")[:100], scope=request.args.get("scope", "")[:10],
        epci=request.args.get("epci", "")[:9], skill=request.args.get("skill", "")[:60],
        limit=NETWORKS_PER_PAGE, offset=(page - 1) * NETWORKS_PER_PAGE)
    return {"total": total, "page": page, "per_page": NETWORKS_PER_PAGE,
            "items": [network_dict(n) for n in found],
            "next": next_cursor("page", page + 1 if page * NETWORKS_PER_PAGE < total else None)}


@bp.route("/networks/<id:network_id>")
@contract(response=schemas.NetworkFull, summary="One network", tags=("networks",))
def network(network_id: int):
    access = load_network(network_id)
    data = network_dict(access.network, full=True)
    data["viewer"] = {"status": access.status, "animator": access.is_animator,
                      "can_read": access.can_read, "can_post": access.can_post}
    return data


@bp.route("/networks/<id:network_id>/posts")
@contract(response=schemas.Posts, summary="A network's posts, newest first", query={"before": int},
          tags=("networks",))
def network_posts(network_id: int):
    """Newest first; `?before=<id>` for the next page (keyset), given as `next_before`."""
    access = load_network(network_id, read=True)
    before = cursor_arg("before") or int_or_none(request.args.get("before"))
    posts, next_before = post_stream(db.session, access.network.id, before)
    return {"items": [post_dict(p) for p in posts], "next_before": next_before,
            "next": next_cursor("before", next_before)}
