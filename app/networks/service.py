"""Network membership and posting as plain functions over a session (the view commits)."""
from __future__ import annotations

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from app.social.notify import find_mentions, notify
from models import (
    Comment,
    MemberRole,
    Membership,
    MemberStatus,
    Network,
    NetworkCharter,
    NetworkVisibility,
    NotificationKind,
    Post,
    User,
)
from models.types import utcnow


class MembershipError(ValueError):
    """The change cannot be made (the message key says why)."""


def set_charter(session: Session, network: Network, body: str, actor: User | None,
                material: bool = True) -> bool:
    """A new charter version when the text changed, in the audit log. A material version must
    be accepted again before members post; a minor one (a typo fixed) is shown, not required."""
    from app.moderation.audit import audit
    body = body.strip()
    current = network.charter.body if network.charter else ""
    if body == current:
        return False
    version = (network.charter_version or 0) + 1
    if network.id is not None:  # a new network's first charter is part of its creation
        audit(session, actor, "charter", "network", network.id, label=network.name,
              network_id=network.id, detail=f"v{version}" + (" material" if material else ""))
    network.charter_version = version
    if material or not network.charter_required_version:
        network.charter_required_version = version
    network.charters.append(NetworkCharter(version=version, body=body, material=material,
                                           created_by_id=actor.id if actor else None))
    return True


def create_network(session: Session, creator: User, charter: str, **fields) -> Network:
    network = Network(created_by_id=creator.id, **fields)
    set_charter(session, network, charter, creator)
    session.add(network)
    session.flush()
    session.add(Membership(network_id=network.id, user_id=creator.id,
                           role=MemberRole.ANIMATOR, status=MemberStatus.ACTIVE,
                           accepted_charter_version=network.charter_version, joined_at=utcnow()))
    session.flush()
    refresh_member_count(session, network)
    return network


def refresh_member_count(session: Session, network: Network) -> None:
    network.member_count = session.scalar(select(func.count()).select_from(Membership).where(
        Membership.network_id == network.id, Membership.status == MemberStatus.ACTIVE))


def animator_ids(session: Session, network_id: int) -> list[int]:
    return list(session.scalars(select(Membership.user_id).where(
        Membership.network_id == network_id, Membership.role == MemberRole.ANIMATOR,
        Membership.status == MemberStatus.ACTIVE)))


def join_open(session: Session, network: Network, user: User,
              membership: Membership | None) -> Membership:
    """Join an open network, the current charter accepted."""
    if membership is None:
        membership = Membership(network_id=network.id, user_id=user.id)
        session.add(membership)
    return accept_charter(session, network, membership)


def request_to_join(session: Session, network: Network, user: User, message: str) -> Membership:
    membership = Membership(network_id=network.id, user_id=user.id, message=message.strip(),
                            status=MemberStatus.REQUESTED)
    session.add(membership)
    session.flush()
    notify(session, animator_ids(session, network.id), NotificationKind.JOIN_REQUEST,
           user.id, network_id=network.id)
    return membership


def approve(session: Session, network: Network, membership: Membership, animator: User) -> None:
    """The member may now join: they accept the charter next (at once if there is none)."""
    if membership.status != MemberStatus.REQUESTED:
        raise MembershipError("not_requested")
    membership.status = MemberStatus.APPROVED
    if network.charter_version == 0:
        accept_charter(session, network, membership)
    notify(session, [membership.user_id], NotificationKind.JOIN_APPROVED, animator.id,
           network_id=network.id)


def accept_charter(session: Session, network: Network, membership: Membership) -> Membership:
    if membership.status == MemberStatus.REQUESTED:
        raise MembershipError("not_approved")
    membership.accepted_charter_version = network.charter_version
    if membership.status != MemberStatus.ACTIVE:
        membership.status = MemberStatus.ACTIVE
        membership.joined_at = utcnow()
    session.flush()
    refresh_member_count(session, network)
    return membership


def remove_membership(session: Session, network: Network, membership: Membership) -> None:
    """Leave, decline a request, or withdraw one's own. The last animator cannot leave."""
    if membership.is_animator and len(animator_ids(session, network.id)) <= 1:
        raise MembershipError("last_animator")
    session.delete(membership)
    session.flush()
    refresh_member_count(session, network)


def ban(session: Session, network: Network, membership: Membership) -> None:
    """Out of the network for good: the row stays, marked banned, so joining again is refused."""
    if membership.is_animator and len(animator_ids(session, network.id)) <= 1:
        raise MembershipError("last_animator")
    membership.status = MemberStatus.BANNED
    membership.role = MemberRole.MEMBER
    session.flush()
    refresh_member_count(session, network)


def set_role(session: Session, network: Network, membership: Membership,
             role: MemberRole) -> None:
    """Through app.moderation.actions.perform ("appoint", "demote"), which audits it."""
    if not membership.is_active:
        raise MembershipError("not_member")
    if role == MemberRole.MEMBER and membership.is_animator \
            and len(animator_ids(session, network.id)) <= 1:
        raise MembershipError("last_animator")
    membership.role = role


def member_names(session: Session, network_id: int) -> list[tuple[int, str]]:
    return list(session.execute(
        select(User.id, User.display_name).join(Membership, Membership.user_id == User.id)
        .where(Membership.network_id == network_id,
               Membership.status == MemberStatus.ACTIVE)))


def create_post(session: Session, network: Network, author: User, body: str) -> Post:
    """A post; animators hear of it, and the members it @mentions."""
    post = Post(network_id=network.id, author_id=author.id, body=body)
    session.add(post)
    session.flush()
    mentioned = find_mentions(body, member_names(session, network.id))
    notify(session, mentioned, NotificationKind.MENTION, author.id,
           network_id=network.id, post_id=post.id)
    notify(session, set(animator_ids(session, network.id)) - mentioned,
           NotificationKind.NEW_POST, author.id, network_id=network.id, post_id=post.id)
    return post


def create_comment(session: Session, post: Post, author: User, body: str) -> Comment:
    """A comment; the post's author and earlier commenters hear of it, and those mentioned."""
    comment = Comment(post_id=post.id, author_id=author.id, body=body)
    session.add(comment)
    session.flush()
    session.execute(update(Post).where(Post.id == post.id)
                    .values(comment_count=Post.comment_count + 1))
    mentioned = find_mentions(body, member_names(session, post.network_id))
    earlier = set(session.scalars(select(Comment.author_id).where(
        Comment.post_id == post.id, Comment.author_id.is_not(None))))
    thread = ({post.author_id} | earlier) - {None} - mentioned
    network = session.get(Network, post.network_id)
    if network.visibility != NetworkVisibility.OPEN:  # those who left cannot read it
        thread &= {user_id for user_id, _ in member_names(session, post.network_id)}
    notify(session, mentioned, NotificationKind.MENTION, author.id,
           network_id=post.network_id, post_id=post.id, comment_id=comment.id)
    notify(session, thread, NotificationKind.REPLY, author.id,
           network_id=post.network_id, post_id=post.id, comment_id=comment.id)
    return comment


def delete_comment(session: Session, comment: Comment) -> None:
    session.execute(update(Post).where(Post.id == comment.post_id)
                    .values(comment_count=case((Post.comment_count > 0, Post.comment_count - 1),
                                               else_=0)))
    session.delete(comment)
