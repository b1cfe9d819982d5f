"""Event pages: the list with its filters, an event, "I'm coming" and its cancellation, the
participants' list (CSV) for those who run it."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup

from app.confirm import confirm_page
from app.csvexport import csv_response
from app.events import queries, registrations, service
from app.events.access import can_edit, event_or_404, may_hold_events, viewer_id
from app.events.blueprint import bp
from app.events.forms import EventFilterForm, EventForm, MoveForm
from app.events.invitations import invite_to_discovery_day
from app.events.labels import (
    AUDIENCE_LABELS,
    DISTANCES,
    KIND_LABELS,
    STATUS_LABELS,
    repeat_label,
)
from app.events.occurrences import next_occurrence, occurrences, to_local
from app.events.when import when_range
from app.forms import explain_csrf_failure
from app.images.forms import apply_picture
from app.networks.access import access_to
from app.pagecache import cached_page, member_page
from app.security import csrf_in_form
from app.territory.gazetteer import match_communes
from app.text import render_markdown
from models import Event, EventKind, Network, Place, RegistrationStatus, db
from models.types import utcnow


def _upcoming(place=None, network=None, limit: int = 5) -> list[queries.Listed]:
    """For the place and network pages (templates/events/_section.html)."""
    now = utcnow()
    return queries.listed(db.session, viewer_id(), queries.Filters(
        start=now, end=now + timedelta(days=366), place_id=place.id if place else None,
        network_id=network.id if network else None), limit=limit, each_once=True)


@bp.app_context_processor
def _labels():
    return {"event_kinds": KIND_LABELS, "event_audiences": AUDIENCE_LABELS,
            "registration_statuses": STATUS_LABELS, "upcoming_events": _upcoming,
            "repeat_label": repeat_label, "occurrence_key": service.occurrence_key,
            "may_hold_events": lambda place=None, network=None: may_hold_events(
                db.session, current_user, place, network)}


bp.add_app_template_global(when_range, "when_range")

CACHE_BUCKET_SECONDS = 300  # a visitor's list is kept at most this long (events end)


@bp.route("/")
@member_page
def index():
    """A member's list is kept per login session (network-only events are theirs); the
    visitors' is shared, and renewed every CACHE_BUCKET_SECONDS or on a change."""
    if current_user.is_authenticated:
        main = _render_index()
    else:
        bucket = int(utcnow().timestamp()) // CACHE_BUCKET_SECONDS
        main = cached_page(f"events:{bucket}", _render_index)
    return render_template("events/index.html", main=main)


def _render_index() -> Markup:
    form = EventFilterForm(request.args)
    now = utcnow()
    days = int(form.days.data) if (form.days.data or "") in ("7", "31", "92", "366") else 92
    km = int(form.km.data) if (form.km.data or "").isdigit() and \
        int(form.km.data) in DISTANCES else None
    commune, unknown = None, False
    typed = (form.commune.data or "").strip()[:120]
    if typed:
        found = match_communes(db.session, typed)
        commune = found[0] if found else None
        unknown = commune is None
    kinds = tuple(k for k in (form.kind.data or []) if k in EventKind._value2member_map_)
    # ?place= and ?network= (the place and network pages link here): a network this person
    # may not see is no filter at all, and is not named.
    place = _by_id(Place, "place")
    network = _by_id(Network, "network")
    if network is not None and network.is_private and not access_to(network).is_member:
        network = None
    items = [] if unknown else queries.listed(db.session, viewer_id(), queries.Filters(
        start=now, end=now + timedelta(days=days), commune=commune, km=km, kinds=kinds,
        place_id=place.id if place else None, network_id=network.id if network else None),
        each_once=True)
    return Markup(render_template("events/_index_main.html", form=form, items=items,
                                  commune=commune, unknown_commune=unknown, km=km,
                                  place=place, network=network))


def _by_id(model, arg: str):
    raw = request.args.get(arg, "")
    return db.session.get(model, int(raw)) if raw.isdigit() and len(raw) < 12 else None



@bp.route("/<id:event_id>")
def show(event_id: int):
    event = event_or_404(event_id)
    now = utcnow()
    mine = registrations.registration_of(db.session, event.id, current_user.id) \
        if current_user.is_authenticated else None
    if mine is not None and mine.status == RegistrationStatus.CANCELLED:
        mine = None
    upcoming = occurrences(event, now, now + timedelta(days=92))[:12] if event.recurring else []
    return render_template("events/show.html", event=event, mine=mine,
                           next=next_occurrence(event, now), upcoming=upcoming,
                           description=render_markdown(event.description),
                           editable=can_edit(db.session, current_user, event),
                           past=event.ends_at <= now and not event.recurring)


@bp.post("/<id:event_id>/register")
@login_required
def register(event_id: int):
    event = event_or_404(event_id)
    try:
        status = registrations.register(db.session, event, current_user.id)
    except registrations.RegistrationError:
        flash(_("Registrations for this event are closed."), "error")
        return redirect(url_for("events.show", event_id=event.id))
    db.session.commit()
    if status == RegistrationStatus.REGISTERED:
        flash(_("You are registered. See you there!"), "success")
        if event.kind == EventKind.DISCOVERY_DAY and event.place is not None \
                and event.place.free_first_month:
            flash(_("%(place)s offers your first month free: ask on the day.",
                    place=event.place.name), "success")
    else:
        flash(_("The event is full: you are on the waiting list. If a seat frees up, it is "
                "yours and you will be told."), "success")
    return redirect(url_for("events.show", event_id=event.id))


@bp.route("/<id:event_id>/unregister", methods=["GET", "POST"])
@login_required
def unregister(event_id: int):
    event = event_or_404(event_id)
    if request.method == "GET":
        return confirm_page(_("Cancel your registration for “%(title)s”? Your seat goes to the "
                              "next person waiting.", title=event.title),
                            _("Cancel my registration"),
                            url_for("events.show", event_id=event.id))
    try:
        registrations.cancel(db.session, event, current_user.id)
    except registrations.RegistrationError:
        return redirect(url_for("events.show", event_id=event.id))
    db.session.commit()
    flash(_("Your registration is cancelled."), "success")
    return redirect(url_for("events.show", event_id=event.id))


@bp.route("/<id:event_id>/participants.csv")
@login_required
def participants_csv(event_id: int):
    event = event_or_404(event_id)
    if not can_edit(db.session, current_user, event):
        abort(403)
    rows = [[_("Name"), _("Status"), _("Since")]] + [
        [r.user.display_name, str(STATUS_LABELS[r.status]), r.created_at.isoformat()]
        for r in registrations.participants(db.session, event.id)]
    return csv_response(rows, f"event-{event.id}-participants.csv")


def _owner_from_args():
    """The place or network an event is being made for (?place=ID, ?network=ID)."""
    place = network = None
    if (request.args.get("place") or "").isdigit():
        place = db.session.get(Place, int(request.args["place"]))
        if place is None:
            abort(404)
    elif (request.args.get("network") or "").isdigit():
        network = db.session.get(Network, int(request.args["network"]))
        if network is None:
            abort(404)
    return place, network


@bp.route("/new", methods=["GET", "POST"])
@login_required
@csrf_in_form
def create():
    place, network = _owner_from_args()
    if not may_hold_events(db.session, current_user, place, network):
        abort(403)
    form = EventForm(place=place, network=network)
    if request.method == "GET":
        form.location.data = "place" if place else "address"
        form.audience.data = "network" if network is not None and network.is_private else "public"
    if form.validate_on_submit():
        event = Event(place_id=place.id if place else None,
                      network_id=network.id if network else None,
                      created_by_id=current_user.id, **form.parsed)
        db.session.add(event)
        db.session.flush()
        apply_picture(form, event, "cover", "photo", event.id)
        invited = invite_to_discovery_day(db.session, event, current_user.id)
        db.session.commit()
        flash(_("The event is published.") + (" " + ngettext(
            "%(num)d member who would cowork near here is invited.",
            "%(num)d members who would cowork near here are invited.", invited)
            if invited else ""), "success")
        return redirect(url_for("events.show", event_id=event.id))
    explain_csrf_failure(form)
    return render_template("events/edit.html", form=form, event=None, place=place,
                           network=network), 422 if form.errors else 200


@bp.route("/<id:event_id>/edit", methods=["GET", "POST"])
@login_required
@csrf_in_form
def edit(event_id: int):
    event = event_or_404(event_id)
    if not can_edit(db.session, current_user, event) or event.cancelled_at is not None:
        abort(403)
    form = EventForm(place=event.place, network=event.network)
    if request.method == "GET":
        form.fill_from(event)
    if form.validate_on_submit():
        told = service.apply_changes(db.session, event, form.parsed, current_user.id)
        apply_picture(form, event, "cover", "photo", event.id, form.cover_remove)
        db.session.commit()
        flash(_("The event is saved; the people registered are told of the change.")
              if told else _("The event is saved."), "success")
        return redirect(url_for("events.show", event_id=event.id))
    explain_csrf_failure(form)
    return render_template("events/edit.html", form=form, event=event, place=event.place,
                           network=event.network), 422 if form.errors else 200


@bp.route("/<id:event_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(event_id: int):
    event = event_or_404(event_id)
    if not can_edit(db.session, current_user, event):
        abort(403)
    if request.method == "GET":
        return confirm_page(_("Cancel “%(title)s”? The people registered are told.",
                              title=event.title), _("Cancel the event"),
                            url_for("events.show", event_id=event.id))
    service.cancel_event(db.session, event, current_user.id)
    db.session.commit()
    flash(_("The event is cancelled; the people registered are told."), "success")
    return redirect(url_for("events.show", event_id=event.id))


def _date_or_404(event_id: int, key: str):
    """An event its person may change, and one of its rule's dates."""
    event = event_or_404(event_id)
    if not can_edit(db.session, current_user, event) or event.cancelled_at is not None:
        abort(403)
    rule_start = service.rule_start_of(event, key[:20])
    if rule_start is None:
        abort(404)
    return event, rule_start


@bp.route("/<id:event_id>/dates/<key>/cancel", methods=["GET", "POST"])
@login_required
def cancel_date(event_id: int, key: str):
    event, rule_start = _date_or_404(event_id, key)
    if request.method == "GET":
        return confirm_page(_("Cancel the date of %(when)s? The other dates stay.",
                              when=when_range(rule_start, rule_start + (
                                  event.ends_at - event.starts_at)).striptags()),
                            _("Cancel this date"), url_for("events.show", event_id=event.id))
    service.change_occurrence(event, rule_start, None)
    db.session.commit()
    flash(_("This date is cancelled."), "success")
    return redirect(url_for("events.show", event_id=event.id))


@bp.route("/<id:event_id>/dates/<key>/move", methods=["GET", "POST"])
@login_required
@csrf_in_form
def move_date(event_id: int, key: str):
    event, rule_start = _date_or_404(event_id, key)
    form = MoveForm()
    if request.method == "GET":
        local = to_local(rule_start)
        form.date.data, form.start_time.data = local.strftime("%d/%m/%Y"), local.strftime("%H:%M")
    if form.validate_on_submit():
        service.change_occurrence(event, rule_start, form.moved_to)
        db.session.commit()
        flash(_("This date is moved."), "success")
        return redirect(url_for("events.show", event_id=event.id))
    explain_csrf_failure(form)
    return render_template("events/move.html", form=form, event=event, rule_start=rule_start,
                           key=key), 422 if form.errors else 200
