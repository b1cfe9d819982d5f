"""Issue 20, security hardening: logging out ends the session (cookies copied before and sockets
included), "log out everywhere" and the devices page; safe redirects for every `next`; JSON
bodies with limits; no account enumeration at login (counted hashes) and sign-up; moderation
probes outside one's scope all answered alike; Cache-Control, security headers, Secure cookies
and HSTS. Real app, real database (SQLite or PostgreSQL), real Socket.IO test clients; the live
server's sockets are in tests/test_server_sessions.py."""
from __future__ import annotations

import json
import re
import statistics
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from app.auth.sessions import device_label
from models import LoginSession, Membership, Message, Post, User, db
from models.types import utcnow
from models.user import HASHES, dummy_password_hash
from tests.helpers.apps import TEST_PASSWORD, AuthActions, base_config, csrf_from
from tests.helpers.chat import IsolatedSocket
from tests.helpers.hostile import hostile_next_values, malformed_json_bodies
from tests.helpers.worlds import kept_worlds


@pytest.fixture
def app_config(db_path):
    # Hundreds of logins and sign-ups from one address: the rate limits are tested elsewhere.
    # (Not RATELIMIT_ENABLED=False: the limiter is process-wide and would stay off for the
    # apps of the next tests.)
    many = "100000 per minute"
    return {**base_config(db_path), "LOGIN_RATE_LIMIT": many, "LOGIN_ACCOUNT_RATE_LIMIT": many,
            "REGISTER_RATE_LIMIT": many}


def logged_in_client(app, email: str, *, remember: bool = False, user_agent: str | None = None):
    client = app.test_client()
    headers = {"User-Agent": user_agent} if user_agent else {}
    page = client.get("/auth/login", headers=headers).get_data(as_text=True)
    response = client.post("/auth/login", headers=headers, data={
        "email": email, "password": TEST_PASSWORD, "csrf_token": csrf_from(page),
        **({"remember": "y"} if remember else {})})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def copy_of(app, client, *names: str):
    """Another browser holding copies of these cookies of `client` (stolen, or synced)."""
    other = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        other.set_cookie(name, cookie.value)
    return other


def csrf(client, url: str = "/") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def is_logged_in(client) -> bool:
    response = client.get("/people/me/edit")
    assert response.status_code in (200, 302)
    return response.status_code == 200 and "/auth/login" not in response.headers.get("Location", "")


# -- 1. logging out ends the session -----------------------------------------------------------

def test_a_session_cookie_copied_before_logout_gets_the_login_page_after_it(app, make_user):
    make_user("ana@example.org")
    client = logged_in_client(app, "ana@example.org")
    thief = copy_of(app, client, "session")
    assert is_logged_in(thief)
    AuthActions(client).logout()
    response = thief.get("/people/me/edit")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert thief.get("/auth/login").status_code == 200  # the login form, not a redirect home


def test_a_remember_cookie_copied_before_logout_stops_working(app, make_user):
    make_user("ana@example.org")
    client = logged_in_client(app, "ana@example.org", remember=True)
    thief = copy_of(app, client, "remember_token")  # the one-year cookie alone
    assert is_logged_in(thief)
    AuthActions(client).logout()
    response = thief.get("/people/me/edit")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_logging_out_one_device_leaves_the_others_logged_in(app, make_user):
    make_user("ana@example.org")
    laptop = logged_in_client(app, "ana@example.org")
    phone = logged_in_client(app, "ana@example.org")
    laptop_socket, phone_socket = IsolatedSocket(app, laptop), IsolatedSocket(app, phone)
    assert laptop_socket.is_connected("/chat") and phone_socket.is_connected("/chat")
    AuthActions(laptop).logout()
    assert not is_logged_in(laptop) and not laptop_socket.is_connected("/chat")
    assert is_logged_in(phone) and phone_socket.is_connected("/chat")


def test_log_out_everywhere_ends_every_session_and_socket(app, make_user):
    ana = make_user("ana@example.org")
    laptop = logged_in_client(app, "ana@example.org", remember=True)
    phone = logged_in_client(app, "ana@example.org", remember=True)
    phone_copy = copy_of(app, phone, "session", "remember_token")
    phone_socket = IsolatedSocket(app, phone)
    assert phone_socket.is_connected("/chat")
    response = laptop.post("/auth/sessions/end-all", data={"csrf_token": csrf(laptop, "/auth/sessions")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert not phone_socket.is_connected("/chat")
    for browser in (laptop, phone, phone_copy):
        assert not is_logged_in(browser)
    assert db.session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == ana.id, LoginSession.revoked_at.is_(None))) == 0
    # A socket opened with a cookie of before cannot connect either.
    assert not IsolatedSocket(app, phone_copy).is_connected("/chat")


def test_the_devices_page_lists_sessions_and_ends_one(app, make_user):
    make_user("ana@example.org")
    android = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/126.0.0.0 Mobile Safari/537.36")
    windows = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 "
               "Firefox/127.0")
    phone = logged_in_client(app, "ana@example.org", user_agent=android)
    laptop = logged_in_client(app, "ana@example.org", user_agent=windows)
    phone_socket = IsolatedSocket(app, phone)
    page = laptop.get("/auth/sessions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Chrome sur Android" in html and "Firefox sur Windows" in html
    assert "cet appareil" in html and "vu pour la dernière fois" in html
    phone_id = db.session.scalar(select(LoginSession.id).where(
        LoginSession.user_agent == android))
    response = laptop.post(f"/auth/sessions/{phone_id}/end",
                           data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    assert not is_logged_in(phone) and not phone_socket.is_connected("/chat")
    assert is_logged_in(laptop)
    assert "Chrome sur Android" not in laptop.get("/auth/sessions").get_data(as_text=True)
    # Somebody else's session, or an ended one: not found; without a token: refused.
    assert laptop.post(f"/auth/sessions/{phone_id}/end",
                       data={"csrf_token": csrf_from(html)}).status_code == 404
    assert laptop.post("/auth/sessions/end-all").status_code == 400
    assert is_logged_in(laptop)


def test_last_seen_is_written_at_most_every_few_minutes(app, make_user):
    ana = make_user("ana@example.org")
    client = logged_in_client(app, "ana@example.org")
    login = db.session.scalar(select(LoginSession).where(LoginSession.user_id == ana.id))
    long_ago = utcnow().replace(year=2020)
    login.last_seen_at = long_ago
    db.session.commit()
    client.get("/people/me/edit")
    db.session.refresh(login)
    first = login.last_seen_at
    assert first > long_ago  # stale: written
    client.get("/people/me/edit")
    db.session.refresh(login)
    assert login.last_seen_at == first  # fresh: not written again on every request


def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(app, make_user):
    ana = make_user("ana@example.org")
    client = logged_in_client(app, "ana@example.org", remember=True)
    other = logged_in_client(app, "ana@example.org")
    response = client.post("/auth/password", data={
        "current_password": TEST_PASSWORD, "new_password": "a new long secret",
        "confirm": "a new long secret", "csrf_token": csrf(client, "/auth/password")})
    assert response.status_code == 302
    assert is_logged_in(client) and not is_logged_in(other)
    assert db.session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == ana.id, LoginSession.revoked_at.is_(None))) == 1


@pytest.mark.parametrize("agent,label", [
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari sur iPhone"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Edge sur Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Safari/605.1.15", "Safari sur macOS"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox sur Linux"),
    ("python-requests/2.34", "Appareil inconnu"),
    ("", "Appareil inconnu"),
])
def test_device_labels(app, agent, label):
    with app.test_request_context():
        assert device_label(agent) == label


# -- 2. one safe redirect for every `next` ----------------------------------------------------

def _location_is_safe(response, default: str) -> bool:
    location = response.headers.get("Location", "")
    if location == default:
        return True
    return location.startswith("/") and not location.startswith("//") and "\\" not in location \
        and location.isascii() and all(32 < ord(ch) < 127 for ch in location)


def _raw(value: str) -> str:
    """The value percent-encoded as a browser would send it (a lone surrogate as its bytes)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def test_the_audit_examples_are_no_longer_500(app, make_user):
    make_user("ana@example.org")
    client = app.test_client()
    token = csrf(client, "/auth/login")
    r = client.post("/auth/login?next=/%0d%0aSet-Cookie:x=1", data={
        "email": "ana@example.org", "password": TEST_PASSWORD, "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert not any("x=1" in c for c in r.headers.getlist("Set-Cookie"))
    r = client.post("/lang?next=/%0aX", data={"lang": "fr", "csrf_token": csrf(client)})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    r = client.post("/auth/login?next=/people/%3Fpage%3D2", data={
        "email": "ana@example.org", "password": TEST_PASSWORD, "csrf_token": token})
    assert r.headers["Location"] in ("/", "/people/?page=2")


def test_500_hostile_next_values_on_every_route_reading_next(app, make_user, make_network):
    ana = make_user("ana@example.org")
    bob = make_user("bob@example.org")
    network = make_network(ana, "Réseau ouvert")
    post_id = db.session.scalar(select(Post.id).where(Post.network_id == network.id))
    values = hostile_next_values(500)
    assert len(set(values)) == 500
    anonymous = app.test_client()
    anon_token = csrf(anonymous, "/auth/login")
    client = logged_in_client(app, "ana@example.org")
    token = csrf(client)
    routes = [
        # (client, method, path with the query string, form body)
        (client, "GET", "/auth/login?next={v}", None),  # logged in: straight to `next`
        (anonymous, "POST", "/lang?next={v}", f"lang=fr&csrf_token={anon_token}"),
        (client, "POST", "/lang", f"lang=fr&csrf_token={token}&next={{v}}"),
        (client, "POST", f"/blocks/{bob.id}/remove", f"csrf_token={token}&next={{v}}"),
        (client, "GET", "/moderation/report/network/%d?next={v}" % network.id, None),
    ]
    if post_id:
        routes.append((client, "GET", f"/moderation/report/post/{post_id}?next={{v}}", None))
    failures = []
    for value in values:
        raw = _raw(value)
        for who, method, path, body in routes:
            kwargs = {}
            if body is not None:
                kwargs = {"data": body.replace("{v}", raw),
                          "content_type": "application/x-www-form-urlencoded"}
            response = who.open(path.replace("{v}", raw), method=method, **kwargs)
            if response.status_code >= 500 or (
                    response.status_code in (301, 302, 303) and not _location_is_safe(response, "/")):
                failures.append((method, path, value, response.status_code,
                                 response.headers.get("Location")))
        db.session.rollback()
    # Logging in with each value (30 of them: a login is a password check and a new session).
    for value in values[:: len(values) // 30]:
        response = anonymous.post("/auth/login?next=" + _raw(value), data={
            "email": "ana@example.org", "password": TEST_PASSWORD, "csrf_token": anon_token})
        if response.status_code != 302 or not _location_is_safe(response, "/"):
            failures.append(("POST", "/auth/login", value, response.status_code,
                             response.headers.get("Location")))
        anonymous.post("/auth/logout", data={"csrf_token": anon_token})
    assert failures == []


def test_good_local_targets_are_kept(app, make_user):
    make_user("ana@example.org")
    client = logged_in_client(app, "ana@example.org")
    for target, expected in [("/people/", "/people/"), ("/networks/?q=bois", "/networks/?q=bois"),
                             ("/search?q=été", "/search?q=%C3%A9t%C3%A9"),
                             ("/a b", "/a%20b")]:
        response = client.get("/auth/login?next=" + quote(target, safe=""))
        assert response.headers["Location"] == expected


# -- 3. JSON bodies ----------------------------------------------------------------------------

@pytest.fixture
def moderation_world(app, make_user, make_network):
    """Bea animates network B (Carl a member, with a post); Dora is a plain member."""
    class W:
        pass
    w = W()
    # One transaction, one commit (each commit writes the search index).
    w.bea = make_user("bea@example.org", display_name="Bea B", commit=False)
    w.carl = make_user("carl@example.org", display_name="Carl C", commit=False)
    w.dora = make_user("dora@example.org", display_name="Dora D", commit=False)
    w.b = make_network(w.bea, "Réseau B", commit=False)
    db.session.add(Membership(network_id=w.b.id, user_id=w.carl.id, status="active",
                              accepted_charter_version=w.b.charter_version, joined_at=utcnow()))
    db.session.flush()
    from app.networks.service import create_post
    w.post = create_post(db.session, w.b, w.carl, "Bonjour")
    db.session.commit()
    return w


STRUCTURAL = ("not_json", "too_large", "encoding", "syntax", "too_deep", "not_object",
              "wrong_type")


def test_the_audit_example_nested_json_is_a_400_even_anonymously(app):
    client = app.test_client()
    response = client.post("/api/v1/moderation/actions", data=b"[" * 1000,
                           content_type="application/json",
                           headers={"X-CSRFToken": csrf(client)})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "malformed_json" and error["reason"] == "too_deep"
    assert error["message"] == "Ce corps JSON est trop profondément imbriqué."
    english = client.post("/api/v1/moderation/actions", data=b"{", content_type="application/json",
                          headers={"X-CSRFToken": csrf(client), "Accept-Language": "en"})
    assert english.status_code == 400


def test_200_malformed_json_bodies_are_400s_never_500s(app, moderation_world):
    bodies = malformed_json_bodies(200)
    assert len(bodies) == 200
    clients = {"anonymous": app.test_client(), "member": logged_in_client(app, "dora@example.org"),
               "animator": logged_in_client(app, "bea@example.org")}
    tokens = {name: csrf(c) for name, c in clients.items()}
    before = db.session.scalar(select(func.count()).select_from(Post).where(
        Post.hidden_at.is_not(None)))
    failures = []
    for body, content_type in bodies:
        for name, client in clients.items():
            response = client.post("/api/v1/moderation/actions", data=body,
                                   content_type=content_type,
                                   headers={"X-CSRFToken": tokens[name]})
            reply = response.get_json(silent=True)
            if response.status_code >= 500 or reply is None:
                failures.append((body[:80], content_type, name, response.status_code))
            elif response.status_code == 400:
                error = reply["error"]
                if error["code"] != "malformed_json" or error["reason"] not in STRUCTURAL \
                        or not error["message"]:
                    failures.append((body[:80], name, error))
            elif response.status_code not in (401, 403, 404, 422):
                failures.append((body[:80], name, response.status_code))
        # Form routes given JSON: a form error or a refusal, never a 500.
        for path in ("/auth/login", "/lang", "/auth/register"):
            response = clients["anonymous"].post(path, data=body, content_type=content_type)
            if response.status_code >= 500:
                failures.append((path, body[:80], response.status_code))
    assert failures == []
    assert db.session.scalar(select(func.count()).select_from(Post).where(
        Post.hidden_at.is_not(None))) == before


def test_every_structural_family_is_named(app, moderation_world):
    client = logged_in_client(app, "bea@example.org")
    token = csrf(client)
    cases = {
        "too_deep": (b"[" * 50 + b"]" * 50, "application/json"),
        "too_large": (json.dumps({"reason": "x" * 70_000}).encode(), "application/json"),
        "encoding": ('{"reason": "é"}'.encode("latin-1"), "application/json"),
        "syntax": (b'{"action": }', "application/json"),
        "not_object": (b"[1, 2]", "application/json"),
        "not_json": (b'{"action": "hide"}', "text/plain"),
        "wrong_type": (b'{"action": ["hide"], "kind": "post"}', "application/json"),
    }
    for reason, (body, content_type) in cases.items():
        response = client.post("/api/v1/moderation/actions", data=body, content_type=content_type,
                               headers={"X-CSRFToken": token})
        assert response.status_code == 400, reason
        assert response.get_json()["error"]["reason"] == reason
    # A NUL is dropped (as in forms), a lone surrogate refused: neither reaches the database.
    ok = client.post("/api/v1/moderation/actions", headers={"X-CSRFToken": token},
                     data=json.dumps({"action": "hide", "kind": "post",
                                      "target": moderation_world.post.id,
                                      "reason": "Spam\u0000 évident"}),
                     content_type="application/json")
    assert ok.status_code == 200, ok.get_json()


# -- 4. no account enumeration ----------------------------------------------------------------

def _hashes_of_one_login(client, email: str, password: str) -> int:
    token = csrf(client, "/auth/login")
    before = HASHES.count
    client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})
    return HASHES.count - before


def test_login_does_the_same_hash_work_for_known_and_unknown_addresses(app, make_user):
    from app.moderation.actions import perform
    make_user("ana@example.org")
    suspended = make_user("sam@example.org")
    admin = make_user("adam@example.org", role="admin")
    perform(db.session, admin, "suspend", "profile", suspended.profile.id, "Comptes en masse")
    db.session.commit()
    client = app.test_client()
    counts = {
        "known, wrong password": [_hashes_of_one_login(client, "ana@example.org", "wrong one!")
                                  for _ in range(30)],
        "unknown address": [_hashes_of_one_login(client, f"nobody{i}@example.org", "wrong one!")
                            for i in range(30)],
        "suspended account": [_hashes_of_one_login(client, "sam@example.org", TEST_PASSWORD)
                              for _ in range(30)],
    }
    medians = {case: statistics.median(values) for case, values in counts.items()}
    assert set(medians.values()) == {1}, medians
    assert {v for values in counts.values() for v in values} == {1}
    # The unknown address's hash is made with the configured method (and its parameters).
    assert dummy_password_hash().startswith(app.config["PASSWORD_HASH_METHOD"] + "$")


@pytest.mark.strong_passwords
def test_the_dummy_hash_follows_production_s_method(app, make_user):
    assert dummy_password_hash().startswith("scrypt:")
    make_user("ana@example.org")  # scrypt too, as in production
    client = app.test_client()
    assert _hashes_of_one_login(client, "ana@example.org", "wrong one!") == \
        _hashes_of_one_login(client, "nobody@example.org", "wrong one!") == 1


def _sign_up(app, email: str, name: str):
    client = app.test_client()
    page = client.get("/auth/register").get_data(as_text=True)
    before = HASHES.count
    response = client.post("/auth/register", data={
        "email": email, "display_name": name, "password": TEST_PASSWORD,
        "csrf_token": csrf_from(page)})
    hashes = HASHES.count - before
    with client.session_transaction() as session:
        flashes = list(session.get("_flashes", []))
    return client, response, hashes, flashes


def _cookies_in_kind(response) -> list[str]:
    """The Set-Cookie headers without their values: names and attributes."""
    return sorted(re.sub(r"^([^=]+)=[^;]*", r"\1=", c) for c in response.headers.getlist("Set-Cookie"))


def _landing_page(client, response, address: str) -> str:
    """The page the redirect leads to, less its address, its CSRF token and its clock."""
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    html = re.sub(r'<meta name="rendered-at"[^>]*>', "", html.replace(address, "ADDRESS"))
    return re.sub(r'(name="csrf-token" content=|name="csrf_token" value=)"[^"]*"', r'\1""', html)


def test_sign_up_answers_a_taken_address_like_a_new_one(app, make_user, monkeypatch):
    from app.auth import signup
    owner = make_user("taken@example.org", display_name="Owner")
    told = []
    real_notice = signup.notify_owner_of_signup_attempt
    monkeypatch.setattr(signup, "notify_owner_of_signup_attempt",
                        lambda user, allowed=True: (told.append(user.id), real_notice(user, allowed)))
    new_client, new, new_hashes, new_flashes = _sign_up(app, "fresh@example.org", "Nouvelle")
    taken_client, taken, taken_hashes, taken_flashes = _sign_up(app, "Taken@Example.org",
                                                                "Intrus")
    # What an attacker sees of the answer itself: the same status, place, cookies (by name and
    # attributes), body, messages (none) and work.
    assert (new.status_code, new.headers["Location"]) == (taken.status_code,
                                                          taken.headers["Location"]) \
        == (302, "/auth/register/sent")
    assert _cookies_in_kind(new) == _cookies_in_kind(taken) and \
        [c.split("=")[0] for c in _cookies_in_kind(new)] == ["session"]
    assert new.get_data() == taken.get_data()
    assert new_flashes == taken_flashes == []
    assert new_hashes == taken_hashes == 1
    # The page both land on is the same, but for the address they typed.
    new_page = _landing_page(new_client, new, "fresh@example.org")
    assert new_page == _landing_page(taken_client, taken, "taken@example.org")
    assert "Regardez dans votre boîte" in new_page and "utilise déjà" not in new_page
    # Nobody is logged in: the mailed link finishes a sign-up.
    assert not is_logged_in(new_client) and not is_logged_in(taken_client)
    # For the taken address nothing is created and its owner is told, by mail; the new address
    # gets the link that finishes its sign-up.
    assert told == [owner.id]
    from models import OutboxMessage, PendingSignup
    assert db.session.execute(select(OutboxMessage.to_address, OutboxMessage.kind).order_by(
        OutboxMessage.id)).all() == [("fresh@example.org", "signup_link"),
                                     ("taken@example.org", "signup_attempt")]
    assert db.session.scalars(select(PendingSignup.email)).all() == ["fresh@example.org"]
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert db.session.get(User, owner.id).display_name == "Owner"


# -- 5. the animator-probe matrix ---------------------------------------------------------------

class ProbeWorld:
    """Anne animates private network A (Carl a member); Bea animates private network B (Dora a
    member, a post and a chat message); Eve belongs to no network."""


saved_worlds, database_layer = kept_worlds("probe_world")


@pytest.fixture
def probe_world(app, make_user, make_network, saved_worlds, db_path, database_pool):
    from app.chat.rooms import network_room
    from app.chat.sending import store_message
    from app.networks.service import create_post

    w = ProbeWorld()
    if saved_worlds["probe_world"].given_to(w):
        return w
    # One transaction, one commit (each commit writes the search index).
    w.anne = make_user("anne@example.org", display_name="Anne A", commit=False)
    w.bea = make_user("bea@example.org", display_name="Bea B", commit=False)
    w.carl = make_user("carl@example.org", display_name="Carl C", commit=False)
    w.dora = make_user("dora@example.org", display_name="Dora D", commit=False)
    w.eve = make_user("eve@example.org", display_name="Eve E", commit=False)
    w.a = make_network(w.anne, "Réseau A", visibility="private", commit=False)
    w.b = make_network(w.bea, "Réseau B", visibility="private", commit=False)
    for network, user in ((w.a, w.carl), (w.b, w.dora)):
        db.session.add(Membership(network_id=network.id, user_id=user.id, status="active",
                                  accepted_charter_version=network.charter_version,
                                  joined_at=utcnow()))
    db.session.flush()
    w.post = create_post(db.session, w.b, w.dora, "Réservé au réseau B")
    w.message, _ = store_message(db.session, network_room(db.session, w.b).id, w.dora.id,
                                 "Secret de B", "probe-1")
    db.session.commit()
    saved_worlds["probe_world"].keep(db_path, database_pool, **vars(w))
    return w


def _probes(w) -> dict[str, dict[str, dict]]:
    """Outside Anne's scope, by kind of target (the kind is the prober's own words: an action
    that does not apply to a kind is "invalid" whatever the id), each naming something that
    exists or not, a member or not."""
    missing = 10**6
    return {
        "profile": {
            "member of another network": {"target": w.dora.profile.id, "network": w.b.id},
            "not a member, another network": {"target": w.eve.profile.id, "network": w.b.id},
            "member of my network, in another": {"target": w.carl.profile.id, "network": w.b.id},
            "no such network": {"target": w.dora.profile.id, "network": missing},
            "no such network, not a member": {"target": w.eve.profile.id, "network": missing},
            "no such person": {"target": missing, "network": w.b.id},
        },
        "post": {"a post of another network": {"target": w.post.id},
                 "no such post": {"target": missing}},
        "message": {"a message of another network": {"target": w.message.id},
                    "no such message": {"target": missing}},
    }


def _without_echo(html: str) -> str:
    """The page minus what differs from one request to the next whatever it asks: the URL the
    prober typed, which it echoes (the language switch's `next`), the time of rendering and the
    CSRF token (signed with the time)."""
    html = re.sub(r"next=[^\"&]*", "next=", html)
    html = re.sub(r'(name="rendered-at" content=)"[^"]*"', r"\1", html)
    return re.sub(r'(name="csrf[-_]token" (?:content|value)=)"[^"]*"', r"\1", html)


@pytest.mark.parametrize("action", ["mute", "ban", "warn", "appoint", "hide", "dismiss"])
@pytest.mark.parametrize("kind", ["profile", "post", "message"])
def test_the_animator_probe_matrix_answers_alike_outside_the_scope(app, probe_world, kind,
                                                                   action):
    w = probe_world
    client = logged_in_client(app, "anne@example.org")
    socket = IsolatedSocket(app, client)
    token = csrf(client)
    answers = {"json": {}, "socket": {}, "page": {}, "page_post": {}}
    for name, probe in _probes(w)[kind].items():
        body = {"action": action, "kind": kind, "reason": "Je sonde", "minutes": 60, **probe}
        response = client.post("/api/v1/moderation/actions", json=body,
                               headers={"X-CSRFToken": token})
        answers["json"][name] = (response.status_code, response.get_json())
        answers["socket"][name] = socket.emit("moderate", body, namespace="/chat", callback=True)
        url = f"/moderation/{kind}/{probe['target']}" + (
            f"?network={probe['network']}" if "network" in probe else "")
        page = client.get(url)
        answers["page"][name] = (page.status_code, _without_echo(page.get_data(as_text=True)))
        posted = client.post(url, data={"action": action, "reason": "Je sonde", "minutes": "60",
                                        "csrf_token": token})
        answers["page_post"][name] = (posted.status_code,
                                      _without_echo(posted.get_data(as_text=True)))
    for channel, by_probe in answers.items():
        distinct = {json.dumps(a, sort_keys=True) for a in by_probe.values()}
        assert len(distinct) == 1, (channel, by_probe)
    json_status, reply = next(iter(answers["json"].values()))
    assert (json_status, reply["error"]["code"]) in ((403, "forbidden"), (422, "invalid"))
    assert next(iter(answers["page"].values()))[0] == 403
    # Nothing was done by any probe.
    db.session.expire_all()
    assert db.session.get(Post, w.post.id).hidden_at is None
    assert db.session.get(Message, w.message.id).hidden_at is None


def test_in_her_own_network_the_animator_still_gets_precise_answers(app, probe_world):
    w = probe_world
    client = logged_in_client(app, "anne@example.org")
    token = csrf(client)

    def act(**body):
        r = client.post("/api/v1/moderation/actions", headers={"X-CSRFToken": token},
                        json={"reason": "Dans mon réseau", "minutes": 60, **body})
        return r.status_code, r.get_json()["error"]["code"] if r.status_code != 200 else "ok"
    assert act(action="mute", kind="profile", target=w.eve.profile.id,
               network=w.a.id) == (422, "not_member")
    assert act(action="warn", kind="profile", target=w.carl.profile.id, network=w.a.id) == \
        (200, "ok")
    assert client.get(f"/moderation/profile/{w.eve.profile.id}?network={w.a.id}").status_code \
        == 404


def test_organisers_still_learn_what_does_not_exist(app, probe_world, make_user):
    make_user("olga@example.org", role="organiser")
    client = logged_in_client(app, "olga@example.org")
    r = client.post("/api/v1/moderation/actions", headers={"X-CSRFToken": csrf(client)},
                    json={"action": "hide", "kind": "post", "target": 10**6, "reason": "x"})
    assert (r.status_code, r.get_json()["error"]["code"]) == (404, "not_found")
    assert client.get(f"/moderation/profile/1?network={10**6}").status_code == 404


# -- 6. headers ----------------------------------------------------------------------------------

def test_no_store_on_every_logged_in_page_and_json(app, moderation_world):
    client = logged_in_client(app, "bea@example.org")
    for url in ("/", "/people/me/edit", "/networks/", "/auth/sessions", "/moderation/",
                "/api/v1/moderation/reports", "/api/v1/profiles", "/nowhere"):
        response = client.get(url)
        assert response.headers.get("Cache-Control") == "no-store", url
    anonymous = app.test_client()
    assert anonymous.get("/").headers.get("Cache-Control") != "no-store"
    css = anonymous.get("/static/css/maillage.css")
    assert css.headers.get("Cache-Control") != "no-store"


def test_security_headers_on_every_response_socket_io_polling_included(app, make_user):
    make_user("ana@example.org")
    client = logged_in_client(app, "ana@example.org")
    responses = {
        "page": client.get("/"),
        "static": client.get("/static/css/maillage.css"),
        "404": client.get("/nowhere"),
        "json": client.get("/api/v1/communes?q=rod"),
        "polling handshake": client.get("/socket.io/?EIO=4&transport=polling"),
        "polling refused": app.test_client().get("/socket.io/?EIO=4&transport=polling&sid=nope"),
    }
    assert responses["polling handshake"].status_code == 200
    for name, response in responses.items():
        for header in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                       "Referrer-Policy"):
            assert header in response.headers, (name, header)


def _cookies(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def test_cookies_are_secure_over_https_only(app, make_user):
    make_user("ana@example.org")
    for base, secure in (("https://localhost", True), ("http://localhost", False)):
        client = app.test_client()
        page = client.get("/auth/login", base_url=base).get_data(as_text=True)
        r = client.post("/auth/login", base_url=base, data={
            "email": "ana@example.org", "password": TEST_PASSWORD, "remember": "y",
            "csrf_token": csrf_from(page)})
        assert r.status_code == 302
        cookies = _cookies(r)
        assert {c.split("=")[0] for c in cookies} >= {"session", "remember_token"}
        assert all(("; Secure" in c) == secure for c in cookies), cookies
    # An X-Forwarded-Proto from a client, with no trusted proxy configured: not believed.
    r = app.test_client().get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert all("; Secure" not in c for c in _cookies(r))
    assert "Strict-Transport-Security" not in r.headers


def test_behind_the_trusted_proxy_https_means_secure_cookies_and_hsts(db_path, make_user):
    from app import create_app
    from app.extensions import limiter
    make_user("ana@example.org")
    proxied = create_app({**base_config(db_path), "PROXY_COUNT": 1, "HSTS_SECONDS": 31536000})
    limiter.reset()
    client = proxied.test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    page = client.get("/auth/login", headers=headers)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    r = client.post("/auth/login", headers=headers, data={
        "email": "ana@example.org", "password": TEST_PASSWORD,
        "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert r.status_code == 302 and all("; Secure" in c for c in _cookies(r))
    polling = client.get("/socket.io/?EIO=4&transport=polling", headers=headers)
    assert polling.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = proxied.test_client().get("/auth/login")  # the proxy said http
    assert "Strict-Transport-Security" not in plain.headers
    assert all("; Secure" not in c for c in _cookies(plain))
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_login_makes_one_session_row_named_by_a_hashed_secret(app, make_user):
    """A login makes exactly one session row, named in the cookie (not the secret itself)."""
    ana = make_user("ana@example.org")
    client = logged_in_client(app, "ana@example.org")
    rows = list(db.session.scalars(select(LoginSession).where(LoginSession.user_id == ana.id)))
    assert len(rows) == 1
    with client.session_transaction() as session:
        user_id, token, secret = session["_user_id"].split(":")
    assert int(user_id) == ana.id and token == ana.session_token
    assert rows[0].token_hash != secret and len(rows[0].token_hash) == 64
