"""The chat's rate limits, one counter per person across all their sockets and the page's form:
CHAT_RATE_LIMIT for messages sent, CHAT_EVENT_RATE_LIMIT for every other socket event,
CHAT_REPLAY_RATE_LIMIT for the messages replayed by catch-ups (priced in messages, not calls).

Counted in RATELIMIT_STORAGE_URI (Redis when several processes share the Socket.IO queue). Under
gevent a hit may yield to other greenlets: never call these while holding a write lock.

Messages sent are counted in a moving window (exact: "retry in 7 s" is true). Other events and
replayed messages are counted with sliding-window counters (two numbers per person and limit:
this window's count and the previous one's, weighted by how much of it still overlaps): a
moving window keeps one entry per event counted, one per *replayed message* for a catch-up, and
its memory store copies every person's list a hundred times a second to expire them; 200
people joining a busy room left 20,000 entries for a minute, an eighth of the chat's time at
saturation (bench/chat.py). The counter's estimate takes the previous window's events as spread
evenly over it: a burst at the end of one window and another at the start of the next can let
up to twice the limit through in the seconds between, which is enough for a flood guard.
"""
from __future__ import annotations

import math
import time

from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter

_KEY = "maillage.chat_limiter"


def _limiter(counting: bool = False) -> RateLimiter:
    """The moving window for messages; `counting`: the sliding-window counter for the rest.
    Both count in one storage (one Redis connection pool, one memory store)."""
    limiters = current_app.extensions.get(_KEY)
    if limiters is None:
        storage = storage_from_string(current_app.config["RATELIMIT_STORAGE_URI"])
        limiters = current_app.extensions[_KEY] = (MovingWindowRateLimiter(storage),
                                                   SlidingWindowCounterRateLimiter(storage))
    return limiters[1 if counting else 0]


def _deployment() -> str:
    """Counters of another deployment on the same Redis are other counters."""
    return current_app.config.get("SOCKETIO_CHANNEL") or "maillage"


def send_wait(user_id: int) -> int:
    """0 when this person may send one more message now (and count it), else the seconds to
    wait."""
    limit = parse(current_app.config["CHAT_RATE_LIMIT"])
    limiter = _limiter()
    if limiter.hit(limit, _deployment(), "chat", str(user_id)):
        return 0
    reset_at, _remaining = limiter.get_window_stats(limit, _deployment(), "chat", str(user_id))
    return max(1, math.ceil(reset_at - time.time()))


def flooding(user_id: int) -> bool:
    """Whether this person went past CHAT_EVENT_RATE_LIMIT (this event counted): a script cannot
    keep the worker busy with joins, reads or typing."""
    limit = parse(current_app.config["CHAT_EVENT_RATE_LIMIT"])
    return not _limiter(counting=True).hit(limit, _deployment(), "chat-events", str(user_id))


def replay_wait(user_id: int, messages: int) -> int:
    """0 when this person may have `messages` more messages replayed now (and count them), else
    the seconds to wait: a join or a catch-up page costs what it may send back."""
    limit = parse(current_app.config["CHAT_REPLAY_RATE_LIMIT"])
    limiter = _limiter(counting=True)
    if limiter.hit(limit, _deployment(), "chat-replay", str(user_id), cost=messages):
        return 0
    reset_at, _remaining = limiter.get_window_stats(limit, _deployment(), "chat-replay", str(user_id))
    return max(1, math.ceil(reset_at - time.time()))
