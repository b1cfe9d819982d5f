"""JSON shapes shared by API view modules (a view module never imports another)."""
from __future__ import annotations

from app.text import render_markdown
from models import Post


def post_dict(post: Post) -> dict:
    """A post hidden by a moderator keeps its place, without its text (`hidden: true`)."""
    hidden = post.hidden_at is not None
    return {"id": post.id, "author": post.author.display_name if post.author else None,
            "body": "" if hidden else post.body,
            "body_html": "" if hidden else str(render_markdown(post.body)), "hidden": hidden,
            "pinned": post.pinned,
            "created_at": post.created_at.isoformat(), "comment_count": post.comment_count,
            "edited_at": post.edited_at.isoformat() if post.edited_at else None}
