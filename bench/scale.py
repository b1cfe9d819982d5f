"""Scale-out: chat deliveries per second and page requests per second with 1, 2 and 4 gunicorn
workers, side by side in one run, on the scale-out configuration (PostgreSQL, Redis as the
Socket.IO message queue and rate-limit store), with the machine's core count printed.

    .venv/bin/python bench/scale.py [--clients 100] [--seconds 6] [--workers 1,2,4]

For each worker count, one gunicorn (gevent workers, gunicorn.conf.py) over the same database:
- chat: `--clients` members in one network room, each on its own WebSocket (the kernel spreads
  them over the workers), 20 senders sending as fast as acks come back for `--seconds`:
  deliveries per second (every message reaches every client, whichever worker holds it, through
  Redis) and p50/p99 delivery latency;
- pages: the directory and a profile page, 16 keep-alive connections for `--seconds` each
  (bench/pages.py's Python load generator): requests per second.
Needs PostgreSQL and Redis on 127.0.0.1 (`make services`). Workers cannot run faster than the
cores there are: on a 2-core machine, 4 workers share 2 cores with the load generator.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat import SECRET, Room, prepare, serve  # noqa: E402
from bench.pages import run_python  # noqa: E402
from tests.helpers.browser import free_port  # noqa: E402

ADMIN = os.environ.get("MAILLAGE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("MAILLAGE_BENCH_REDIS", "redis://127.0.0.1:6379/14")
DATABASE = "maillage_bench_scale"


def fresh_database() -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    engine = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    engine.dispose()
    return make_url(ADMIN).set(database=DATABASE).render_as_string(hide_password=False)


async def chat(url: str, room_id: int, cookies: list[str], seconds: float) -> dict:
    room = Room(url, room_id, cookies)
    await room.connect()
    try:
        return await room.saturate(seconds)
    finally:
        await room.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    import redis
    redis.Redis.from_url(REDIS).flushdb()
    url = fresh_database()
    rows = []
    with tempfile.TemporaryDirectory(prefix="maillage-bench-scale-") as tmp:
        instance = Path(tmp)
        _db_file, room_id, cookies = prepare(instance, args.clients, url)
        profile = "/people/2"
        for workers in (int(n) for n in args.workers.split(",")):
            port = free_port()
            env = {"MAILLAGE_DATABASE_URL": url, "MAILLAGE_SECRET_KEY": SECRET,
                   "MAILLAGE_SEARCH_INDEX_DIR": str(instance / "search-index"),
                   "MAILLAGE_SOCKETIO_MESSAGE_QUEUE": REDIS, "MAILLAGE_WORKERS": str(workers),
                   "MAILLAGE_CHAT_RATE_LIMIT": "1000000 per 10 seconds"}
            server = serve("wsgi:app", port, env, instance / f"workers-{workers}.log")
            try:
                delivered = asyncio.run(chat(f"http://127.0.0.1:{port}", room_id, cookies,
                                             args.seconds))
                directory = run_python(port, "/people/", int(args.seconds), 16)
                page = run_python(port, profile, int(args.seconds), 16)
            finally:
                server.terminate()
                server.wait(15)
            rows.append((workers, delivered, directory, page))
    print(f"\nScale-out on {os.cpu_count()} cores: PostgreSQL, Redis queue, gunicorn gevent "
          f"workers; chat {args.clients} clients, 20 senders, {args.seconds:g} s; pages 16 "
          f"connections, {args.seconds:g} s each\n")
    print("| workers | chat deliveries/s | chat p50 ms | chat p99 ms | lost | directory req/s | "
          "profile req/s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for workers, delivered, directory, page in rows:
        print(f"| {workers} | {delivered['deliveries/s']:,.0f} | {delivered['p50 ms']:.1f} | "
              f"{delivered['p99 ms']:.1f} | {delivered['lost']:,} | {directory['rps']:,.0f} | "
              f"{page['rps']:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
