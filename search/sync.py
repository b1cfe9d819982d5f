"""Keep the index in step with the database: collect what changed after each flush, drop it on
rollback (the commit-hook registry, `models/commit_hooks.py`, does the bookkeeping), and write
it: for Whoosh after the commit (from the committed rows), for PostgreSQL just before it, in
the same transaction (search/postgres_documents.py: the documents commit or roll back with the rows). A
rolled-back change never reaches the index; a committed one is searchable before the
request's response is sent."""
from __future__ import annotations

import logging

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from models import (
    Event,
    Network,
    Place,
    Post,
    PricingPlan,
    Profile,
    Skill,
    User,
    commit_hooks,
    profile_skill,
)
from models.commit_hooks import Collected, CommitHook
from search import documents

log = logging.getLogger(__name__)


def _keys_for(obj, deleted: bool) -> list[tuple[str, int]]:
    if isinstance(obj, Profile):
        return [("profile", obj.id)]
    if isinstance(obj, User):
        if deleted or "display_name" in inspect(obj).attrs and \
                inspect(obj).attrs.display_name.history.has_changes():
            return [("user", obj.id)]
        return []
    if isinstance(obj, Network):
        keys = [("network", obj.id)]
        if deleted or inspect(obj).attrs.visibility.history.has_changes():
            keys.append(("network-posts", obj.id))
        return keys
    if isinstance(obj, Post):
        return [("post", obj.id)]
    if isinstance(obj, Place):
        return [("place", obj.id)]
    if isinstance(obj, PricingPlan):
        return [("place", obj.place_id)]
    if isinstance(obj, Skill):
        return [("skill", obj.id)]
    if isinstance(obj, Event):
        return [("event", obj.id)]
    return []


def _collect(session: Session, collected: Collected) -> None:
    for obj in session.new | session.dirty:
        for key in _keys_for(obj, False):
            collected.here[key] = "upsert"
    for obj in session.deleted:
        for key in _keys_for(obj, True):
            collected.here[key] = "delete"


def _on_postgres(index) -> bool:
    return getattr(index, "backend", None) == "postgres"


def _write_in_transaction(session: Session, pending: dict) -> None:
    """PostgreSQL: the documents written through the session's own connection, before its
    COMMIT (a failure fails the commit: never rows without their documents)."""
    from search import current_index, postgres_documents
    if not _on_postgres(current_index()):
        return
    add, delete = changes(session, pending)
    postgres_documents.write(session.connection(), add, delete)


def _apply(session: Session, pending: dict) -> None:
    from search import current_index
    index = current_index()
    if index is None or _on_postgres(index):
        return
    try:
        with Session(bind=session.get_bind()) as reader:
            add, delete = changes(reader, pending)
        index.write(add, delete)
    except Exception:  # the database change stands; `flask search rebuild` mends the index
        log.exception("search index update failed; run `flask search rebuild`")
        index.stale = True


HOOK = CommitHook("search", 30, "write the changed profiles, networks, places and posts to "
                  "the index, from the committed rows", after_flush=_collect,
                  before_commit=_write_in_transaction, after_commit=_apply)


def register() -> None:
    commit_hooks.register(HOOK)


def changes(session: Session, pending: dict) -> tuple[list[dict], list[str]]:
    """The documents to (re)write and the keys to delete for a set of changes."""
    ids: dict[str, set[int]] = {kind: set() for kind in documents.BUILDERS}
    delete: list[str] = []
    users = {i for (kind, i), _ in pending.items() if kind == "user"}
    if users:
        ids["profile"] |= set(session.scalars(select(Profile.id).where(Profile.user_id.in_(users))))
    skills = {i for (kind, i), _ in pending.items() if kind == "skill"}
    if skills:
        ids["profile"] |= set(session.scalars(select(profile_skill.c.profile_id).where(
            profile_skill.c.skill_id.in_(skills))))
    network_posts = {i for (kind, i), _ in pending.items() if kind == "network-posts"}
    for (kind, i), action in pending.items():
        if kind in ids:
            (ids[kind].add(i) if action == "upsert" else delete.append(f"{kind}:{i}"))
    add: list[dict] = []
    for kind, wanted in ids.items():
        wanted -= {int(k.split(":")[1]) for k in delete if k.startswith(kind + ":")}
        if not wanted:
            continue
        found = list(documents.BUILDERS[kind](session, wanted))
        add += found
        # Asked for but gone (deleted in the same transaction as something else): delete.
        delete += [f"{kind}:{i}" for i in wanted - {int(d["key"].split(":")[1]) for d in found}]
    if network_posts:
        add += list(documents.post_docs(session, network_ids=network_posts))
    return add, delete
