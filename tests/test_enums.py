"""The typed enums: columns read back members and store their values, as plain VARCHARs (see
tests/test_migrations.py for the schema), on SQLite and PostgreSQL alike."""
from __future__ import annotations

import enum
import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

import models
from models import (
    MemberRole,
    Membership,
    MemberStatus,
    NetworkVisibility,
    Profile,
    ProfileKind,
    Role,
    Visibility,
    db,
)

ENUMS = [getattr(models, name) for name in models.__all__
         if isinstance(getattr(models, name), enum.EnumMeta)]


def test_every_enum_of_the_models_is_a_str_enum():
    assert len(ENUMS) == 33  # MailStatus, MailKind, MailMode (issue 19); four of events (22);
    # PlaceKind, ShareOutcome (23); CensusUnit, OutreachStatus, SuppressionReason, AnswerChannel (24)
    for members in ENUMS:
        assert issubclass(members, enum.StrEnum), members
        for member in members:
            # What templates, f-strings and JSON show: the value, as before.
            assert str(member) == f"{member}" == member.value == member, member
            assert json.dumps(member) == json.dumps(member.value)


def test_columns_read_members_and_store_values(app, make_user, make_network):
    user = make_user(kind="artist")  # a value is accepted where a member is expected
    network = make_network(user, visibility=NetworkVisibility.REQUEST)
    db.session.expire_all()
    assert user.role is Role.MEMBER and user.profile.kind is ProfileKind.ARTIST
    assert user.profile.visibility is Visibility.PUBLIC  # the default, a member
    assert network.visibility is NetworkVisibility.REQUEST
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert (membership.role, membership.status) == (MemberRole.ANIMATOR, MemberStatus.ACTIVE)
    stored = db.session.execute(text(
        "SELECT p.kind, p.visibility, p.direct_messages, m.role, m.status FROM profile p "
        "JOIN membership m ON m.user_id = p.user_id WHERE p.user_id = :id"), {"id": user.id}).one()
    assert tuple(stored) == ("artist", "public", "connections", "animator", "active")
    assert all(type(value) is str for value in stored)  # plain strings, not members


def test_raw_sql_binds_members(app, make_user):
    user = make_user(kind="company")
    count = text("SELECT count(*) FROM profile WHERE user_id = :id AND kind = :kind "
                 "AND visibility = :visibility")
    assert db.session.execute(count, {"id": user.id, "kind": ProfileKind.COMPANY,
                                      "visibility": Visibility.PUBLIC}).scalar() == 1
    db.session.execute(text("UPDATE profile SET kind = :kind WHERE user_id = :id"),
                       {"kind": ProfileKind.ARTIST, "id": user.id})
    db.session.commit()
    assert db.session.execute(text("SELECT kind FROM profile WHERE user_id = :id"),
                              {"id": user.id}).scalar() == "artist"
    db.session.expire_all()
    assert user.profile.kind is ProfileKind.ARTIST


def test_a_string_outside_the_enum_is_refused(app, make_user):
    user = make_user()
    user.profile.kind = "astronaut"
    with pytest.raises(StatementError, match="astronaut"):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(StatementError, match="astronaut"):
        db.session.scalar(select(Profile.id).where(Profile.kind == "astronaut"))
    db.session.rollback()


def test_filters_with_a_value_outside_the_enum_match_nothing(client, make_user, make_network):
    """A query string is not trusted to hold a value: an unknown one finds nothing, as when the
    columns were plain strings (never a 500)."""
    make_network(make_user(kind="artist"), scope="territory")
    assert client.get("/api/v1/profiles?kind=artist").get_json()["total"] == 1
    assert client.get("/api/v1/networks?scope=territory").get_json()["total"] == 1
    for url in ("/api/v1/profiles?kind=astronaut", "/api/v1/networks?scope=galaxy",
                "/api/v1/places?status=ruined"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.get_json()["total"] == 0, url
    for url in ("/people/?kind=astronaut", "/networks/?scope=galaxy", "/places/?status=ruined"):
        assert client.get(url).status_code == 200, url


def test_json_shows_the_values(client, make_user):
    user = make_user(kind="artist")
    data = client.get(f"/api/v1/profiles/{user.profile.id}").get_json()
    assert (data["kind"], data["visibility"]) == ("artist", "public")
