"""The skeleton: configuration layers, SQLite settings, error pages, languages, CSRF, local-first."""
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from werkzeug.exceptions import Forbidden
from werkzeug.routing import BuildError

from app import create_app
from app.config import env_overrides
from models import User, db
from search.postgres_documents import not_search_table
from tests.helpers.apps import base_config, csrf_from, login_as
from tests.helpers.schema import inline_sqlite_fks_aside

ROOT = Path(__file__).resolve().parent.parent


def test_config_layers(monkeypatch, db_path):
    monkeypatch.setenv("MAILLAGE_DIRECTORY_PAGE_SIZE", "7")
    monkeypatch.setenv("MAILLAGE_SESSION_COOKIE_SECURE", "true")
    app = create_app({**base_config(db_path), "DIRECTORY_PAGE_SIZE": 9})
    assert app.config["DIRECTORY_PAGE_SIZE"] == 9  # test overrides win
    assert app.config["SESSION_COOKIE_SECURE"] is True  # env beats defaults
    assert app.config["BABEL_DEFAULT_LOCALE"] == "fr"  # defaults
    overrides = env_overrides({"MAILLAGE_DATABASE_URL": "postgresql+psycopg://x/y", "OTHER": "1"})
    assert overrides == {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x/y"}


@pytest.mark.sqlite_only("PRAGMAs")
def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(app):
    conn = db.session.connection()
    assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_migrations_match_the_models(app):
    """A model change without its migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    context = MigrationContext.configure(db.session.connection(),
                                         opts={"compare_type": False,
                                               "include_object": not_search_table})
    connection = db.session.connection()
    assert inline_sqlite_fks_aside(connection, compare_metadata(context, db.metadata)) == []


@pytest.fixture
def error_routes(app):
    def forbidden():
        raise Forbidden()

    def boom():
        raise RuntimeError("boom")
    app.add_url_rule("/test/403", "t403", forbidden)
    app.add_url_rule("/test/500", "t500", boom)
    app.add_url_rule("/api/v1/test/500", "api_t500", boom)


@pytest.mark.parametrize("lang, title_404, title_500", [
    ("fr", "Page introuvable", "Un problème est survenu de notre côté"),
    ("en", "Page not found", "Something went wrong on our side"),
])
def test_friendly_error_pages_in_both_languages(client, error_routes, lang, title_404, title_500):
    client.post("/lang", data={"lang": lang, "csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    r404 = client.get("/nowhere")
    assert r404.status_code == 404 and title_404 in r404.get_data(as_text=True)
    assert f'<html lang="{lang}">' in r404.get_data(as_text=True)
    r500 = client.get("/test/500")
    assert r500.status_code == 500 and title_500 in r500.get_data(as_text=True)
    assert "Traceback" not in r500.get_data(as_text=True)
    for url, code in (("/test/403", 403), ("/healthz?x", 200)):
        assert client.get(url).status_code == code
    assert client.post("/auth/logout").status_code == 400  # missing CSRF token


def test_api_errors_are_json(client, error_routes):
    r = client.get("/api/v1/test/500")
    assert r.status_code == 500 and r.get_json()["status"] == 500


def test_413_is_friendly(client):
    r = client.post("/auth/login", data={"email": "x" * (9 * 1024 * 1024)})
    assert r.status_code == 413 and "<main" in r.get_data(as_text=True)


def test_language_is_remembered_on_the_account(client, auth, make_user):
    make_user("ana@example.org")
    assert 'lang="fr"' in client.get("/").get_data(as_text=True)
    auth.login("ana@example.org")
    client.post("/lang?next=/people/", data={"lang": "en", "csrf_token": auth.csrf("/")})
    assert db.session.scalar(db.select(User.locale)) == "en"
    auth.logout()
    with client.session_transaction() as session:
        session.clear()
    assert 'lang="fr"' in client.get("/").get_data(as_text=True)
    auth.login("ana@example.org")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_language_switch_ignores_unknown_languages_and_foreign_redirects(client):
    token = csrf_from(client.get("/").get_data(as_text=True))
    r = client.post("/lang?next=https://evil.example/", data={"lang": "xx", "csrf_token": token})
    assert r.headers["Location"] == "/"
    assert 'lang="fr"' in client.get("/").get_data(as_text=True)


def test_every_french_message_is_translated(tmp_path):
    """Every string of the code and templates as they are now, not only those of the catalog."""
    import subprocess
    import sys

    from babel.messages.pofile import read_po
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with open(ROOT / "app/translations/fr/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert sorted(wanted - known) == []
    def translated(message) -> bool:
        return all(message.string) if isinstance(message.string, tuple) else bool(message.string)
    missing = [m.id for m in catalog if m.id and not translated(m)]
    assert missing == []


def test_every_unsafe_route_needs_a_csrf_token(app, client, auth, make_user):
    """Logged in (so authorization passes), a POST without a token changes nothing."""
    make_user("ana@example.org", role="organiser")  # organisers pass every role check
    before = db.session.scalar(db.select(User.password_hash))
    posts = [r.rule for r in app.url_map.iter_rules() if "POST" in r.methods and not r.arguments]
    assert len(posts) >= 5
    form = {"lang": "en", "display_name": "X", "kind": "company", "visibility": "public",
            "email": "ana@example.org", "password": "correct horse battery",
            "current_password": "correct horse battery", "new_password": "another long one",
            "confirm": "another long one"}
    for url in ("/auth/login", "/auth/register", "/lang"):  # logged out
        assert client.post(url, data=form).status_code in (400, 422), url
    auth.login("ana@example.org")
    for url in set(posts) - {"/auth/login", "/auth/register"}:
        assert client.post(url, data=form).status_code in (400, 422), url
    assert client.get("/people/me/edit").status_code == 200  # still logged in
    user = db.session.scalar(db.select(User))
    assert user.password_hash == before and user.locale is None and user.display_name == "Alex Martin"


EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//(?!127\.0\.0\.1|localhost)""", re.I)
CSS_EXTERNAL = re.compile(r"""(?:url\(|@import)\s*["']?(?:https?:)?//""", re.I)


def test_no_template_or_asset_loads_from_another_host():
    offenders = []
    for folder in (ROOT / "templates", ROOT / "app" / "static"):
        for path in folder.rglob("*"):
            if path.suffix in (".html", ".css", ".js", ".svg") and "vendor" not in path.parts:
                body = path.read_text("utf-8")
                if EXTERNAL.search(body) or CSS_EXTERNAL.search(body):
                    offenders.append(str(path))
    assert offenders == []


def test_rendered_pages_load_nothing_from_another_host(client, make_user):
    user = make_user(website="https://atelier.example", bio="[site](https://example.org)")
    for url in ("/", "/people/", f"/people/{user.profile.id}", "/auth/login", "/auth/register"):
        html = client.get(url).get_data(as_text=True)
        embedded = r"<(?:script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc=\"([^\"]*)\""
        for src in re.findall(embedded, html):
            assert src.startswith("/"), (url, src)
        for href in re.findall(r"<link\b[^>]*\bhref=\"([^\"]*)\"", html):
            assert href.startswith("/"), (url, href)


def test_security_headers_forbid_other_hosts(client):
    r = client.get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "*" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/api/v1/communes/12202").headers["X-Frame-Options"] == "DENY"


def test_unknown_routes_are_404_before_any_csrf_check(client):
    assert client.post("/nope").status_code == 404
    assert client.put("/people/me/edit").status_code == 405


def test_an_error_inside_a_failed_transaction_still_gets_the_friendly_page(app, client, auth,
                                                                            make_user):
    make_user("ana@example.org")

    def broken():
        db.session.add(User(email="ana@example.org", password_hash="x", display_name="Dup"))
        db.session.flush()  # IntegrityError: the session now needs a rollback
    app.add_url_rule("/test/broken", "broken", broken)
    auth.login("ana@example.org")
    r = client.get("/test/broken")
    assert r.status_code == 500 and "Un problème est survenu" in r.get_data(as_text=True)


def test_the_instance_secret_key_is_made_once(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from app import _instance_secret_key
    path = tmp_path / "secret_key"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: _instance_secret_key(path), range(16)))
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert oct(path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.sqlite_only("the pool of SQLite file handles")
def test_no_server_thread_waits_for_a_sqlite_connection(app):
    """A gthread worker runs 16 to 32 threads; each request holds a connection until it ends."""
    assert db.engine.pool.size() + db.engine.pool._max_overflow >= 32


def test_ids_past_a_postgresql_integer_are_not_found_never_an_overflow(client, make_user):
    """2**31 and more: 404 on every engine (PostgreSQL's INTEGER stops at 2**31 - 1)."""
    user = make_user("big@example.org")
    login_as(client, user)
    for url in ("/people/3000000000", "/networks/2147483648", "/api/v1/profiles/9999999999",
                "/api/v1/rooms/3000000000/messages", "/moderation/post/3000000000",
                "/places/4000000000"):
        assert client.get(url).status_code == 404, url
    assert client.get("/networks/?page=99999999999999").status_code == 200
    assert client.get("/api/v1/rooms/1/messages?before=99999999999").status_code in (400, 404)


def test_dates_read_day_first_in_both_languages_and_recent_ones_are_relative(app):
    """English dates are European ("6 Dec 2026, 13:33", never "12/6/26, 1:33 PM"); recent
    activity reads "il y a 2 heures" / "2 hours ago" with the exact date in <time> (issue 21)."""
    from datetime import datetime, timedelta, timezone

    from flask_babel import force_locale

    from app.templating import datetimeformat, duration, when
    moment = datetime(2026, 12, 6, 12, 33, tzinfo=timezone.utc)  # 13:33 in Europe/Paris
    with app.test_request_context():
        with force_locale("en"):
            assert datetimeformat(moment, "short") == "6 Dec 2026, 13:33"
            assert "PM" not in datetimeformat(moment, "medium")
            recent = str(when(datetime.now(timezone.utc) - timedelta(hours=2)))
            assert ">2 hours ago</time>" in recent and 'datetime="' in recent
            assert str(when(moment - timedelta(days=30))).endswith(">6 Nov 2026, 13:33</time>")  # CET too
            assert [duration(m) for m in (60, 1440, 10080)] == ["1 hour", "24 hours", "7 days"]
        with force_locale("fr"):
            assert datetimeformat(moment, "short").startswith("06/12/2026")
            assert datetimeformat(moment, "long") == "6 décembre 2026 à 13:33"
            recent = str(when(datetime.now(timezone.utc) - timedelta(hours=2)))
            assert ">il y a 2 heures</time>" in recent
            assert 'title="' in recent and 'datetime="' in recent
            assert [duration(m) for m in (60, 1440, 10080)] == ["1 heure", "24 heures", "7 jours"]


def test_posts_and_notifications_show_relative_times_in_the_chosen_language(
        app, client, make_user, make_network):
    from app.networks.service import create_post
    me = make_user(display_name="Anne")
    network = make_network(me, "Réseau des vanniers")
    create_post(db.session, network, me, "Bonjour")
    db.session.commit()
    login_as(client, me)
    page = client.get(f"/networks/{network.id}").get_data(as_text=True)
    assert "à l’instant</time>" in page or "il y a " in page
    client.post("/lang", data={"lang": "en", "csrf_token": csrf_from(page)})
    page = client.get(f"/networks/{network.id}").get_data(as_text=True)
    assert "just now</time>" in page or " ago</time>" in page
    assert "/26, " not in page  # no American short date anywhere


def test_links_kept_for_templates_are_those_url_for_builds(app):
    """Templates' url_for remembers links (app/templating.py: `_links_kept`): each one is still
    the link for its script root, its blueprint (relative endpoints), its arguments; url_for's
    own options and unhashable arguments are built as asked."""
    from flask import render_template_string
    from flask import url_for as plain

    page = ("{{ url_for('people.directory', page=2) }} {{ url_for('.directory') }} "
            "{{ url_for('static', filename='css/maillage.css') }} "
            "{{ url_for('people.directory', _external=True) }} "
            "{{ url_for('people.directory', epci=['241200187']) }}")
    for root in ("", "/maillage", ""):
        with app.test_request_context("/people/", base_url="http://example.test" + root):
            expected = " ".join((plain("people.directory", page=2), plain(".directory"),
                                 plain("static", filename="css/maillage.css"),
                                 plain("people.directory", _external=True),
                                 plain("people.directory", epci=["241200187"])))
            assert render_template_string(page) == expected
            assert expected.startswith(root + "/people/?page=2 " + root + "/people/ ")
            assert "?v=" in expected.split()[2]
    with app.test_request_context("/events/"):  # another blueprint: ".directory" is not people's
        with pytest.raises(BuildError, match="directory"):
            render_template_string("{{ url_for('.directory') }}")


_RENDER_LOGIN = """
import sys
from jinja2 import Environment
from app import create_app
from tests.helpers.apps import base_config
from pathlib import Path
compiled = []
original = Environment._compile
Environment._compile = lambda self, source, filename: compiled.append(filename) or \\
    original(self, source, filename)
config = {**base_config(Path(sys.argv[1])), "TEMPLATE_CACHE_DIR": sys.argv[2]}
app = create_app(config)
with app.test_request_context("/auth/login"):
    from flask import render_template
    from app.auth.forms import LoginForm
    render_template("auth/login.html", form=LoginForm())
print(len(compiled))
"""


def test_a_template_compiled_by_one_process_is_not_compiled_again_by_the_next(db_path, tmp_path):
    """Compiled templates are kept in TEMPLATE_CACHE_DIR (app/templating.py): the next process
    (a restarted worker) loads them; an edited template would not match its checksum."""
    import subprocess
    import sys
    cache = tmp_path / "template-cache"
    env = {k: v for k, v in os.environ.items() if k != "MAILLAGE_TEMPLATE_CACHE_DIR"}

    def compiled_in_a_new_process() -> int:
        done = subprocess.run([sys.executable, "-c", _RENDER_LOGIN, str(db_path), str(cache)],
                              cwd=Path(__file__).resolve().parent.parent, env=env,
                              capture_output=True, text=True, check=True)
        return int(done.stdout.strip().splitlines()[-1])

    assert compiled_in_a_new_process() >= 2  # the page and base.html at least
    assert any(cache.iterdir())
    assert compiled_in_a_new_process() == 0
