"""Migrations keep members' data: upgrading a database that holds profiles and skills. The typed
enum columns are the VARCHARs the migrations made: no migration came with them."""
from __future__ import annotations

import enum

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Enum, text
from sqlalchemy.schema import CreateTable

from app import create_app
from models import db
from search.postgres_documents import not_search_table
from tests.helpers import databases
from tests.helpers.apps import base_config
from tests.helpers.schema import inline_sqlite_fks_aside


def flask(runner, *args: str) -> None:
    """A `flask` command through the app's CLI runner; its output and exception when it fails."""
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, (result.output, result.exception)


def test_0002_keeps_profile_skills_and_merges_spellings(tmp_path):
    databases.create_empty(tmp_path / "old.sqlite3")
    app = create_app(base_config(tmp_path / "old.sqlite3"))
    runner = app.test_cli_runner()
    flask(runner, "db", "upgrade", "0001")
    with app.app_context():
        for statement in (
            "INSERT INTO \"user\" (id, email, password_hash, display_name, role, session_token, "
            "created_at) VALUES (1, 'a@x.org', 'x', 'A', 'member', 't1', '2026-01-01'), "
            "(2, 'b@x.org', 'x', 'B', 'member', 't2', '2026-01-01')",
            "INSERT INTO profile (id, user_id, kind, headline, bio, offers, needs, website, "
            "visibility, updated_at) VALUES (1, 1, 'independent', '', '', '', '', '', 'public', "
            "'2026-01-01'), (2, 2, 'independent', '', '', '', '', '', 'public', '2026-01-01')",
            # Keyed the 0001 way (fold): two spellings of one skill were two rows.
            "INSERT INTO skill (id, name, key) VALUES (1, 'Tonnelière', 'tonneliere'), "
            "(2, 'tonneliers', 'tonneliers'), (3, 'Vannerie', 'vannerie')",
            "INSERT INTO profile_skill VALUES (1, 1), (1, 2), (2, 2), (2, 3)",
        ):
            db.session.execute(text(statement))
        db.session.commit()
        db.engine.dispose()
    flask(runner, "db", "upgrade")
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT ps.profile_id, s.name FROM profile_skill ps JOIN skill s ON s.id = ps.skill_id "
            "ORDER BY 1, 2")).all()
        assert rows == [(1, "Tonnelière"), (2, "Tonnelière"), (2, "Vannerie")]
        aliases = db.session.execute(text("SELECT key, skill_id FROM skill_alias ORDER BY 1")).all()
        assert aliases == [("tonnelier", 1), ("vannerie", 3)]
        db.engine.dispose()
    flask(runner, "db", "downgrade", "0001")
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM profile_skill")) == 3
        db.engine.dispose()


def _enum_columns():
    return [column for table in db.metadata.sorted_tables for column in table.columns
            if isinstance(column.type, Enum)]


def test_enum_columns_are_the_migrated_varchars(tmp_path):
    """The StrEnum columns (models/types.py:str_enum) keep the schema of the String columns they
    replaced: an empty database migrated by `flask db upgrade` matches the models, types and
    lengths compared (tests/test_app.py compares without types, on the suite's database)."""
    columns = _enum_columns()
    assert sorted(str(c) for c in columns) == [
        "appeal.status", "appeal.target_kind", "census_answer.channel", "census_quota.track",
        "census_suppression.reason", "census_target.status", "census_target.unit",
        "connection.status", "declaration_version.formula",
        "declaration_version.track", "digest_run.period", "event.audience", "event.kind",
        "event.location", "event_registration.status", "mail_preference.kind",
        "mail_preference.mode", "membership.role", "membership.status", "network.scope",
        "network.visibility", "notification.kind", "outbox.status", "place.kind", "place.status",
        "pricing_plan.period", "profile.direct_messages", "profile.kind", "profile.visibility",
        "proposal.status", "report.reason", "report.status", "report.target_kind", "room.kind",
        "saved_search.profile_kind", "shared_link_use.outcome", "user.role"]
    for column in columns:
        assert issubclass(column.type.enum_class, enum.StrEnum), column
        assert not column.type.native_enum and not column.type.create_constraint, column
        # The members' values are stored, not their names.
        assert column.type.enums == [m.value for m in column.type.enum_class], column
    databases.create_empty(tmp_path / "fresh.sqlite3")
    app = create_app(base_config(tmp_path / "fresh.sqlite3"))
    flask(app.test_cli_runner(), "db", "upgrade")
    with app.app_context():
        connection = db.session.connection()
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": not_search_table})
        assert inline_sqlite_fks_aside(connection, compare_metadata(context, db.metadata)) == []
        for column in columns:  # no CHECK constraint either (compare_metadata does not look)
            ddl = str(CreateTable(column.table).compile(connection))
            assert f"{column.name} IN (" not in ddl, column
        db.session.rollback()
        db.engine.dispose()


def test_0019_adds_where_a_place_came_from_and_keeps_places_both_ways(tmp_path):
    """The place's new columns are added and dropped in place: its animators and plans stay (a
    batch copy of "place" on SQLite would have cascaded into them)."""
    databases.create_empty(tmp_path / "old.sqlite3")
    app = create_app(base_config(tmp_path / "old.sqlite3"))
    runner = app.test_cli_runner()
    flask(runner, "db", "upgrade", "0018")
    flask(runner, "territory", "load")
    with app.app_context():
        for statement in (
            "INSERT INTO \"user\" (id, email, password_hash, display_name, role, session_token, "
            "created_at) VALUES (1, 'a@x.org', 'x', 'A', 'member', 't1', '2026-01-01')",
            "INSERT INTO place (id, name, name_key, description, status, commune_insee, address, "
            "equipment, opening_hours, charter, governance_model, free_first_month, photo_alt, "
            "created_at, updated_at) VALUES (1, 'Le Lieu', 'le lieu', '', 'open', '12202', '', "
            "'[]', '', '', '', FALSE, '', '2026-01-01', '2026-01-01')",
            "INSERT INTO place_animator VALUES (1, 1)",
            "INSERT INTO pricing_plan (id, place_id, position, name, price_cents, period, "
            "tax_included) VALUES (1, 1, 0, 'Jour', 1000, 'day', TRUE)",
        ):
            db.session.execute(text(statement))
        db.session.commit()
        db.engine.dispose()
    flask(runner, "db", "upgrade")
    with app.app_context():
        assert db.session.execute(text(
            "SELECT website, source, source_id, confirmed_at, confirmed_by_id, kind FROM place"
        )).all() == [("", None, None, None, None, None)]
        db.session.execute(text("UPDATE place SET source = 'CGET 2019', source_id = '1', "
                                "confirmed_by_id = 1"))
        db.session.commit()
        db.engine.dispose()
    flask(runner, "db", "downgrade", "0018")
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM place_animator")) == 1
        assert db.session.scalar(text("SELECT count(*) FROM pricing_plan")) == 1
        assert db.session.scalar(text("SELECT name FROM place")) == "Le Lieu"
        db.engine.dispose()


def test_0021_adds_the_census_and_the_sirene_address_and_keeps_establishments(tmp_path):
    """The census's tables come and go; sirene_establishment gets its address in place (a
    plain ADD COLUMN), its rows kept both ways."""
    databases.create_empty(tmp_path / "old.sqlite3")
    app = create_app(base_config(tmp_path / "old.sqlite3"))
    runner = app.test_cli_runner()
    flask(runner, "db", "upgrade", "0019")
    with app.app_context():
        db.session.execute(text(
            "INSERT INTO sirene_establishment (siret, commune_insee, naf_code, name, diffusible, "
            "active, employer, updated_at) VALUES ('80000000253065', '12169', '62.02A', "
            "'Céline Studio', TRUE, TRUE, FALSE, '2026-01-01')"))
        db.session.commit()
        db.engine.dispose()
    flask(runner, "db", "upgrade")
    with app.app_context():
        assert db.session.execute(text("SELECT name, address FROM sirene_establishment")).all() \
            == [("Céline Studio", "")]
        assert db.session.scalar(text("SELECT count(*) FROM census_target")) == 0
        db.engine.dispose()
    flask(runner, "db", "downgrade", "0019")
    with app.app_context():
        assert db.session.scalar(text("SELECT name FROM sirene_establishment")) == "Céline Studio"
        tables = db.inspect(db.engine).get_table_names()
        assert not [t for t in tables if t.startswith("census_")]
        db.engine.dispose()
