"""What the apps of one test process share, installed once by tests/conftest.py: werkzeug's
compiled URL rules, SQLAlchemy's dialect and compiled statements, and on PostgreSQL the
connections to a pooled database. Production makes one app per process and keeps werkzeug and
SQLAlchemy as they are.

A module of its own, imported under one name: test modules that imported their helpers from
tests/conftest.py loaded it a second time as `tests.conftest`, beside pytest's `conftest`, and
its patches were installed twice, each with its own state."""
from __future__ import annotations

from tests.helpers import databases

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    share_compiled_rules()
    share_compiled_statements()
    if databases.ON_POSTGRES:
        keep_postgres_connections()


def share_compiled_rules() -> None:
    """Every test makes an app, and werkzeug compiles each URL rule for each (`Rule.compile`):
    it parses the rule's text into regular-expression parts and converters, and compiles two
    Python functions that build its URLs (those were 80% of create_app's 26 ms). What it makes
    depends only on the rule's text, its domain part, slash merging, its defaults and the map's
    converter classes (summed up once per map), so the apps of one process share it here;
    production makes one app per process and keeps werkzeug as it is. Converters keep no state
    that matching or building reads. Left as is when a werkzeug release changes `Rule.compile`."""
    from werkzeug.routing.rules import Rule

    compile_rule = Rule.__dict__.get("compile")
    if compile_rule is None or "_parse_rule" not in compile_rule.__code__.co_names:
        return
    parsed: dict = {}

    def converter_classes(rule_map) -> tuple:
        known = rule_map.__dict__.get("_maillage_converters")
        if known is None or known[0] != len(rule_map.converters):
            known = (len(rule_map.converters), tuple(rule_map.converters.items()))
            rule_map._maillage_converters = known
        return known[1]

    def shared(self):
        rule_map = self.map
        domain = (self.host or "") if rule_map.host_matching else (self.subdomain or "")
        defaults = tuple(sorted((name, repr(value)) for name, value in self.defaults.items())) \
            if self.defaults else ()
        key = (self.rule, domain, rule_map.host_matching, self.merge_slashes,
               converter_classes(rule_map), defaults)
        entry = parsed.get(key)
        if entry is None:
            before = set(self.arguments)
            compile_rule(self)
            parsed[key] = (self._parts, self._trace, self._converters, self.arguments - before,
                           self._build.__func__, self._build_unknown.__func__)
            return
        parts, trace, rule_converters, arguments, build, build_unknown = entry
        self._parts, self._trace = list(parts), list(trace)
        self._converters = dict(rule_converters)
        self.arguments |= arguments
        self._build = build.__get__(self, None)
        self._build_unknown = build_unknown.__get__(self, None)

    Rule.compile = shared


# Driver name: [(dialect, compiled cache)], a single one once an engine has connected with it.
SHARED_DIALECTS: dict[str, list] = {}


def share_compiled_statements() -> None:
    """Every test makes an app and with it an engine, and SQLAlchemy keeps the SQL it compiled
    per engine (the cache's keys hold the engine's dialect): each test compiled again every
    statement the earlier ones had, a third of the CPU of the tests that use the database. The
    engines of the same process and driver share one dialect and one cache here; production
    makes one engine per process and keeps SQLAlchemy as it is. An engine whose options reach
    its dialect (an isolation level, JSON functions...) keeps its own.

    Only a dialect an engine has connected with is shared: SQLAlchemy learns the server's
    version and features at an engine's first connection, into the dialect that engine was made
    with. Until one has, each new engine keeps its own and is a candidate (an app whose test
    never reached the database once left the shared dialect blank for the rest of the process,
    and a later migration read None as SQLite's version)."""
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy.util import LRUCache

    make_engine = SQLAlchemy._make_engine
    not_dialect = {"url", "echo", "echo_pool", "pool_size", "max_overflow", "pool_timeout",
                   "pool_pre_ping", "pool_recycle", "poolclass", "connect_args"}

    def sharing(self, bind_key, options, app):
        engine = make_engine(self, bind_key, options, app)
        if set(options) - not_dialect or getattr(engine, "_compiled_cache", None) is None:
            return engine
        candidates = SHARED_DIALECTS.setdefault(engine.url.drivername, [])
        ready = next((c for c in candidates if c[0].server_version_info is not None), None)
        if ready is None:  # none connected yet: this engine keeps its own, and may be the one
            engine._compiled_cache = LRUCache(5000)
            candidates.append((engine.dialect, engine._compiled_cache))
            return engine
        candidates[:] = [ready]
        engine.dialect, engine._compiled_cache = ready
        engine.pool._dialect = engine.dialect
        return engine

    SQLAlchemy._make_engine = sharing


def keep_postgres_connections() -> None:
    """On PostgreSQL every test's app opened new connections, and a new server process spends
    its first statements on each table loading the catalogue and planning: 0.5 ms a statement,
    half of a database test's time there. The apps of one process keep their connections to a
    pooled database (tests/helpers/databases.py: `Pool`) from one test to the next instead: one
    SQLAlchemy pool per database and pool settings, which `dispose()` leaves open. A kept
    connection is pinged once by each new app before use (a test may have ended the database's
    sessions), and the pool's reset between tests ends every other session of the database,
    and these too unless idle (`databases.KEPT_CONNECTIONS`)."""
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import event, exc
    from sqlalchemy.engine import make_url

    make_engine = SQLAlchemy._make_engine
    pools: dict = {}
    generation = [0]  # one more for each new app: its first use of a kept connection pings it
    plain = {"url", "echo", "echo_pool", "pool_size", "max_overflow", "pool_timeout",
             "pool_pre_ping"}  # what the app's engines are made with (not a test's own pool)

    def ping_once_per_app(dbapi_connection, record, _proxy):
        if record.info.get("generation") == generation[0]:
            return
        try:
            dbapi_connection.execute("SELECT 1")
        except Exception as error:  # ended by the server: the pool connects again
            raise exc.DisconnectionError() from error
        record.info["generation"] = generation[0]

    def keeping(self, bind_key, options, app):
        url = options["url"]
        if set(options) - plain or not databases.is_pooled(url):
            return make_engine(self, bind_key, options, app)
        url = make_url(url).update_query_dict({"application_name": databases.KEPT_CONNECTIONS})
        key = (url.render_as_string(hide_password=False),
               *sorted((name, repr(value)) for name, value in options.items() if name != "url"))
        engine = make_engine(self, bind_key, {**options, "url": url}, app)
        generation[0] += 1
        if key not in pools:
            pools[key] = engine.pool
            event.listen(engine.pool, "checkout", ping_once_per_app)
        engine.pool = pools[key]
        engine.dispose = lambda close=True: None  # kept for the next test's app
        return engine

    SQLAlchemy._make_engine = keeping
