"""Read-side queries for network pages and the API (plain functions over a session)."""
from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from models import (
    Comment,
    Commune,
    Membership,
    MemberStatus,
    Network,
    NetworkVisibility,
    Notification,
    NotificationKind,
    Post,
    Profile,
    Scope,
    SkillAlias,
    User,
    network_skill,
    profile_skill,
)
from models.textkey import fold, skill_key
from models.types import matches_value

POSTS_PER_PAGE = 20


def mute_reason(session: Session, user_id: int, network_id: int) -> str:
    """Why a member is muted in a network: the reason of the last mute they were told of."""
    return session.scalar(select(Notification.detail).where(
        Notification.user_id == user_id, Notification.network_id == network_id,
        Notification.kind == NotificationKind.MUTED).order_by(Notification.id.desc())
        .limit(1)) or ""


def mute_notice(session: Session, access) -> str:
    """What a muted member reads in place of the post and reply boxes: where, until when, why."""
    from flask_babel import gettext as _

    from app.templating import datetimeformat
    membership = access.membership
    reason = mute_reason(session, membership.user_id, access.network.id)
    when = datetimeformat(membership.muted_until, "long")
    if reason:
        return _("You are muted in %(network)s until %(when)s (reason: %(reason)s). You can read, "
                 "not write.", network=access.network.name, when=when, reason=reason)
    return _("You are muted in %(network)s until %(when)s. You can read, not write.",
             network=access.network.name, when=when)


def clamp_offset(offset: int, limit: int, total: int) -> int:
    """An offset within the results (the last page for one beyond, 0 for a negative one):
    ?page=10^17 must not reach the database as an OFFSET it refuses."""
    last_page_start = max(0, (total - 1) // limit * limit) if total else 0
    return min(max(offset, 0), last_page_start)


def visible_networks(session: Session, viewer_id: int | None, *, q: str = "", scope: str = "",
                     epci: str = "", skill: str = "", limit: int = 50, offset: int = 0):
    """Networks the viewer may know of (open, on request, and private ones they belong to),
    filtered, largest first. Returns (total, networks)."""
    from sqlalchemy import func
    seen = Network.visibility != NetworkVisibility.PRIVATE
    if viewer_id is not None:
        seen = or_(seen, Network.id.in_(select(Membership.network_id).where(
            Membership.user_id == viewer_id)))
    conditions = [seen]
    if q.strip():
        conditions += [Network.name_key.contains(word, autoescape=True)
                       for word in fold(q).split()[:8]]
    if scope:
        conditions.append(matches_value(Network.scope, scope))
    if epci:
        # A network of the EPCI, or of one of its communes.
        conditions.append(or_(
            and_(Network.scope == Scope.EPCI, Network.scope_code == epci),
            and_(Network.scope == Scope.COMMUNE, Network.scope_code.in_(
                select(Commune.insee).where(Commune.epci_code == epci)))))
    if skill.strip():
        conditions.append(Network.id.in_(
            select(network_skill.c.network_id)
            .join(SkillAlias, SkillAlias.skill_id == network_skill.c.skill_id)
            .where(SkillAlias.key == skill_key(skill))))
    total = session.scalar(select(func.count()).select_from(Network).where(*conditions)) or 0
    offset = clamp_offset(offset, limit, total)
    networks = session.scalars(
        select(Network).where(*conditions).options(selectinload(Network.skills))
        .order_by(Network.member_count.desc(), Network.id).limit(limit).offset(offset)).all()
    return total, networks


def post_stream(session: Session, network_id: int, before: int | None = None,
                limit: int = POSTS_PER_PAGE) -> tuple[list[Post], int | None]:
    """Posts newest first, `limit` at a time, keyset-paged on the id: (posts, next `before`)."""
    query = select(Post).where(Post.network_id == network_id)
    if before is not None:
        query = query.where(Post.id < before)
    posts = session.scalars(query.options(selectinload(Post.author).selectinload(User.profile))
                            .order_by(Post.id.desc()).limit(limit + 1)).all()
    more = len(posts) > limit
    posts = posts[:limit]
    return posts, (posts[-1].id if more and posts else None)


def pinned_posts(session: Session, network_id: int) -> list[Post]:
    return session.scalars(select(Post).where(Post.network_id == network_id, Post.pinned)
                           .options(selectinload(Post.author).selectinload(User.profile))
                           .order_by(Post.id.desc())).all()


COMMENTS_MAX = 500


def comments_of(session: Session, post_id: int) -> list[Comment]:
    """The replies in order, the first COMMENTS_MAX (a conversation longer than that is a
    chat: see the chat rooms)."""
    return session.scalars(select(Comment).where(Comment.post_id == post_id)
                           .options(selectinload(Comment.author).selectinload(User.profile))
                           .order_by(Comment.id).limit(COMMENTS_MAX)).all()


def members(session: Session, network_id: int, *, status: MemberStatus = MemberStatus.ACTIVE,
            skill: str = "", communes: list[str] | None = None, limit: int = 200):
    """Memberships with user, profile and commune loaded, animators first, then by name."""
    query = (select(Membership).join(User, Membership.user_id == User.id)
             .where(Membership.network_id == network_id, Membership.status == status))
    if skill.strip():
        query = query.where(Membership.user_id.in_(
            select(Profile.user_id).join(profile_skill, profile_skill.c.profile_id == Profile.id)
            .join(SkillAlias, SkillAlias.skill_id == profile_skill.c.skill_id)
            .where(SkillAlias.key == skill_key(skill))))
    if communes is not None:
        query = query.where(Membership.user_id.in_(
            select(Profile.user_id).where(Profile.commune_insee.in_(communes))))
    return session.scalars(
        query.options(selectinload(Membership.user).selectinload(User.profile)
                      .selectinload(Profile.commune), selectinload(Membership.user)
                      .selectinload(User.profile).selectinload(Profile.skills))
        # 'animator' sorts before 'member': animators first.
        .order_by(Membership.role, User.display_name).limit(limit)).all()
