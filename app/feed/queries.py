"""A member's feed: what is new around them, newest first, paged by a keyset cursor.

Sources, each one query over indexed columns (at most a page + 1 rows each):
- `post`: posts in the networks they are an active member of, not hidden, by someone else;
- `comment`: replies in those networks (on a post not hidden), by someone else, not hidden;
- `member`: people who joined near them (their commune's EPCI, else their commune) and share at
  least one of their skills;
- `place`: places of their EPCI (else their commune); `poll`: polls opened at those places.
Nothing by someone they blocked or who blocked them, nor by a suspended account.

The order is (time, kind, id), newest first; the cursor of the next page is the last item's
key ("<ISO time>~<kind>~<id>"), so a page never repeats nor skips an item when new ones arrive
(unlike an offset)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from app.events.access import visible as visible_event
from app.events.occurrences import next_occurrence
from app.events.queries import communes_within
from app.text import excerpt, markdown_excerpt
from models import (
    Block,
    Comment,
    Commune,
    Connection,
    ConnectionStatus,
    Event,
    Membership,
    MemberStatus,
    Network,
    Place,
    Poll,
    Post,
    Profile,
    Skill,
    User,
)
from models.skill import profile_skill
from models.types import utcnow

PAGE = 20
EVENTS_KM = 20  # how far away an event shows in a member's feed
KINDS = ("comment", "event", "member", "place", "poll", "post")  # the cursor's kinds, in order
EXCERPT = 280


@dataclass(frozen=True)
class Key:
    at: datetime
    kind: str
    id: int

    def text(self) -> str:
        return f"{self.at.isoformat()}~{self.kind}~{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Key | None:
        """A cursor from the query string, or None for the first page (anything malformed,
        too: the first page is a safe answer)."""
        try:
            at, kind, ident = (text or "").split("~")
            key = cls(datetime.fromisoformat(at), kind, int(ident))
        except ValueError:
            return None
        if key.kind not in KINDS or key.at.tzinfo is None or not 0 < key.id < 2**62:
            return None
        return key


@dataclass
class Item:
    key: Key
    kind: str
    data: dict = field(default_factory=dict)


@dataclass
class FeedPage:
    items: list[Item]
    next_cursor: str | None


def _before(kind: str, at_column, id_column, cursor: Key | None) -> ColumnElement | bool:
    """Rows of this kind whose key (time, kind, id) comes after the cursor, newest first."""
    if cursor is None:
        return True
    if kind < cursor.kind:
        return at_column <= cursor.at
    if kind > cursor.kind:
        return at_column < cursor.at
    return or_(at_column < cursor.at, and_(at_column == cursor.at, id_column < cursor.id))


def _not_blocked(user_id: int, column) -> ColumnElement:
    return and_(~exists().where(Block.blocker_id == user_id, Block.blocked_id == column),
                ~exists().where(Block.blocked_id == user_id, Block.blocker_id == column))


def _home(session: Session, user: User) -> tuple[str | None, str | None]:
    """(commune, EPCI) of the member's profile."""
    row = session.execute(select(Commune.insee, Commune.epci_code)
                          .join(Profile, Profile.commune_insee == Commune.insee)
                          .where(Profile.user_id == user.id)).first()
    return (row[0], row[1]) if row else (None, None)


def _near(column, insee: str | None, epci: str | None):
    if epci:
        return column.in_(select(Commune.insee).where(Commune.epci_code == epci))
    return column == insee


def feed(session: Session, user: User, cursor: Key | None = None, limit: int = PAGE) -> FeedPage:
    fetch = limit + 1
    keys: list[tuple[Key, str]] = []
    mine = select(Membership.network_id).where(Membership.user_id == user.id,
                                               Membership.status == MemberStatus.ACTIVE)
    author = aliased(User)
    for at, ident in session.execute(
            select(Post.created_at, Post.id).join(author, author.id == Post.author_id)
            .where(Post.network_id.in_(mine), Post.hidden_at.is_(None), Post.author_id != user.id,
                   author.suspended_at.is_(None), _not_blocked(user.id, Post.author_id),
                   _before("post", Post.created_at, Post.id, cursor))
            .order_by(Post.created_at.desc(), Post.id.desc()).limit(fetch)):
        keys.append((Key(at, "post", ident), "post"))
    for at, ident in session.execute(
            select(Comment.created_at, Comment.id).join(Post, Post.id == Comment.post_id)
            .join(author, author.id == Comment.author_id)
            .where(Post.network_id.in_(mine), Post.hidden_at.is_(None),
                   Comment.hidden_at.is_(None), Comment.author_id != user.id,
                   author.suspended_at.is_(None), _not_blocked(user.id, Comment.author_id),
                   _before("comment", Comment.created_at, Comment.id, cursor))
            .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(fetch)):
        keys.append((Key(at, "comment", ident), "comment"))
    insee, epci = _home(session, user)
    # Events published in my networks or within EVENTS_KM of home (people travel to an event
    # across the limits of their communauté de communes), still to come.
    where_events = [Event.network_id.in_(mine)]
    if insee is not None:
        home = session.get(Commune, insee)
        where_events.append(Event.commune_insee.in_(communes_within(session, home, EVENTS_KM)))
    for at, ident in session.execute(
            select(Event.created_at, Event.id)
            .where(visible_event(user.id), Event.cancelled_at.is_(None),
                   or_(Event.rrule.is_not(None), Event.ends_at > utcnow()), or_(*where_events),
                   _before("event", Event.created_at, Event.id, cursor))
            .order_by(Event.created_at.desc(), Event.id.desc()).limit(fetch)):
        keys.append((Key(at, "event", ident), "event"))
    if insee is not None:
        my_skills = select(profile_skill.c.skill_id).join(
            Profile, Profile.id == profile_skill.c.profile_id).where(Profile.user_id == user.id)
        shares_a_skill = exists().where(profile_skill.c.profile_id == Profile.id,
                                        profile_skill.c.skill_id.in_(my_skills))
        for at, ident in session.execute(
                select(User.created_at, Profile.id).join(Profile, Profile.user_id == User.id)
                .where(_near(Profile.commune_insee, insee, epci), User.id != user.id,
                       User.suspended_at.is_(None), shares_a_skill,
                       _not_blocked(user.id, User.id),
                       _before("member", User.created_at, Profile.id, cursor))
                .order_by(User.created_at.desc(), Profile.id.desc()).limit(fetch)):
            keys.append((Key(at, "member", ident), "member"))
        for at, ident in session.execute(
                select(Place.created_at, Place.id)
                .where(_near(Place.commune_insee, insee, epci),
                       _before("place", Place.created_at, Place.id, cursor))
                .order_by(Place.created_at.desc(), Place.id.desc()).limit(fetch)):
            keys.append((Key(at, "place", ident), "place"))
        for at, ident in session.execute(
                select(Poll.created_at, Poll.id).join(Place, Place.id == Poll.place_id)
                .where(_near(Place.commune_insee, insee, epci),
                       _before("poll", Poll.created_at, Poll.id, cursor))
                .order_by(Poll.created_at.desc(), Poll.id.desc()).limit(fetch)):
            keys.append((Key(at, "poll", ident), "poll"))
    keys.sort(key=lambda k: (k[0].at, k[0].kind, k[0].id), reverse=True)
    page, more = keys[:limit], len(keys) > limit
    items = _load(session, [Item(key, kind) for key, kind in page])
    return FeedPage(items, page[-1][0].text() if more and page else None)


def _load(session: Session, items: list[Item]) -> list[Item]:
    """What each item shows, read per kind in one query."""
    wanted: dict[str, list[int]] = {}
    for item in items:
        wanted.setdefault(item.kind, []).append(item.key.id)
    found: dict[tuple[str, int], dict] = {}
    if "post" in wanted:
        for post_id, network_id, network, body, name, comments, avatar in session.execute(
                select(Post.id, Post.network_id, Network.name, Post.body, User.display_name,
                       Post.comment_count, Profile.avatar)
                .join(Network, Network.id == Post.network_id)
                .join(User, User.id == Post.author_id)
                .outerjoin(Profile, Profile.user_id == User.id)
                .where(Post.id.in_(wanted["post"]))):
            found["post", post_id] = {"network_id": network_id, "network": network,
                                      "author": name, "excerpt": markdown_excerpt(body, EXCERPT),
                                      "post_id": post_id, "comments": comments,
                                      "avatar": avatar}
    if "comment" in wanted:
        for comment_id, post_id, network_id, network, body, name, avatar in session.execute(
                select(Comment.id, Post.id, Post.network_id, Network.name, Comment.body,
                       User.display_name, Profile.avatar)
                .join(Post, Post.id == Comment.post_id)
                .join(Network, Network.id == Post.network_id)
                .join(User, User.id == Comment.author_id)
                .outerjoin(Profile, Profile.user_id == User.id)
                .where(Comment.id.in_(wanted["comment"]))):
            found["comment", comment_id] = {"network_id": network_id, "network": network,
                                            "author": name, "excerpt": markdown_excerpt(body, EXCERPT),
                                            "post_id": post_id, "comment_id": comment_id,
                                            "avatar": avatar}
    if "member" in wanted:
        skills: dict[int, list[str]] = {}
        for profile_id, skill in session.execute(
                select(profile_skill.c.profile_id, Skill.name)
                .join(Skill, Skill.id == profile_skill.c.skill_id)
                .where(profile_skill.c.profile_id.in_(wanted["member"])).order_by(Skill.name)):
            skills.setdefault(profile_id, []).append(skill)
        for profile_id, name, commune, avatar in session.execute(
                select(Profile.id, User.display_name, Commune.name, Profile.avatar)
                .join(User, User.id == Profile.user_id)
                .outerjoin(Commune, Commune.insee == Profile.commune_insee)
                .where(Profile.id.in_(wanted["member"]))):
            found["member", profile_id] = {"profile_id": profile_id, "name": name,
                                           "commune": commune or "", "avatar": avatar,
                                           "skills": skills.get(profile_id, [])[:5]}
    if "place" in wanted:
        for place_id, name, commune, status in session.execute(
                select(Place.id, Place.name, Commune.name, Place.status)
                .join(Commune, Commune.insee == Place.commune_insee)
                .where(Place.id.in_(wanted["place"]))):
            found["place", place_id] = {"place_id": place_id, "name": name, "commune": commune,
                                        "status": status}
    if "event" in wanted:
        now = utcnow()
        for event in session.scalars(select(Event).where(Event.id.in_(wanted["event"]))):
            upcoming = next_occurrence(event, now)
            if upcoming is not None:
                found["event", event.id] = {
                    "event_id": event.id, "title": event.title, "kind": event.kind,
                    "start": upcoming.start, "end": upcoming.end,
                    "where": event.place.name if event.place else (
                        event.commune.name if event.commune else "")}
    if "poll" in wanted:
        for poll_id, question, place_id, place, closes_at in session.execute(
                select(Poll.id, Poll.question, Place.id, Place.name, Poll.closes_at)
                .join(Place, Place.id == Poll.place_id).where(Poll.id.in_(wanted["poll"]))):
            found["poll", poll_id] = {"question": question, "place_id": place_id,
                                      "place": place, "closes_at": closes_at}
    kept = []
    for item in items:
        data = found.get((item.kind, item.key.id))
        if data is not None:  # gone between the two queries: left out
            item.data = data
            kept.append(item)
    return kept


def pending_requests(session: Session, user: User, limit: int = 5) -> list[dict]:
    """Requests to connect waiting for this member's answer, newest first."""
    rows = session.execute(
        select(Connection.id, User.display_name, Profile.id, Connection.message)
        .join(User, User.id == Connection.requester_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(or_(Connection.low_id == user.id, Connection.high_id == user.id),
               Connection.requester_id != user.id,
               Connection.status == ConnectionStatus.PENDING, User.suspended_at.is_(None),
               _not_blocked(user.id, User.id))
        .order_by(Connection.id.desc()).limit(limit)).all()
    return [{"id": cid, "name": name, "profile_id": profile_id, "message": excerpt(message, 140)}
            for cid, name, profile_id, message in rows]
