"""Rate limits, with a limit low enough to reach in a test."""
import pytest

from tests.helpers.apps import TEST_PASSWORD, csrf_from


@pytest.fixture
def app_config(db_path):
    from tests.helpers.apps import base_config
    return {**base_config(db_path), "LOGIN_RATE_LIMIT": "3 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "5 per hour"}


def test_login_is_rate_limited_with_a_clear_message(client, auth, make_user):
    make_user("ana@example.org")
    for _ in range(3):
        auth.login("ana@example.org", "wrong password!")
    r = auth.login("ana@example.org", TEST_PASSWORD)
    html = r.get_data(as_text=True)
    assert r.status_code == 429
    assert "ana@example.org" in html and "minute" in html
    assert client.get("/people/me/edit").status_code == 302


def test_one_account_is_protected_whatever_the_address(client, auth, make_user):
    """Attempts on one account from many addresses (X-Forwarded-For is not trusted, so
    REMOTE_ADDR stands for each attacker here)."""
    make_user("ana@example.org")
    for n in range(5):
        r = client.post("/auth/login", data={"email": "ana@example.org", "password": "guess",
                                             "csrf_token": auth.csrf()},
                        environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        assert r.status_code == 422
    r = client.post("/auth/login", data={"email": "ANA@example.org", "password": TEST_PASSWORD,
                                         "csrf_token": auth.csrf()},
                    environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert r.status_code == 429
    make_user("bob@example.org")
    assert auth.login("bob@example.org").status_code == 302  # other accounts are not locked


def test_behind_a_proxy_each_client_has_its_own_limit(db_path, make_user):
    """With PROXY_COUNT=1 the client address comes from X-Forwarded-For; without it, from the
    connection (so a client cannot dodge the limit by sending the header itself)."""
    from app import create_app
    from app.extensions import limiter
    from tests.helpers.apps import base_config
    make_user("ana@example.org")
    for proxies, limited in ((1, False), (0, True)):
        app = create_app({**base_config(db_path), "LOGIN_RATE_LIMIT": "3 per minute",
                          "PROXY_COUNT": proxies})
        limiter.reset()
        client = app.test_client()
        statuses = []
        for n in range(6):
            token = csrf_from(client.get("/auth/login").get_data(as_text=True))
            statuses.append(client.post("/auth/login", data={
                "email": "ana@example.org", "password": "wrong", "csrf_token": token},
                headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code)
        assert (429 in statuses) is limited, (proxies, statuses)
