"""When an occurrence happens, as the event pages write it (templates/events/_when.html): its
day and start in the reader's language and time zone (Europe/Paris), then its end, with its day
only when it ends on another day: "jeudi 15 octobre 2026, 09:00–12:00".

Written here rather than with the template filters because a list shows fifty of them: through
the filters each took five Babel calls (two of them to compare the days), a quarter of the
events page's time; here the day's name is made once per day and language."""
from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache

from babel.dates import format_date
from flask_babel import get_locale, get_timezone
from markupsafe import Markup, escape

DAY = "EEEE d MMMM y"


@lru_cache(maxsize=2048)
def _day(day: date, locale) -> str:
    return format_date(day, DAY, locale=locale)


def _local(moment: datetime, tz) -> datetime:
    """As Flask-Babel rebases before formatting: a naive time is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(tz)
    return tz.normalize(moment) if hasattr(tz, "normalize") else moment


def when_range(start: datetime, end: datetime) -> Markup:
    """The template global `when_range(start, end)`."""
    tz, locale = get_timezone(), get_locale()
    first, last = _local(start, tz), _local(end, tz)
    if last.date() == first.date():
        # Within a day the hours stay together on a phone ("09:00–12:00").
        return Markup(f"{escape(_day(first.date(), locale))}, <span class=\"nowrap\">"
                      f'<time datetime="{escape(start.isoformat())}">'
                      f"{first.hour:02d}:{first.minute:02d}</time>–"
                      f'<time datetime="{escape(end.isoformat())}">'
                      f"{last.hour:02d}:{last.minute:02d}</time></span>")
    opening = f'<time datetime="{escape(start.isoformat())}">' \
              f"{escape(_day(first.date(), locale))}, {first.hour:02d}:{first.minute:02d}</time>"
    return Markup(f'{opening} – <time datetime="{escape(end.isoformat())}">'
                  f"{escape(_day(last.date(), locale))}, {last.hour:02d}:{last.minute:02d}</time>")
