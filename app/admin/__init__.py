"""Admin tools: the e-mail outbox (what was sent, what waits, what failed) and the recovery link
an admin hands to a member by phone. Linked from the moderation pages for admins."""
from __future__ import annotations

from app.admin import views  # noqa: F401
from app.admin.blueprint import bp

__all__ = ["bp"]
