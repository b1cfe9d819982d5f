"""Writes of API v1 (token only: a `Bearer` token with the route's scope, no cookie): my profile, my coworking
interest, posts and replies in a network,
registering for an event,
sending a chat message. Each reads its body with its pydantic model (app/api/schemas.py,
the OpenAPI description's), then fills the page's own form and calls the page's own service
function: the same validation, errors (422 with the form's translated messages), authorization
and notifications as the pages."""
from __future__ import annotations

from flask import abort, current_app
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from app.api import schemas
from app.api.blueprint import bp
from app.api.contract import WRITE_POSTS, WRITE_PROFILE, contract
from app.api.serialize import post_dict
from app.chat.sending import send_message
from app.demand.forms import DeclarationForm
from app.demand.service import add_version, may_declare_for_company, own_declaration, version_fields
from app.errors import TITLES
from app.events import registrations
from app.events.access import event_or_404
from app.jsonbody import MalformedJSON, json_body
from app.networks.access import load_network
from app.networks.forms import CommentForm, PostForm
from app.networks.queries import mute_notice
from app.networks.service import create_comment, create_post
from app.people.editing import form_values, save_profile
from app.people.forms import ProfileForm
from models import Declaration, Post, db
from realtime.limits import send_wait
from realtime.protocol import error_text


def _body(model):
    try:
        return model.model_validate(json_body())
    except ValidationError as error:
        first = error.errors()[0]
        raise MalformedJSON("wrong_type", ".".join(str(p) for p in first["loc"]) or "body") \
            from None


def invalid(form) -> tuple[dict, int]:
    """A form's errors as the API's 422: the first message in `detail`, all of them by field."""
    fields = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    first = next(iter(fields.values()))[0] if fields else _("This request is not valid.")
    return {"error": _("This request is not valid."), "detail": first, "fields": fields,
            "status": 422}, 422


def _form(form_class, values: dict):
    return form_class(formdata=MultiDict(values), meta={"csrf": False})


@bp.patch("/me/profile")
@contract(response=schemas.Profile, body=schemas.ProfileChange, scope=WRITE_PROFILE,
          token_only=True, login="member", summary="Change my profile", tags=("people",))
def change_profile():
    change = _body(schemas.ProfileChange)
    values = {**form_values(current_user),
              **{k: v for k, v in change.model_dump(exclude_none=True).items()}}
    form = _form(ProfileForm, values)
    if not form.validate():
        return invalid(form)
    save_profile(current_user, form)
    return current_user.profile.to_dict()


def _writer(network_id: int):
    """The network's access and None if this member may write in it now (the page's rules),
    else the 403 answer with the page's reason."""
    access = load_network(network_id, read=True)
    if access.is_member and access.is_muted:
        return access, refusal(403, mute_notice(db.session, access))
    if not access.can_post:
        return access, refusal(403, _("Accept the current charter to write in this network.")
                               if access.must_accept_charter
                               else _("Join the network to write in it."))
    return access, None


def refusal(status: int, detail: str) -> tuple[dict, int]:
    return {"error": str(TITLES[status]), "detail": detail, "status": status}, status


@bp.post("/networks/<id:network_id>/posts")
@contract(response=schemas.Post, body=schemas.PostBody, scope=WRITE_POSTS, token_only=True,
          login="member", status=201, summary="Post in a network", tags=("networks",))
def create_network_post(network_id: int):
    body = _body(schemas.PostBody)
    access, refused = _writer(network_id)
    if refused:
        return refused
    form = _form(PostForm, {"body": body.body})
    if not form.validate():
        return invalid(form)
    post = create_post(db.session, access.network, current_user, form.body.data)
    db.session.commit()
    return post_dict(post), 201


@bp.post("/networks/<id:network_id>/posts/<id:post_id>/comments")
@contract(response=schemas.Comment, body=schemas.PostBody, scope=WRITE_POSTS, token_only=True,
          login="member", status=201, summary="Reply to a post", tags=("networks",))
def create_network_comment(network_id: int, post_id: int):
    body = _body(schemas.PostBody)
    access, refused = _writer(network_id)
    if refused:
        return refused
    post = db.session.get(Post, post_id)
    if post is None or post.network_id != access.network.id:
        abort(404)
    form = _form(CommentForm, {"body": body.body})
    if not form.validate():
        return invalid(form)
    comment = create_comment(db.session, post, current_user, form.body.data)
    db.session.commit()
    return {"id": comment.id, "post": post.id, "author": current_user.display_name,
            "body": comment.body, "created_at": comment.created_at.isoformat()}, 201


@bp.post("/events/<id:event_id>/registration")
@contract(response=schemas.Registration, scope=WRITE_POSTS, token_only=True, login="member",
          summary="Register for an event (or join its waiting list)", tags=("events",))
def register_for_event(event_id: int):
    event = event_or_404(event_id)  # the event page's visibility
    try:
        status = registrations.register(db.session, event, current_user.id)
    except registrations.RegistrationError:
        return refusal(409, _("Registrations for this event are closed."))
    db.session.commit()
    return {"event": event.id, "status": str(status)}


@bp.put("/me/interest")
@contract(response=schemas.Interest, body=schemas.InterestChange, scope=WRITE_PROFILE,
          token_only=True, login="member",
          summary="Declare or update my coworking interest (a new version each time)",
          tags=("demand",))
def put_interest():
    change = _body(schemas.InterestChange)
    if change.for_company and not may_declare_for_company(current_user):
        return refusal(403, _("Only organisation accounts declare for a company."))
    values = MultiDict()
    for name, value in change.model_dump(exclude={"for_company"}, exclude_none=True).items():
        if isinstance(value, list):
            for item in value:
                values.add(name, item)
        elif isinstance(value, bool):
            if value:
                values.add(name, "y")
        else:
            values.add(name, value)
    form = DeclarationForm(formdata=values, meta={"csrf": False})
    if not form.validate():
        return invalid(form)
    declaration = own_declaration(db.session, current_user, change.for_company) or Declaration(
        user_id=current_user.id, for_company=change.for_company)
    version = add_version(db.session, declaration, version_fields(form))
    try:
        db.session.commit()
    except IntegrityError:  # sent twice at once: the first one stands
        db.session.rollback()
        return refusal(409, str(TITLES[409]))
    return {"id": declaration.id, "version": version.number, "track": str(version.track),
            "home_commune": version.home_commune_insee,
            "days_per_week": float(version.days_per_week), "active": declaration.is_active}


CHAT_STATUS = {"unauthorized": 401, "not_found": 404, "not_allowed": 403, "removed": 403,
               "charter": 403, "muted": 403, "rate_limited": 429, "busy": 503}


@bp.post("/rooms/<id:room_id>/messages")
@contract(response=schemas.Message, body=schemas.MessageBody, scope=WRITE_POSTS, token_only=True,
          login="member", status=201, also=(200,),
          summary="Send a chat message (201; 200: this client_id was already sent)",
          tags=("chat",))
def send_chat_message(room_id: int):
    """The socket's `send`: the same function, checks, rate limit and idempotency key."""
    message = _body(schemas.MessageBody)
    sent = send_message(db.session, None, room_id, message.body, message.client_id, send_wait,
                        token_user_id=current_user.id)
    if sent.error:
        db.session.rollback()
        status = CHAT_STATUS.get(sent.error, 422)
        body, code = refusal(status, error_text(sent.error)) if status in TITLES else \
            invalid_chat(sent.error)
        headers = {"Retry-After": str(sent.retry_after)} if sent.retry_after else {}
        return {**body, "code": sent.error}, code, headers
    db.session.commit()
    if sent.created:
        current_app.extensions["maillage.chat"].broadcast(sent.message, sent.room_kind)
    return sent.message, 201 if sent.created else 200


def invalid_chat(code: str) -> tuple[dict, int]:
    return {"error": _("This request is not valid."), "detail": error_text(code),
            "status": 422}, 422
