"""The OpenAPI 3.1 description of API v1, written from the code: the paths and methods from
app.url_map, each operation from its view's `@contract` (app/api/contract.py), the schemas from
the pydantic models the views validate with (app/api/schemas.py). Served at
/api/v1/openapi.json; /api/v1/docs renders the same description as a page (no script)."""
from __future__ import annotations

import re
from functools import lru_cache

from flask import current_app, render_template
from pydantic.json_schema import models_json_schema

from app.api import schemas
from app.api.blueprint import bp
from app.api.contract import SCOPES, Contract, contract
from app.api.contract import of as contract_of

PREFIX = "/api/v1"
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_TYPES = {int: {"type": "integer"}, str: {"type": "string"}, float: {"type": "number"},
          bool: {"type": "boolean"}}
ERRORS = {400: "Malformed request or arguments", 401: "No valid login or token",
          403: "Not allowed (role or token scope)", 404: "Not found, or not visible to you",
          405: "Method not allowed", 409: "Conflict (closed, already being sent)",
          429: "Rate limited", 503: "Busy: try again"}


def _models(contracts: list[Contract]) -> set:
    found = {schemas.Error}
    for c in contracts:
        found.update(m for m in (c.response, c.body) if m is not None)
    return found


def _path(rule) -> tuple[str, list[dict]]:
    params = []

    def repl(match):
        converter, name = match.group(1), match.group(2)
        schema = ({"type": "integer", "minimum": 0, "maximum": 2_147_483_647}
                  if converter == "id" else {"type": "string"})
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"
    return _PARAM.sub(repl, rule.rule), params


def _operation(rule, method: str, c: Contract, refs: dict) -> dict:
    path, params = _path(rule)
    query = dict(c.query)
    if c.response is not None and "next" in c.response.model_fields:
        query["cursor"] = str  # every list pages the same way (app/api/paging.py)
    for name, kind in query.items():
        params.append({"name": name, "in": "query", "required": False,
                       "schema": _TYPES.get(kind, {"type": "string"})})
    op: dict = {"operationId": f"{rule.endpoint.split('.', 1)[1]}_{method.lower()}",
                "summary": c.summary or rule.endpoint, "tags": list(c.tags) or ["api"],
                "responses": {}}
    if params:
        op["parameters"] = params
    content = {"schema": refs[c.response]} if c.response else {"schema": {}}
    for status in (c.status, *c.also):
        op["responses"][str(status)] = {"description": "OK",
                                        "content": {c.media_type: content}}
    if c.status == 200 and method == "GET" and c.media_type == "application/json":
        op["responses"]["304"] = {"description": "Not modified (If-None-Match)"}
    for code, text in ERRORS.items():
        op["responses"][str(code)] = {"description": text,
                                      "content": {"application/json":
                                                  {"schema": refs[schemas.Error]}}}
    if c.body is not None:
        op["responses"]["422"] = {"description": "Invalid: the page form's messages",
                                  "content": {"application/json":
                                              {"schema": refs[schemas.Error]}}}
        op["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": refs[c.body]}}}
    if c.scope is not None:
        security = [{"token": [c.scope]}]
        if not c.token_only:
            security.append({"cookie": []})
            if c.login == "optional":
                security.append({})
        op["security"] = security
    else:
        op["security"] = [{"cookie": []}] if c.login != "optional" else [{}, {"cookie": []}]
    return op


def build(app) -> dict:
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith(PREFIX + "/")]
    contracts = {r.endpoint: getattr(app.view_functions[r.endpoint], "_api_contract", None)
                 or Contract() for r in rules}
    models = sorted(_models(list(contracts.values())), key=lambda m: m.__name__)
    mapping, top = models_json_schema([(m, "validation") for m in models],
                                      ref_template="#/components/schemas/{model}")
    refs = {m: mapping[(m, "validation")] for m in models}
    paths: dict = {}
    for rule in sorted(rules, key=lambda r: r.rule):
        path, _ = _path(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path[len(PREFIX):], {})[method.lower()] = _operation(
                rule, method, contracts[rule.endpoint], refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Maillage API", "version": "1",
                 "description": "The JSON API of Maillage (README, API). Errors carry a "
                                "translated `detail`; lists page with a `next` cursor."},
        "servers": [{"url": PREFIX}],
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer",
                          "description": "A personal access token (settings page). Scopes: "
                                         + ", ".join(SCOPES)},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


@lru_cache(maxsize=8)
def _cached(app_id: int, app) -> dict:
    return build(app)


def description() -> dict:
    app = current_app._get_current_object()
    return _cached(id(app), app)


@bp.route("/openapi.json")
@contract(summary="This description (OpenAPI 3.1)", tags=("meta",))
def openapi_json():
    return description()


@bp.route("/docs")
@contract(summary="This description as a page", media_type="text/html", tags=("meta",))
def openapi_docs():
    spec = description()
    operations = [(path, method, op) for path, methods in spec["paths"].items()
                  for method, op in methods.items()]
    return render_template("api/docs.html", spec=spec, operations=operations,
                           contract_of=contract_of)
