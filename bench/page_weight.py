"""Page weight of a first visit, measured in Chromium: the home page, the directory and a
profile page, everything each transfers on an empty cache (HTML, CSS, JavaScript, images),
next to the same pages with compression refused (`Accept-Encoding: identity`), in the same run.

    .venv/bin/python bench/page_weight.py [--profiles 340]

Target (issue 9): at most 150 KB transferred per page on a first visit. Bytes are Chromium's
own counts (Playwright `request.sizes()`: response headers + body as received, compressed or
not). The server is the production recipe (`gunicorn wsgi:app`, gunicorn.conf.py) over a demo
instance built in a temp directory. The exit status is 0 even when a target is missed.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import build_instance, log, pick_urls  # noqa: E402
from tests.helpers.browser import LiveServer  # noqa: E402

TARGET_KB = 150


def weigh(browser, base_url: str, path: str, compressed: bool) -> dict:
    """One first visit on an empty cache: requests and bytes received (headers + body)."""
    headers = {} if compressed else {"Accept-Encoding": "identity"}
    context = browser.new_context(base_url=base_url, extra_http_headers=headers,
                                  viewport={"width": 360, "height": 740}, locale="fr-FR")
    page = context.new_page()
    done = []
    page.on("requestfinished", lambda request: done.append(request))
    page.goto(path, wait_until="networkidle")
    received = 0
    for request in done:
        sizes = request.sizes()
        received += sizes["responseHeadersSize"] + sizes["responseBodySize"]
    context.close()
    return {"requests": len(done), "kb": received / 1024}


def shell_kb(base_url: str) -> tuple[int, float]:
    """What the service worker downloads once per version at install (the app shell, gzip)."""
    import json
    import re
    import urllib.request
    script = urllib.request.urlopen(base_url + "/sw.js", timeout=10).read().decode()
    urls = json.loads(re.search(r"var SHELL_URLS = (\[.*?\]);", script).group(1))
    total = len(script)
    for url in urls:
        request = urllib.request.Request(base_url + url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as response:
            total += len(response.read())
    return len(urls) + 1, total / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=340)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="maillage-weight-") as tmp:
        workdir = Path(tmp)
        build_instance(workdir, args.profiles, reuse=False)
        db_path = workdir / "bench.sqlite3"
        urls = [("home", "/")] + [(label, path) for label, path in pick_urls(db_path)
                                  if label in ("profile page", "directory")]
        server = LiveServer(db_path, workdir, env={"MAILLAGE_SECRET_KEY": "bench"})
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium")
                rows = []
                for label, path in urls:
                    packed = weigh(browser, server.url, path, compressed=True)
                    plain = weigh(browser, server.url, path, compressed=False)
                    rows.append((label, path, packed, plain))
                browser.close()
            shell = shell_kb(server.url)
        finally:
            server.stop()
    print(f"\nFirst visit, empty cache, Chromium, 360 px ({args.profiles} demo profiles)")
    print(f"{'page':<14} {'requests':>8} {'gzip KB':>9} {'identity KB':>12} {'saved':>7} "
          f"{'target':>8}  met")
    for label, path, packed, plain in rows:
        saved = 100 * (1 - packed["kb"] / plain["kb"]) if plain["kb"] else 0
        met = "yes" if packed["kb"] <= TARGET_KB else "NO"
        print(f"{label:<14} {packed['requests']:>8} {packed['kb']:>9.1f} {plain['kb']:>12.1f} "
              f"{saved:>6.0f}% {'<= ' + str(TARGET_KB):>8}  {met}   {path}")
    print(f"{'+ the service worker, once per version (app shell, gzip)':<56} {shell[0]:>3} "
          f"requests {shell[1]:>7.1f} KB")
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
