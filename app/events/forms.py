"""The events' forms: the list's filters, and an event as its organisers type it."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.demand.forms import MultiCheckboxField, parse_number
from app.events.access import audience_allowed
from app.events.labels import AUDIENCE_LABELS, DISTANCES, KIND_LABELS
from app.events.occurrences import RuleError, check_rule, from_local, to_local
from app.forms import BaseForm, has_letters
from app.images import forms as pictures
from app.people.forms import commune_error, commune_suggestions
from models import db


class EventFilterForm(BaseForm):
    """/events?commune=Rignac&km=20&kind=training&days=30 (no CSRF: a GET form)."""

    class Meta:
        csrf = False

    commune = StringField(_l("Commune"))
    km = SelectField(_l("Within"), choices=[("", _l("In this commune"))] + [
        (str(d), _l("%(km)d km", km=d)) for d in DISTANCES], validate_choice=False)
    kind = MultiCheckboxField(_l("Kind"), choices=list(KIND_LABELS.items()),
                               validate_choice=False)
    days = SelectField(_l("When"), choices=[("7", _l("This week")), ("31", _l("This month")),
                                            ("92", _l("The next three months")),
                                            ("366", _l("The next twelve months"))],
                       default="92", validate_choice=False)


REPEATS = {"": None, "weekly": "FREQ=WEEKLY", "fortnightly": "FREQ=WEEKLY;INTERVAL=2",
           "monthly": "FREQ=MONTHLY;BYDAY={nth}{day}"}
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class EventForm(BaseForm):
    """An event's fields as people type them: a date, a start and an end time in Paris time, a
    repeat in words (turned into an RRULE here), a place, an address in a commune or a link."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120), has_letters])
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()))
    date = StringField(_l("Date"), validators=[DataRequired()],
                       description=_l("e.g. 12/03/2027."))
    start_time = StringField(_l("Starts at"), validators=[DataRequired()],
                             description=_l("e.g. 9:00."))
    end_time = StringField(_l("Ends at"), validators=[DataRequired()],
                           description=_l("e.g. 12:30."))
    repeat = SelectField(_l("Repeats"), choices=[
        ("", _l("Once")), ("weekly", _l("Every week")), ("fortnightly", _l("Every two weeks")),
        ("monthly", _l("Every month, the same weekday"))])
    repeat_until = StringField(_l("Repeats until (optional)"),
                               description=_l("Empty: for a year."))
    location = SelectField(_l("Where"), choices=[
        ("place", _l("At the place")), ("address", _l("At an address")),
        ("online", _l("Online"))])
    address = StringField(_l("Address"), validators=[Length(max=200)])
    commune = StringField(_l("Commune"), validators=[Length(max=120)],
                          description=_l("Type a name or a postcode, e.g. “Rignac” or “12390”."))
    online_url = StringField(_l("Link"), validators=[Length(max=500)],
                             description=_l("Shown to the people registered and to those who run "
                                            "the event."))
    capacity = StringField(_l("Seats (optional)"), description=_l("Empty: no limit."))
    price_eur = StringField(_l("Price in euros (optional)"), description=_l("Empty: free."))
    audience = SelectField(_l("Who can see it"), choices=list(AUDIENCE_LABELS.items()))
    description = TextAreaField(_l("Description"), validators=[Length(max=10_000)],
                                description=_l("Markdown."))
    cover = pictures.file_field(_l("Picture"), "photo")
    cover_alt = StringField(_l("What the picture shows"), validators=[Length(max=200)])
    cover_remove = pictures.remove_field(_l("Remove the picture"))

    parsed: dict
    commune_candidates: list = []
    picture = None  # set by validate_cover: the processed upload

    def validate_cover(self, field) -> None:
        pictures.check_picture(self, field, "photo")

    def __init__(self, *args, place=None, network=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.place, self.network = place, network
        if place is None:
            self.location.choices = [c for c in self.location.choices if c[0] != "place"]
        if network is None:
            self.audience.choices = [c for c in self.audience.choices if c[0] != "network"]

    def _error(self, field, message) -> None:
        field.errors = list(field.errors) + [str(message)]

    def validate(self, extra_validators=None) -> bool:
        """Every field is checked, each error said beside its field, all at once."""
        ok = super().validate(extra_validators)
        self.parsed = {}
        when = self._when()
        if when is None:
            ok = False
            when = (None, None, None)
        starts_at, ends_at, rule = when
        values = {"title": " ".join((self.title.data or "").split()), "kind": self.kind.data,
                  "starts_at": starts_at, "ends_at": ends_at, "rrule": rule,
                  "location": self.location.data, "audience": self.audience.data,
                  "description": self.description.data or "", "address": "",
                  "cover_alt": " ".join((self.cover_alt.data or "").split()),
                  "online_url": "", "commune_insee": None}
        if self.location.data == "place":
            # (a place event only: the choice is not offered, and refused, otherwise)
            values["commune_insee"] = self.place.commune_insee if self.place else None
        elif self.location.data == "address":
            from app.territory.gazetteer import match_communes
            typed = (self.commune.data or "").strip()
            found = match_communes(db.session, typed) if typed else []
            error = commune_error(typed, found) if typed else _l("Which commune?")
            if error:
                self.commune_candidates = commune_suggestions(typed, found) if typed else []
                self._error(self.commune, error)
                ok = False
            else:
                values["commune_insee"] = found[0].insee
            values["address"] = " ".join((self.address.data or "").split())
        else:
            link = (self.online_url.data or "").strip()
            if not re.fullmatch(r"https://[^\s<>\"']{3,490}", link):
                self._error(self.online_url, _l("A link starting with https://"))
                ok = False
            values["online_url"] = link
        for name, high in (("capacity", 10_000), ("price_eur", 10_000)):
            field = getattr(self, name)
            try:
                values[name] = parse_number(field, 0 if name == "price_eur" else 1, high,
                                            integer=True)
            except ValidationError as error:
                self._error(field, error.args[0])
                ok = False
        values["price_eur"] = values.get("price_eur") or 0
        if not audience_allowed(self.audience.data, self.network):
            self._error(self.audience, _l("A private network's events are for its members only."))
            ok = False
        self.parsed = values
        return ok

    def _when(self):
        """(start, end, rule) from the date, the times and the repeat; None after saying what
        is wrong."""
        day = _parse_date(self.date.data)
        if day is None:
            self._error(self.date, _l("Type a date like 12/03/2027."))
        start, end = _parse_time(self.start_time.data), _parse_time(self.end_time.data)
        for field, value in ((self.start_time, start), (self.end_time, end)):
            if value is None:
                self._error(field, _l("Type a time like 9:00 or 14:30."))
        if day is None or start is None or end is None:
            return None
        starts_at = from_local(datetime.combine(day, start))
        ends_at = from_local(datetime.combine(day, end))
        if ends_at <= starts_at:
            self._error(self.end_time, _l("The end comes after the start."))
            return None
        rule = REPEATS.get(self.repeat.data or "")
        if rule and "{nth}" in rule:
            nth = (day.day - 1) // 7 + 1
            rule = rule.format(nth=nth if nth < 5 else -1, day=DAYS[day.weekday()])
        if rule:
            until = (self.repeat_until.data or "").strip()
            if not until:  # "Empty: for a year"
                rule += ";UNTIL=" + from_local(datetime.combine(
                    day + timedelta(days=365), end)).strftime("%Y%m%dT%H%M%SZ")
            else:
                until_day = _parse_date(until)
                if until_day is None or until_day < day:
                    self._error(self.repeat_until, _l("A date after the first one, like "
                                                      "12/03/2027."))
                    return None
                rule += ";UNTIL=" + from_local(datetime.combine(until_day, end)).strftime(
                    "%Y%m%dT%H%M%SZ")
            try:
                check_rule(rule, starts_at)
            except RuleError:
                self._error(self.repeat, _l("This repeat gives no date."))
                return None
        return starts_at, ends_at, rule

    def fill_from(self, event) -> None:
        local_start, local_end = to_local(event.starts_at), to_local(event.ends_at)
        self.title.data, self.kind.data = event.title, event.kind
        self.date.data = local_start.strftime("%d/%m/%Y")
        self.start_time.data = local_start.strftime("%H:%M")
        self.end_time.data = local_end.strftime("%H:%M")
        rule = event.rrule or ""
        self.repeat.data = ("fortnightly" if "INTERVAL=2" in rule else "monthly"
                            if "MONTHLY" in rule else "weekly" if rule else "")
        until = re.search(r"UNTIL=(\d{8})", rule)
        self.repeat_until.data = datetime.strptime(until[1], "%Y%m%d").strftime("%d/%m/%Y") \
            if until else ""
        self.location.data, self.address.data = event.location, event.address
        self.commune.data = event.commune.label if event.commune and \
            event.location == "address" else ""
        self.online_url.data = event.online_url
        self.capacity.data = "" if event.capacity is None else str(event.capacity)
        self.price_eur.data = str(event.price_eur) if event.price_eur else ""
        self.audience.data, self.description.data = event.audience, event.description
        self.cover_alt.data = event.cover_alt


def _parse_date(text: str | None):
    raw = (text or "").strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    return None


def _parse_time(text: str | None):
    match = re.fullmatch(r"([01]?\d|2[0-3])\s*[:hH.]\s*([0-5]\d)?", (text or "").strip())
    if not match:
        return None
    return time(int(match[1]), int(match[2] or 0))


class MoveForm(BaseForm):
    """One date of a recurring event moved: its new day and start (it keeps its length)."""

    date = StringField(_l("Date"), validators=[DataRequired()],
                       description=_l("e.g. 12/03/2027."))
    start_time = StringField(_l("Starts at"), validators=[DataRequired()],
                             description=_l("e.g. 9:00."))
    moved_to: datetime | None = None

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        day, start = _parse_date(self.date.data), _parse_time(self.start_time.data)
        if day is None:
            self.date.errors = list(self.date.errors) + [str(_l("Type a date like 12/03/2027."))]
        if start is None:
            self.start_time.errors = list(self.start_time.errors) + [
                str(_l("Type a time like 9:00 or 14:30."))]
        if day is None or start is None:
            return False
        self.moved_to = from_local(datetime.combine(day, start))
        return ok
