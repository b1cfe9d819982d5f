"""The one place where user Markdown becomes HTML.

Everything a member writes is stored as Markdown source and shown through `render_markdown`:
Markdown -> HTML -> bleach allow-list -> links marked rel="nofollow noopener". Templates may
mark as safe only what came out of this function.
"""
from __future__ import annotations

from functools import lru_cache

import bleach
import markdown
from bleach.linkifier import Linker
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "b", "i", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "hr",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def _mark_link(attrs, new=False):
    attrs[(None, "rel")] = "nofollow noopener"
    return attrs


_linker = Linker(callbacks=[_mark_link], skip_tags={"pre", "code"}, parse_email=False)


@lru_cache(maxsize=2048)
def render_markdown(source: str) -> Markup:
    """Safe HTML for a member's Markdown. Raw HTML in the source is shown as text, never run;
    links to anything but http(s)/mailto lose their href. Cached: profiles are read far more
    often than written."""
    html = markdown.markdown(source or "", extensions=["sane_lists"], output_format="html")
    clean = bleach.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                         protocols=ALLOWED_PROTOCOLS, strip=False, strip_comments=True)
    return Markup(_linker.linkify(clean))
