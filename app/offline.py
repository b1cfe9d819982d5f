"""The installable, offline-capable app: the web app manifest, the service worker (served from
the site's root so that it controls every page) and the page shown offline for a page never
visited. What the service worker does is documented in templates/offline/sw.js."""
from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, render_template, url_for
from flask_babel import gettext as _

bp = Blueprint("offline", __name__)

# The app shell: cached when the service worker installs (fingerprinted URLs: a new version of
# a file is a new URL, and a new service worker, which drops the old shell).
SHELL = ["css/maillage.css", "img/maillage.svg", "js/offline.js", "js/outbox.js", "js/live.js",
         "js/chat.js", "vendor/socket.io.min.js", "js/live-search.js",
         "js/commune-autocomplete.js", "js/naf-autocomplete.js", "js/ui.js"]


def shell_urls() -> list[str]:
    return [url_for("static", filename=name) for name in SHELL] + [url_for("offline.page")]


@bp.route("/sw.js")
def service_worker():
    urls = shell_urls()
    version = hashlib.sha256("\n".join(urls).encode()).hexdigest()[:12]
    body = render_template("offline/sw.js", version=version, shell=json.dumps(urls))
    return Response(body, mimetype="text/javascript", headers={
        "Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@bp.route("/manifest.webmanifest")
def manifest():
    data = {
        "name": "Maillage", "short_name": "Maillage", "lang": "fr",
        "description": _("Maillage: the network of independent workers of the territory."),
        "start_url": url_for("main.home"), "scope": "/", "display": "standalone",
        "background_color": "#fbfaf7", "theme_color": "#1f5c45",
        "icons": [{"src": url_for("static", filename="img/maillage.svg"), "sizes": "any",
                   "type": "image/svg+xml", "purpose": "any"}],
    }
    return Response(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")


@bp.route("/offline")
def page():
    return render_template("offline/page.html")
