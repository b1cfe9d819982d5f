"""Generated hostile inputs: redirect targets (`next`) and malformed JSON bodies. Deterministic
(a seeded generator), so a failure names the same value on every run."""
from __future__ import annotations

import json
import random
from urllib.parse import quote

HOSTS = ["evil.example", "evil.example:8443", "127.0.0.1", "[::1]", "xn--80ak6aa92e.com",
         "évil.example", "evil.example@good.example"]
SCHEMES = ["http:", "https:", "javascript:", "data:", "vbscript:", "file:", "ftp:", "JaVaScRiPt:",
           " javascript:", "java\tscript:", "java\nscript:", "mailto:"]
CONTROLS = [chr(c) for c in range(0x00, 0x20)] + ["\x7f"] + [chr(c) for c in range(0x80, 0xa0)]
INVISIBLE = ["\u200b", "\u200e", "\u200f", "\u202e", "\u2028", "\u2029", "\ufeff", "\u2066",
             "\ue000", "\U000e0001"]
SLASHES = ["/", "\\", "／", "\u2215", "\u2044", "%2f", "%2F", "%5c", "%5C", "/%09/", "/\t/",
           "/\\", "\\/", "//", "///", "/./", "/../"]


def hostile_next_values(count: int = 500, seed: int = 20) -> list[str]:
    """`count` distinct values: every family (controls and CR/LF alone and in header-splitting
    strings, backslashes, schemes, protocol-relative, unicode look-alikes and invisibles,
    single and double percent-encodings, overlong), then random mixes of their pieces."""
    out: list[str] = []

    def add(value: str) -> None:
        if value not in out:
            out.append(value)

    for ch in CONTROLS:
        add("/" + ch + "Set-Cookie:x=1")
        add("/people/" + ch)
    for crlf in ("\r\n", "\n", "\r", "\r\n\r\n", "\n\r"):
        add("/" + crlf + "Set-Cookie:x=1")
        add("/" + crlf + "Location: https://evil.example/")
        add("/ok?x=" + crlf + "X: y")
    for host in HOSTS:
        for prefix in ("//", "///", "/\\", "\\\\", "\\/", "/\t/", "/%2f/", "/ /", "https://",
                       "http:/", "https:", "/\\/", "%2f%2f", "／／", " //"):
            add(prefix + host + "/x")
    for scheme in SCHEMES:
        add(scheme + "alert(1)")
        add(scheme + "//evil.example/")
        add("/" + scheme + "//evil.example/")  # a local path, really: must not 500 either
    for ch in INVISIBLE:
        add("/" + ch + "/evil.example")
        add(ch + "//evil.example")
    for s in SLASHES:
        add(s + "evil.example")
        add(s + s + "evil.example")
    for raw in ("//evil.example", "\r\nX: y", "\\evil", "javascript:alert(1)"):
        add(quote(raw, safe=""))
        add("/" + quote(raw, safe=""))
        add(quote(quote(raw, safe=""), safe=""))
    add("/" + "a" * 5000)
    add("/" + "é" * 3000)
    add("")
    add(" ")
    add("?")
    add("#")
    add("/\x00")
    add("\ud800")  # a lone surrogate: the test encodes it as UTF-8 with surrogatepass
    rng = random.Random(seed)
    pieces = [*CONTROLS, *INVISIBLE, *SLASHES, *SCHEMES, *HOSTS, "%0d%0a", "%00", "@", ":",
              "?next=", "#", "é", "日本", "😀", "..", "%", "%%", "%zz", "\r\n"]
    while len(out) < count:
        add("".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))))
    return out[:count]


def malformed_json_bodies(count: int = 200, seed: int = 3) -> list[tuple[bytes, str]]:
    """(body, content type) pairs a JSON route must answer with a 400, never a 500: nesting,
    size, wrong encodings, syntax errors, wrong top-level and field types, odd numbers."""
    out: list[tuple[bytes, str]] = []
    ct = "application/json"
    for depth in (33, 100, 1000, 5000, 100_000):
        out.append((b"[" * depth + b"]" * depth, ct))
        out.append((b"[" * depth, ct))
        out.append((('{"a":' * depth + "1" + "}" * depth).encode(), ct))
        out.append((b'{"action": ' + b"[" * depth + b"]" * depth + b"}", ct))
    for size in (70_000, 300_000, 2_000_000):
        out.append((json.dumps({"reason": "x" * size}).encode(), ct))
        out.append((b"[" + b"1," * (size // 2) + b"1]", ct))
    for text in ('{"action": "hide", "reason": "é"}',):
        for encoding in ("latin-1", "utf-16", "utf-16-le", "utf-32", "cp1252"):
            out.append((text.encode(encoding), ct))
    out += [(b"\xff\xfe\x00", ct), (b"\xc3\x28", ct), (b'{"a": "\xed\xa0\x80"}', ct),
            (b'{"reason": "\\ud800"}', ct), (b'{"reason": "\\udfff\\ud800"}', ct),
            (b"\xef\xbb\xbf{}", ct), (b"", ct), (b" ", ct), (b"null", ct), (b"true", ct),
            (b"1", ct), (b'"x"', ct), (b"[]", ct), (b"[{}]", ct), (b"NaN", ct),
            (b'{"minutes": NaN}', ct), (b'{"minutes": Infinity}', ct), (b'{"target": 1e999}', ct),
            (b'{"target": ' + b"9" * 5000 + b"}", ct), (b'{"target": -' + b"9" * 400 + b"}", ct),
            (b"{'action': 'hide'}", ct), (b'{"action": "hide",}', ct), (b'{"a" "b"}', ct),
            (b"{", ct), (b"}", ct), (b'{"a": undefined}', ct), (b"/* */{}", ct),
            (b'{"action": "hide"}', "text/plain"), (b'{"action": "hide"}', "application/xml"),
            (b"action=hide&kind=post", "application/x-www-form-urlencoded"),
            (b'{"action": "hide"}', "application/json; charset=latin-1"),
            (b'{"action": "hide"}', "multipart/form-data; boundary=x")]
    fields = ["action", "kind", "target", "reason", "minutes", "network"]
    wrong = [None, True, 1.5, -1, 2**70, [], {}, ["hide"], {"$ne": 1}, "\x00", "",
             "x" * 10_000, [[[[[]]]]]]
    rng = random.Random(seed)
    while len(out) < count:
        # A target that does not exist: whatever the other fields, nothing can be acted on.
        body = {"action": "hide", "kind": "post", "target": 999_999, "reason": "r"}
        for field in rng.sample(fields, rng.randint(1, 3)):
            body[field] = rng.choice(wrong)
        out.append((json.dumps(body).encode(), ct))
    return out[:count]
