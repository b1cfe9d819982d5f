"""The JSON the Socket.IO server decodes packets with: the standard library's, except that a
number of more than 100 digits becomes null instead of failing the whole packet, and that an
event whose data nests too deeply for the decoder (a thousand `[`) arrives with null data.

Engine.IO refuses such numbers (turning a huge digit string into an int costs quadratic time)
by raising while it decodes, and the packet is then dropped with a traceback and no answer. A
null keeps the protection and lets the handler answer `invalid`, as for any field of the wrong
type (docs/realtime.md).
"""
from __future__ import annotations

import re
from json import *  # noqa: F403  (dumps and the rest, unchanged)
from json import loads as _loads

MAX_DIGITS = 100
# A Socket.IO event is ["name", data...]: its name, when the rest cannot be decoded.
_EVENT_NAME = re.compile(r'\s*\[\s*"([A-Za-z_]{1,32})"\s*,')


def _int_or_null(text: str):
    return int(text) if len(text) <= MAX_DIGITS else None


def loads(text, *args, **kwargs):
    kwargs.setdefault("parse_int", _int_or_null)
    try:
        return _loads(text, *args, **kwargs)
    except RecursionError:
        # Too deep for the decoder: the event with null data, which its handler answers
        # `invalid` (acked if an ack was asked), rather than a dropped packet and a traceback.
        name = _EVENT_NAME.match(text) if isinstance(text, str) else None
        if name is None:
            raise ValueError("JSON nested too deeply") from None
        return [name.group(1), None]
