"""What a report or a moderation action is about: a (kind, id) resolved to the object, the network
or place whose animators moderate it, the person concerned, and what a person may see of it.

`ModerationError` lives here, at the bottom of the package, because every step (resolving,
scope, checks, effects, reports) refuses with it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from app.text import excerpt
from models import (
    Appeal,
    AuditEntry,
    Comment,
    Membership,
    MemberStatus,
    Message,
    Network,
    NetworkVisibility,
    Place,
    Post,
    Profile,
    Report,
    Room,
    TargetKind,
    User,
)

CONTENT_KINDS = (TargetKind.POST, TargetKind.COMMENT, TargetKind.MESSAGE)
# The picture each kind of target may have (app/images/): "remove_image" forgets it.
IMAGE_COLUMNS = {TargetKind.PROFILE: "avatar", TargetKind.NETWORK: "logo",
                 TargetKind.PLACE: "photo"}
REPORTABLE = tuple(TargetKind)


class ModerationError(ValueError):
    """Refused; `code` is part of the JSON and socket protocol, `status` the HTTP status."""

    STATUS = {"unauthorized": 401, "forbidden": 403, "not_found": 404}

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code
        self.status = self.STATUS.get(code, 422)


@dataclass
class Target:
    kind: str  # a TargetKind, or "appeal"
    id: int
    obj: object
    network_id: int | None  # the network whose animators moderate it
    place_id: int | None
    author_id: int | None  # the person concerned
    label: str  # for the queue and the audit log
    excerpt: str = ""
    hidden: bool = False


def positive_int(value) -> int | None:
    """An id or a count from JSON, a form or a socket event; None unless a positive INTEGER."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        value = int(value)
    return value if isinstance(value, int) and 0 < value < 2**31 else None  # PostgreSQL INTEGER


def resolve(session: Session, kind, target_id) -> Target:
    """What a report or an action is about (ModerationError "not_found" if nothing)."""
    target_id = positive_int(target_id)
    if kind not in REPORTABLE and kind != "appeal" or target_id is None:
        raise ModerationError("not_found")
    if kind == TargetKind.POST:
        post = session.get(Post, target_id)
        if post is None:
            raise ModerationError("not_found")
        return Target(kind, post.id, post, post.network_id, None, post.author_id,
                      _author_label(post.author), excerpt(post.body, 200), post.hidden_at is not None)
    if kind == TargetKind.COMMENT:
        comment = session.get(Comment, target_id)
        if comment is None:
            raise ModerationError("not_found")
        return Target(kind, comment.id, comment, comment.post.network_id, None,
                      comment.author_id, _author_label(comment.author), excerpt(comment.body, 200),
                      comment.hidden_at is not None)
    if kind == TargetKind.MESSAGE:
        message = session.get(Message, target_id)
        if message is None:
            raise ModerationError("not_found")
        network_id = session.scalar(select(Room.network_id).where(Room.id == message.room_id))
        return Target(kind, message.id, message, network_id, None, message.author_id,
                      _author_label(message.author), excerpt(message.body, 200),
                      message.hidden_at is not None)
    if kind == TargetKind.PROFILE:
        profile = session.get(Profile, target_id)
        if profile is None:
            raise ModerationError("not_found")
        return Target(kind, profile.id, profile, None, None, profile.user_id,
                      profile.user.display_name, excerpt(profile.headline, 200))
    if kind == TargetKind.NETWORK:
        network = session.get(Network, target_id)
        if network is None:
            raise ModerationError("not_found")
        # Reports on a network itself go to the organisers, not to its own animators.
        return Target(kind, network.id, network, None, None, network.created_by_id,
                      network.name, excerpt(network.description, 200))
    if kind == TargetKind.PLACE:
        place = session.get(Place, target_id)
        if place is None:
            raise ModerationError("not_found")
        return Target(kind, place.id, place, None, place.id, None, place.name,
                      excerpt(getattr(place, "description", "") or "", 200))
    appeal = session.get(Appeal, target_id)
    if appeal is None:
        raise ModerationError("not_found")
    try:
        content = resolve(session, appeal.target_kind, appeal.target_id)
    except ModerationError:  # deleted since: the appeal is still decided (upheld)
        return Target("appeal", appeal.id, appeal, appeal.network_id, None, appeal.author_id,
                      "", excerpt(appeal.body, 200))
    return Target("appeal", appeal.id, appeal, content.network_id, content.place_id,
                  appeal.author_id, content.label, excerpt(appeal.body, 200))


def _author_label(user: User | None) -> str:
    return user.display_name if user else ""


def author_membership(session: Session, target: Target) -> Membership:
    """The person's membership in the target's network, active or banned ("not_member" else)."""
    membership = session.scalar(select(Membership).where(
        Membership.network_id == target.network_id, Membership.user_id == target.author_id))
    if membership is None or membership.status not in (MemberStatus.ACTIVE,
                                                       MemberStatus.BANNED):
        raise ModerationError("not_member")
    return membership


def visible_to(session: Session, user, target: Target) -> bool:
    """Whether this person can see what they report (no reporting by id guessing)."""
    if target.kind in (TargetKind.POST, TargetKind.COMMENT, TargetKind.NETWORK):
        network = session.get(Network, target.network_id if target.kind != TargetKind.NETWORK
                              else target.id)
        membership = session.scalar(select(Membership).where(
            Membership.network_id == network.id, Membership.user_id == user.id))
        if membership is not None and membership.status == MemberStatus.BANNED:
            return False
        if target.kind == TargetKind.NETWORK:
            return not network.is_private or membership is not None
        return network.visibility == NetworkVisibility.OPEN or (
            membership is not None and membership.is_active)
    if target.kind == TargetKind.MESSAGE:
        from app.chat.rooms import readable_room
        return readable_room(session, user.id, target.obj.room_id) is not None \
            and target.obj.deleted_at is None
    return True  # profiles (members see members' profiles) and places are shown to members


def record(session: Session, viewer, target: Target) -> dict:
    """What the target's page shows a moderator: its reports, its audit history, and the network,
    membership, author and chat room around it."""
    # No report is about an appeal, and "appeal" is no TargetKind (a value the column refuses).
    reports = select(Report).where(
        Report.target_kind == target.kind if target.kind in REPORTABLE else false(),
        Report.target_id == target.id)
    history = select(AuditEntry).where(AuditEntry.target_kind == target.kind,
                                       AuditEntry.target_id == target.id)
    if target.kind == TargetKind.PROFILE and not viewer.is_organiser:
        # An animator sees a person's record in their network only.
        reports = reports.where(Report.network_id == target.network_id)
        history = history.where(AuditEntry.network_id == target.network_id)
    reports = list(session.scalars(reports.order_by(Report.id.desc()).limit(100)))
    history = list(session.scalars(history.order_by(AuditEntry.id.desc()).limit(100)))
    membership = network = None
    if target.network_id is not None:
        network = session.get(Network, target.network_id)
        if target.author_id is not None:
            membership = session.scalar(select(Membership).where(
                Membership.network_id == target.network_id,
                Membership.user_id == target.author_id))
    author = session.get(User, target.author_id) if target.author_id else None
    room = session.get(Room, target.obj.room_id) if target.kind == TargetKind.MESSAGE else None
    return {"reports": reports, "history": history, "network": network,
            "membership": membership, "author": author, "room": room}
