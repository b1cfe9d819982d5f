"""What the search page and `GET /api/v1/search` share: the query string read calmly, the
query run with the viewer's visibility, the rows loaded in rank order, the facets labelled."""
from __future__ import annotations

import re

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from app.forms import int_or_none
from app.images.storage import image_url
from app.text import markdown_to_text
from models import Epci, Event, Membership, MemberStatus, Network, Place, Post, Skill, db
from models.textkey import fold
from search import current_index, find
from search.understanding import corrected_text, respelled, sources, understand

PER_PAGE = 20
WITHIN_KM_MAX = 200


def _member_networks() -> list[int]:
    if not current_user.is_authenticated:
        return []
    return list(db.session.scalars(select(Membership.network_id).where(
        Membership.user_id == current_user.id, Membership.status == MemberStatus.ACTIVE)))


KINDS = ("profile", "network", "place", "post", "event")


def parse_args(args) -> dict:
    """The query string, read calmly: unknown values simply filter nothing or everything; the
    query's place phrase and the commune field read by search/understanding/ (a place no one
    knows is said, and never silently widened to the whole territory)."""
    from models import ProfileKind
    kind = args.get("type", "")
    profile_kind = args.get("profile_kind", "")
    commune_text = args.get("commune", "")[:120].strip()
    within = int_or_none(args.get("within_km", ""))
    within = min(max(within, 0), WITHIN_KM_MAX) if within else None
    q = args.get("q", "")[:2000]
    understood = understand(sources.gazetteer(db.session), q, commune_text, within)
    place = understood.place
    return {"q": q, "kind": kind if kind in KINDS else None,
            "profile_kind": profile_kind if profile_kind in set(ProfileKind) else None,
            "understood": understood, "text": understood.text,
            "communes": understood.communes, "distances": understood.distances,
            "origin": place.origin if place else None, "within": within,
            "commune": commune_text, "exact": args.get("exact") == "1",
            "page": max(1, int_or_none(args.get("page", "")) or 1)}


def run(params: dict):
    index = current_index()
    gazetteer = sources.gazetteer(db.session)
    thesaurus = sources.thesaurus(db.session)
    result = find(index, params["text"], member=current_user.is_authenticated,
                  network_ids=_member_networks(), kind=params["kind"],
                  communes=params["communes"], distances=params["distances"],
                  profile_kind=params["profile_kind"], page=params["page"],
                  per_page=PER_PAGE, thesaurus=thesaurus, protected=gazetteer.words,
                  correct=not params["exact"])
    result.corrected_text = corrected_text(params["text"], result.corrections,
                                           thesaurus.spelling) if result.corrections else ""
    if not result.correction_mode and not params["exact"]:
        fixed = respelled(params["text"], thesaurus.spelling)
        if fixed:  # "photografe": read as "photographe" already; said, nothing else to do
            result.correction_mode, result.corrected_text = "respelled", fixed
    return result


def place_messages(params: dict, links: bool = False) -> list[str | Markup]:
    """What is said about the place: unknown (with the closest names, as links that search
    there with `links`), several communes of that name, a distance without a place."""
    from app.templating import _url_with
    out: list[str | Markup] = []
    for notice in params["understood"].notices:
        if notice.kind == "unknown" and notice.suggestions and not links:
            out.append(_("Unknown commune: %(typed)s — did you mean %(names)s?",
                         typed=notice.typed, names=_(" or ").join(notice.suggestions)))
        elif notice.kind == "unknown" and notice.suggestions:
            names = [escape(name) for name in notice.suggestions]
            if links:
                names = [Markup('<a href="{}">{}</a>').format(
                    _suggestion_url(_url_with, params, notice, name), name) for name in names]
            out.append(Markup(escape(_("Unknown commune: %(typed)s — did you mean %(names)s?",
                                       typed="\x00", names="\x01"))).replace(
                "\x00", escape(notice.typed)).replace("\x01", Markup(escape(_(" or "))).join(names)))
        elif notice.kind == "unknown":
            out.append(_("Unknown commune: %(typed)s.", typed=notice.typed))
        elif notice.kind == "ambiguous":
            out.append(_("Several communes are called %(typed)s: %(names)s. All of them are "
                         "searched; choose one to narrow it down.", typed=notice.typed,
                         names=", ".join(notice.suggestions)))
        elif notice.kind == "no_origin":
            out.append(_("%(km)s around which commune? Add one, for example “near Rodez”.",
                         km=notice.typed))
    return out


def _suggestion_url(url_with, params: dict, notice, name: str) -> str:
    if notice.source == "field":
        return url_with(commune=name, page=None, partial=None)
    q = re.sub(rf"\b{re.escape(notice.typed)}\b", name, params["q"], count=1)
    return url_with(q=q, page=None, partial=None)


def correction_message(params: dict, result) -> Markup | None:
    """"Results for menuisier — search instead for « menusier »" (a link that searches the
    words as typed), or "Did you mean menuisier?", or the close spellings included."""
    from app.templating import _url_with
    if not result or not result.correction_mode:
        return None
    corrected = Markup("<strong>{}</strong>").format(result.corrected_text)
    whole = " ".join(filter(None, (result.corrected_text, params["understood"].phrase)))
    if result.correction_mode == "replaced":
        typed = Markup('<a href="{}">{}</a>').format(
            _url_with(exact="1", page=None, partial=None), params["text"])
        template = _("Results for %(corrected)s — search instead for « %(typed)s »",
                     corrected="\x00", typed="\x01")
        return Markup(escape(template)).replace("\x00", corrected).replace("\x01", typed)
    if result.correction_mode == "respelled":
        return Markup(escape(_("Results for %(corrected)s", corrected="\x00"))).replace(
            "\x00", corrected)
    if result.correction_mode == "blended":
        template = _("Close spellings included: %(corrected)s", corrected="\x00")
        return Markup(escape(template)).replace("\x00", corrected)
    link = Markup('<a href="{}">{}</a>').format(
        _url_with(q=whole, page=None, partial=None), result.corrected_text)
    return Markup(escape(_("Did you mean %(corrected)s?", corrected="\x00"))).replace(
        "\x00", link)


def remove_place_url(params: dict) -> str | None:
    """The chip's ×: the same search without its place."""
    from app.templating import _url_with
    place = params["understood"].place
    if place is None:
        return None
    if place.source == "field":
        return _url_with(commune=None, within_km=None, page=None, partial=None)
    return _url_with(q=params["text"], page=None, partial=None)


def snippet(text: str, words: list[str], size: int = 160) -> Markup:
    """A short extract around the first word found, the words marked: Markdown made plain text
    first ("**bois**" shows "bois"), then escaped, then marked."""
    text = markdown_to_text(text or "")
    folded = fold(text)
    positions = [folded.find(w[:5]) for w in words if w and folded.find(w[:5]) >= 0]
    start = max(0, min(positions) - 40) if positions else 0
    extract = text[start:start + size] + ("…" if len(text) > start + size else "")
    html = str(escape(("…" if start else "") + extract))
    for w in sorted({w[:5] for w in words if len(w) >= 3}, key=len, reverse=True):
        html = re.sub(rf"(?i)\b({re.escape(w)}\w*)", r"<mark>\1</mark>", html)
    return Markup(html)


def load(hits, words) -> list[dict]:
    """Rows for the hits, in rank order, as the page and the API show them."""
    by_kind: dict[str, list[int]] = {}
    for h in hits:
        by_kind.setdefault(h.kind, []).append(h.id)
    rows: dict[tuple[str, int], dict] = {}
    if by_kind.get("profile"):
        from app.people.queries import load_profiles
        for p in load_profiles(db.session, by_kind["profile"]):
            rows[("profile", p.id)] = {
                "title": p.user.display_name, "url": url_for("people.profile", profile_id=p.id),
                "snippet": snippet(f"{p.headline} — {p.bio} {p.offers}", words),
                "commune": p.commune.name if p.commune else None,
                "skills": [s.name for s in p.skills], "image": image_url(p.avatar, 48)}
    if by_kind.get("network"):
        for n in db.session.scalars(select(Network).where(Network.id.in_(by_kind["network"]))):
            rows[("network", n.id)] = {
                "title": n.name, "url": url_for("networks.show", network_id=n.id),
                "snippet": snippet(n.description, words), "commune": None, "skills": [],
                "image": image_url(n.logo, 48)}
    if by_kind.get("place"):
        for p in db.session.scalars(select(Place).where(Place.id.in_(by_kind["place"]))):
            rows[("place", p.id)] = {
                "title": p.name, "url": url_for("places.show", place_id=p.id),
                "snippet": snippet(p.description, words), "commune": p.commune.name,
                "skills": [], "image": image_url(p.photo, 400)}
    if by_kind.get("post"):
        for post, network in db.session.execute(
                select(Post, Network).join(Network, Network.id == Post.network_id)
                .where(Post.id.in_(by_kind["post"]), Post.hidden_at.is_(None))):
            rows[("post", post.id)] = {
                "title": network.name,
                "url": url_for("networks.post", network_id=network.id, post_id=post.id),
                "snippet": snippet(post.body, words), "commune": None, "skills": [],
                "image": None}
    if by_kind.get("event"):
        for e in db.session.scalars(select(Event).where(Event.id.in_(by_kind["event"]),
                                                        Event.cancelled_at.is_(None))):
            rows[("event", e.id)] = {
                "title": e.title, "url": url_for("events.show", event_id=e.id),
                "snippet": snippet(e.description, words),
                "commune": e.commune.name if e.commune else None, "skills": [], "image": None}
    # A hit whose row is gone (deleted since) is left out rather than shown empty.
    return [{"type": h.kind, "id": h.id, **rows[(h.kind, h.id)]} for h in hits
            if (h.kind, h.id) in rows]


def facet_labels(facets: dict) -> dict:
    epcis = dict(db.session.execute(select(Epci.code, Epci.name)).all())
    skill_ids = [int(k) for k in facets.get("skill_ids", {}) if k.isdigit()]
    skills = dict(db.session.execute(select(Skill.id, Skill.name).where(
        Skill.id.in_(skill_ids))).all()) if skill_ids else {}
    top_skills = sorted(facets.get("skill_ids", {}).items(), key=lambda t: -t[1])[:10]
    return {
        "type": facets.get("kind", {}),
        "epci": {epcis.get(code, code): n for code, n in
                 sorted(facets.get("epci", {}).items(), key=lambda t: -t[1])[:10]},
        "skills": {skills.get(int(k), k): n for k, n in top_skills if k.isdigit()},
    }
