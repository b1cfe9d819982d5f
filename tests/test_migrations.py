"""Migrations keep members' data: upgrading a database that holds profiles and skills."""
from __future__ import annotations

from sqlalchemy import text

from app import create_app
from models import db
from tests.conftest import base_config
from tests.helpers import databases


def test_0002_keeps_profile_skills_and_merges_spellings(tmp_path):
    databases.create_empty(tmp_path / "old.sqlite3")
    app = create_app(base_config(tmp_path / "old.sqlite3"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0001"]).exit_code == 0
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
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT ps.profile_id, s.name FROM profile_skill ps JOIN skill s ON s.id = ps.skill_id "
            "ORDER BY 1, 2")).all()
        assert rows == [(1, "Tonnelière"), (2, "Tonnelière"), (2, "Vannerie")]
        aliases = db.session.execute(text("SELECT key, skill_id FROM skill_alias ORDER BY 1")).all()
        assert aliases == [("tonnelier", 1), ("vannerie", 3)]
        db.engine.dispose()
    assert runner.invoke(args=["db", "downgrade", "0001"]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM profile_skill")) == 3
        db.engine.dispose()
