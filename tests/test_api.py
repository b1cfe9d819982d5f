def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json()["status"] == "ok"


def test_unknown_commune_is_a_json_404(client):
    r = client.get("/api/v1/communes/99999")
    assert r.status_code == 404 and r.is_json and "error" in r.get_json()


def test_bad_limit_is_a_json_400(client):
    r = client.get("/api/v1/communes?limit=abc")
    assert r.status_code == 400 and r.get_json()["error"]


def test_limit_is_clamped(client):
    assert client.get("/api/v1/communes?limit=-5").get_json()["count"] == 1
    assert client.get("/api/v1/communes?limit=99999").get_json()["count"] == 437


def test_unknown_api_route_and_wrong_method_answer_json(client):
    assert client.get("/api/v1/nothing").get_json()["error"]
    r = client.post("/api/v1/communes")
    assert r.status_code in (400, 405) and r.is_json


def test_profiles_api_hides_members_only_profiles_from_visitors(client, auth, make_user):
    public = make_user(display_name="Public Person", headline="Menuisière")
    hidden = make_user(display_name="Hidden Person", visibility="members")
    names = [p["display_name"] for p in client.get("/api/v1/profiles").get_json()["items"]]
    assert "Public Person" in names and "Hidden Person" not in names
    assert client.get(f"/api/v1/profiles/{hidden.profile.id}").status_code == 404
    assert client.get(f"/api/v1/profiles/{public.profile.id}").get_json()["headline"] == "Menuisière"
    auth.login(public.email)
    names = [p["display_name"] for p in client.get("/api/v1/profiles").get_json()["items"]]
    assert "Hidden Person" in names
    assert client.get(f"/api/v1/profiles/{hidden.profile.id}").status_code == 200


def test_profiles_api_filters(client, make_user):
    make_user(display_name="In Mende", commune="48095", skills=("Céramique",), kind="artist")
    make_user(display_name="In Rodez", commune="12202", skills=("Plomberie",))
    def names(**q):
        return {p["display_name"] for p in client.get("/api/v1/profiles", query_string=q).get_json()["items"]}
    assert names(commune="48095") == {"In Mende"}
    assert names(epci="241200187") == {"In Rodez"}
    assert names(skill="ceramique") == {"In Mende"}
    assert names(kind="artist") == {"In Mende"}
    data = client.get("/api/v1/profiles?page=1000000000000").get_json()
    assert data["page"] == data["pages"] == 1
    assert client.get("/api/v1/profiles?page=-1").get_json()["page"] == 1


def test_profile_json_never_exposes_email_or_password(client, make_user):
    user = make_user()
    body = client.get(f"/api/v1/profiles/{user.profile.id}").get_data(as_text=True)
    assert user.email not in body and "password" not in body


def test_nul_characters_in_query_arguments_are_dropped(client, make_user):
    make_user(display_name="Nul Test", skills=("Céramique",))
    for url in ("/api/v1/profiles?skill=c%00eramique&kind=%00", "/api/v1/communes?q=rod%00ez",
                "/api/v1/communes?departement=1%002", "/people/?commune=%00&epci=%00"):
        assert client.get(url).status_code == 200, url
    names = [p["display_name"] for p in
             client.get("/api/v1/profiles?skill=c%00eramique").get_json()["items"]]
    assert names == ["Nul Test"]
    assert client.get("/api/v1/communes?q=rod%00ez").get_json()["items"][0]["code"] == "12202"
