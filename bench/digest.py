"""Daily digests for 10,000 members, built and queued (`app/mailprefs/digest.py: build_digests`,
what `flask mail digest --period daily` runs), next to rendering the same number of plain
notification pages in the same run.

    .venv/bin/python bench/digest.py [--members 10000] [--database sqlite|postgresql]

The data: demo members (app/demo.py: real communes, skills), every address verified, every
member with the daily digest for new posts, messages and requests; a network per 50 members
(each member in one, a third in two), two posts per network in the last day, an unread reply
for a third of the members, a pending request to connect for a tenth, a few blocks, 1% of the
members new since yesterday (the "new members near you" section). Printed: the digests' time,
per member, peak memory (tracemalloc's peak of Python allocations during the build, and the
growth of the process's peak RSS), the rows queued and their mean size; and the baseline: the
notifications page's template rendered with each member's 50 latest notifications (its query
included, no HTTP). No assertion on time: figures to compare, on this machine, in one run.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "maillage_bench_digest"


def fresh_postgres() -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    engine = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    engine.dispose()
    return make_url(ADMIN).set(database=PG_DATABASE).render_as_string(hide_password=False)


def populate(db, members: int, now) -> dict:
    from sqlalchemy import insert, select, update

    from app.demo import create_demo
    from models import (
        Block,
        Connection,
        MailKind,
        MailPreference,
        Membership,
        Network,
        Notification,
        Post,
        User,
    )
    rng = random.Random(19)
    session = db.session
    create_demo(session, count=members, password_hash="!")
    session.commit()
    ids = list(session.scalars(select(User.id).order_by(User.id)))
    session.execute(update(User).values(email_verified_at=now - timedelta(days=60),
                                        created_at=now - timedelta(days=30)))
    fresh = rng.sample(ids, max(1, len(ids) // 100))
    session.execute(update(User).where(User.id.in_(fresh))
                    .values(created_at=now - timedelta(hours=6)))
    session.execute(insert(MailPreference), [
        {"user_id": i, "kind": k, "mode": "daily"} for i in ids
        for k in (MailKind.NETWORK_POSTS, MailKind.MESSAGES, MailKind.REQUESTS)])
    networks = []
    for n in range(max(1, len(ids) // 50)):
        networks.append({"name": f"Réseau du bench {n}", "name_key": f"reseau du bench {n}",
                         "created_by_id": ids[n]})
    session.execute(insert(Network), networks)
    network_ids = list(session.scalars(select(Network.id).order_by(Network.id)))
    rows, seen = [], set()
    for user_id in ids:
        for network_id in rng.sample(network_ids, 2 if rng.random() < 1 / 3 else 1):
            seen.add((network_id, user_id))
            rows.append({"network_id": network_id, "user_id": user_id, "status": "active",
                         "accepted_charter_version": 1, "joined_at": now - timedelta(days=20)})
    session.execute(insert(Membership), rows)
    by_network: dict[int, list[int]] = {}
    for network_id, user_id in seen:
        by_network.setdefault(network_id, []).append(user_id)
    posts = [{"network_id": network_id, "author_id": rng.choice(people),
              "body": f"Qui a du temps samedi pour l'atelier {k} ? On cherche de l'osier.",
              "created_at": now - timedelta(hours=rng.randint(1, 23))}
             for network_id, people in by_network.items() for k in range(2)]
    session.execute(insert(Post), posts)
    post_rows = session.execute(select(Post.id, Post.network_id)).all()
    session.execute(insert(Notification), [
        {"user_id": user_id, "kind": "reply", "actor_id": rng.choice(ids),
         "network_id": network_id, "post_id": post_id, "detail": "",
         "created_at": now - timedelta(hours=rng.randint(1, 23))}
        for user_id in rng.sample(ids, len(ids) // 3)
        for post_id, network_id in [rng.choice(post_rows)]])
    pairs = set()
    for user_id in rng.sample(ids, len(ids) // 10):
        other = rng.choice(ids)
        if other != user_id:
            pairs.add((min(user_id, other), max(user_id, other), other))
    session.execute(insert(Connection), [
        {"low_id": low, "high_id": high, "requester_id": requester, "status": "pending",
         "message": "", "created_at": now - timedelta(hours=3)} for low, high, requester in pairs])
    session.execute(insert(Block), [{"blocker_id": a, "blocked_id": b} for a, b in {
        (rng.choice(ids), rng.choice(ids)) for _ in range(len(ids) // 50)} if a != b])
    session.commit()
    return {"members": len(ids), "networks": len(network_ids), "posts": len(posts),
            "requests": len(pairs)}


def timed(work):
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def traced(work) -> int:
    """Peak bytes allocated by Python while `work` runs."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    from flask import render_template
    from sqlalchemy import delete, func, select
    from sqlalchemy.orm import selectinload

    from app import create_app
    from app.mailprefs.digest import build_digests
    from models import DigestRun, MailMode, Notification, OutboxMessage, User, db
    from models.types import utcnow

    with tempfile.TemporaryDirectory(prefix="maillage-bench-digest-") as tmp:
        url = fresh_postgres() if args.database == "postgresql" \
            else f"sqlite:///{Path(tmp) / 'maillage.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                          "SEARCH_INDEX_DIR": str(Path(tmp) / "search-index"),
                          "BASE_URL": "https://maillage.example.org",
                          "MAIL_SENDER_THREAD": False})
        runner = app.test_cli_runner()
        for command in (["db", "upgrade"], ["territory", "load"]):
            result = runner.invoke(args=command)
            assert result.exit_code == 0, result.output
        with app.app_context():
            now = utcnow()
            started = time.perf_counter()
            world = populate(db, args.members, now)
            print(f"data: {world} in {time.perf_counter() - started:.1f} s "
                  f"({args.database})", flush=True)
            db.session.remove()

            later = now + timedelta(minutes=1)

            def digests():
                try:
                    return build_digests(db.session, MailMode.DAILY, later)
                finally:
                    db.session.remove()

            def forget_digests():
                db.session.execute(delete(OutboxMessage))
                db.session.execute(delete(DigestRun))
                db.session.commit()

            ids = list(db.session.scalars(select(User.id).order_by(User.id)))

            def pages():
                with app.test_request_context("/notifications"):
                    for user_id in ids:
                        rows = db.session.scalars(
                            select(Notification).where(Notification.user_id == user_id)
                            .options(selectinload(Notification.actor),
                                     selectinload(Notification.network))
                            .order_by(Notification.id.desc()).limit(50)).all()
                        render_template("social/notifications.html", rows=rows)
                        db.session.expunge_all()
                db.session.remove()

            # Time first (tracemalloc slows Python down), then the same work again for memory.
            report, digest_seconds = timed(digests)
            queued, size = db.session.execute(select(
                func.count(), func.avg(func.length(OutboxMessage.text)
                                       + func.length(OutboxMessage.html)))
                .where(OutboxMessage.kind == "digest_daily")).one()
            second, again = timed(lambda: build_digests(db.session, MailMode.DAILY,
                                                        later + timedelta(minutes=1)))
            forget_digests()
            peak = traced(digests)
            _, pages_seconds = timed(pages)
            pages_peak = traced(pages)
            db.session.remove()
            db.engine.dispose()

    n = report.members or 1
    print()
    print(f"{'':44} {'total s':>9} {'ms each':>9} {'peak MB':>9}")
    print(f"{'daily digests built and queued':44} {digest_seconds:9.1f} "
          f"{1000 * digest_seconds / n:9.2f} {peak / 2**20:9.1f}")
    print(f"{'notification pages rendered (baseline)':44} {pages_seconds:9.1f} "
          f"{1000 * pages_seconds / len(ids):9.2f} {pages_peak / 2**20:9.1f}")
    print(f"{'same period again (nothing to do)':44} {again:9.1f}")
    print()
    print(f"members looked at: {report.members}, digests queued: {report.queued} "
          f"(rows: {queued}, mean {int(size or 0) / 1024:.1f} KiB text + HTML), "
          f"nothing new: {report.empty}; second run queued {second.queued}. "
          f"Ratio digest / page: {digest_seconds / max(pages_seconds, 1e-9):.2f}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
