"""Rate limits, with a limit low enough to reach in a test."""
import pytest

from tests.conftest import TEST_PASSWORD


@pytest.fixture
def app_config(db_path):
    from tests.conftest import base_config
    return {**base_config(db_path), "LOGIN_RATE_LIMIT": "3 per minute"}


def test_login_is_rate_limited_with_a_clear_message(client, auth, make_user):
    make_user("ana@example.org")
    for _ in range(3):
        auth.login("ana@example.org", "wrong password!")
    r = auth.login("ana@example.org", TEST_PASSWORD)
    html = r.get_data(as_text=True)
    assert r.status_code == 429
    assert "ana@example.org" in html and "minute" in html
    assert client.get("/people/me/edit").status_code == 302
