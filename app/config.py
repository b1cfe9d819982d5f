"""Default configuration. Layers, later wins: these defaults -> instance/config.py ->
MAILLAGE_* environment variables -> the test_config passed to create_app()."""
from __future__ import annotations

import json
import os


class Defaults:
    SECRET_KEY = None  # set from instance/secret_key on first run (see app.secrets)
    SQLALCHEMY_DATABASE_URI = None  # defaults to instance/maillage.sqlite3
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # Bodies: a long bio must come back to its author with an error, not as a 413.
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 4 * 1024 * 1024
    # JSON bodies (app/jsonbody.py): larger or deeper ones are a 400 with a JSON error.
    JSON_MAX_BYTES = 64 * 1024
    JSON_MAX_DEPTH = 20

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Cookies are Secure by themselves on an HTTPS request (directly, or through the
    # PROXY_COUNT trusted proxies' X-Forwarded-Proto: app/security.py); true forces it always.
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    # Seconds between two writes of a login session's "last seen" (app/auth/sessions.py).
    LOGIN_SEEN_SECONDS = 300

    # CSRF: checked for every unsafe request (see app.security); FlaskForm views report a bad
    # token as a form error so nothing typed is lost.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ["fr", "en"]

    PASSWORD_HASH_METHOD = "scrypt"  # tests lower it (a hash per test user); keep it here

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute"  # per client address
    LOGIN_ACCOUNT_RATE_LIMIT = "30 per hour"  # per account, from any address
    REGISTER_RATE_LIMIT = "20 per hour"
    # The council report's PDF through a shared read-only link: no account behind it, and each
    # costs about 2 s of a worker's CPU. Per link, whoever asks.
    SHARED_REPORT_RATE_LIMIT = "10 per minute"
    # The JSON API with a personal access token: per token, whatever the address (README, API).
    API_TOKEN_RATE_LIMIT = "120 per minute"
    # Origins allowed to read the API from a browser (CORS), e.g. "https://mairie.example";
    # empty: none (the default). Only read routes answer them, never with credentials.
    API_CORS_ORIGINS: tuple[str, ...] = ()
    # Every API answer checked against its declared model before it leaves (the tests).
    API_CHECK_RESPONSES = False
    # Two-factor sign-in (app/auth/two_factor.py). Organisers and admins must set it up before
    # any staff page; MAILLAGE_STAFF_2FA_REQUIRED=false turns that off (a demo). The test suite
    # turns it off by default (tests/conftest.py) and on where it is tested.
    STAFF_2FA_REQUIRED = True
    TWO_FACTOR_PENDING_SECONDS = 300  # between the password and the code
    TWO_FACTOR_RATE_LIMIT = "5 per minute"  # codes tried per pending login (and per address)

    PROXY_COUNT = 0  # reverse proxies in front (nginx: 1), see README "Production"
    # Strict-Transport-Security on HTTPS responses: 0 sends none; e.g. 31536000 (a year) once
    # the site is only ever served over HTTPS.
    HSTS_SECONDS = 0
    HSTS_INCLUDE_SUBDOMAINS = False
    TRUSTED_HOSTS = None  # e.g. ["maillage.example.org"]: other Host headers get a 400

    SOCKETIO_MESSAGE_QUEUE = None
    # The name under which this deployment talks on the queue's Redis: its Socket.IO channel,
    # its socket orders, its rate-limit keys. Two deployments sharing a Redis must differ here;
    # by default it is derived from the database URL (the same database: the same deployment).
    SOCKETIO_CHANNEL = None
    # Seconds a request or a chat event waits for a database connection of its process's pool
    # before being answered "busy, try again" (503 on pages, `busy` on the socket).
    DATABASE_POOL_TIMEOUT = 5
    # With several processes: seconds after which the people of a process that stopped answering
    # (killed, its machine lost) show offline everywhere (plus one renewal, a third of it).
    CHAT_PRESENCE_TTL = 15
    SOCKETIO_ASYNC_MODE = None  # None: gevent when the server monkey-patched, else threading
    # Engine.IO's heartbeat: the server pings every this many seconds and drops a socket that
    # has not answered this many seconds later (Engine.IO's defaults, 25 and 20).
    SOCKETIO_PING_INTERVAL = 25
    SOCKETIO_PING_TIMEOUT = 20
    CHAT_RATE_LIMIT = "10 per 10 seconds"  # messages per person, all their sockets together
    REPORT_RATE_LIMIT = "10 per hour"  # reports per person
    CHAT_EVENT_RATE_LIMIT = "200 per 10 seconds"  # joins, reads, typing, edits per person
    # Messages replayed to a person by `join` and `missed` (each call priced at a full page, 100):
    # a member reconnecting with fifty rooms open twice a minute stays well under it; a script
    # asking for replays all day costs the worker about 1 % of a core.
    CHAT_REPLAY_RATE_LIMIT = "10000 per minute"
    SOCKETIO_CORS_ALLOWED_ORIGINS = ["http://127.0.0.1:5000", "http://localhost:5000"]

    DIRECTORY_PAGE_SIZE = 20

    # Organisers: figures about fewer people than this are never shown on the map or exported.
    ORGANISER_MIN_CELL = 3
    # kg CO2 per km by car (ADEME Base Carbone 2023, average French car), and its source.
    CO2_KG_PER_KM = 0.218
    CO2_SOURCE = "ADEME, Base Carbone (2023): voiture particulière moyenne, 0,218 kg CO2e/km"
    DESK_OCCUPANCY = 0.7  # share of a desk's open days actually used, for "desks needed"
    # Who signs the organisers' report and spreadsheets (a PETR, a communauté de communes, the
    # CCI...): no account records the organisers' organisation, so it is set here
    # (MAILLAGE_ORGANISATION_NAME="PETR Lévézou Pareloup", say).
    ORGANISATION_NAME = "Maillage"
    SIRENE_UPLOAD_MAX = 1024 * 1024 * 1024  # the SIRENE upload page only (an extract is large)
    # Pictures (app/images/): avatars, network logos, place photos. A larger file is refused
    # (a request larger than this plus MAX_FORM_MEMORY_SIZE is a 413 before it is read), and so
    # is a picture declaring more pixels than IMAGE_MAX_PIXELS (decompression bombs).
    IMAGE_MAX_BYTES = 10 * 1024 * 1024
    IMAGE_MAX_PIXELS = 40_000_000
    IMAGE_UPLOAD_RATE_LIMIT = "30 per hour"  # pictures sent per person
    # Where uploaded files live (app/images/storage.py): "local", files below UPLOADS_DIR
    # (instance/uploads), or "database", rows of the database every machine shares (several
    # machines without a shared disk; README, "Several machines").
    UPLOADS_BACKEND = "local"
    PAGE_CACHE_ENTRIES = 512  # rendered pages kept per process for anonymous visitors; 0: off
    PAGE_CACHE_VERSION_SECONDS = 1.0  # how late another process's change may show (app/pagecache.py)
    MEMBER_PAGE_ENTRIES = 256  # whole member pages kept per process (per login session); 0: off
    MEMBER_PAGE_SECONDS = 60  # the longest one is reused (relative times: "il y a 2 min")
    SEARCH_INDEX_DIR = None  # defaults to instance/search-index
    # Compiled templates kept for the processes that start later (app/templating.py); None:
    # instance/template-cache, "": each process compiles its own.
    TEMPLATE_CACHE_DIR = None
    # The search engine (search/__init__.py): "whoosh", an index in files per machine
    # (SEARCH_INDEX_DIR), or "postgres", tables of the PostgreSQL database written in the
    # same transaction as the rows (every machine reads the same; README, "Search").
    SEARCH_BACKEND = "whoosh"

    # E-mail (README, E-mail; app/mail/). Without MAIL_SERVER each message is written as an .eml
    # file into MAIL_DIR (instance/mail by default) and shown at /admin/mail.
    MAIL_SERVER = ""
    MAIL_PORT = 587
    MAIL_SECURITY = "starttls"  # none, starttls or tls (SMTP over TLS, usually port 465)
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_SENDER = "Maillage <maillage@localhost>"  # an address, with or without a display name
    MAIL_DIR = None  # defaults to instance/mail
    MAIL_TIMEOUT = 30  # seconds for the SMTP connection and each command
    # Links in mails start with this (e.g. "https://maillage.example.org"); without it, with the
    # address of the request that queued the mail: set it (or TRUSTED_HOSTS) in production.
    BASE_URL = None
    # The sender inside the server process (one process at a time, through a lease row). None:
    # on, except under TESTING. Turn it off when `flask mail send` runs from cron or systemd.
    MAIL_SENDER_THREAD = None
    MAIL_POLL_SECONDS = 5  # how often the background sender looks for due messages
    MAIL_BATCH = 50  # messages claimed at a time
    MAIL_LEASE_SECONDS = 300  # a claimed message goes back to the queue if its sender died
    MAIL_SENDER_LEASE_SECONDS = 60  # the background sender's lease, renewed while it runs
    MAIL_RETRY_BASE_SECONDS = 60  # first retry after a temporary failure, doubling each time
    MAIL_RETRY_MAX_SECONDS = 3600  # ... up to this
    MAIL_GIVE_UP_SECONDS = 2 * 24 * 3600  # a message still failing after this is marked failed
    PASSWORD_RESET_RATE_LIMIT = "5 per 15 minutes"  # reset requests per client address
    PASSWORD_RESET_ADDRESS_LIMIT = "3 per hour"  # reset mails to one address (more: silently none)
    SIGNUP_NOTICE_ADDRESS_LIMIT = "3 per hour"  # sign-up mails (link or notice) to one address
    VERIFY_RESEND_RATE_LIMIT = "3 per hour"  # verification mails a member asks again for
    # Unread direct and group messages (app/mailprefs/chat_unread.py): a member who wants
    # messages "at once" gets one mail per conversation once a message from someone else has
    # stayed unread this many seconds, then none for it until they read it. Messages older than
    # CHAT_UNREAD_MAIL_MAX_AGE are left to the app (the first run after an upgrade does not mail
    # about last month's conversations). The mail loop looks every CHAT_UNREAD_MAIL_EVERY
    # seconds (`flask mail chat-unread` does the same once).
    CHAT_UNREAD_MAIL_DELAY = 30 * 60
    CHAT_UNREAD_MAIL_MAX_AGE = 7 * 24 * 3600
    CHAT_UNREAD_MAIL_EVERY = 60
    # The day-before reminders of events (app/events/reminders.py): the mail loop looks every
    # this many seconds (`flask events remind` does the same once); 0: not in the loop.
    EVENT_REMINDER_EVERY = 60
    # Saved searches' alerts (app/savedsearch/alerts.py): the mail loop looks at the profiles
    # changed since its last look every this many seconds (`flask search alerts` does the same
    # once); 0: not in the loop.
    SAVED_SEARCH_ALERT_EVERY = 300
    # Census campaigns past their deadline are closed (and the closing logged) by the mail loop
    # every this many seconds (app/census/progress.py: close_due), or on the first view of
    # their progress page after it, whichever comes first; 0: not in the loop.
    CENSUS_CLOSE_EVERY = 600
    # Digests from the mail loop (app/jobs.py: once across all processes and machines), in
    # seconds between looks (a digest goes once per member and period however often it looks:
    # 3600 is a fine value); 0, the default: deploy/'s systemd timers run `flask mail digest`.
    DIGEST_DAILY_EVERY = 0
    DIGEST_WEEKLY_EVERY = 0
    DIGEST_BATCH = 200  # members per transaction of a digest build
    # A periodic job's lease (app/jobs.py): a process that dies mid-job leaves it to another
    # after this; a job must finish within it (else it may run twice at once, harmlessly).
    JOB_LEASE_SECONDS = 600


def _parse_env_value(raw: str):
    """Environment strings -> Python values: JSON where it parses (1, true, [..]), else text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def env_overrides(environ=os.environ, prefix: str = "MAILLAGE_") -> dict:
    """MAILLAGE_DATABASE_URL and MAILLAGE_SQLALCHEMY_DATABASE_URI both set the database."""
    out = {}
    for name, raw in environ.items():
        if not name.startswith(prefix):
            continue
        key = name[len(prefix):]
        out[key] = raw if key in ("SECRET_KEY", "DATABASE_URL") else _parse_env_value(raw)
    if "DATABASE_URL" in out:
        out["SQLALCHEMY_DATABASE_URI"] = out.pop("DATABASE_URL")
    return out
