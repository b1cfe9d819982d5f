"""Signing up as a person does: the form, then the link of the mail it queued (read from the
outbox: the row stays after it is sent, whether to SMTP or as an .eml file), then the button of
the link's page. For a test client (`tests/helpers/apps.py: AuthActions.register`), for a live
server over HTTP, and for Chromium (`tests/helpers/browser_steps.py: sign_up`)."""
from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import databases

CONFIRM_PATH = "/auth/register/confirm/"
_LINK = re.compile(r"https?://[^\s<>\"]*(/auth/register/confirm/[A-Za-z0-9_-]+)")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def link_path(text: str) -> str:
    """The path of the sign-up link in a mail's text."""
    match = _LINK.search(text or "")
    assert match, f"no sign-up link in:\n{text}"
    return match.group(1)


def outbox_link(db_file: Path, email: str) -> str:
    """The path of the last sign-up link queued for `email`, from a (live server's) database."""
    found = databases.rows(db_file, "SELECT text FROM outbox WHERE to_address = ? AND kind = ? "
                                    "ORDER BY id DESC LIMIT 1", email.strip().lower(), "signup_link")
    assert found, f"no sign-up mail to {email}"
    return link_path(found[0][0])


def sign_up_over_http(base_url: str, db_file: Path, name: str, email: str, password: str,
                      timeout: float = 30):
    """The form and the mailed link, with `requests`: returns the session, logged in."""
    import requests

    http = requests.Session()
    page = http.get(base_url + "/auth/register", timeout=timeout).text
    response = http.post(base_url + "/auth/register", data={
        "email": email, "display_name": name, "password": password,
        "csrf_token": _CSRF.search(page).group(1)}, allow_redirects=False, timeout=timeout)
    assert response.status_code == 302, response.text[:300]
    assert response.headers["Location"].endswith("/auth/register/sent")
    link = base_url + outbox_link(db_file, email)
    page = http.get(link, timeout=timeout).text
    response = http.post(link, data={"csrf_token": _CSRF.search(page).group(1)},
                         allow_redirects=False, timeout=timeout)
    assert response.status_code == 302, response.text[:300]
    assert response.headers["Location"].endswith("/people/me/edit")
    return http
