"""The JSON the Socket.IO server decodes packets with: the standard library's, except that a
number of more than 100 digits becomes null instead of failing the whole packet.

Engine.IO refuses such numbers (turning a huge digit string into an int costs quadratic time)
by raising while it decodes, and the packet is then dropped with a traceback and no answer. A
null keeps the protection and lets the handler answer `invalid`, as for any field of the wrong
type (docs/realtime.md).
"""
from __future__ import annotations

from json import *  # noqa: F403  (dumps and the rest, unchanged)
from json import loads as _loads

MAX_DIGITS = 100


def _int_or_null(text: str):
    return int(text) if len(text) <= MAX_DIGITS else None


def loads(*args, **kwargs):
    kwargs.setdefault("parse_int", _int_or_null)
    return _loads(*args, **kwargs)
