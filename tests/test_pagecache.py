"""Anonymous pages come from memory until something shown on them changes, in any process."""
import subprocess
import sys
from pathlib import Path

from sqlalchemy import event

from models import current_content_version, db
from tests.helpers.apps import csrf_from

ROOT = Path(__file__).resolve().parent.parent


def main_part(response) -> str:
    html = response.get_data(as_text=True)
    return html[html.index("<main"):html.index("</main>")]


def count_queries(app):
    counter = {"n": 0}

    def before(*_args):
        counter["n"] += 1
    event.listen(db.engine, "before_cursor_execute", before)
    return counter


def test_second_visit_is_served_from_memory(client, app, make_user):
    app.extensions["maillage_content_version"].seconds = 3600  # no re-read on a slow machine
    user = make_user(headline="Vannière")
    url = f"/people/{user.profile.id}"
    first = main_part(client.get(url))
    counter = count_queries(app)
    for target in (url, "/people/", "/"):
        client.get(target)
    counter["n"] = 0
    assert main_part(client.get(url)) == first  # the footer's CSRF token changes each second
    assert client.get("/people/?page=1").status_code == 200  # a new URL: rendered...
    assert counter["n"] > 1
    counter["n"] = 0
    client.get("/people/?page=1")  # ...then cached: no query at all
    assert counter["n"] == 0


def test_an_edit_shows_at_once_to_visitors(client, auth, make_user):
    user = make_user("ana@example.org", display_name="Ana Vidal", headline="Avant")
    visitor = client.application.test_client()
    url = f"/people/{user.profile.id}"
    assert "Avant" in visitor.get(url).get_data(as_text=True)
    assert "Ana Vidal" in visitor.get("/people/").get_data(as_text=True)
    auth.login("ana@example.org")
    token = csrf_from(client.get("/people/me/edit").get_data(as_text=True))
    client.post("/people/me/edit", data={
        "display_name": "Ana Vidal-Roques", "kind": "independent", "headline": "Après",
        "commune": "Rodez", "skills": "", "bio": "", "offers": "", "needs": "", "website": "",
        "visibility": "public", "csrf_token": token})
    assert "Après" in visitor.get(url).get_data(as_text=True)
    assert "Ana Vidal-Roques" in visitor.get("/people/").get_data(as_text=True)


def test_turning_members_only_hides_the_profile_from_visitors_at_once(client, make_user):
    user = make_user(display_name="Discrète Personne")
    url = f"/people/{user.profile.id}"
    assert client.get(url).status_code == 200
    assert "Discrète Personne" in client.get("/").get_data(as_text=True)
    user.profile.visibility = "members"
    db.session.commit()
    assert client.get(url).status_code == 404
    assert "Discrète Personne" not in client.get("/").get_data(as_text=True)
    assert "Discrète Personne" not in client.get("/people/").get_data(as_text=True)


OTHER_PROCESS = """
import sys
from app import create_app
from models import Profile, db
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "x", "TESTING": True})
with app.app_context():
    db.session.get(Profile, int(sys.argv[2])).headline = "Second"
    db.session.commit()
"""


def test_a_change_in_another_process_invalidates(client, app, db_path, make_user):
    """Another worker or a CLI command: only the version in the database tells this process.
    (With PAGE_CACHE_VERSION_SECONDS = 0 it is read on every request.)"""
    app.extensions["maillage_content_version"].seconds = 0
    user = make_user(headline="Premier")
    url = f"/people/{user.profile.id}"
    assert "Premier" in client.get(url).get_data(as_text=True)
    subprocess.run([sys.executable, "-c", OTHER_PROCESS, app.config["SQLALCHEMY_DATABASE_URI"],
                    str(user.profile.id)], cwd=ROOT, check=True)
    assert "Second" in client.get(url).get_data(as_text=True)


def test_a_change_in_this_process_shows_at_once_even_when_trusting_the_version(client, app,
                                                                              make_user):
    app.extensions["maillage_content_version"].seconds = 3600
    user = make_user(headline="Premier")
    url = f"/people/{user.profile.id}"
    assert "Premier" in client.get(url).get_data(as_text=True)
    user.profile.headline = "Second"
    db.session.commit()
    assert "Second" in client.get(url).get_data(as_text=True)


def test_a_rolled_back_change_keeps_the_version(app, make_user):
    user = make_user()
    before = current_content_version(db.session)
    user.profile.headline = "jamais enregistré"
    db.session.flush()
    db.session.rollback()
    assert current_content_version(db.session) == before
    user.profile.headline = "enregistré"
    db.session.commit()
    assert current_content_version(db.session) == before + 1


def test_the_owner_gets_their_own_page(client, auth, make_user):
    user = make_user("ana@example.org")
    make_user("bob@example.org")
    url = f"/people/{user.profile.id}"
    client.get(url)
    auth.login("bob@example.org")
    assert "/people/me/edit" not in client.get(url).get_data(as_text=True)
    auth.logout()
    auth.login("ana@example.org")
    assert "/people/me/edit" in client.get(url).get_data(as_text=True)  # the owner's buttons


def test_visitors_and_members_never_share_a_page(client, auth, make_user):
    make_user("ana@example.org", display_name="Membre Discrète", visibility="members")
    visitor = client.application.test_client()
    assert "Membre Discrète" not in visitor.get("/people/").get_data(as_text=True)
    auth.login("ana@example.org")
    assert "Membre Discrète" in client.get("/people/").get_data(as_text=True)
    assert "Membre Discrète" not in visitor.get("/people/").get_data(as_text=True)


def test_only_what_pages_show_bumps_the_version(app, make_user):
    user = make_user()
    before = current_content_version(db.session)
    user.locale = "en"
    user.set_password("another long password")
    db.session.commit()
    assert current_content_version(db.session) == before
    user.display_name = "Nouveau Nom"
    db.session.commit()
    assert current_content_version(db.session) == before + 1


def test_visitors_counts_leave_out_members_only_profiles(client, make_user):
    make_user(display_name="Visible", commune="12202")
    make_user(display_name="Discret", commune="48095", visibility="members")
    html = client.get("/").get_data(as_text=True)
    assert "<strong>1</strong> membre" in html and "Discret" not in html
