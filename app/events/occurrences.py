"""When an event happens: its one occurrence, or those its recurrence rule gives, expanded in
Europe/Paris so that "every Thursday at 9:00" stays at 9:00 local time on both sides of the
clock changes, minus the cancelled occurrences and with the moved ones at their new time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from models.event import TIMEZONE, Event

PARIS = ZoneInfo(TIMEZONE)
HORIZON = timedelta(days=366)  # how far an open-ended rule is expanded
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
        parsed = rrulestr(text, dtstart=to_local(starts_at).replace(tzinfo=None))
    except (ValueError, TypeError, KeyError) as error:
        raise RuleError(str(error)) from error
    if "FREQ=SECONDLY" in text.upper() or "FREQ=MINUTELY" in text.upper() \
            or "FREQ=HOURLY" in text.upper():
        raise RuleError("more often than daily")
    if parsed.after(to_local(starts_at).replace(tzinfo=None), inc=True) is None:
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


@lru_cache(maxsize=512)
def _every_start(rule: str, starts_at: datetime) -> tuple[tuple[datetime, datetime], ...] | None:
    """(Paris wall-clock time, UTC) of every start the rule gives within HORIZON of `starts_at`
    (at most MAX_OCCURRENCES), or None when the rule cannot be read. Kept per process: a rule
    and a start always give the same times, and each list and feed asks for the same few dozen
    recurring events again (expanding them was a quarter of the events page's time)."""
    local_start = to_local(starts_at).replace(tzinfo=None)
    try:
        parsed = rrulestr(rule, dtstart=local_start)
    except (ValueError, TypeError, KeyError):
        return None
    local_until = to_local(starts_at + HORIZON).replace(tzinfo=None)
    starts = []
    for naive in parsed.xafter(local_start, count=MAX_OCCURRENCES, inc=True):
        if naive > local_until:
            break
        starts.append((naive, from_local(naive)))
    return tuple(starts)


def rule_starts(event: Event, until: datetime) -> list[datetime]:
    """The UTC starts the rule gives from the event's start up to `until` (at most
    MAX_OCCURRENCES); the event's one start when it does not recur."""
    if not event.rrule:
        return [event.starts_at]
    every = _every_start(event.rrule, event.starts_at)
    if every is None:
        return [event.starts_at]
    local_until = to_local(min(until, event.starts_at + HORIZON)).replace(tzinfo=None)
    return [start for naive, start in every if naive <= local_until]


def occurrences(event: Event, start: datetime, end: datetime) -> list[Occurrence]:
    """The occurrences that overlap [start, end), by their (possibly moved) start time."""
    duration = event.ends_at - event.starts_at
    changes = _exceptions(event)
    found = []
    for rule_start in rule_starts(event, end + timedelta(days=31)):
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
