import pytest
from sqlalchemy import func, select

from models import Skill, db
from tests.helpers.apps import csrf_from


def profile_form(client, **overrides) -> dict:
    token = csrf_from(client.get("/people/me/edit").get_data(as_text=True))
    data = {"display_name": "Camille Fabre", "kind": "independent", "headline": "Menuisière",
            "commune": "Rignac (12390)", "skills": "Menuiserie, Ébénisterie", "bio": "Bonjour",
            "offers": "", "needs": "", "website": "", "visibility": "public", "csrf_token": token}
    data.update(overrides)
    return data


@pytest.fixture
def member(auth, make_user):
    user = make_user("camille@example.org", display_name="Camille Fabre")
    auth.login(user.email)
    return user


def test_edit_profile_and_see_it(client, member):
    r = client.post("/people/me/edit", data=profile_form(
        client, website="https://atelier.example", offers="Des **conseils**"))
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Menuisière" in html and "Rignac" in html and "CC du Pays Rignacois" in html
    assert "<strong>conseils</strong>" in html
    assert member.profile.commune_insee == "12199"
    assert sorted(s.name for s in member.profile.skills) == ["Menuiserie", "Ébénisterie"]


def test_markdown_is_rendered_harmlessly(client, member):
    bio = ('Hello <script>alert("x")</script> [clic](javascript:alert(1)) '
           '<img src=x onerror=alert(2)> [site](https://ok.example)')
    client.post("/people/me/edit", data=profile_form(client, bio=bio))
    html = client.get(f"/people/{member.profile.id}").get_data(as_text=True)
    bio_html = html.split('id="bio-title"', 1)[1].split("</section>", 1)[0]
    assert "<script>alert" not in html and "&lt;script&gt;" in bio_html
    assert "javascript:" not in html and "<img" not in bio_html and "&lt;img" in bio_html
    assert '<a href="https://ok.example" rel="nofollow noopener">site</a>' in html


def test_a_megabyte_bio_is_refused_without_losing_it(client, member):
    bio = "Je suis menuisière. " * 52_429  # about 1 MB
    r = client.post("/people/me/edit", data=profile_form(client, bio=bio, headline="Tenu"))
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert bio in html and 'value="Tenu"' in html
    assert member.profile.bio == ""


def test_a_mistyped_commune_gets_the_closest_names(client, member):
    r = client.post("/people/me/edit", data=profile_form(client, commune="Rignak",
                                                         headline="Toujours là"))
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Rignac (12390)" in html and "Toujours là" in html
    assert '<option value="Rignac (12390)">' in html  # offered back in the suggestions
    # Nothing close: the plain message, no suggestion.
    r = client.post("/people/me/edit", data=profile_form(client, commune="Xyzzyplouf"))
    assert r.status_code == 422 and "<option value=" not in r.get_data(as_text=True).split(
        'id="commune-options"')[1].split("</datalist>")[0]


def test_unknown_commune_is_an_error_that_keeps_the_form(client, member):
    r = client.post("/people/me/edit", data=profile_form(client, commune="99999", headline="Gardé"))
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'value="99999"' in html and 'value="Gardé"' in html
    assert 'aria-invalid="true"' in html
    assert member.profile.commune_insee == "12202"  # unchanged


def test_wrong_csrf_token_keeps_what_was_typed(client, member):
    r = client.post("/people/me/edit", data=profile_form(client, csrf_token="forged",
                                                          headline="Ne pas perdre"))
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'value="Ne pas perdre"' in html
    assert member.profile.headline == ""


def test_invalid_website_and_kind_are_refused(client, member):
    r = client.post("/people/me/edit", data=profile_form(client, website="javascript:alert(1)"))
    assert r.status_code == 422
    r = client.post("/people/me/edit", data=profile_form(client, kind="emperor"))
    assert r.status_code == 422


def test_skills_are_normalised_to_one_row(client, member, make_user):
    make_user(skills=("Développement Web",))
    client.post("/people/me/edit", data=profile_form(
        client, skills="developpement  web, DÉVELOPPEMENT-WEB, Photo"))
    # Three spellings of one seed skill, and a new free tag: two skills, no new duplicate.
    assert sorted(s.name for s in member.profile.skills) == ["Développement web", "Photo"]
    assert db.session.scalar(select(func.count(Skill.id)).where(
        Skill.key.in_(["developpementweb", "photo"]))) == 2


def test_too_many_skills(client, member):
    r = client.post("/people/me/edit", data=profile_form(
        client, skills=", ".join(f"skill {i}" for i in range(30))))
    assert r.status_code == 422


def test_members_only_profile_is_not_found_for_visitors(client, auth, make_user):
    """Visitors cannot tell a members-only profile from a missing one; both pages invite them
    to log in, and members see the profile."""
    user = make_user("ana@example.org", visibility="members", headline="Secret headline")
    hidden, missing = client.get(f"/people/{user.profile.id}"), client.get("/people/999999")
    assert hidden.status_code == missing.status_code == 404
    for r in (hidden, missing):
        assert "Secret headline" not in r.get_data(as_text=True)
        assert "/auth/login?next=/people/" in r.get_data(as_text=True)
    auth.login("ana@example.org")
    assert "Secret headline" in client.get(f"/people/{user.profile.id}").get_data(as_text=True)


def test_editing_requires_login(client):
    r = client.get("/people/me/edit")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    assert client.post("/people/me/edit", data={"headline": "x"}).status_code in (302, 400)


class TestDirectory:
    @pytest.fixture(autouse=True)
    def people(self, make_user):
        make_user(display_name="Ana Rodez", commune="12202", skills=("Graphisme",))
        make_user(display_name="Bea Mende", commune="48095", skills=("Céramique",), kind="artist")
        make_user(display_name="Cid Millau", commune="12145", skills=("graphisme",),
                  visibility="members")

    def names(self, client, **query) -> set[str]:
        html = client.get("/people/", query_string=query).get_data(as_text=True)
        return {n for n in ("Ana Rodez", "Bea Mende", "Cid Millau") if n in html}

    def test_filters(self, client):
        assert self.names(client) == {"Ana Rodez", "Bea Mende"}
        assert self.names(client, epci="241200187") == {"Ana Rodez"}
        assert self.names(client, commune="Mende") == {"Bea Mende"}
        assert self.names(client, skill="GRAPHISME") == {"Ana Rodez"}
        assert self.names(client, kind="artist") == {"Bea Mende"}

    def test_members_see_members_only_profiles(self, client, auth):
        auth.register("new@example.org")
        assert self.names(client, skill="graphisme") == {"Ana Rodez", "Cid Millau"}

    @pytest.mark.parametrize("page", ["-1", "0", "abc", "1000000000000", "9" * 40])
    def test_odd_page_numbers(self, client, page):
        r = client.get(f"/people/?page={page}")
        assert r.status_code == 200 and "Ana Rodez" in r.get_data(as_text=True)

    def test_unknown_commune_filter_says_so(self, client):
        r = client.get("/people/?commune=Atlantis")
        assert r.status_code == 200 and self.names(client, commune="Atlantis") == set()

    def test_invalid_utf8_in_query_string(self, client):
        for url in ("/people/?skill=%ff%fe", "/people/?commune=%C3%28", "/api/v1/communes?q=%ff",
                    "/api/v1/profiles?skill=%ff&epci=%fe", "/?x=%ff"):
            assert client.get(url).status_code in (200, 400), url


def test_pagination_links(client, make_user, app):
    app.config["DIRECTORY_PAGE_SIZE"] = 2
    for i in range(5):
        make_user(display_name=f"Person {i}")
    html = client.get("/people/?kind=independent&page=2").get_data(as_text=True)
    assert 'rel="next"' in html and 'rel="prev"' in html and "kind=independent" in html


@pytest.mark.parametrize("url", ["/people/99999999999999999999999", "/people/-1",
                                 "/api/v1/profiles/99999999999999999999999", "/people/abc"])
def test_absurd_ids_are_not_found(client, url):
    assert client.get(url).status_code == 404


def test_nul_characters_are_dropped_from_forms(client, member):
    r = client.post("/people/me/edit", data=profile_form(client, headline="Menui\x00sière",
                                                          bio="a\x00b"))
    assert r.status_code == 302
    assert member.profile.headline == "Menuisière" and member.profile.bio == "ab"


def test_undecodable_form_body_is_a_clean_error(client):
    r = client.post("/auth/login", data=b"email=\xff\xfe&password=\xff",
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code in (400, 422)


def test_a_shared_postcode_asks_which_commune(client, member):
    r = client.post("/people/me/edit", data=profile_form(client, commune="12390"))
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Rignac (12390)" in html and "Auzits (12390)" in html
    assert '<option value="Belcastel (12390)">' in html  # to pick from, even without JavaScript
    r = client.post("/people/me/edit", data=profile_form(client, commune="Belcastel (12390)"))
    assert r.status_code == 302 and member.profile.commune.name == "Belcastel"


def test_directory_by_a_shared_postcode_covers_its_communes(client, make_user):
    make_user(display_name="In Rignac", commune="12199")
    make_user(display_name="In Rodez", commune="12202")
    html = client.get("/people/?commune=12390").get_data(as_text=True)
    assert "In Rignac" in html and "In Rodez" not in html and "Belcastel" in html


def test_a_field_missing_from_the_request_is_a_validation_error(client, member):
    data = profile_form(client)
    for name in ("skills", "visibility", "kind", "display_name"):
        partial = {k: v for k, v in data.items() if k != name}
        assert client.post("/people/me/edit", data=partial).status_code in (302, 422), name


def test_a_skill_whose_key_grows_when_folded_is_refused(client, member):
    r = client.post("/people/me/edit", data=profile_form(client, skills="ß" * 40))
    assert r.status_code == 422


@pytest.mark.parametrize("query", ["page=%C2%B2", "page=--5", "endpoint=x", "_external=1&kind=artist",
                                   "page=1&page=2", "commune=" + "a" + "+" * 5000 + "a"])
def test_crafted_query_strings(client, make_user, query):
    for i in range(25):
        make_user(display_name=f"P{i}", kind="artist")
    r = client.get("/people/?" + query)
    assert r.status_code == 200
    assert "//" not in "".join(r.get_data(as_text=True).split('rel="next" href="')[1:2])[:5]
