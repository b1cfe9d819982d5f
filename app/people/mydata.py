"""A member's own data: "Download my data" (a ZIP of JSON and Markdown files with everything
they created) and "Delete my account" (personal data erased; their posts and messages deleted
or kept anonymously, as they choose)."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime

from flask import Response, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session
from wtforms import BooleanField, PasswordField, RadioField
from wtforms.validators import DataRequired, InputRequired

from app.forms import BaseForm, explain_csrf_failure
from app.images.processing import SQUARE_SIZES
from app.images.storage import media_path, read
from app.offline_storage import CLEAR_SITE_DATA
from app.people.blueprint import bp
from app.security import csrf_in_form
from models import (
    Appeal,
    Block,
    Campaign,
    CensusSuppression,
    CensusTarget,
    Comment,
    Connection,
    Declaration,
    DeclarationVersion,
    Invitation,
    MemberRole,
    Membership,
    MemberStatus,
    Message,
    Network,
    NetworkCharter,
    Notification,
    Place,
    PlaceFollow,
    PlaceInterest,
    Poll,
    Post,
    Profile,
    Proposal,
    Report,
    Room,
    RoomMember,
    User,
    Vote,
    db,
)

# Never in an export: secrets of the account, nor tokens that would let someone act as them.
SECRET_COLUMNS = {"password_hash", "session_token", "claim_token", "token"}


def owned(user_id: int) -> list[tuple[str, type, object]]:
    """(file name, model, WHERE clause) of every kind of row a member created or owns."""
    return [
        ("account", User, User.id == user_id),
        ("profile", Profile, Profile.user_id == user_id),
        ("declarations", Declaration, Declaration.user_id == user_id),
        ("declaration_versions", DeclarationVersion, DeclarationVersion.declaration_id.in_(
            select(Declaration.id).where(Declaration.user_id == user_id))),
        ("memberships", Membership, Membership.user_id == user_id),
        ("networks_created", Network, Network.created_by_id == user_id),
        ("posts", Post, Post.author_id == user_id),
        ("comments", Comment, Comment.author_id == user_id),
        ("messages_sent", Message, Message.author_id == user_id),
        ("connections", Connection, or_(Connection.low_id == user_id,
                                        Connection.high_id == user_id)),
        ("blocks", Block, Block.blocker_id == user_id),
        ("places_created", Place, Place.created_by_id == user_id),
        ("places_followed", PlaceFollow, PlaceFollow.user_id == user_id),
        ("place_interests", PlaceInterest, PlaceInterest.user_id == user_id),
        ("poll_proposals", Proposal, Proposal.author_id == user_id),
        ("votes", Vote, Vote.user_id == user_id),
        ("campaigns_created", Campaign, Campaign.created_by_id == user_id),
        ("charters_written", NetworkCharter, NetworkCharter.created_by_id == user_id),
        ("invitations_created", Invitation, Invitation.created_by_id == user_id),
        ("rooms_created", Room, Room.created_by_id == user_id),
        ("room_memberships", RoomMember, RoomMember.user_id == user_id),
        ("polls_created", Poll, Poll.created_by_id == user_id),
        ("reports_sent", Report, Report.reporter_id == user_id),
        ("appeals", Appeal, Appeal.author_id == user_id),
        ("notifications", Notification, Notification.user_id == user_id),
        # A census that drew them (app/census/): the outreach noted about them, and whether
        # they asked not to be contacted.
        ("census_targets", CensusTarget, CensusTarget.user_id == user_id),
        ("census_do_not_contact", CensusSuppression, CensusSuppression.user_id == user_id),
    ]


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def row_dict(obj) -> dict:
    """Every column of a row, in JSON types, secrets left out."""
    return {attr.key: _plain(getattr(obj, attr.key)) for attr in inspect(type(obj)).column_attrs
            if attr.key not in SECRET_COLUMNS}


def export_data(session: Session, user_id: int) -> dict[str, list[dict]]:
    out = {}
    for name, model, where in owned(user_id):
        key = inspect(model).primary_key
        out[name] = [row_dict(r) for r in session.scalars(select(model).where(where)
                                                          .order_by(*key))]
    profile = session.scalar(select(Profile).where(Profile.user_id == user_id))
    if out["profile"] and profile is not None:
        out["profile"][0]["skills"] = [s.name for s in profile.skills]
        # The picture: its key (the "avatar" column), its addresses, and avatar.webp in the ZIP.
        out["profile"][0]["avatar_urls"] = {
            size: media_path(profile.avatar, size) for size in SQUARE_SIZES} \
            if profile.avatar else None
    return out


def _markdown(session: Session, user: User, data: dict[str, list[dict]]) -> dict[str, str]:
    """The texts a person wrote, readable without any program."""
    files = {}
    titles = {"offers": _("I can help with"), "needs": _("I am looking for"),
              "posts": _("My posts"), "comments": _("My replies"),
              "messages": _("My chat messages")}
    profile = data["profile"][0] if data["profile"] else {}
    files["profile.md"] = "\n\n".join(part for part in (
        f"# {user.display_name}", profile.get("headline") or "", profile.get("bio") or "",
        f"## {titles['offers']}\n\n{profile['offers']}" if profile.get("offers") else "",
        f"## {titles['needs']}\n\n{profile['needs']}" if profile.get("needs") else "",
    ) if part) + "\n"
    ids = {p["network_id"] for p in data["posts"]}
    networks = {row.id: row.name for row in session.execute(
        select(Network.id, Network.name).where(Network.id.in_(ids)))}
    posts = [f"## {networks.get(p['network_id'], '')} · {p['created_at']}\n\n{p['body']}"
             for p in data["posts"]]
    files["posts.md"] = f"# {titles['posts']}\n\n" + "\n\n".join(posts) + "\n"
    comments = [f"## {c['created_at']}\n\n{c['body']}" for c in data["comments"]]
    files["comments.md"] = f"# {titles['comments']}\n\n" + "\n\n".join(comments) + "\n"
    messages = [f"- {m['created_at']} (room {m['room_id']}): {m['body']}"
                for m in data["messages_sent"] if m["body"]]
    files["messages.md"] = f"# {titles['messages']}\n\n" + "\n".join(messages) + "\n"
    return files


def build_zip(session: Session, user: User) -> bytes:
    data = export_data(session, user.id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _(
            "Your data on Maillage, as of %(when)s. The .json files hold every row you created "
            "or that concerns you, one file per kind; the .md files hold your texts.",
            when=datetime.now().astimezone().isoformat(timespec="seconds")) + "\n")
        for name, rows in data.items():
            archive.writestr(f"{name}.json", json.dumps(rows, ensure_ascii=False, indent=2))
        for name, text in _markdown(session, user, data).items():
            archive.writestr(name, text)
        avatar = data["profile"][0].get("avatar") if data["profile"] else None
        picture = read(avatar, SQUARE_SIZES[-1], session) if avatar else None
        if picture is not None:  # from the local folder or the database, as stored
            archive.writestr("avatar.webp", picture)
    return buffer.getvalue()


@bp.route("/me/data")
@login_required
def my_data():
    return render_template("people/my_data.html")


@bp.route("/me/data.zip")
@login_required
def download_data():
    body = build_zip(db.session, current_user._get_current_object())
    stamp = datetime.now().strftime("%Y%m%d")
    return Response(body, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="maillage-mes-donnees-{stamp}.zip"',
        "Cache-Control": "no-store"})


# -- deleting an account ----------------------------------------------------------------------

CONTENT_CHOICES = {
    "anonymise": _l("Keep my posts, replies and chat messages, signed “Former member”"),
    "delete": _l("Delete my posts, replies and chat messages too"),
}


class DeleteAccountForm(BaseForm):
    password = PasswordField(_l("Your password"), validators=[
        DataRequired(message=_l("Type your password to confirm it is you."))])
    content = RadioField(_l("What you wrote"), choices=list(CONTENT_CHOICES.items()),
                         default="anonymise",
                         validators=[InputRequired(message=_l("Choose what happens to what "
                                                               "you wrote."))])
    confirm = BooleanField(_l("I understand that this cannot be undone"), validators=[
        DataRequired(message=_l("Tick the box to confirm."))])


class AccountError(ValueError):
    pass


def sole_animator_of(session: Session, user_id: int) -> list[str]:
    """Networks this person animates alone: they appoint someone else first."""
    mine = select(Membership.network_id).where(
        Membership.user_id == user_id, Membership.role == MemberRole.ANIMATOR,
        Membership.status == MemberStatus.ACTIVE)
    names = []
    for network in session.scalars(select(Network).where(Network.id.in_(mine))):
        others = session.scalar(select(Membership.id).where(
            Membership.network_id == network.id, Membership.user_id != user_id,
            Membership.role == MemberRole.ANIMATOR,
            Membership.status == MemberStatus.ACTIVE).limit(1))
        if others is None:
            names.append(network.name)
    return names


def delete_account(session: Session, user: User, delete_content: bool) -> None:
    """Erase the account: profile, declarations, connections, memberships, votes and
    notifications go with it (foreign keys); posts, replies and messages are deleted or stay
    without an author. The search index and page caches follow the commit. The caller commits."""
    from app.chat.messages import delete_message
    from app.networks.service import delete_comment, refresh_member_count
    if sole_animator_of(session, user.id):
        raise AccountError("sole_animator")
    networks = list(session.scalars(select(Network).join(
        Membership, Membership.network_id == Network.id).where(
        Membership.user_id == user.id, Membership.status == MemberStatus.ACTIVE)))
    if delete_content:
        for comment in session.scalars(select(Comment).where(Comment.author_id == user.id)):
            delete_comment(session, comment)
        for post in session.scalars(select(Post).where(Post.author_id == user.id)):
            session.delete(post)
        for message in session.scalars(select(Message).where(Message.author_id == user.id,
                                                             Message.deleted_at.is_(None))):
            delete_message(session, message)  # its place in the conversation stays, empty
    session.flush()
    session.delete(user)  # notifications they caused go too (ON DELETE CASCADE)
    session.flush()
    for network in networks:
        refresh_member_count(session, network)


@bp.route("/me/delete", methods=["GET", "POST"])
@login_required
@csrf_in_form
def delete_me():
    form = DeleteAccountForm()
    blocked = sole_animator_of(db.session, current_user.id)
    if form.validate_on_submit() and not blocked:
        if not current_user.check_password(form.password.data):
            form.password.errors = [*form.password.errors, _("This is not your password.")]
        else:
            user = current_user._get_current_object()
            delete_account(db.session, user, form.content.data == "delete")
            db.session.commit()
            session.clear()
            logout_user()  # after clear(): it asks for the remember-me cookie to be deleted
            current_app.logger.info("account deleted at its owner's request")
            flash(_("Your account is deleted. Thank you for having been part of Maillage."),
                  "info")
            response = redirect(url_for("main.home"))
            response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
            return response
    explain_csrf_failure(form)
    status = 422 if form.errors or (blocked and form.is_submitted()) else 200
    return render_template("people/delete.html", form=form, blocked=blocked), status
