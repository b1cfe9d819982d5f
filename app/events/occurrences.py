"""When an event happens: its one occurrence, or those its recurrence rule gives, expanded in
Europe/Paris so that "every Thursday at 9:00" stays at 9:00 local time on both sides of the
clock changes, minus the cancelled occurrences and with the moved ones at their new time."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from models.event import TIMEZONE, Event

PARIS = ZoneInfo(TIMEZONE)
# How long a rule with neither UNTIL nor COUNT repeats: a year from the first date (the form
# writes that UNTIL itself; app/events/calendar.py writes it into the feeds, so that calendar
# programs stop where the site does).
HORIZON = timedelta(days=366)
MAX_OCCURRENCES = 500


class RuleError(ValueError):
    """A recurrence rule that cannot be used (the message says why, in English for logs)."""


@dataclass(frozen=True)
class Occurrence:
    start: datetime  # UTC
    end: datetime  # UTC
    rule_start: datetime  # UTC: where the rule put it (the key of an exception)
    moved: bool = False


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(PARIS)


def from_local(naive: datetime) -> datetime:
    """A wall-clock time in Europe/Paris, to UTC. A time that does not exist (the hour skipped in
    March) is read with the offset before the change, one that happens twice (October) as the
    first of the two, as most calendars do."""
    return naive.replace(tzinfo=PARIS, fold=0).astimezone(timezone.utc)


def check_rule(rule: str, starts_at: datetime) -> None:
    """Raise RuleError if `rule` is not a usable RRULE value for an event starting then."""
    text = (rule or "").strip()
    if not text or len(text) > 200 or "\n" in text:
        raise RuleError("empty or too long")
    if text.upper().startswith(("RRULE:", "DTSTART", "EXDATE", "RDATE")):
        raise RuleError("the rule's value only")
    try:
        parsed = rrulestr(local_rule(text),
                          dtstart=to_local(starts_at).replace(tzinfo=None, microsecond=0))
    except (ValueError, TypeError, KeyError) as error:
        raise RuleError(str(error)) from error
    if "FREQ=SECONDLY" in text.upper() or "FREQ=MINUTELY" in text.upper() \
            or "FREQ=HOURLY" in text.upper():
        raise RuleError("more often than daily")
    if parsed.after(to_local(starts_at).replace(tzinfo=None, microsecond=0), inc=True) is None:
        raise RuleError("no occurrence")


def _exceptions(event: Event) -> dict[datetime, datetime | None]:
    found: dict[datetime, datetime | None] = {}
    for change in event.exceptions or []:
        try:
            start = datetime.fromisoformat(change["start"]).astimezone(timezone.utc)
            moved = change.get("moved_to")
            found[start] = datetime.fromisoformat(moved).astimezone(timezone.utc) \
                if moved else None
        except (KeyError, TypeError, ValueError):
            continue  # a malformed entry changes nothing
    return found


_UTC_UNTIL = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)


def local_rule(rule: str) -> str:
    """The rule as it is expanded here, over a naive wall-clock DTSTART in Paris: its UNTIL in
    UTC (as RFC 5545 wants it next to a DTSTART with a TZID, and as it is stored) turned into
    Paris wall-clock time (dateutil refuses an aware UNTIL with a naive DTSTART)."""
    def to_paris(match: re.Match) -> str:
        moment = datetime.strptime(match[1], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
        return "UNTIL=" + to_local(moment).strftime("%Y%m%dT%H%M%S")
    return _UTC_UNTIL.sub(to_paris, rule)


def bounded(rule: str) -> bool:
    """Whether the rule ends by itself (UNTIL or COUNT)."""
    upper = rule.upper()
    return "UNTIL=" in upper or "COUNT=" in upper


def _local_start(event: Event) -> datetime:
    """The first start as the rule's naive wall-clock DTSTART, to the second (a rule's dates
    have no fraction of a second: one on the start would make the first date look skipped)."""
    return to_local(event.starts_at).replace(tzinfo=None, microsecond=0)


@lru_cache(maxsize=512)
def _parsed(rule: str, local_start: datetime):
    """The rule read once per process for a start (None when it cannot be read), with
    dateutil's own cache of the dates it gave: each list and feed asks for the same few dozen
    recurring events again (reading and expanding them was a quarter of the events page)."""
    try:
        return rrulestr(local_rule(rule), dtstart=local_start, cache=True)
    except (ValueError, TypeError, KeyError):
        return None


def rule_starts(event: Event, until: datetime, since: datetime | None = None) -> list[datetime]:
    """The UTC starts the rule gives from `since` (default: the event's start) up to `until`
    (at most MAX_OCCURRENCES); the event's one start when it does not recur."""
    if not event.rrule:
        return [event.starts_at]
    local_start = _local_start(event)
    rule = _parsed(event.rrule, local_start)
    if rule is None:
        return [event.starts_at]
    if not bounded(event.rrule):
        until = min(until, event.starts_at + HORIZON)
    local_until = to_local(until).replace(tzinfo=None)
    local_since = max(local_start, to_local(since).replace(tzinfo=None)) if since else local_start
    starts = []
    for naive in rule.xafter(local_since, count=MAX_OCCURRENCES, inc=True):
        if naive > local_until:
            break
        starts.append(from_local(naive))
    return starts


def occurrences(event: Event, start: datetime, end: datetime) -> list[Occurrence]:
    """The occurrences that overlap [start, end), by their (possibly moved) start time."""
    duration = event.ends_at - event.starts_at
    changes = _exceptions(event)
    found = []
    # From a month before the window: a date moved into it may come from before it.
    since = start - duration - timedelta(days=31)
    for rule_start in rule_starts(event, end + timedelta(days=31), since):
        moved_to = changes.get(rule_start, rule_start)
        if rule_start in changes and moved_to is None:
            continue  # cancelled
        if moved_to + duration > start and moved_to < end:
            found.append(Occurrence(moved_to, moved_to + duration, rule_start,
                                    moved=moved_to != rule_start))
    return sorted(found, key=lambda o: o.start)


def next_occurrence(event: Event, now: datetime) -> Occurrence | None:
    """The next occurrence still to come or under way."""
    upcoming = occurrences(event, now, now + HORIZON)
    return upcoming[0] if upcoming else None
