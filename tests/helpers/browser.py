"""A real Maillage server in a subprocess, and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import databases

ROOT = Path(__file__).resolve().parents[2]
# Debian's chromium-headless-shell: the same Blink and V8 as Debian's chromium, built without the
# desktop browser around them (Playwright's own choice for headless runs). The browser modules
# took 44% less CPU with it than with /usr/bin/chromium in headless mode (140 s against 252 s
# for the 73 browser tests, `time pytest tests/test_browser*.py`), and CPU is what the suite is
# bound by. The full chromium is used where the shell is not installed, or when named.
CHROMIUM = os.environ.get("MAILLAGE_CHROMIUM") or next(
    (exe for exe in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
     if Path(exe).exists()), "/usr/bin/chromium-headless-shell")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-quic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`gunicorn wsgi:app` with gunicorn.conf.py (what `make run` starts) on a free port."""

    # The servers of this process by their address: a browser step that knows only its page
    # finds the server's database there (the sign-up link in its outbox).
    running: dict[str, LiveServer] = {}

    @classmethod
    def serving(cls, url: str) -> LiveServer:
        """The running server of a page's URL."""
        origin = "/".join(url.split("/", 3)[:3])
        assert origin in cls.running, f"no live server at {origin}"
        return cls.running[origin]

    def __init__(self, db_file: Path, workdir: Path, env: dict | None = None, *,
                 host: str = "127.0.0.1", port: int | None = None, wrapper: tuple = ()):
        """`wrapper`: what the command runs under (`ip netns exec NAME`: another host), with
        `host` its address there."""
        self.port = port or free_port()
        self.url = f"http://{host}:{self.port}"
        self.wrapper = tuple(wrapper)
        self.db_file = db_file  # tests may set roles directly, as `flask user set-role` does
        self.workdir = workdir
        self.env = {**os.environ, "MAILLAGE_DATABASE_URL": databases.database_url(db_file),
                    "MAILLAGE_SECRET_KEY": "browser-tests",
                    "MAILLAGE_HOST": host, "MAILLAGE_PORT": str(self.port),
                    "MAILLAGE_SEARCH_INDEX_DIR": str(workdir / "search-index"),
                    # The server's background sender writes .eml files here, not in instance/.
                    "MAILLAGE_MAIL_DIR": str(workdir / "mail"),
                    # Pictures too (app/images/storage.py).
                    "MAILLAGE_UPLOADS_DIR": str(workdir / "uploads"),
                    "MAILLAGE_SOCKETIO_CORS_ALLOWED_ORIGINS": f'["{self.url}"]',
                    # As in base_config: the staff pages' browser tests sign in with a password;
                    # tests/test_two_factor.py checks the second step.
                    "MAILLAGE_STAFF_2FA_REQUIRED": "false",
                    # As in base_config too: one PBKDF2 round, not scrypt (0.15 to 0.25 s of the
                    # server's CPU for each sign-up and each login of someone signed up through
                    # it; tests/test_passwords.py checks production keeps scrypt).
                    "MAILLAGE_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1", **(env or {})}
        self.start()

    def start(self) -> None:
        self.log = open(self.workdir / "server.log", "a")
        command = [*self.wrapper, str(Path(sys.executable).parent / "gunicorn"), "wsgi:app"]
        self.process = subprocess.Popen(command,
                                        cwd=ROOT, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90  # a loaded machine: it took 20 s once, under a profiler
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1)
                LiveServer.running[self.url] = self
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not start: " + (self.workdir / "server.log").read_text())

    def kill(self) -> None:
        """A crash: no goodbye to the sockets (the master and its worker both go)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.log.close()
        LiveServer.running.pop(self.url, None)

    def stop(self) -> None:
        """Gunicorn's quick shutdown (SIGINT), once a module's tests are done with the server:
        its graceful one (SIGTERM) waited for open WebSockets up to gunicorn.conf.py's
        graceful_timeout, 1 to 5 s per module doing nothing."""
        LiveServer.running.pop(self.url, None)
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def live_server(template_db, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("live")
    db_file = workdir / "maillage.sqlite3"
    databases.copy(template_db, db_file)
    server = LiveServer(db_file, workdir)
    yield server
    server.stop()
    databases.drop(db_file)


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """One Chromium per test process (the browser groups each run on one, conftest.py): a test
    takes a new context of its own (cookies, storage, service workers), so nothing of one
    module's pages reaches another's; launching it for each module was 15% of their CPU."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (make test installs "
                    "chromium-headless-shell)")
    from playwright.sync_api import expect, sync_playwright

    # What a page must show, it must show within 10 s (tests/helpers/browser_steps.py: WAIT),
    # also where a test does not say: two Chromiums run at once on a loaded machine.
    expect.set_options(timeout=10_000)
    home = tmp_path_factory.mktemp("chromium-home")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_CACHE_HOME": str(home / "cache")}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                     headless=True, env=env)
        yield browser
        browser.close()
