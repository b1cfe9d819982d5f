"""What each API v1 view promises, declared on the view itself (`@contract(...)`): its answer's
model, its query arguments, its body's model, who may call it and with which token scope.
app/api/openapi.py writes the OpenAPI description from these declarations and app.url_map;
app/api/tokens.py enforces the scope; `check_response` validates answers against the models
when API_CHECK_RESPONSES is on (the tests), so the description cannot drift from the code."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, request
from pydantic import BaseModel

from app.api import schemas

# Token scopes (README, API): what a personal access token may do.
READ = "read"
WRITE_PROFILE = "write:profile"
WRITE_POSTS = "write:posts"
ORGANISER_READ = "organiser:read"
SCOPES = (READ, WRITE_PROFILE, WRITE_POSTS, ORGANISER_READ)


@dataclass(frozen=True)
class Contract:
    response: type[BaseModel] | None = None
    summary: str = ""
    query: dict[str, type] = field(default_factory=dict)
    body: type[BaseModel] | None = None
    scope: str | None = READ  # the token scope it needs; None: no token is accepted
    login: str = "optional"  # "optional", "member" (401 without), "organiser" or "moderator"
    token_only: bool = False  # cookies do not authenticate it: a Bearer token is required
    status: int = 200
    also: tuple[int, ...] = ()  # other success statuses with the same model (a resend: 200)
    media_type: str = "application/json"
    tags: tuple[str, ...] = ()


def contract(**kwargs):
    """Declare a view's contract (see Contract)."""
    def mark(view):
        view._api_contract = Contract(**kwargs)
        return view
    return mark


def of(endpoint: str | None) -> Contract | None:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "_api_contract", None)


def check_response(response):
    """With API_CHECK_RESPONSES: a JSON answer that does not match its declared model raises
    (the tests fail on it), an error answer must match `schemas.Error`."""
    if not current_app.config.get("API_CHECK_RESPONSES") or not response.is_json:
        return response
    declared = of(request.endpoint)
    data = response.get_json()
    if response.status_code >= 400:
        schemas.Error.model_validate(data)
    elif declared is not None and declared.response is not None \
            and response.status_code in (declared.status, *declared.also):
        declared.response.model_validate(data)
    return response
