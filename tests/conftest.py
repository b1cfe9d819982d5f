"""Shared fixtures: a real SQLite database migrated with the real migrations, the real gazetteer,
a test client with CSRF on, and factories.

The migrated + territory-loaded database is built once per session and copied for each test,
which keeps every test isolated and fast.
"""
from __future__ import annotations

import contextlib
import fcntl
import gc
import itertools
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from app import create_app
from app.extensions import limiter
from models import Commune, Profile, Skill, User, db
from tests.helpers import databases, sharing
from tests.helpers.apps import TEST_PASSWORD, AuthActions, IsolatedClient, base_config

pytest_plugins = ["tests.helpers.browser"]  # live_server and browser fixtures

ROOT = Path(__file__).resolve().parent.parent
_counter = itertools.count(1)
_TMPFS_BASETEMP = pytest.StashKey[str]()
_TEMPLATE_CACHE = pytest.StashKey[str]()

sharing.install()  # what the apps of this process share (tests/helpers/sharing.py)


@contextlib.contextmanager
def _locked(path: Path):
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def template_db(tmp_path_factory, request) -> Path:
    """A database made by `flask db upgrade`, `flask territory load` and `flask skills load`,
    once per run: the first xdist worker to need it makes it, in the directory the workers of
    the run share, while the others wait for it (each worker made its own: 1.5 to 3 s of CPU
    each under load). The last worker done with it drops it (a PostgreSQL database)."""
    shared = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):
        shared = shared.parent  # xdist: <the run's basetemp>/popen-gwN
    folder = shared / "template"
    path, users, made = folder / "maillage.sqlite3", folder / "users", folder / "made"
    with _locked(shared / "template.lock"):
        folder.mkdir(exist_ok=True)
        if not made.exists():
            databases.create_empty(path, shared=True)
            app = create_app(base_config(path))
            runner = app.test_cli_runner()
            for args in (["db", "upgrade"], ["territory", "load"], ["skills", "load"]):
                result = runner.invoke(args=args)
                assert result.exit_code == 0, result.output
            with app.app_context():
                db.engine.dispose()
            # Its empty search index, made by an app started over it (search/__init__.py:
            # _check_at_start), copied with it for each test (`db_path`).
            shutil.rmtree(folder / "search-index", ignore_errors=True)
            with create_app(base_config(path)).app_context():
                db.engine.dispose()
            made.touch()
        users.write_text(str((int(users.read_text()) if users.exists() else 0) + 1))
    yield path
    with _locked(shared / "template.lock"):
        left = int(users.read_text()) - 1
        users.write_text(str(left))
        if not left:  # a worker starting later makes it again
            made.unlink()
            databases.drop(path)
    databases.drop_leftovers()


@pytest.fixture(scope="session")
def database_pool(template_db):
    """On PostgreSQL, the databases this worker's tests take in turn (databases.Pool)."""
    pool = databases.Pool(template_db) if databases.ON_POSTGRES else None
    yield pool
    if pool:
        pool.close()


@pytest.fixture
def database_layer():
    """What a test's database holds above the template: nothing, unless its module overrides
    this with a `databases.Layer` (a world its tests all make the same way)."""
    return None


@pytest.fixture
def db_path(template_db, database_pool, database_layer, tmp_path) -> Path:
    """A copy of the template for one test, with the template's empty search index beside it
    (where `base_config` puts it): each test's app found no index and made one, a fifth of
    making the app."""
    path = tmp_path / "maillage.sqlite3"
    shutil.copytree(template_db.parent / "search-index", tmp_path / "search-index")
    if database_pool:
        database_pool.acquire(path)
    else:
        databases.copy(template_db, path)
    try:
        if database_layer is not None and database_layer.kept:
            database_layer.lay(path, database_pool)
        yield path
    finally:
        if database_pool:
            database_pool.release(path)


TMPFS = Path("/dev/shm")
# Modules that start servers of their own (module-scoped) or drive Chromium: each group runs on
# one xdist worker, in order, so at most two Chromiums and their servers run at once, and
# test_scale's Redis database is used by one test at a time; the other workers share every
# other test (`pytest_xdist_make_scheduler` below). The two browser groups take about as long
# each (about 60 s on SQLite here): a new browser module joins the shorter one.
LIVE_GROUPS = {
    "test_browser_organisers": "browser-1", "test_browser_demand": "browser-1",
    "test_browser_offline": "browser-1", "test_browser_census_field": "browser-1",
    "test_browser_search": "browser-1",
    "test_browser_phone": "browser-1", "test_browser_events": "browser-1",
    "test_browser_a11y": "browser-2",  # axe on 8 pages at two sizes: about 40 s, one world
    "test_browser": "browser-2",  # test_browser.py and the modules not named above
    "test_chat_server": "servers", "test_server": "servers", "test_api_fuzz": "servers",
    "test_two_hosts": "two-hosts",  # a group of its own: the servers group is long already
    "test_scale": "redis",
}


def _collect_less_often() -> None:
    """A test process keeps a large heap (modules, templates, the apps of earlier tests not yet
    freed): with Python's default thresholds its garbage collector scanned it so often that it
    took 40% of making an app. Objects alive once the suite is set up are frozen out of the scans,
    and collections are rarer (cyclic garbage still goes, a little later). While the test modules
    and the app are imported (collection), there is no collection at all: its passes were 0.45 of
    each process's 2.3 s of collecting."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    gc.enable()


gc.disable()  # until the collection is finished (`_collect_less_often`)


def pytest_collection_finish(session):
    _collect_less_often()  # the test modules and the app are imported by now


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Temporary databases, indexes and servers' files on tmpfs when the machine has one (a
    test that writes the index took half as long there as on this machine's disk). xdist's
    controller collects nothing: its garbage collector as usual."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        gc.enable()
    if not hasattr(config, "workerinput") and "MAILLAGE_TEMPLATE_CACHE_DIR" not in os.environ:
        # One directory of compiled templates for the run's processes (workers, servers,
        # commands inherit the variable): each compiled every template it rendered.
        folder = tempfile.mkdtemp(prefix="maillage-templates-",
                                  dir=TMPFS if os.access(TMPFS, os.W_OK) else None)
        os.environ["MAILLAGE_TEMPLATE_CACHE_DIR"] = config.stash[_TEMPLATE_CACHE] = folder
    if config.option.basetemp or hasattr(config, "workerinput") or not os.access(TMPFS, os.W_OK):
        return
    config.option.basetemp = tempfile.mkdtemp(prefix="maillage-tests-", dir=TMPFS)
    config.stash[_TMPFS_BASETEMP] = config.option.basetemp


def pytest_unconfigure(config):
    folder = config.stash.get(_TEMPLATE_CACHE, None)
    if folder:
        os.environ.pop("MAILLAGE_TEMPLATE_CACHE_DIR", None)
        shutil.rmtree(folder, ignore_errors=True)
    basetemp = config.stash.get(_TMPFS_BASETEMP, None)
    if basetemp:  # memory, not disk: not kept for the next run
        shutil.rmtree(basetemp, ignore_errors=True)


def pytest_report_header(config):
    if databases.ON_POSTGRES:
        return f"databases: PostgreSQL ({databases.POSTGRES_ADMIN_URL}), one per test"
    return "databases: SQLite files (MAILLAGE_TEST_POSTGRES=... for PostgreSQL)"


def pytest_xdist_auto_num_workers(config):
    """One worker more than cores: a browser or server test often waits (on a page, a socket,
    a server starting or PostgreSQL), and a third worker on 2 cores fills those waits. On
    2026-12-07 on this machine the SQLite run took 170 s with 2 workers (the cores 81% busy)
    and 151 s with 3 (95%); the PostgreSQL run 136 s with 3 and 138 s with 4. (On 2026-12-06,
    on a machine already 98% busy with 2 workers, the SQLite run had taken 265 s with 2 and
    274 s with 3: more workers only fought over the caches there.)"""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1


def pytest_xdist_make_scheduler(config, log):
    """Browser tests go to one xdist worker, live-server tests to one, each group in its
    order; every other test goes to whichever worker is free. (xdist's own `loadgroup` marks
    tests by renaming their node ids, which pytest 9 no longer allows.)"""
    from xdist.scheduler import LoadScopeScheduling

    class LiveTestsTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
            return next((group for prefix, group in LIVE_GROUPS.items()
                         if module.startswith(prefix)), nodeid)

    return LiveTestsTogether(config, log)


# Browser modules run again on PostgreSQL: the whole stack (Chromium, gunicorn and PostgreSQL)
# through a new member's journey and through the chat. The other browser modules test what the
# browser shows and does; the views they drive run on PostgreSQL in this run's other tests.
BROWSER_ON_POSTGRES = ("test_browser_home", "test_browser_chat")


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL: tests of what only SQLite has (file copies, the online backup API) say why
    they are skipped; so do tests that touch no database at all (no fixture reaches
    `template_db` and the module does not pick an engine itself through tests/helpers/databases):
    the same code on the same input, they already ran in the SQLite run; and the browser
    modules but BROWSER_ON_POSTGRES."""
    if not databases.ON_POSTGRES:
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        module = item.module.__name__.rsplit(".", 1)[-1]
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason="SQLite only: " + (marker.args[0]
                                                                       if marker.args else "")))
        elif "template_db" not in item.fixturenames and \
                getattr(item.module, "databases", None) is not databases:
            item.add_marker(pytest.mark.skip(reason="uses no database: run by the SQLite run"))
        elif module.startswith("test_browser") and module not in BROWSER_ON_POSTGRES:
            item.add_marker(pytest.mark.skip(
                reason="browser: run by the SQLite run; the views it drives run on PostgreSQL "
                       "in the other tests, the whole stack in " + ", ".join(BROWSER_ON_POSTGRES)))


@pytest.fixture(scope="module", params=["whoosh", "postgres"])
def search_backend(request) -> str:
    """The search engine a module runs on, both in turn (tests/test_search.py and
    tests/test_search_relevance.py take it into their app's SEARCH_BACKEND); PostgreSQL's
    only in a PostgreSQL run."""
    if request.param == "postgres" and not databases.ON_POSTGRES:
        pytest.skip("search on PostgreSQL: run with MAILLAGE_TEST_POSTGRES=postgresql+psycopg://...")
    return request.param


@pytest.fixture
def app_config(db_path) -> dict:
    """Override in a test module (or parametrize) to change the configuration."""
    return base_config(db_path)


@pytest.fixture
def app(app_config, request):
    if request.node.get_closest_marker("strong_passwords"):
        app_config = {k: v for k, v in app_config.items() if k != "PASSWORD_HASH_METHOD"}
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    limiter.reset()  # the limiter's memory store is process-wide
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def make_user(app):
    """make_user(email=None, commune="12202", skills=("menuiserie",), commit=True,
    **profile_fields). `commit=False` only flushes: a fixture that makes several people commits
    once (each commit writes the search index)."""
    def factory(email: str | None = None, *, display_name: str = "Alex Martin",
                role: str = "member", commune: str | None = "12202",
                skills: tuple[str, ...] = (), password: str = TEST_PASSWORD,
                commit: bool = True, **profile_fields) -> User:
        user = User(email=email or f"user{next(_counter)}@example.org",
                    display_name=display_name, role=role)
        user.set_password(password)
        user.profile = Profile(commune=db.session.get(Commune, commune) if commune else None,
                               **profile_fields)
        with db.session.no_autoflush:
            user.profile.skills = Skill.get_or_create(db.session, list(skills))
        db.session.add(user)
        db.session.commit() if commit else db.session.flush()
        return user
    return factory


@pytest.fixture
def make_network(app):
    """make_network(creator, name="Réseau", visibility="open", charter="Be kind.", commit=True,
    **fields)."""
    from app.networks.service import create_network

    def factory(creator: User, name: str = "Réseau des menuisiers", *, visibility: str = "open",
                charter: str = "Be kind.", commit: bool = True, **fields):
        network = create_network(db.session, creator, charter, name=name, visibility=visibility,
                                 **fields)
        db.session.commit() if commit else db.session.flush()
        return network
    return factory
