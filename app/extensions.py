"""Flask extensions owned by the app package (db lives in models/, socketio in realtime/)."""
from pathlib import Path

import click
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class MigrationCommands(click.Group):
    """`flask db ...`: Flask-Migrate's command group, set up for the app when it is run.
    Flask-Migrate imports Alembic and Mako, 85 ms of the start of every process that makes the
    app (each server worker), which only these commands use."""

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        from flask.cli import ScriptInfo
        from flask_migrate import Migrate
        from flask_migrate.cli import db as commands

        from models import db
        app = ((parent.find_object(ScriptInfo) if parent else None) or ScriptInfo()).load_app()
        if "migrate" not in app.extensions:
            Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True)
        # Flask-Migrate's group: its options (-d, -x), what it does with them, its commands.
        self.params, self.callback, self._commands = commands.params, commands.callback, commands
        return super().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._commands.list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._commands.get_command(ctx, name)
