"""Chat against the real server (gunicorn with its gevent worker, as `make run` starts it) on a
real port, with python-socketio clients over WebSocket: delivery after a cut connection, one row
per client_id, every acked message kept across a server crash, and the access rules."""
from __future__ import annotations

import re
import threading
import time

import pytest
import requests
import socketio

from tests.helpers import databases
from tests.helpers.apps import csrf_from
from tests.helpers.chat_server import (
    Member,
    senders_and_a_rejoining_reader,
    server_over_a_network,
    session_cookie,
)


@pytest.fixture(scope="module")
def chat_server(template_db, tmp_path_factory):
    """Alice (animator) and Bruno (member) in a private network, Octave outside it."""
    with server_over_a_network(template_db, tmp_path_factory, "chat-live", {
            "MAILLAGE_CHAT_RATE_LIMIT": "100000 per 10 seconds",
            "MAILLAGE_LOGIN_RATE_LIMIT": "1000 per minute",
            # The slow reader reads nothing while a thousand messages are sent: on a loaded
            # machine that outlasted Engine.IO's heartbeat (25 + 20 s) and the server dropped it.
            # No test here relies on the heartbeat (a cut or a crash closes the connection).
            "MAILLAGE_SOCKETIO_PING_INTERVAL": "600"}) as server:
        yield server


def rows(server, sql: str, *args):
    return databases.rows(server.db_file, sql, *args)


def test_a_cut_client_gets_the_100_messages_it_missed_in_order_once(chat_server):
    alice = Member(chat_server, "alice@example.org").connect()
    bruno = Member(chat_server, "bruno@example.org", reconnection_delay=3).connect()
    try:
        assert bruno.wait_for(lambda r: bruno.joins == 1)
        first = alice.send("avant la coupure", "cut-0")["id"]
        assert bruno.wait_for(lambda r: first in r)
        bruno.cut()
        time.sleep(0.3)  # the server sees the socket go
        sent = [alice.send(f"message {i} pendant la coupure", f"cut-{i}")["id"]
                for i in range(1, 101)]
        assert bruno.wait_for(lambda r: bruno.joins == 2 and set(sent) <= set(r), timeout=30)
        # What a client holds, in the room's order (docs/realtime.md: a message committed
        # during the join can come both live and in `missed`; clients place them by seq).
        held = bruno.in_room_order()
        assert held[held.index(first) + 1:] == sent  # all 100, in order, none twice
    finally:
        alice.close()
        bruno.close()


def test_a_resend_with_the_same_client_id_stores_one_row(chat_server):
    alice = Member(chat_server, "alice@example.org").connect()
    try:
        acks = [alice.send("renvoyé trois fois", "same-client-id") for _ in range(3)]
        assert len({a["id"] for a in acks}) == 1 and [a["ok"] for a in acks] == [True] * 3
        assert rows(chat_server, "SELECT count(*) FROM message WHERE client_id = ?",
                    "same-client-id") == [(1,)]
    finally:
        alice.close()


def test_every_acked_message_survives_a_server_crash_and_is_delivered(chat_server):
    alice = Member(chat_server, "alice@example.org").connect()
    bruno = Member(chat_server, "bruno@example.org").connect()
    acked: dict[str, int] = {}
    outbox = [(f"burst {i}", f"crash-{i}") for i in range(200)]
    stop = time.monotonic() + 60

    def sender():
        # The outbox a client keeps: a message leaves it only once acked; unacked ones are
        # sent again, with the same client_id, when the connection is back.
        while outbox and time.monotonic() < stop:
            body, client_id = outbox[0]
            try:
                reply = alice.send(body, client_id, timeout=2)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                    socketio.exceptions.DisconnectedError):
                time.sleep(0.1)
                continue
            assert reply["ok"], reply
            acked[client_id] = reply["id"]
            outbox.pop(0)

    try:
        assert bruno.wait_for(lambda r: bruno.joins == 1)
        thread = threading.Thread(target=sender)
        thread.start()
        while len(acked) < 60:
            time.sleep(0.01)
        chat_server.kill()
        killed_at = len(acked)
        chat_server.start()
        thread.join(90)
        assert not outbox and len(acked) == 200
        assert killed_at < 200  # the crash did fall in the middle of the burst
        stored = dict(rows(chat_server, "SELECT client_id, id FROM message "
                                        "WHERE client_id LIKE 'crash-%'"))
        assert stored == acked  # every acked message is in the database, once
        assert bruno.wait_for(lambda r: set(acked.values()) <= set(r), timeout=30)
        assert bruno.joins >= 2
        delivered = [i for i in bruno.in_room_order() if i in set(acked.values())]
        assert delivered == sorted(acked.values())  # one writer at a time here: ids in order too
    finally:
        alice.close()
        bruno.close()


def test_strangers_and_anonymous_sockets_are_kept_out(chat_server):
    anonymous = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        anonymous.connect(chat_server.url, namespaces=["/chat"], transports=["websocket"],
                          wait_timeout=5)
    octave = Member(chat_server, "octave@example.org").connect()
    alice = Member(chat_server, "alice@example.org").connect()
    try:
        room = chat_server.room_id
        assert octave.wait_for(lambda r: octave.refused == ["not_found"], timeout=5)
        assert octave.sio.call("join", {"room": room, "last_id": 0}, namespace="/chat",
                               timeout=5)["error"]["code"] == "not_found"
        reply = octave.send("je m'invite", "intrus-1")
        assert reply["ok"] is False and reply["error"]["code"] == "not_found"
        mid = alice.send("réservé aux membres", "members-only")["id"]
        time.sleep(0.3)
        assert mid not in octave.received
        assert octave.sio.call("edit", {"id": mid, "body": "x"}, namespace="/chat",
                               timeout=5)["error"]["code"] == "forbidden"
        assert rows(chat_server, "SELECT count(*) FROM message WHERE client_id = 'intrus-1'") == [(0,)]
        http = requests.Session()
        http.headers["Cookie"] = octave.cookie
        assert http.get(f"{chat_server.url}/api/v1/rooms/{room}/messages", timeout=5).status_code == 404
    finally:
        octave.close()
        alice.close()


def test_a_banned_member_stops_receiving_at_once(chat_server):
    """Run last in this module: Bruno is banned for good."""
    alice = Member(chat_server, "alice@example.org").connect()
    bruno = Member(chat_server, "bruno@example.org").connect()
    removed = threading.Event()
    bruno.sio.on("error", lambda e: e.get("event") == "removed" and removed.set(), namespace="/chat")
    try:
        assert bruno.wait_for(lambda r: bruno.joins == 1)
        http = requests.Session()
        http.headers["Cookie"] = alice.cookie
        members = http.get(f"{chat_server.url}/networks/1/members", timeout=5).text
        page = re.search(r'href="(/moderation/profile/\d+\?network=1)">[^<]*Bruno', members)
        form = http.get(chat_server.url + page.group(1).replace("&amp;", "&"), timeout=5).text
        response = http.post(
            chat_server.url + page.group(1),
            data={"csrf_token": csrf_from(form), "action": "ban", "minutes": "1440",
                  "reason": "Insultes répétées"}, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        assert removed.wait(5)
        mid = alice.send("après le bannissement", "after-ban")["id"]
        time.sleep(0.3)
        assert mid not in bruno.received
        reply = bruno.send("je suis encore là ?", "banned-1")
        assert reply["ok"] is False and reply["error"]["code"] == "not_found"
        bruno_http = requests.Session()
        bruno_http.headers["Cookie"] = bruno.cookie
        assert bruno_http.get(f"{chat_server.url}/networks/1", timeout=5).status_code == 404
    finally:
        alice.close()
        bruno.close()


def test_concurrent_senders_on_one_gevent_worker_all_get_their_acks(chat_server):
    """Several sockets writing at once on SQLite: a greenlet must never yield while holding the
    write lock (the others would block the worker in sqlite3's busy handler: acks would stop
    and gunicorn would kill the worker)."""
    senders = [Member(chat_server, "alice@example.org").connect() for _ in range(4)]
    replies: list[dict] = []

    def burst(member, k):
        for i in range(25):
            replies.append(member.send(f"rafale {k}-{i}", f"conc-{k}-{i}", timeout=10))
    threads = [threading.Thread(target=burst, args=(m, k)) for k, m in enumerate(senders)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(replies) == 100 and all(r["ok"] for r in replies)
        assert rows(chat_server, "SELECT count(*) FROM message WHERE client_id LIKE 'conc-%'") == [(100,)]
    finally:
        for m in senders:
            m.close()


def test_a_reader_that_keeps_rejoining_misses_nothing_while_four_sockets_send(chat_server):
    senders_and_a_rejoining_reader([chat_server], chat_server.room_id, chat_server.db_file)


def test_a_slow_reader_gets_every_long_message_in_whole_frames(chat_server):
    """A reader with a tiny receive buffer stops reading while a thousand long messages are
    sent to its room, then reads again: every frame is whole, every message arrives. (With one
    plain `send` per frame, the kernel took part of a frame once the buffer was full and the
    rest was never written: the stream broke.)"""
    import json
    import socket as pysocket

    import websocket

    alice = Member(chat_server, "alice@example.org").connect()
    url = chat_server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    reader = websocket.create_connection(
        url, header=[f"Cookie: {session_cookie(chat_server, 'alice@example.org')}"], timeout=20,
        sockopt=[(pysocket.SOL_SOCKET, pysocket.SO_RCVBUF, 4096)])
    body = "Une ligne assez longue pour remplir vite les tampons. " * 70  # 3,850 characters
    count = 1000  # about 8 MB: well past what the kernel buffers for a reader that pauses
    try:
        opened = json.loads(reader.recv()[1:])  # Engine.IO open
        assert opened["pingInterval"] == 600_000  # MAILLAGE_SOCKETIO_PING_INTERVAL reached it
        reader.send("40/chat,")
        assert reader.recv().startswith("40/chat,")
        reader.send("42/chat,1" + json.dumps(["join", {"room": chat_server.room_id}]))
        while not reader.recv().startswith("43/chat,1"):
            pass
        # The reader reads nothing while the messages are sent and acked.
        for i in range(count):
            assert alice.send(f"{i} {body}", f"slow-{i}", timeout=20)["ok"]
        seen: dict[int, str] = {}
        while len(seen) < count:
            frame = reader.recv()  # a broken stream raises here, or closes the connection
            if frame == "2":
                reader.send("3")  # Engine.IO ping
                continue
            if frame.startswith("42/chat,"):
                name, message = json.loads(frame[len("42/chat,"):])
                if name == "message" and message["client_id"].startswith("slow-"):
                    number, text = message["body"].split(" ", 1)
                    seen[int(number)] = text
        assert sorted(seen) == list(range(count)) and set(seen.values()) == {body.strip()}
    finally:
        reader.close()
        alice.close()


def _fill_room(server, count: int) -> None:
    """`count` more messages in the room, written straight into the database."""
    from sqlalchemy import create_engine, text
    engine = create_engine(databases.database_url(server.db_file))
    try:
        with engine.begin() as connection:
            last = connection.execute(text("SELECT last_seq FROM room WHERE id = :r"),
                                      {"r": server.room_id}).scalar()
            connection.execute(text(
                "INSERT INTO message (room_id, seq, author_id, client_id, body, body_html, "
                "created_at, hidden_reason) VALUES (:r, :seq, :a, :c, :b, :h, :t, '')"), [
                {"r": server.room_id, "seq": last + n, "a": server.user_ids["alice"],
                 "c": f"fill-{last + n}", "b": f"Message {n}", "h": f"<p>Message {n}</p>",
                 "t": "2026-12-01 10:00:00+00:00"} for n in range(1, count + 1)])
            connection.execute(text("UPDATE room SET last_seq = :s WHERE id = :r"),
                               {"s": last + count, "r": server.room_id})
    finally:
        engine.dispose()


def test_a_member_flooding_joins_is_refused_and_others_are_still_answered(chat_server):
    """Three hundred joins pipelined from one socket, each asking for the whole room: the
    event limit and the replay budget (priced in messages) refuse most of them, cheaply; a
    member's send and /healthz are still answered meanwhile; nothing is logged as a failure.
    (bench/join_flood.py measures the delays.)"""
    _fill_room(chat_server, 1000)  # each allowed join replays a full page
    log = chat_server.workdir / "server.log"
    log_before = log.read_text()
    flooder = Member(chat_server, "alice@example.org").connect()
    writer = Member(chat_server, "alice@example.org").connect()
    answers: list[dict] = []
    try:
        assert flooder.wait_for(lambda r: flooder.joins == 1) and writer.wait_for(lambda r: writer.joins == 1)
        for _ in range(300):
            flooder.sio.emit("join", {"room": chat_server.room_id, "last_seq": 0}, namespace="/chat",
                             callback=answers.append)
        reply = writer.send("Toujours là", "flood-writer", timeout=20)
        assert reply["ok"], reply
        assert requests.get(chat_server.url + "/healthz", timeout=20).status_code == 200
        assert flooder.wait_for(lambda r: len(answers) == 300, timeout=60)
        refused = [a["error"]["code"] for a in answers if not a["ok"]]
        assert len(refused) >= 200 and set(refused) <= {"busy", "rate_limited"}
        assert all(len(a["missed"]) <= 100 for a in answers if a["ok"])
    finally:
        flooder.close()
        writer.close()
    new_lines = log.read_text()[len(log_before):]
    assert "Traceback" not in new_lines and "chat event failed" not in new_lines


@pytest.mark.parametrize("event, payload", [
    ("join", {"room": 10**300}), ("join", {"room": 1, "last_seq": 10**300}),
    ("missed", {"room": 1, "last_seq": -10**300}),
    ("send", {"room": 10**300, "body": "x", "client_id": "big"}),
    ("edit", {"id": 10**300, "body": "x"}), ("delete", {"id": -10**300}),
    ("leave", {"room": 10**300}), ("moderate", {"action": "hide", "kind": "message",
                                                 "target": 10**300, "reason": "x"}),
])
def test_integers_of_hundreds_of_digits_are_answered(chat_server, event, payload):
    """A hand-written client may send any JSON number: every event is still answered."""
    import json
    _answered(chat_server, "42/chat,7" + json.dumps([event, payload]))


@pytest.mark.parametrize("event", ["send", "join", "moderate", "missed"])
def test_data_nested_too_deeply_is_answered(chat_server, event):
    """Ten thousand `[` (the decoder's recursion limit): answered `invalid`, no traceback."""
    log = chat_server.workdir / "server.log"
    before = log.read_text()
    reply = _answered(chat_server, f'42/chat,7["{event}",' + "[" * 10_000 + "]" * 10_000 + "]")
    assert reply["ok"] is False and reply["error"]["code"] in ("invalid", "busy")
    assert "Traceback" not in log.read_text()[len(before):]


def _answered(chat_server, packet: str) -> dict:
    """Send one raw Socket.IO event packet (ack id 7) as Alice; her answer."""
    import json

    import websocket
    url = chat_server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(
        url, header=[f"Cookie: {session_cookie(chat_server, 'alice@example.org')}"], timeout=20)
    try:
        assert ws.recv().startswith("0{")
        ws.send("40/chat,")
        assert ws.recv().startswith("40/chat,")
        ws.send(packet)
        frame = ws.recv()
        while not frame.startswith("43/chat,7"):
            frame = ws.recv()
        reply = json.loads(frame[len("43/chat,7"):])[0]
        assert reply["ok"] in (True, False)
        if not reply["ok"]:
            # A refusal of any kind is an answer (the module's flood test may have spent
            # Alice's replay budget).
            assert reply["error"]["code"] in ("invalid", "not_found", "forbidden", "rate_limited",
                                              "busy") and reply["error"]["message"]
        return reply
    finally:
        ws.close()
