"""JSON request bodies, read one way on every JSON route: size, encoding, syntax, nesting depth,
the top-level object and the fields' types are checked before a view sees them, and any failure
is a 400 JSON answer with a translated message (`MalformedJSON`, answered by app/errors.py).

Why not `request.get_json()`: the standard library's parser recurses, so a body of a thousand
`[` raises RecursionError (a 500), a lone surrogate ("\\ud800") or a NUL reaches PostgreSQL (a 500
there), and `silent=True` turns every malformed body into None, which the view then answers as if
nothing had been sent.
"""
from __future__ import annotations

import json

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

MAX_DIGITS = 100  # a longer number is no id or count: parsing it costs quadratic time

MESSAGES = {
    "not_json": _l("Send a JSON object, with the header Content-Type: application/json."),
    "too_large": _l("This JSON body is too large."),
    "encoding": _l("This JSON body is not valid UTF-8 text."),
    "syntax": _l("This JSON body is malformed."),
    "too_deep": _l("This JSON body is nested too deeply."),
    "not_object": _l("This JSON body must be an object."),
    "wrong_type": _l("The field “%(field)s” has the wrong type."),
}


class MalformedJSON(BadRequest):
    """A body that is not the JSON the route reads; `code` is part of the API."""

    def __init__(self, code: str, field: str | None = None):
        super().__init__(code)
        self.code = code
        self.field = field

    def message(self) -> str:
        text = MESSAGES[self.code]
        return str(text % {"field": self.field}) if self.field else str(text)

    def reply(self) -> tuple[dict, int]:
        error = {"code": "malformed_json", "reason": self.code, "message": self.message()}
        if self.field:
            error["field"] = self.field
        return {"ok": False, "error": error, "status": 400}, 400


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError("number too long")
    return int(text)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse(data: bytes, max_depth: int):
    """The parsed value (NULs dropped from strings, as app/request.py does for forms); raises
    MalformedJSON."""
    try:
        text = data.decode("utf-8")  # RFC 8259: JSON between systems is UTF-8, no BOM
    except UnicodeDecodeError:
        raise MalformedJSON("encoding") from None
    if text.startswith("\ufeff"):
        raise MalformedJSON("encoding")
    if _opening_depth_exceeds(text, max_depth):
        raise MalformedJSON("too_deep")  # before the recursive parser sees it
    try:
        value = json.loads(text, parse_int=_int, parse_constant=_no_constant)
    except RecursionError:
        raise MalformedJSON("too_deep") from None
    except ValueError:
        raise MalformedJSON("syntax") from None
    return _checked(value, max_depth)


def _opening_depth_exceeds(text: str, max_depth: int) -> bool:
    """A cheap upper bound of the nesting: brackets outside strings, without parsing. Only used
    to refuse early; `_checked` measures the parsed value exactly."""
    if text.count("[") + text.count("{") <= max_depth:
        return False
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _clean_string(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \\ud800 escape: no text means it
        raise MalformedJSON("encoding") from None
    return value.replace("\x00", "")


def _checked(value, max_depth: int):
    """The value with its strings cleaned, walked without recursion; too deep raises."""
    def clean(item):
        return _clean_string(item) if isinstance(item, str) else item

    root = [clean(value)]
    stack = [(root, 0, 0)]  # (container, key or index, depth of the container's items)
    while stack:
        container, key, depth = stack.pop()
        item = container[key]
        if isinstance(item, (dict, list)):
            if depth + 1 > max_depth:
                raise MalformedJSON("too_deep")
            if isinstance(item, dict):
                cleaned = {clean(k): clean(v) for k, v in item.items()}
                container[key] = cleaned
                stack.extend((cleaned, k, depth + 1) for k in cleaned)
            else:
                cleaned = [clean(v) for v in item]
                container[key] = cleaned
                stack.extend((cleaned, i, depth + 1) for i in range(len(cleaned)))
    return root[0]


_PARSED = "maillage.json"  # where a request keeps its parsed body (read once)


def read_json(req):
    """The request's JSON value, whatever its JSON type, checked (size, charset, encoding,
    syntax, depth); MalformedJSON otherwise. Parsed once per request."""
    if _PARSED in req.environ:
        return req.environ[_PARSED]
    charset = req.mimetype_params.get("charset")
    if charset is not None and charset.lower().replace("-", "") != "utf8":
        raise MalformedJSON("encoding")
    limit = current_app.config["JSON_MAX_BYTES"]
    if req.content_length is not None and req.content_length > limit:
        raise MalformedJSON("too_large")
    data = req.get_data(cache=True)  # also what a chunked body without a length sent
    if len(data) > limit:
        raise MalformedJSON("too_large")
    value = req.environ[_PARSED] = parse(data, current_app.config["JSON_MAX_DEPTH"])
    return value


def json_body(fields: dict[str, tuple[type, ...]] | None = None) -> dict:
    """The request's JSON object, or MalformedJSON (a 400). `fields` maps a field name to the
    JSON types it may have (absent is always allowed; a bool is never an int)."""
    if not request.is_json:
        raise MalformedJSON("not_json")
    value = read_json(request)
    if not isinstance(value, dict):
        raise MalformedJSON("not_object")
    for name, types in (fields or {}).items():
        if name in value and not _has_type(value[name], types):
            raise MalformedJSON("wrong_type", name)
    return value


def _has_type(value, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)
