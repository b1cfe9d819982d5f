"""Rate limits, with a limit low enough to reach in a test."""
import pytest

from tests.conftest import TEST_PASSWORD


@pytest.fixture
def app_config(db_path):
    from tests.conftest import base_config
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
