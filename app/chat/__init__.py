"""Chat: pages (conversation list, room view, new group, direct message) and the functions the
pages, the JSON API and the `/chat` socket share: rooms.py (rooms and who reads them),
messages.py (history, read markers, changes, the protocol's shape), sending.py (the one send
function, and who may write now)."""
from __future__ import annotations

# Importing the view modules registers their routes on the blueprint.
from app.chat import views  # noqa: F401
from app.chat.blueprint import bp

__all__ = ["bp"]
