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

    def _real(self, ctx: click.Context | None) -> click.Group:
        from flask import current_app
        from flask.cli import ScriptInfo
        from flask_migrate import Migrate
        from flask_migrate.cli import db as commands

        from models import db
        info = ctx.find_object(ScriptInfo) if ctx is not None else None
        app = info.load_app() if info is not None else current_app._get_current_object()
        if "migrate" not in app.extensions:
            Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True)
        return commands

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        real = self._real(parent)  # its options (-d, -x) and what it does with them
        self.params, self.callback = real.params, real.callback
        return super().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real(ctx).list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._real(ctx).get_command(ctx, name)
