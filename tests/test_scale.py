"""Scale-out, with real processes: two gunicorn servers on two ports, one database (SQLite, or
PostgreSQL under `make test-postgres`), Redis as the Socket.IO message queue and the rate-limit
store, one search index directory. A client of one server talks to a client of the other; a ban
made on one takes the socket held by the other out at once; a rate limit counts the sends made
to both; accounts created through both are found by both searches.

Skipped, with the reason printed, when Redis is not running on 127.0.0.1:6379."""
from __future__ import annotations

import contextlib
import threading
import time

import pytest
import requests

from tests.helpers import databases
from tests.helpers.apps import TEST_PASSWORD, csrf_from
from tests.helpers.browser import LiveServer
from tests.helpers.chat_server import (
    Member,
    a_message_each_way,
    seed_network,
    senders_and_a_rejoining_reader,
)
from tests.helpers.signup import sign_up_over_http

# A Redis database of its own per engine: `make test` runs the SQLite and PostgreSQL suites at
# the same time, and each flushes its database.
REDIS = "redis://127.0.0.1:6379/" + ("13" if databases.ON_POSTGRES else "15")


def redis_or_skip():
    try:
        import redis
        client = redis.Redis.from_url(REDIS, socket_connect_timeout=1)
        client.ping()
    except Exception as error:  # noqa: BLE001 - any failure means "no Redis here"
        pytest.skip(f"Redis is not running on 127.0.0.1:6379 ({error}); `make services` starts it")
    client.flushdb()


@contextlib.contextmanager
def servers_over_one_database(template_db, tmp_path_factory, name: str, env: dict,
                              count: int = 2):
    """`count` gunicorn servers over one fresh database (Alice animates a private network,
    Bruno is a member) with Redis as their queue; each knows the room, user and profile ids."""
    redis_or_skip()
    workdir = tmp_path_factory.mktemp(name)
    db_file = workdir / "maillage.sqlite3"
    databases.copy(template_db, db_file)
    room_id, ids, profile_ids = seed_network(db_file, (("alice", "Alice Vidal"),
                                                       ("bruno", "Bruno Costes")))
    env = {"MAILLAGE_SOCKETIO_MESSAGE_QUEUE": REDIS, **env}
    servers = []
    try:
        for _ in range(count):
            server = LiveServer(db_file, workdir, env=env)
            server.room_id, server.user_ids, server.profile_ids = room_id, ids, profile_ids
            servers.append(server)
        yield servers
    finally:
        for server in servers:
            server.stop()
        databases.drop(db_file)


@pytest.fixture(scope="module")
def two_servers(template_db, tmp_path_factory):
    with servers_over_one_database(template_db, tmp_path_factory, "scale",
                                   {"MAILLAGE_CHAT_RATE_LIMIT": "6 per minute"}) as servers:
        yield servers


def test_a_message_sent_to_one_server_reaches_a_client_of_the_other(two_servers):
    one, other = two_servers
    a_message_each_way(one, other, ("Bonjour de l'autre serveur", "Bien reçu"), "cross",
                       timeout=10)


def test_a_rate_limit_counts_the_sends_made_to_both_servers(two_servers):
    one, other = two_servers
    clients = [Member(one, "alice@example.org").connect(), Member(other, "alice@example.org").connect()]
    try:
        for client in clients:
            assert client.wait_for(lambda r, c=client: c.joins == 1)
        replies = [clients[n % 2].send(f"message {n}", f"limit-{n}") for n in range(8)]
        codes = [r["ok"] if r["ok"] else r["error"]["code"] for r in replies]
        # 6 per minute for Alice, whichever server she writes through (the earlier test used 1).
        assert codes.count(True) == 5 and codes[5:] == ["rate_limited"] * 3, codes
    finally:
        for client in clients:
            client.close()


def test_accounts_created_through_both_servers_are_found_by_both_searches(two_servers):
    one, other = two_servers
    names = {one: "Hortense Bouyssou", other: "Ignace Fabrègue"}

    def register(server, name):  # the form, then the mailed link (read from the outbox)
        sign_up_over_http(server.url, server.db_file, name,
                          name.split()[0].lower() + "@example.org", TEST_PASSWORD, timeout=10)

    threads = [threading.Thread(target=register, args=(s, n)) for s, n in names.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    deadline = time.monotonic() + 10
    found = {}
    while time.monotonic() < deadline:
        found = {(server.port, name): requests.get(server.url + "/api/v1/search", timeout=10,
                                                   params={"q": name.split()[1]}).json()["total"]
                 for server in (one, other) for name in names.values()}
        if all(total == 1 for total in found.values()):
            break
        time.sleep(0.2)
    assert all(total == 1 for total in found.values()), found


def test_a_ban_made_on_one_server_takes_out_the_socket_held_by_the_other(two_servers):
    """Run last: Bruno is banned for good."""
    one, other = two_servers
    bruno = Member(other, "bruno@example.org").connect()
    removed = threading.Event()
    bruno.sio.on("error", lambda e: e.get("event") == "removed" and removed.set(), namespace="/chat")
    try:
        assert bruno.wait_for(lambda r: bruno.joins == 1)
        http = requests.Session()
        http.headers["Cookie"] = Member(one, "alice@example.org").cookie
        url = f"{one.url}/moderation/profile/{one.profile_ids['bruno']}?network=1"
        form = http.get(url, timeout=10).text
        response = http.post(url, data={"csrf_token": csrf_from(form), "action": "ban",
                                        "minutes": "60", "reason": "Spam"},
                             allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text[:300]
        assert removed.wait(10)  # the order went through Redis to the other process
        reply = bruno.send("encore là ?", "banned-cross")
        assert reply["ok"] is False and reply["error"]["code"] == "not_found"
    finally:
        bruno.close()


BUSY = {"MAILLAGE_CHAT_RATE_LIMIT": "100000 per 10 seconds",
        "MAILLAGE_LOGIN_RATE_LIMIT": "1000 per minute"}


@pytest.fixture(scope="module")
def two_busy_servers(template_db, tmp_path_factory):
    """Two servers over one database and Redis, without the low chat limit of `two_servers`."""
    with servers_over_one_database(template_db, tmp_path_factory, "scale-busy", BUSY) as servers:
        yield servers


def test_a_reader_rejoining_across_two_servers_misses_nothing_while_four_sockets_send(
        two_busy_servers):
    """On PostgreSQL ids follow INSERT order, not commit order: catch-up by the room's `seq`
    (taken under the room's row lock) is what keeps this from skipping a late commit."""
    servers = two_busy_servers
    senders_and_a_rejoining_reader(servers, servers[0].room_id, servers[0].db_file, per_sender=80,
                                   prefix="scale-race")


def test_two_deployments_on_one_redis_hear_nothing_of_each_other(template_db, tmp_path_factory):
    """Two sites with their own databases (the same ids in both: the same room, the same people)
    on one Redis: a message, and a ban's order to take a socket out, stay in their deployment
    (channels named after the database unless MAILLAGE_SOCKETIO_CHANNEL says otherwise)."""
    with servers_over_one_database(template_db, tmp_path_factory, "site-a", {}, count=1) as (a,), \
            servers_over_one_database(template_db, tmp_path_factory, "site-b", {}, count=1) as (b,):
        assert a.room_id == b.room_id and a.db_file != b.db_file
        _two_deployments(a, b)


def _two_deployments(a, b) -> None:
    alice_a = Member(a, "alice@example.org").connect()
    bruno_a = Member(a, "bruno@example.org").connect()
    bruno_b = Member(b, "bruno@example.org").connect()
    removed_b = threading.Event()
    bruno_b.sio.on("error", lambda e: e.get("event") == "removed" and removed_b.set(),
                   namespace="/chat")
    try:
        for member in (alice_a, bruno_a, bruno_b):
            assert member.wait_for(lambda r, m=member: m.joins == 1)
        # B emits first: its process now listens on its queue (Socket.IO starts listening on
        # first use), so a message of A on the same channel would reach it.
        first_b = bruno_b.send("Site B d'abord", "site-b-0")
        assert bruno_b.wait_for(lambda r: first_b["id"] in r)
        sent = alice_a.send("Seulement pour le site A", "site-a-1")
        assert bruno_a.wait_for(lambda r: sent["id"] in r)  # it does travel within A
        # Bruno of A is banned from A's network: the order goes out on A's channel only.
        http = requests.Session()
        http.headers["Cookie"] = alice_a.cookie
        url = f"{a.url}/moderation/profile/{a.profile_ids['bruno']}?network=1"
        response = http.post(url, data={"csrf_token": csrf_from(http.get(url, timeout=10).text),
                                        "action": "ban", "minutes": "60", "reason": "Spam"},
                             allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text[:300]
        assert bruno_a.send("encore là ?", "after-ban")["error"]["code"] == "not_found"
        # B's Bruno (same user id, same room id) heard neither; he still writes in B.
        reply = bruno_b.send("Site B, tout va bien", "site-b-1")
        assert reply["ok"], reply
        assert bruno_b.wait_for(lambda r: reply["id"] in r)
        # Ids are per database (both rooms start at 1): what B's Bruno got is counted, not
        # looked up. A crossed message would have come before his own, on the same channel.
        assert bruno_b.received == [first_b["id"], reply["id"]]
        assert not removed_b.is_set()
    finally:
        for member in (alice_a, bruno_a, bruno_b):
            member.close()


def test_presence_agrees_across_processes_and_a_killed_one_goes_offline(template_db,
                                                                        tmp_path_factory):
    """Who is online is shared through Redis; `kill -9` of a process takes its people offline
    on the others within CHAT_PRESENCE_TTL (+ a third of it), here 3 s."""
    with servers_over_one_database(template_db, tmp_path_factory, "presence",
                                   {**BUSY, "MAILLAGE_CHAT_PRESENCE_TTL": "3"}) as (one, other):
        _presence_across(one, other)


def _presence_across(one, other) -> None:
    room_id, ids = one.room_id, one.user_ids
    alice = bruno = None
    try:
        alice = Member(one, "alice@example.org").connect()
        assert alice.wait_for(lambda r: alice.joins == 1)
        bruno = Member(other, "bruno@example.org").connect()
        assert bruno.wait_for(lambda r: bruno.joins == 1)
        both = [{"id": ids["alice"], "name": "Alice Vidal"}, {"id": ids["bruno"], "name": "Bruno Costes"}]
        assert bruno.online == both  # the other process's people too
        assert alice.wait_for(lambda r: {"room": room_id, "online": True, "user": both[1]}
                              in alice.presence)
        watcher = Member(one, "alice@example.org").connect()  # a second tab, on the first process
        assert watcher.wait_for(lambda r: watcher.joins == 1) and watcher.online == both
        watcher.close()
        one.kill()  # kill -9: no disconnect handler runs there
        gone = {"room": room_id, "online": False, "user": both[0]}
        assert bruno.wait_for(lambda r: gone in bruno.presence, timeout=30)
        late = Member(other, "bruno@example.org").connect()  # a new tab sees Bruno alone
        assert late.wait_for(lambda r: late.joins == 1) and late.online == [both[1]]
        late.close()
    finally:
        for member in (alice, bruno):
            if member is not None:
                member.close()
