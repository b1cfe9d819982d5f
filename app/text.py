"""The one place where user Markdown becomes HTML.

Everything a member writes is stored as Markdown source and shown through `render_markdown`:
Markdown -> HTML -> bleach allow-list -> links marked rel="nofollow noopener". Templates may
mark as safe only what came out of this function.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache, partial

import bleach
import markdown
from bleach.linkifier import LinkifyFilter
from markupsafe import Markup, escape

from search.index import native_local

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "b", "i", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "hr",
})
# Chat messages: Markdown-lite, one line of talk. Other tags are dropped, their text kept.
LITE_TAGS = frozenset({"p", "br", "strong", "em", "b", "i", "a", "code"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
# Python-Markdown looks for the end of every "[" and "(" it cannot close by scanning the rest of
# the text: a bio of 10,000 "[" took 14 s. Text with more unclosed brackets than any real
# writing has is shown as plain text instead.
MAX_UNCLOSED_BRACKETS = 20
MAX_ANGLE_BRACKETS = 500


def _mark_link(attrs, new=False):
    attrs[(None, "rel")] = "nofollow noopener"
    return attrs


# One pass: sanitise, then linkify (outside <pre> and <code>) and mark every link.
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS,
    strip=False, strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_mark_link], skip_tags={"pre", "code"},
                     parse_email=False)])


_lite_cleaner = bleach.Cleaner(
    tags=LITE_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS,
    strip=False, strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_mark_link], skip_tags={"code"},
                     parse_email=False)])


# Block syntax a chat line does not use: "# 2 desks" stays text, not a heading.
_LITE_UNUSED_BLOCKS = ("hashheader", "setextheader", "hr", "olist", "ulist", "quote", "code")
_lite_local = native_local()  # one parser per OS thread (a Markdown object is not shareable)


def _lite_markdown(source: str) -> str:
    md = getattr(_lite_local, "md", None)
    if md is None:
        md = _lite_local.md = markdown.Markdown(output_format="html")
        for name in _LITE_UNUSED_BLOCKS:
            md.parser.blockprocessors.deregister(name)
    return md.reset().convert(source)


# Chat text with none of Markdown's or HTML's signs and nothing linkify would turn into a link
# (a dot before a letter may be a domain): its HTML is its escaped paragraphs, and the parser
# and the sanitiser are skipped (a third of a message's cost). tests/test_text.py checks that
# this gives what the full path gives.
_LITE_PLAIN = re.compile(r"[^*_`\[\]<>&\\#|~:@=+\x00-\x09\x0b-\x1f\x7f]*")
_LITE_LINKISH = re.compile(r"\.[^\W\d_]|  \n|^ {4}|^\s*[-0-9]", re.MULTILINE)


def _lite_plain(source: str) -> str | None:
    if not _LITE_PLAIN.fullmatch(source) or _LITE_LINKISH.search(source):
        return None
    # As Python-Markdown does: blank lines split paragraphs, each loses its leading spaces.
    text = re.sub(r"(?m)^ +$", "", source.replace("\r\n", "\n")).strip("\n")
    blocks = (b.lstrip().rstrip("\n") for b in re.split(r"\n\n+", text))
    return "\n".join(f"<p>{b}</p>" for b in blocks if b)  # no & < > in it: nothing to escape


def _unclosed(text: str, opening: str, closing: str) -> int:
    """How many `opening` brackets no `closing` one follows (one linear pass)."""
    depth = 0
    for ch in text:
        if ch == opening:
            depth += 1
        elif ch == closing and depth:
            depth -= 1
    return depth


def _too_costly_for_markdown(source: str) -> bool:
    return (source.count("<") > MAX_ANGLE_BRACKETS
            or _unclosed(source, "[", "]") > MAX_UNCLOSED_BRACKETS
            or _unclosed(source, "(", ")") > MAX_UNCLOSED_BRACKETS)


def _plain_paragraphs(source: str) -> str:
    paragraphs = [p for p in source.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{escape(p.strip())}</p>".replace("\n", "<br>") for p in paragraphs)


@lru_cache(maxsize=2048)
def render_markdown(source: str, lite: bool = False) -> Markup:
    """Safe HTML for a member's Markdown. Raw HTML in the source is shown as text, never run;
    links to anything but http(s)/mailto lose their href. Cached: profiles are read far more
    often than written. `lite` (chat) keeps only bold, italics, links and inline code."""
    source = source or ""
    if _too_costly_for_markdown(source):
        html = _plain_paragraphs(source)
    elif lite:
        plain = _lite_plain(source)
        if plain is not None:
            return Markup(plain)
        html = _lite_markdown(source)
    else:
        html = markdown.markdown(source, extensions=["sane_lists"], output_format="html")
    return Markup((_lite_cleaner if lite else _cleaner).clean(html))


_BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|li|h[3-6]|blockquote|pre)>")


@lru_cache(maxsize=2048)
def markdown_to_text(source: str) -> str:
    """A member's Markdown as the plain text a reader sees (search snippets): "**Bois** et
    [atelier](https://x)" -> "Bois et atelier". Not markup: escape it where it is shown."""
    rendered = _BLOCK_END.sub(" ", str(render_markdown(source or "")))
    text = bleach.clean(rendered, tags=set(), strip=True, strip_comments=True)
    return " ".join(html.unescape(text).split())


def excerpt(body: str | None, length: int = 160) -> str:
    """Text on one line (spaces and line breaks collapsed), cut at `length` with an ellipsis.
    Plain text: templates escape it."""
    text = " ".join((body or "").split())
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


def markdown_excerpt(source: str | None, length: int = 160) -> str:
    """`excerpt` of a member's Markdown as a reader sees it ("**Achat groupé** :" -> "Achat
    groupé :"), not its source. Only the start of a long text is rendered."""
    return excerpt(markdown_to_text((source or "")[:length * 3]), length)
