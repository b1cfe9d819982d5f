"""Maillage: a local-first social network for independent workers in rural territories."""
from __future__ import annotations

import hashlib
import os
import secrets
import time
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Defaults, env_overrides

ROOT = Path(__file__).resolve().parent.parent
__version__ = "0.1.0"


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: defaults -> instance/config.py -> MAILLAGE_* env -> test_config."""
    app = Flask(__name__, instance_path=instance_dir(), instance_relative_config=True,
                template_folder=str(ROOT / "templates"))
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(env_overrides())
    else:
        app.config.update(env_overrides())
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    from app.request import MaillageRequest
    app.request_class = MaillageRequest
    from app.converters import IdConverter
    app.url_map.converters["id"] = IdConverter
    _fill_runtime_defaults(app)
    from app import templating
    templating.use_shared_bytecode_cache(app)

    from app import compress
    compress.init_app(app)  # first registered, so its after_request runs last: on the final body
    _init_extensions(app)
    if app.config["PROXY_COUNT"]:
        # Behind N reverse proxies: the client address (rate limits) and scheme come from
        # their X-Forwarded-* headers, trusted for those N hops only; outside Socket.IO's
        # middleware, so that its requests see them too.
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    from app.security import SecurityHeaders
    # Outermost: every response, Socket.IO's included, gets the security headers and, over
    # HTTPS (as ProxyFix, inside, has just worked out), Secure cookies and HSTS.
    app.wsgi_app = SecurityHeaders(app.wsgi_app, app.config["HSTS_SECONDS"],
                                   app.config["HSTS_INCLUDE_SUBDOMAINS"])
    _register_blueprints(app)

    import search
    search.init_app(app)
    from app import cli, errors, header, i18n, idempotency, mail, pagecache, security, templating
    mail.init_app(app)  # `flask mail send`; the server's sender starts in gunicorn.conf.py
    idempotency.init_app(app)
    errors.init_app(app)
    pagecache.init_app(app)
    header.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    return app


def _fill_runtime_defaults(app: Flask) -> None:
    instance = Path(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'maillage.sqlite3'}"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A pool larger than the server's threads (16 to 32 per gunicorn worker): with
        # SQLAlchemy's default (5 + 10 overflow) the 16th busy thread waits for a connection,
        # which cost logged-in pages a third of their speed in bench/pages.py. SQLite
        # connections are only file handles.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(
            app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("pool_size", 32)
        options.setdefault("max_overflow", 32)
        options.setdefault("pool_timeout", app.config["DATABASE_POOL_TIMEOUT"])
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Real connections, 100 by default on the server: 20 per worker (4 workers: 80), and a
        # connection dropped by a restart of PostgreSQL is replaced, not handed to a request.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(
            app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 10)
        options.setdefault("pool_timeout", app.config["DATABASE_POOL_TIMEOUT"])
        options.setdefault("pool_pre_ping", True)
    if not app.config.get("SOCKETIO_CHANNEL"):
        app.config["SOCKETIO_CHANNEL"] = deployment_channel(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["SOCKETIO_CHANNEL"])
    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE") or ""
    if queue.startswith("redis") and app.config.get("RATELIMIT_STORAGE_URI") == "memory://":
        # Several processes: every rate limit (logins, chat, reports) counted in one place.
        app.config["RATELIMIT_STORAGE_URI"] = queue
    if not app.config.get("SEARCH_INDEX_DIR"):
        app.config["SEARCH_INDEX_DIR"] = str(instance / "search-index")
    if app.config.get("TEMPLATE_CACHE_DIR") is None:
        app.config["TEMPLATE_CACHE_DIR"] = str(instance / "template-cache")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance / "secret_key")


def instance_dir() -> str:
    """This machine's own files (config.py, the default database, secret key, uploads, mail,
    index): `instance/` of the checkout, or MAILLAGE_INSTANCE_DIR, so that one checkout can serve
    several instances, each with a folder of its own (tests/test_two_hosts.py: two hosts)."""
    return os.environ.get("MAILLAGE_INSTANCE_DIR") or str(ROOT / "instance")


def deployment_channel(database_url: str) -> str:
    """A name for this deployment on a shared Redis, from its database (password left out)."""
    from sqlalchemy.engine import make_url
    try:
        identity = make_url(database_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an odd URL still gets a stable name
        identity = database_url
    return "maillage-" + hashlib.sha1(identity.encode()).hexdigest()[:12]


def _instance_secret_key(path: Path) -> str:
    """One random key per instance, kept in instance/ so sessions survive a restart. Created
    with O_EXCL: workers starting together all end up with the key of the first one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    for _ in range(50):  # another worker may have created it and not written it yet
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it and start again")


def _init_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from app.extensions import MigrationCommands, csrf, limiter, login_manager
    from models import db
    from realtime import socketio

    db.init_app(app)
    app.cli.add_command(MigrationCommands("db", help="Perform database migrations."))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    socketio.init_app(app)
    from realtime.websocket import WholeFrames
    app.wsgi_app = WholeFrames(app.wsgi_app)  # outermost: every frame whole (realtime/websocket.py)
    from realtime import hooks
    hooks.init_app(app)  # sockets follow membership and message changes at commit
    from app.chat import socket as chat_socket
    chat_socket.init_app(app)  # the /chat namespace, its fan-out in app.extensions["maillage.chat"]


def _register_blueprints(app: Flask) -> None:
    from app import (
        api,
        auth,
        chat,
        demand,
        events,
        main,
        networks,
        organisers,
        people,
        places,
        skills,
        social,
    )

    for module in (main, auth, people, skills, networks, social, chat, demand, places, events,
                   organisers, api):
        app.register_blueprint(module.bp)
    app.register_blueprint(demand.campaigns_bp)
    app.register_blueprint(organisers.shared_bp)
    from app import census
    app.register_blueprint(census.bp)
    app.register_blueprint(census.links_bp)
    from app.search_views import bp as search_bp
    app.register_blueprint(search_bp)
    from app.moderation.views import bp as moderation_bp
    app.register_blueprint(moderation_bp)
    from app.opendata import bp as opendata_bp
    app.register_blueprint(opendata_bp)
    from app.mailprefs import bp as mailprefs_bp
    app.register_blueprint(mailprefs_bp)
    from app.savedsearch import bp as saved_searches_bp
    app.register_blueprint(saved_searches_bp)
    from app.tokens import bp as tokens_bp
    app.register_blueprint(tokens_bp)
    from app import admin
    app.register_blueprint(admin.bp)
    from app import images
    images.init_app(app)
    from app import offline, offline_storage
    app.register_blueprint(offline.bp)
    offline_storage.init_app(app)
