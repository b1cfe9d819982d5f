"""HTTP behaviour shared by every API v1 read route: an `ETag` on each JSON answer to a GET (a
client sending it back in `If-None-Match` gets a 304 without the body), and CORS, closed by
default: only the origins listed in API_CORS_ORIGINS may read, only the read routes (GET, a
`read` scope), never with cookies (no Allow-Credentials: a page of another site reads what a
visitor sees, or what its own token shows)."""
from __future__ import annotations

from flask import current_app, request

from app.api.contract import READ
from app.api.contract import of as contract_of

CORS_MAX_AGE = 600


def conditional(response):
    if request.method == "GET" and response.status_code == 200 and response.is_json:
        response.add_etag()
        response.make_conditional(request)
    return response


def cors(response):
    origin = request.headers.get("Origin")
    if not origin or request.method not in ("GET", "HEAD", "OPTIONS"):
        return response
    declared = contract_of(request.endpoint)
    if declared is None or declared.scope != READ or declared.token_only \
            or origin not in current_app.config["API_CORS_ORIGINS"]:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers.add("Vary", "Origin")
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, If-None-Match"
        response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE)
    return response
