"""The offline app's server side: the service worker and manifest, the offline page, and forms
acted on once per idempotency key (what the browser's outbox relies on when it sends again)."""
import json
import re

from sqlalchemy import func, select

from models import DeclarationVersion, IdempotencyKey, Post, db
from tests.helpers.apps import csrf_from, login_as
from tests.helpers.demand import INDEPENDENT


def test_service_worker_manifest_and_offline_page(client):
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and sw.mimetype == "text/javascript"
    assert sw.headers["Service-Worker-Allowed"] == "/" and "no-cache" in sw.headers["Cache-Control"]
    text = sw.get_data(as_text=True)
    shell = json.loads(re.search(r"var SHELL_URLS = (\[.*?\]);", text).group(1))
    assert "/offline" in shell
    for url in shell:  # every file of the app shell exists, fingerprinted
        assert client.get(url).status_code == 200, url
        assert url == "/offline" or "?v=" in url
    manifest = client.get("/manifest.webmanifest").get_json(force=True)
    assert manifest["name"] == "Maillage" and manifest["start_url"] == "/"
    assert client.get(manifest["icons"][0]["src"]).status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert 'rel="manifest"' in home and 'name="rendered-at"' in home
    assert client.get("/offline").status_code == 200


def _declaration_form(client):
    html = client.get("/interest/new").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
    return csrf_from(html), key


def test_a_declaration_sent_twice_with_its_key_is_recorded_once(client, make_user):
    user = make_user("camille@example.org")
    login_as(client, user)
    csrf, key = _declaration_form(client)
    data = {**INDEPENDENT, "csrf_token": csrf, "idempotency_key": key}
    first = client.post("/interest/new", data=data)
    again = client.post("/interest/new", data=data)  # the outbox, after a lost answer
    assert first.status_code == 302 and again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(DeclarationVersion)) == 1
    # Without a key (an old page) or with a new one, a second send is an edit: a new version.
    client.post("/interest/new", data={**INDEPENDENT, "csrf_token": csrf})
    assert db.session.scalar(select(func.count()).select_from(DeclarationVersion)) == 2


def test_a_refused_form_releases_its_key_for_the_corrected_one(client, make_user):
    user = make_user("camille@example.org")
    login_as(client, user)
    csrf, key = _declaration_form(client)
    bad = client.post("/interest/new", data={**INDEPENDENT, "budget_eur_month": "-5",
                                              "csrf_token": csrf, "idempotency_key": key})
    assert bad.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    good = client.post("/interest/new", data={**INDEPENDENT, "csrf_token": csrf,
                                              "idempotency_key": key})
    assert good.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(DeclarationVersion)) == 1


def test_keys_are_per_person_and_posts_are_sent_once(app, make_user, make_network):
    owner = make_user("owner@example.org")
    network = make_network(owner, visibility="open")
    client = app.test_client()
    login_as(client, owner)
    html = client.get(f"/networks/{network.id}").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
    data = {"body": "Une seule fois", "csrf_token": csrf_from(html), "idempotency_key": key}
    for _ in range(3):
        assert client.post(f"/networks/{network.id}/posts", data=data).status_code in (302, 303)
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1
    other = make_user("other@example.org")
    from models import Membership
    db.session.add(Membership(network_id=network.id, user_id=other.id, status="active",
                              accepted_charter_version=network.charter_version))
    db.session.commit()
    second = app.test_client()
    login_as(second, other)
    page = second.get(f"/networks/{network.id}").get_data(as_text=True)
    second.post(f"/networks/{network.id}/posts", data={**data, "csrf_token": csrf_from(page)})
    assert db.session.scalar(select(func.count()).select_from(Post)) == 2  # same key, other person


def test_only_members_pages_are_saved_and_logout_clears_the_device(client, make_user):
    assert "X-Maillage-Save" not in client.get("/").headers  # a visitor's pages: never saved
    user = make_user("camille@example.org")
    login_as(client, user)
    assert client.get("/").headers["X-Maillage-Save"] == "1"
    assert "X-Maillage-Save" not in client.get("/manifest.webmanifest").headers
    html = client.get("/").get_data(as_text=True)
    assert f'<meta name="account" content="{user.id}">' in html
    out = client.post("/auth/logout", data={"csrf_token": csrf_from(html)})
    assert out.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_a_copy_sent_while_the_first_is_handled_waits_and_other_fields_are_a_new_request(
        client, make_user):
    user = make_user("camille@example.org")
    login_as(client, user)
    csrf, key = _declaration_form(client)
    # The first copy is being handled (its key claimed, no answer yet): the second waits.
    from app.idempotency import fingerprint
    with client.application.test_request_context(method="POST", data=INDEPENDENT):
        printed = fingerprint()
    db.session.add(IdempotencyKey(user_id=user.id, key=key, fingerprint=printed))
    db.session.commit()
    busy = client.post("/interest/new", data={**INDEPENDENT, "csrf_token": csrf,
                                              "idempotency_key": key})
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "2"
    assert db.session.scalar(select(func.count()).select_from(DeclarationVersion)) == 0
    # The same key with other fields (the Back button, an edit): acted on, not dropped.
    other = client.post("/interest/new", data={**INDEPENDENT, "budget_eur_month": "90",
                                               "csrf_token": csrf, "idempotency_key": key})
    assert other.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(DeclarationVersion)) == 1
