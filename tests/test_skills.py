"""Canonical skills: normalisation of typed tags, seed synonyms, merge and rename."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.skills.service import SkillError, load_seed, merge_skills, rename_skill
from models import Skill, SkillAlias, db, network_skill
from models.textkey import skill_key
from tests.helpers.apps import csrf_from


@pytest.mark.parametrize("typed", ["dev web", "développeuse web", "Développeur Web",
                                   "web developer", "DÉVELOPPEUSES-WEB", "  developpeur   web "])
def test_spellings_reach_one_canonical_skill(app, typed):
    [skill] = Skill.get_or_create(db.session, [typed])
    assert skill.name == "Développement web" and skill.name_en == "Web development"
    assert skill.id is not None  # an existing row, not a new one


@pytest.mark.parametrize("a, b", [("menuisière", "Menuisiers"), ("graphistes", "Graphiste"),
                                  ("animatrice", "animateurs"), ("e-commerce", "ecommerce"),
                                  ("Conseil en communication", "conseil communication"),
                                  ("boulangère", "Boulanger")])
def test_gender_plural_hyphen_and_linking_words_share_a_key(a, b):
    assert skill_key(a) == skill_key(b)


@pytest.mark.parametrize("a, b", [("photographie", "photographe"), ("web", "dev web"),
                                  ("maçonnerie", "menuiserie")])
def test_different_skills_keep_different_keys(a, b):
    assert skill_key(a) != skill_key(b)


def test_every_profile_with_any_spelling_shares_one_row(app, make_user):
    users = [make_user(skills=(s,)) for s in ("dev web", "développeuse web", "web developer")]
    ids = {u.profile.skills[0].id for u in users}
    assert len(ids) == 1


def test_an_unknown_tag_is_kept_as_a_new_skill_with_its_alias(app, make_user):
    user = make_user(skills=("Vannerie sauvage",))
    skill = user.profile.skills[0]
    assert skill.name == "Vannerie sauvage" and not skill.canonical
    assert db.session.get(SkillAlias, skill_key("vanneries sauvages")).skill_id == skill.id


def test_merge_moves_profiles_networks_and_spellings(app, make_user, make_network):
    target = Skill.get_or_create(db.session, ["Menuiserie"])[0]
    typo = Skill.get_or_create(db.session, ["Menuserie"])[0]  # a typo: a new free tag
    db.session.commit()
    both = make_user(skills=("Menuiserie", "Menuserie"))
    only_typo = make_user(skills=("Menuserie",))
    network = make_network(both)
    network.skills = [typo]
    db.session.commit()
    typo_id = typo.id

    moved = merge_skills(db.session, target=target, source=typo)
    db.session.commit()

    assert moved == 1  # `both` already had the target
    assert db.session.get(Skill, typo_id) is None
    assert [s.name for s in only_typo.profile.skills] == ["Menuiserie"]
    assert [s.name for s in both.profile.skills] == ["Menuiserie"]
    assert db.session.scalars(select(network_skill.c.skill_id).where(
        network_skill.c.network_id == network.id)).all() == [target.id]
    # The typo now leads to the canonical skill.
    assert Skill.get_or_create(db.session, ["menuserie"])[0].id == target.id


def test_rename_keeps_old_spellings_and_refuses_a_taken_name(app):
    skill = Skill.get_or_create(db.session, ["Tressage d'osier"])[0]
    db.session.commit()
    rename_skill(db.session, skill, "Vannerie", "Basketry")
    db.session.commit()
    assert Skill.get_or_create(db.session, ["tressage d’osier"])[0].id == skill.id
    assert Skill.get_or_create(db.session, ["vanneries"])[0].id == skill.id
    with pytest.raises(SkillError):
        rename_skill(db.session, skill, "Menuiserie")


def test_seed_load_is_idempotent_and_absorbs_typed_spellings(app, make_user):
    count = db.session.scalar(select(func.count(Skill.id)))
    load_seed(db.session)
    db.session.commit()
    assert db.session.scalar(select(func.count(Skill.id))) == count


class TestCurationPages:
    def test_members_cannot_curate(self, client, auth, make_user):
        make_user("member@example.org")
        auth.login("member@example.org")
        assert client.get("/skills/").status_code == 403
        skill = Skill.get_or_create(db.session, ["Menuiserie"])[0]
        token = csrf_from(client.get("/people/me/edit").get_data(as_text=True))
        r = client.post(f"/skills/{skill.id}/rename",
                        data={f"r{skill.id}-name": "X", f"r{skill.id}-csrf_token": token})
        assert r.status_code == 403

    def test_organiser_merges_through_the_page(self, client, auth, make_user):
        make_user("orga@example.org", role="organiser")
        user = make_user(skills=("Menuserie",))
        typo_id = user.profile.skills[0].id
        auth.login("orga@example.org")
        html = client.get("/skills/?q=menus").get_data(as_text=True)
        assert "Menuserie" in html
        r = client.post(f"/skills/{typo_id}/merge", data={
            f"m{typo_id}-into": "menuisier", f"m{typo_id}-csrf_token": csrf_from(html)})
        assert r.status_code == 302
        db.session.expire_all()
        assert [s.name for s in user.profile.skills] == ["Menuiserie"]

    def test_merge_into_unknown_skill_explains_and_keeps_typing(self, client, auth, make_user):
        make_user("orga@example.org", role="organiser")
        skill = Skill.get_or_create(db.session, ["Menuiserie"])[0]
        db.session.commit()
        auth.login("orga@example.org")
        token = csrf_from(client.get("/skills/").get_data(as_text=True))
        r = client.post(f"/skills/{skill.id}/merge", data={
            f"m{skill.id}-into": "<b>Atlantide</b>", f"m{skill.id}-csrf_token": token})
        html = r.get_data(as_text=True)
        assert r.status_code == 422 and "&lt;b&gt;Atlantide&lt;/b&gt;" in html
        assert "<b>Atlantide" not in html


def test_skills_api(client):
    data = client.get("/api/v1/skills?q=dev").get_json()
    names = [s["name"] for s in data["items"]]
    assert "Développement web" in names
    item = next(s for s in data["items"] if s["name"] == "Développement web")
    assert "dev web" in item["synonyms"] and item["name_en"] == "Web development"
    for q in ("%", "_", "'", "\x00", "a" * 5000, "é" * 70):
        assert client.get("/api/v1/skills", query_string={"q": q}).status_code == 200
