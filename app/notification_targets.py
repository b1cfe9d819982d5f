"""Where a notification leads: the page it is about (the notifications page's links, and the
links of the mails made from notifications)."""
from __future__ import annotations

from models import Notification, NotificationKind

MODERATION_KINDS = {NotificationKind.CONTENT_HIDDEN, NotificationKind.CONTENT_DELETED,
                    NotificationKind.CONTENT_RESTORED, NotificationKind.APPEAL_REJECTED,
                    NotificationKind.WARNING, NotificationKind.MUTED, NotificationKind.BANNED,
                    NotificationKind.REPORT_HANDLED}


def target_endpoint(n: Notification) -> tuple[str, dict]:
    """(endpoint, url_for values) of the page this notification is about."""
    if n.kind in MODERATION_KINDS:
        return "moderation.mine", {}
    if n.kind == NotificationKind.REPORT_FILED:
        return "moderation.queue", {}
    if n.kind == NotificationKind.INVESTIGATION:
        return "chat.index", {}
    if n.kind == NotificationKind.SEARCH_MATCH:
        return "saved_searches.person", {"user_id": n.actor_id}
    if n.event_id:
        return "events.show", {"event_id": n.event_id}
    if n.post_id:
        return "networks.post", {"network_id": n.network_id, "post_id": n.post_id,
                                 "_anchor": f"comment-{n.comment_id}" if n.comment_id else None}
    if n.kind == NotificationKind.JOIN_REQUEST:
        return "networks.member_list", {"network_id": n.network_id}
    if n.network_id:
        return "networks.show", {"network_id": n.network_id}
    return "social.connections", {}
