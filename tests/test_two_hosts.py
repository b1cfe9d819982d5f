"""Two machines, for real (issue 26): two hosts in network namespaces this test makes (`ip
netns`, each joined by a veth pair to a bridge in the root namespace), one gunicorn server on
each, bound to its host's address, with an instance folder of its own (MAILLAGE_INSTANCE_DIR)
and nothing of the other's disk: pictures and search documents are rows of the shared database
(MAILLAGE_UPLOADS_BACKEND=database, MAILLAGE_SEARCH_BACKEND=postgres). The test talks to both
through their addresses, as nginx would.

They share PostgreSQL and Redis through the bridge's address. Said plainly: the suite's
PostgreSQL and Redis listen on the root namespace's loopback only and are left as they are, so
a TCP relay of this test (tests/helpers/netns.py: TcpRelay) listens on the bridge's address and
forwards byte for byte to them; the hosts reach them as machines reach a database server, by an
address on their network, and a killed host's connections end as across a network. The SMTP
server (tests/helpers/smtp.py) listens on the bridge's address itself. Both hosts run the code of
this checkout (one release on two machines); neither writes anywhere the other reads.

What it shows: a chat message crosses from a client of A to a client of B (Redis); an avatar
uploaded through A's form is served by B, byte for byte; a profile edited through A is found by
B's very next search, with no wait at all; the daily digest, with both hosts running the
scheduler, reaches each member once; and A's server killed (SIGKILL) while it builds the digest
(some batches committed) and, started again, while it sends them loses no mail and doubles
none: B finishes once A's leases have expired.

Skipped, with the reason printed: on SQLite (two machines share a database server, not a file),
when not root or without `ip`, and without Redis."""
from __future__ import annotations

import contextlib
import io
import os
import signal
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.helpers import databases, netns
from tests.helpers.apps import base_config, csrf_from
from tests.helpers.browser import LiveServer
from tests.helpers.chat_server import a_message_each_way, seed_network, session_cookie
from tests.helpers.images import jpeg
from tests.helpers.smtp import SmtpSink, wait_for

REDIS_DB = 12  # its own database on the suite's Redis (test_scale has 13 and 15)
BATCH = 4  # members per digest transaction, so a digest run commits in several steps
PORT = 8000  # each host's server: the same port on two addresses, as on two machines
ONLY_DIGESTS = {"CHAT_UNREAD_MAIL_EVERY": 0, "EVENT_REMINDER_EVERY": 0,
                "SAVED_SEARCH_ALERT_EVERY": 0, "CENSUS_CLOSE_EVERY": 0,
                "DIGEST_WEEKLY_EVERY": 0,
                # Due when the test says (app/jobs.py: make_due), then not for an hour.
                "DIGEST_DAILY_EVERY": 3600, "DIGEST_BATCH": BATCH,
                "JOB_LEASE_SECONDS": 3}


def skip_unless_possible() -> None:
    if not databases.ON_POSTGRES:
        pytest.skip("two machines share a database server, not a file: PostgreSQL only "
                    "(MAILLAGE_TEST_POSTGRES, make test-postgres)")
    reason = netns.unavailable()
    if reason:
        pytest.skip(f"two hosts in network namespaces: {reason}")
    try:
        import redis
        redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}", socket_connect_timeout=1).flushdb()
    except Exception as error:  # noqa: BLE001 - any failure means "no Redis here"
        pytest.skip(f"Redis is not running on 127.0.0.1:6379 ({error}); `make services` starts it")


def host_database_url(db_file: Path, address: str, port: int) -> str:
    """The test's database as a host reaches it: at the bridge's address (the relay)."""
    return make_url(databases.database_url(db_file)).set(host=address, port=port) \
        .render_as_string(hide_password=False)


def host_env(net: netns.VethNetwork, host: netns.Host, relay: netns.TcpRelay, smtp: SmtpSink,
             db_file: Path, folder: Path) -> dict:
    """One host's settings: the same on both but the instance folder (and the name its
    database sessions show in pg_stat_activity, from libpq's PGAPPNAME: the URL, from which
    the Redis channel is named, stays the same on both)."""
    return {"MAILLAGE_DATABASE_URL": host_database_url(db_file, net.address, relay.ports[5432]),
            "PGAPPNAME": f"maillage-{host.name}",
            "MAILLAGE_INSTANCE_DIR": str(folder),
            "MAILLAGE_UPLOADS_BACKEND": "database",
            "MAILLAGE_SEARCH_BACKEND": "postgres",
            "MAILLAGE_SOCKETIO_MESSAGE_QUEUE":
                f"redis://{net.address}:{relay.ports[6379]}/{REDIS_DB}",
            "MAILLAGE_MAIL_SERVER": net.address, "MAILLAGE_MAIL_PORT": str(smtp.port),
            "MAILLAGE_MAIL_SECURITY": "none", "MAILLAGE_MAIL_POLL_SECONDS": "0.1",
            "MAILLAGE_MAIL_SENDER_LEASE_SECONDS": "2", "MAILLAGE_MAIL_LEASE_SECONDS": "5",
            **{f"MAILLAGE_{key}": str(value) for key, value in ONLY_DIGESTS.items()},
            # A host paused (SIGSTOP) for a while must not have its worker taken for hung.
            "GUNICORN_CMD_ARGS": "--timeout 300"}


class Hosts:
    """The two servers, the SMTP server, the shared database and an app of the test's own on
    it (seeding, reading, making a job due)."""

    def __init__(self, a: LiveServer, b: LiveServer, smtp: SmtpSink, db_file: Path, app):
        self.a, self.b, self.smtp, self.db_file, self.app = a, b, smtp, db_file, app


@pytest.fixture(scope="module")
def possible():
    """Before the template database is made: a skip costs nothing."""
    skip_unless_possible()


@pytest.fixture(scope="module")
def hosts(possible, template_db, tmp_path_factory):
    from app import create_app

    workdir = tmp_path_factory.mktemp("two-hosts")
    db_file = workdir / "maillage.sqlite3"
    databases.copy(template_db, db_file)
    room_id, user_ids, profile_ids = seed_network(db_file, (("alice", "Alice Vidal"),
                                                            ("bruno", "Bruno Costes")))
    with contextlib.ExitStack() as stack:
        stack.callback(databases.drop, db_file)
        try:
            net = stack.enter_context(netns.VethNetwork())
        except RuntimeError as error:  # root, yet not allowed to (an unprivileged container)
            pytest.skip(f"network namespaces cannot be made here: {error}")
        relay = stack.enter_context(netns.TcpRelay(net.address, (5432, 6379)))
        smtp = stack.enter_context(SmtpSink(hostname=net.address))
        servers = []
        for name in ("a", "b"):
            host = net.add_host(name)
            folder = tmp_path_factory.mktemp(f"host-{name}")
            server = LiveServer(db_file, folder, host_env(net, host, relay, smtp, db_file, folder),
                                host=host.address, port=PORT, wrapper=host.wrapper)
            stack.callback(server.stop)
            server.room_id, server.user_ids, server.profile_ids = room_id, user_ids, profile_ids
            server.name, server.folder, server.address = name, folder, host.address
            servers.append(server)
        app = create_app({**base_config(db_file), "SEARCH_BACKEND": "postgres"})
        yield Hosts(*servers, smtp, db_file, app)


# -- chat ------------------------------------------------------------------------------------

def test_a_chat_message_sent_through_a_reaches_a_client_of_b(hosts):
    a_message_each_way(hosts.a, hosts.b, ("Bonjour depuis la machine A", "Bien reçu sur B"),
                       "two-hosts", timeout=20)


# -- an avatar -------------------------------------------------------------------------------

def logged_in(server, email: str) -> requests.Session:
    http = requests.Session()
    http.headers["Cookie"] = session_cookie(server, email)
    return http


def edit_profile(server, email: str, name: str, headline: str, picture: bytes | None = None):
    """The profile form of `server`, as a browser posts it (CSRF token, multipart)."""
    http = logged_in(server, email)
    page = http.get(server.url + "/people/me/edit", timeout=10).text
    data = {"display_name": name, "kind": "independent", "headline": headline,
            "commune": "Rignac (12390)", "skills": "Menuiserie", "bio": "", "offers": "",
            "needs": "", "website": "", "visibility": "public",
            "direct_messages": "connections", "csrf_token": csrf_from(page)}
    files = {"avatar": ("photo.jpg", io.BytesIO(picture), "image/jpeg")} if picture else None
    response = http.post(server.url + "/people/me/edit", data=data, files=files,
                         allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[:500]


def files_below(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.name != "server.log"]


def test_an_avatar_uploaded_through_a_is_served_by_b(hosts):
    edit_profile(hosts.a, "alice@example.org", "Alice Vidal", "Tanneuse", jpeg())
    key = databases.rows(hosts.db_file, "SELECT avatar FROM profile WHERE id = ?",
                         hosts.a.profile_ids["alice"])[0][0]
    assert key
    from_a = requests.get(f"{hosts.a.url}/media/{key}/256", timeout=10)
    from_b = requests.get(f"{hosts.b.url}/media/{key}/256", timeout=10)
    assert from_a.status_code == from_b.status_code == 200
    assert from_b.headers["Content-Type"] == "image/webp"
    assert from_b.content == from_a.content and len(from_b.content) > 100
    # Neither machine's disk holds it: it went through the database only.
    assert [p for p in files_below(hosts.a.folder) if "uploads" in p.parts] == []
    assert [p for p in files_below(hosts.b.folder) if "uploads" in p.parts] == []


# -- search -----------------------------------------------------------------------------------

def search(server, words: str) -> dict:
    response = requests.get(server.url + "/api/v1/search", params={"q": words}, timeout=10)
    assert response.status_code == 200, response.text[:300]
    return response.json()


def test_a_profile_edited_through_a_is_found_by_search_on_b_at_once(hosts):
    """The documents are rows written in the edit's own transaction (SEARCH_BACKEND=postgres):
    B's first search after A's answer finds the profile, with no wait at all."""
    word = "mégisserie"
    assert search(hosts.b, word)["total"] == 0
    edit_profile(hosts.a, "bruno@example.org", "Bruno Costes", f"Tanneur, {word} à Rignac")
    found = search(hosts.b, word)
    assert found["total"] == 1, found
    assert found["results"][0]["url"].endswith(f"/people/{hosts.b.profile_ids['bruno']}"), found


# -- the daily digest ------------------------------------------------------------------------

def members_of_a_new_network(hosts, prefix: str, count: int) -> tuple[int, list[tuple[int, str]]]:
    """`count` verified members who take new posts in their networks in the daily digest,
    in a network of their own that Alice animates; (its id, [(user id, address)])."""
    from app.mailprefs.preferences import set_modes
    from app.networks.service import create_network
    from models import MailKind, MailMode, Membership, Profile, User, db
    from models.types import utcnow

    with hosts.app.app_context():
        alice = db.session.get(User, hosts.a.user_ids["alice"])
        network = create_network(db.session, alice, "Soyez bienveillants.",
                                 name=f"Réseau {prefix}", visibility="private")
        people = []
        for n in range(count):
            user = User(email=f"{prefix}{n}@example.org", display_name=f"Membre {prefix} {n}",
                        email_verified_at=utcnow())
            user.set_password("unused-password-1")
            user.profile = Profile()
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(network_id=network.id, user_id=user.id, status="active",
                                      accepted_charter_version=network.charter_version))
            set_modes(db.session, user.id, {MailKind.NETWORK_POSTS: MailMode.DAILY})
            people.append((user.id, user.email))
        network_id = network.id
        db.session.commit()
        db.session.remove()
    return network_id, people


def alice_posts(hosts, network_id: int, body: str) -> None:
    from app.networks.service import create_post
    from models import Network, User, db

    with hosts.app.app_context():
        create_post(db.session, db.session.get(Network, network_id),
                    db.session.get(User, hosts.a.user_ids["alice"]), body)
        db.session.commit()
        db.session.remove()


def daily_runs(hosts) -> int:
    return databases.count(hosts.db_file,
                           "SELECT coalesce(max(runs), 0) FROM job_lease WHERE name = 'digest_daily'")


def make_due(hosts) -> None:
    from app.jobs import make_due as due_now
    from models import db

    with hosts.app.app_context():
        due_now(db.session, "digest_daily")
        db.session.remove()


def digests(hosts, addresses) -> dict[str, list[str]]:
    """Outbox rows of daily digests: Message-IDs by address, for these addresses."""
    found: dict[str, list[str]] = {}
    for address, message_id in databases.rows(
            hosts.db_file, "SELECT to_address, message_id FROM outbox "
                           "WHERE kind = 'digest_daily' ORDER BY id"):
        if address in addresses:
            found.setdefault(address, []).append(message_id)
    return found


def all_sent(hosts) -> bool:
    return databases.count(hosts.db_file, "SELECT count(*) FROM outbox "
                                          "WHERE status IN ('queued', 'sending')") == 0


def each_received_once(hosts, addresses: list[str]) -> None:
    """Every address has its digest, exactly one, and every digest queued for them arrived
    exactly once (by Message-ID)."""
    smtp = hosts.smtp
    wait_for(lambda: all(smtp.to(address) for address in addresses) and all_sent(hosts), 120,
             "every member's digest to reach the SMTP server")
    queued = digests(hosts, set(addresses))
    assert {address: len(ids) for address, ids in queued.items()} == {a: 1 for a in addresses}
    received = {address: [m["Message-ID"] for m in smtp.to(address)] for address in addresses}
    assert received == queued  # one mail each, the one queued: none lost, none doubled
    arrived = smtp.message_ids()
    assert all(arrived[ids[0]] == 1 for ids in queued.values()), arrived


def test_the_daily_digest_is_sent_once_although_both_hosts_run_the_scheduler(hosts):
    network_id, people = members_of_a_new_network(hosts, "quotidien", 6)
    alice_posts(hosts, network_id, "Atelier de tannage samedi, venez nombreux.")
    first = daily_runs(hosts)
    for _ in range(3):  # due three times: each time both hosts' loops ask for it
        before = daily_runs(hosts)
        make_due(hosts)
        wait_for(lambda b=before: daily_runs(hosts) == b + 1, 60, "a host to run the daily digest")
    each_received_once(hosts, [address for _, address in people])
    assert daily_runs(hosts) == first + 3  # taken once each time it was due, by one host


def locked_row(db_file: Path, user_id: int):
    """A transaction of the test holding this account's row FOR UPDATE: whoever inserts a row
    referring to it (a digest_run, by its foreign key) waits until `release()` is called."""
    engine = create_engine(databases.database_url(db_file))
    connection = engine.connect()
    connection.execute(text('SELECT id FROM "user" WHERE id = :id FOR UPDATE'), {"id": user_id})

    def release():
        connection.rollback()
        connection.close()
        engine.dispose()
    return release


def inserting_a_digest_on_hold(db_file: Path, application: str) -> bool:
    """A session of this host waits for a lock while it writes a digest_run row."""
    return databases.count(db_file, "SELECT count(*) FROM pg_stat_activity "
                                    "WHERE application_name = :name AND wait_event_type = 'Lock' "
                                    "AND query ILIKE 'INSERT INTO digest_run%' "
                                    "AND datname = current_database()",
                           {"name": application}) > 0


def digest_holder(hosts) -> str:
    rows = databases.rows(hosts.db_file, "SELECT owner FROM job_lease WHERE name = 'digest_daily'")
    return rows[0][0] if rows else ""


def sessions(db_file: Path, application: str) -> Counter:
    """The states of a host's database sessions (PGAPPNAME), e.g. {"idle": 3}."""
    return Counter(state for (state,) in databases.rows(
        db_file, "SELECT state FROM pg_stat_activity WHERE application_name = ? "
                 "AND datname = current_database()", application))


@contextlib.contextmanager
def paused(server):
    """The server's processes stopped (SIGSTOP), as a machine frozen for a while, at a moment
    it holds no transaction open (else resumed and stopped again: frozen inside one, it would
    hold the rows it wrote, the sender's lease say, from the other host); resumed on leaving,
    whatever happened."""
    application = f"maillage-{server.name}"
    for _ in range(200):
        os.killpg(server.process.pid, signal.SIGSTOP)
        wait_for(lambda: sessions(server.db_file, application)["active"] == 0, 30,
                 "the paused host's last query to end")
        states = sessions(server.db_file, application)
        if not any(state.startswith("idle in transaction") for state in states):
            break
        os.killpg(server.process.pid, signal.SIGCONT)
    else:
        raise AssertionError(f"{application} never paused outside a transaction")
    try:
        yield
    finally:
        os.killpg(server.process.pid, signal.SIGCONT)


def test_killing_host_a_while_it_builds_the_digest_loses_no_mail_and_doubles_none(hosts):
    """B is paused while the job becomes due, so that A takes it; a transaction of the test
    holds one member's row, so that A's run stops inside: its first batches committed (their
    digest_run rows and mails), the one of that member waiting. A is killed there, B resumes,
    the row is let go: once A's lease has expired B takes the job, does the rest, and sends
    A's committed mails with its own."""
    network_id, people = members_of_a_new_network(hosts, "reprise", 3 * BATCH)
    alice_posts(hosts, network_id, "Compte rendu de l'assemblée, à lire avant jeudi.")
    addresses = [address for _, address in people]
    release = locked_row(hosts.db_file, people[BATCH][0])  # the first member of the 2nd batch
    try:
        with paused(hosts.b):
            runs = daily_runs(hosts)
            make_due(hosts)
            wait_for(lambda: inserting_a_digest_on_hold(hosts.db_file, "maillage-a"), 60,
                     "host A to reach the member whose row is held")
            holder_pid = int(digest_holder(hosts).split(":")[1])
            assert holder_pid in netns.children(hosts.a.process.pid)  # A's worker has the job
            committed = len(digests(hosts, set(addresses)))
            assert 0 < committed < len(addresses)  # mid-digest, for real
            hosts.a.kill()
    finally:
        release()
    wait_for(lambda: daily_runs(hosts) == runs + 1, 120, "host B to finish the daily digest")
    assert digest_holder(hosts) == ""
    each_received_once(hosts, addresses)


def test_killing_host_a_while_it_sends_the_digest_loses_no_mail_and_doubles_none(hosts):
    """A (started again) builds the digests and sends them while B is paused; the SMTP server
    holds A's connection at its third digest (MAIL FROM not answered) and A is killed there:
    two sent and marked, the rest claimed by a dead sender. B resumes: once the sender's and
    the messages' leases have expired it sends the rest, the held one included, once."""
    if hosts.a.process.poll() is not None:
        hosts.a.start()
    network_id, people = members_of_a_new_network(hosts, "envoi", 2 * BATCH)
    alice_posts(hosts, network_id, "Nouveaux horaires de la ressourcerie.")
    addresses = [address for _, address in people]
    smtp = hosts.smtp
    try:
        with paused(hosts.b):
            smtp.held.clear()
            smtp.release.clear()
            smtp.hold_peer, smtp.hold_after = hosts.a.address, len(smtp.messages) + 2
            make_due(hosts)
            wait_for(smtp.held.is_set, 60, "host A's third digest to reach the SMTP server")
            assert sum(len(smtp.to(address)) for address in addresses) == 2
            hosts.a.kill()
    finally:
        smtp.hold_after = smtp.hold_peer = None
        smtp.release.set()
    each_received_once(hosts, addresses)
