"""One member floods the chat with joins: how long do others wait meanwhile?

    .venv/bin/python bench/join_flood.py [--joins 300] [--messages 1000]

A room with `--messages` messages; one member pipelines `--joins` joins, each asking for the
whole room (`last_seq: 0`). Meanwhile another member sends 20 messages one after the other and
a third party polls `/healthz`. Printed, side by side in one run: the other member's send
answers and `/healthz` (p50, max) without the flood and during it, and how the flood's joins
were answered (replayed, refused by the event limit `busy`, by the replay budget
`rate_limited`). Target (issue): neither waits more than one second during the flood. Server:
gunicorn with one gevent worker (gunicorn.conf.py) on SQLite; clients in this process.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.chat import SECRET, Client, prepare, serve  # noqa: E402
from tests.helpers.browser import free_port  # noqa: E402


def fill(db_file: Path, room_id: int, author_id: int, count: int) -> None:
    import sqlite3
    with sqlite3.connect(db_file) as connection:
        connection.executemany(
            "INSERT INTO message (room_id, seq, author_id, client_id, body, body_html, created_at,"
            " hidden_reason) VALUES (?, ?, ?, ?, ?, ?, '2026-12-01 10:00:00.000000', '')",
            [(room_id, n, author_id, f"fill-{n}", f"Message {n} " + "texte " * 20,
              f"<p>Message {n} " + "texte " * 20 + "</p>") for n in range(1, count + 1)])
        connection.execute("UPDATE room SET last_seq = ? WHERE id = ?", (count, room_id))


def healthz(url: str) -> float:
    started = time.monotonic()
    urllib.request.urlopen(url + "/healthz", timeout=30).read()
    return time.monotonic() - started


async def others(url: str, writer: Client, room_id: int, tag: str) -> dict:
    sends, checks = [], []
    for i in range(20):
        started = time.monotonic()
        reply = await writer.call("send", {"room": room_id, "body": f"{tag} {i}",
                                           "client_id": f"{tag}-{i}-{time.time()}"})
        assert reply["ok"], reply
        sends.append(time.monotonic() - started)
        checks.append(await asyncio.to_thread(healthz, url))
    return {"send": sends, "healthz": checks}


async def run(url: str, room_id: int, cookies: list[str], joins: int) -> dict:
    async with aiohttp.ClientSession() as http:
        flooder, writer = Client(lambda _: None), Client(lambda _: None)
        await flooder.connect(http, url, cookies[1])
        await writer.connect(http, url, cookies[0])
        assert (await writer.call("join", {"room": room_id, "last_seq": 2**40}))["ok"]
        quiet = await others(url, writer, room_id, "calme")
        flood = [asyncio.create_task(flooder.call("join", {"room": room_id, "last_seq": 0},
                                                  timeout=120)) for _ in range(joins)]
        await asyncio.sleep(0)
        during = await others(url, writer, room_id, "pendant")
        answers = await asyncio.gather(*flood)
        await flooder.disconnect()
        await writer.disconnect()
    outcome: dict[str, int] = {}
    for answer in answers:
        key = "replayed" if answer["ok"] else answer["error"]["code"]
        outcome[key] = outcome.get(key, 0) + 1
    return {"quiet": quiet, "flood": during, "answers": outcome}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--joins", type=int, default=300)
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="maillage-bench-flood-") as tmp:
        instance = Path(tmp)
        db_file, room_id, cookies = prepare(instance, 3)
        fill(db_file, room_id, 1, args.messages)
        port = free_port()
        server = serve("wsgi:app", port, {
            "MAILLAGE_DATABASE_URL": f"sqlite:///{db_file}", "MAILLAGE_SECRET_KEY": SECRET,
            "MAILLAGE_SEARCH_INDEX_DIR": str(instance / "search-index"),
            "MAILLAGE_CHAT_RATE_LIMIT": "100000 per 10 seconds"}, instance / "server.log")
        try:
            result = asyncio.run(run(f"http://127.0.0.1:{port}", room_id, cookies, args.joins))
        finally:
            server.terminate()
            server.wait(15)
        log = (instance / "server.log").read_text()
    print(f"\nOne member pipelines {args.joins} joins of a {args.messages}-message room "
          f"(gunicorn, 1 gevent worker, SQLite); another member sends 20 messages and "
          f"/healthz is polled, before and during the flood\n")
    print("| | send answer p50 ms | send answer max ms | /healthz p50 ms | /healthz max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    worst = 0.0
    for label, key in (("no flood", "quiet"), ("during the flood", "flood")):
        row = result[key]
        worst = max(worst, *row["send"], *row["healthz"]) if key == "flood" else worst
        print(f"| {label} | {statistics.median(row['send']) * 1000:.1f} | "
              f"{max(row['send']) * 1000:.1f} | {statistics.median(row['healthz']) * 1000:.1f} | "
              f"{max(row['healthz']) * 1000:.1f} |")
    print(f"\nthe flood's joins: {result['answers']}")
    print(f"tracebacks in the server's log: {log.count('Traceback')}")
    ok = worst < 1.0 and "Traceback" not in log
    print("target met (< 1 s, no traceback)" if ok else "target missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
