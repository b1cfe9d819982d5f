"""Requests/s and p50/p99 latency of the profile page, the directory and a member's home feed,
next to a bare route.

Run it with::

    make bench
    .venv/bin/python bench/pages.py [--seconds 10] [--profiles 10000] [--connections 16]
        [--worker gthread|gevent]   (gevent: the worker class `make run` uses)

What it does, every run:

1. builds a throwaway instance in a temp directory (``flask db upgrade``, ``flask territory
   load``, ``flask demo --profiles N``) with MAILLAGE_DATABASE_URL, MAILLAGE_SECRET_KEY,
   MAILLAGE_SEARCH_INDEX_DIR and MAILLAGE_UPLOADS_DIR (the demo's avatars) pointing there;
   inherited MAILLAGE_* variables are dropped so the instance/ config of this checkout is the
   only outside input. ``--reuse`` keeps the database in bench/results/instance-<N>/ and reuses
   it on the next run with the same --profiles;
2. starts gunicorn (one worker, ``-k gthread --threads 16``, the production recipe) on a free
   loopback port with ``bench.bench_app:app``: the production app (wsgi:app) plus
   ``/bench/bare``, a bare Flask route returning "ok", so both are measured on the same server
   in the same run;
3. waits for /healthz, warms every URL up, then loads each URL in turn with wrk
   (``wrk -t2 -c16 -d10s --latency``), or, when wrk is missing (or with ``--loader python``),
   with a Python load generator: 16 threads, one keep-alive http.client connection each;
4. prints a table (route, req/s, p50, p99, % of the bare route's req/s, target met) and writes
   the same to bench/results/pages.json.

Target (issues 9 and 21): each page serves at least 25% of the bare route's requests/s, a
member's page (home feed, profile, directory) at least 40%, with p99 under 100 ms. A missed
target is reported, not failed: the exit status is 0 unless the benchmark itself could not run.
Numbers depend on the machine and on what else runs on it; compare runs on the same machine only.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent  # the venv's bin/: flask and gunicorn live next to python
HOST = "127.0.0.1"
RODEZ_AGGLO = "241200187"  # Rodez Agglomération: the biggest EPCI of the demo territory
TARGET_SHARE = 0.25  # of the bare route's requests/s
# Member pages (issue 21): a member's home feed, a profile and the directory, kept whole per
# login session (app/pagecache.py: member_page), at least 40% of the bare route.
MEMBER_TARGET_SHARE = 0.40
TARGET_P99_MS = 100.0


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# --- the throwaway instance ---------------------------------------------------------------

def bench_env(workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")}
    env.update(MAILLAGE_DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
               MAILLAGE_SECRET_KEY="bench",
               MAILLAGE_SEARCH_INDEX_DIR=str(workdir / "search-index"),
               MAILLAGE_UPLOADS_DIR=str(workdir / "uploads"),  # the demo's avatars
               FLASK_APP="wsgi.py", PYTHONUNBUFFERED="1")
    return env


def flask(env: dict, *args: str) -> None:
    cmd = [str(BIN / "flask"), *args]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        sys.exit(f"`flask {' '.join(args)}` failed ({done.returncode}):\n{done.stdout[-3000:]}")
    last = done.stdout.strip().splitlines()[-1:] or [""]
    log(f"flask {' '.join(args)}: {time.perf_counter() - started:.1f}s  {last[0][:100]}")


def profile_count(db_path: Path) -> int:
    with sqlite3.connect(db_path) as con:
        return con.execute("SELECT count(*) FROM profile").fetchone()[0]


def build_instance(workdir: Path, profiles: int, reuse: bool) -> dict:
    env = bench_env(workdir)
    db_path = workdir / "bench.sqlite3"
    if reuse and db_path.exists():
        try:
            if profile_count(db_path) >= profiles:
                log(f"reusing {db_path} (delete it after a migration was edited in place)")
                flask(env, "db", "upgrade")  # new migrations, if any
                return env
        except sqlite3.Error:
            pass
        log(f"{db_path} is not usable for --profiles {profiles}: rebuilding it")
        for stale in workdir.glob("bench.sqlite3*"):
            stale.unlink()
    flask(env, "db", "upgrade")
    flask(env, "territory", "load")
    flask(env, "demo", "--profiles", str(profiles))
    return env


def pick_urls(db_path: Path) -> list[tuple[str, str]]:
    """(label, path): the bare route, a public profile with skills and a bio, the directory's
    first page and a filtered, paginated directory page."""
    with sqlite3.connect(db_path) as con:
        total = con.execute("SELECT count(*) FROM profile").fetchone()[0]
        # Middle of the table, public, a real bio and at least three skills.
        row = con.execute(
            "SELECT p.id FROM profile p WHERE p.visibility = 'public' AND length(p.bio) > 200"
            " AND (SELECT count(*) FROM profile_skill ps WHERE ps.profile_id = p.id) >= 3"
            " ORDER BY abs(p.id - ?) LIMIT 1", (total // 2,)).fetchone()
        if row is None:
            sys.exit("No public demo profile with a bio and skills: is the demo loaded?")
        profile_id = row[0]
        by_epci = dict(con.execute(
            "SELECT c.epci_code, count(*) FROM profile p JOIN commune c"
            " ON c.insee = p.commune_insee WHERE p.visibility = 'public'"
            " AND c.epci_code IS NOT NULL GROUP BY c.epci_code").fetchall())
    epci = RODEZ_AGGLO if by_epci.get(RODEZ_AGGLO, 0) else max(by_epci, key=by_epci.get)
    page = 3 if by_epci[epci] > 2 * 20 else 1
    return [("bare route", "/bench/bare"),
            ("profile page", f"/people/{profile_id}"),
            ("directory", "/people/"),
            ("directory, filtered", f"/people/?epci={epci}&page={page}")]


# Pages are cached per audience (visitors, members; app/pagecache.py): the member rows measure
# what a logged-in member gets. The "miss" rows add a query argument that changes on every
# request (?nocache=N), so every request is a cache miss and a full render: shown for
# information, they are the cost of the first visit of a page after a change.
MEMBER_ROWS = ("profile page", "directory")
MISS_ROWS = ("profile page", "directory", "directory, filtered")
UNIQUE_ARG = "nocache"
WRK_UNIQUE_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. sep .. "%s=" .. counter .. "-" .. math.random(1e9))
end
""" % UNIQUE_ARG
DEMO_PASSWORD = "maillage-demo"


def demo_member(db_path: Path) -> str:
    """A plain demo member (not staff) active in the most networks, with a commune and skills:
    the member rows are what such a person gets, their home feed included."""
    with sqlite3.connect(db_path) as con:
        row = con.execute(
            "SELECT u.email FROM user u JOIN profile p ON p.user_id = u.id"
            " JOIN membership m ON m.user_id = u.id AND m.status = 'active'"
            " WHERE u.role = 'member' AND p.commune_insee IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM profile_skill ps WHERE ps.profile_id = p.id)"
            " GROUP BY u.id ORDER BY count(*) DESC, u.id LIMIT 1").fetchone()
    if row is None:
        sys.exit("No demo member in a network: is the demo loaded?")
    return row[0]


def member_cookie(port: int, email: str) -> str:
    """Log in through the real form; return the Cookie header value of the session."""
    con = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        con.request("GET", "/auth/login")
        res = con.getresponse()
        page = res.read().decode()
        cookie = res.getheader("Set-Cookie", "").split(";")[0]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
        body = urllib.parse.urlencode({"email": email, "password": DEMO_PASSWORD,
                                       "csrf_token": token})
        con.request("POST", "/auth/login", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        res = con.getresponse()
        res.read()
        if res.status != 302:
            raise RuntimeError(f"demo login failed: {res.status}")
        return res.getheader("Set-Cookie", "").split(";")[0]
    finally:
        con.close()


# --- the server -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def server_command(port: int, threads: int, worker: str = "gthread") -> list[str]:
    """One gunicorn worker: gthread with `threads` threads, or gevent (what `make run` uses,
    gunicorn.conf.py) with as many greenlets as connections allow."""
    kind = ["-k", "gthread", "--threads", str(threads)] if worker == "gthread" else \
        ["-k", "gevent", "--worker-connections", "1000"]
    return [str(BIN / "gunicorn"), "--workers", "1", *kind,
            "--no-control-socket", "--bind", f"{HOST}:{port}", "--chdir", str(ROOT),
            "--log-level", "warning", "bench.bench_app:app"]


def get(port: int, path: str, timeout: float = 10.0, cookie: str | None = None
        ) -> tuple[int, bytes]:
    con = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        con.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        res = con.getresponse()
        return res.status, res.read()
    finally:
        con.close()


def wait_healthy(port: int, server: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}):\n{tail(log_path)}")
        try:
            status, body = get(port, "/healthz", timeout=2)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"/healthz did not answer within {timeout:.0f}s:\n{tail(log_path)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop(server: subprocess.Popen) -> None:
    """SIGTERM to the gunicorn arbiter (it stops its worker), SIGKILL to its group if stuck."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # the group of the session started for it
        server.wait(timeout=5)


def worker_pids(arbiter: int) -> list[int]:
    """gunicorn's worker processes: the children of the arbiter (Linux /proc; [] elsewhere)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == arbiter:
            pids.append(int(stat.parent.name))
    return pids


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU time used so far by these processes, or None when unknown."""
    if not pids:
        return None
    total = 0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    except (OSError, IndexError, ValueError):
        return None
    return total / os.sysconf("SC_CLK_TCK")


# --- load generators ----------------------------------------------------------------------

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def to_ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"unknown duration {text!r}")
    return float(m.group(1)) * UNITS_MS[m.group(2)]


def parse_wrk(out: str) -> dict:
    def find(pattern: str) -> re.Match:
        m = re.search(pattern, out, re.MULTILINE)
        if not m:
            raise ValueError(f"wrk output without {pattern!r}:\n{out}")
        return m
    requests = int(find(r"^\s*(\d+) requests in")[1])
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(find(r"^Requests/sec:\s+([\d.]+)")[1]),
            "p50_ms": to_ms(find(r"^\s*50%\s+(\S+)")[1]),
            "p99_ms": to_ms(find(r"^\s*99%\s+(\S+)")[1]),
            "requests": requests, "errors": errors + (int(non2xx[1]) if non2xx else 0)}


def run_wrk(url: str, seconds: int, connections: int, cookie: str | None = None,
            unique: bool = False) -> dict:
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
           "--latency", *(["-H", f"Cookie: {cookie}"] if cookie else []), url]
    if unique:
        script = RESULTS / "unique-path.lua"
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(WRK_UNIQUE_SCRIPT)
        cmd[1:1] = ["-s", str(script)]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}")
    return parse_wrk(done.stdout)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, -(-len(sorted_values) * q // 100))
    return sorted_values[int(rank) - 1]


def run_python(port: int, path: str, seconds: int, connections: int,
               cookie: str | None = None, unique: bool = False) -> dict:
    """`connections` threads, each with one keep-alive connection, for `seconds` seconds."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    start = threading.Barrier(connections + 1)
    deadline = [0.0]

    def worker(n: int) -> None:
        mine = latencies[n]
        con = http.client.HTTPConnection(HOST, port, timeout=10)
        start.wait()
        try:
            while time.perf_counter() < deadline[0]:
                t0 = time.perf_counter()
                try:
                    target = path
                    if unique:
                        target += f"{'&' if '?' in path else '?'}{UNIQUE_ARG}={n}-{len(mine)}"
                    con.request("GET", target, headers={"Cookie": cookie} if cookie else {})
                    res = con.getresponse()
                    res.read()
                    if res.status >= 400:
                        errors[n] += 1
                    if res.will_close:
                        con.close()
                except (OSError, http.client.HTTPException):
                    errors[n] += 1
                    con.close()
                    continue
                mine.append((time.perf_counter() - t0) * 1000.0)
        finally:
            con.close()

    workers = [threading.Thread(target=worker, args=(n,), daemon=True)
               for n in range(connections)]
    for w in workers:
        w.start()
    deadline[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for w in workers:
        w.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - began
    every = sorted(x for mine in latencies for x in mine)
    if not every:
        raise RuntimeError(f"no request to {path} succeeded ({sum(errors)} errors)")
    return {"rps": len(every) / elapsed, "p50_ms": percentile(every, 50),
            "p99_ms": percentile(every, 99), "requests": len(every), "errors": sum(errors)}


# --- report -------------------------------------------------------------------------------

def wrk_version() -> str | None:
    path = shutil.which("wrk")
    if not path:
        return None
    out = subprocess.run([path, "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True).stdout
    first = (out.strip().splitlines() or ["wrk"])[0]
    return first.split(" [")[0].split(" Copyright")[0]  # "wrk debian/4.1.0-3+b2"


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version
    out = {}
    for name in ("gunicorn", "Flask", "SQLAlchemy", "Jinja2", "Werkzeug"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def machine_facts() -> dict:
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    return {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "nproc": affinity, "cpu_count": os.cpu_count(),
            "loadavg_before": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "platform": platform.platform(),
            "versions": versions()}


def median_run(runs: list[dict]) -> dict:
    out = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms")}
    cpu = [r["cpu_ms_per_request"] for r in runs if r["cpu_ms_per_request"] is not None]
    out["cpu_ms_per_request"] = statistics.median(cpu) if cpu else None
    out["requests"] = sum(r["requests"] for r in runs)
    out["errors"] = sum(r["errors"] for r in runs)
    return out


def report(meta: dict, rows: list[dict], *, title: str = "page", described: str | None = None,
           share_for=None, widths: tuple[int, int] = (28, 34),
           targets: str | None = None, p99_ms: float = TARGET_P99_MS,
           info=None) -> list[str]:
    """Print the table (and return what missed its target). `share_for(row)`: the share of
    the bare route's req/s a judged row must reach (default: 40% for a member's page, 25%
    otherwise); `described`: what the instance holds; `targets`: the targets in words;
    `p99_ms`: the p99 a judged row must stay under; `info(row)`: a reason to show a row for
    information only (a baseline), or None."""
    share_for = share_for or (lambda row: MEMBER_TARGET_SHARE if row.get("member")
                              else TARGET_SHARE)
    described = described or f"{meta['profiles']} profiles"
    targets = targets or (f">= {TARGET_SHARE:.0%} of the bare route's req/s, "
                          f"{MEMBER_TARGET_SHARE:.0%} for member pages")
    bare = rows[0]["rps"]
    missed = []
    label_w, path_w = widths
    head = f"{'route':<{label_w}} {'path':<{path_w}} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} " \
           f"{'% bare':>7} {'cpu ms/req':>10}  target"
    lines = [head, "-" * len(head)]
    for row in rows:
        row["share_of_bare"] = row["rps"] / bare if bare else 0.0
        if row["label"] == "bare route":
            row["share_of_bare"], row["target_met"], verdict = 1.0, None, "(reference)"
        elif row.get("unique"):
            row["target_met"], verdict = None, "(info: every request a cache miss)"
        elif info and info(row):
            row["target_met"], verdict = None, f"(info: {info(row)})"
        else:
            why = []
            target = share_for(row)
            if row["share_of_bare"] < target:
                why.append(f"req/s {row['share_of_bare']:.0%} < {target:.0%} of bare")
            if not row["p99_ms"] < p99_ms:
                why.append(f"p99 {row['p99_ms']:.0f} ms >= {p99_ms:.0f} ms")
            row["target_met"] = not why
            row["target_missed_because"] = why
            verdict = "met" if not why else "MISSED"
            if why:
                missed.append(f"{row['label']} ({row['path']}): {'; '.join(why)}")
        err = f"  ({row['errors']} errors)" if row["errors"] else ""
        cpu = row["cpu_ms_per_request"]
        cpu = f"{cpu:>10.2f}" if cpu is not None else f"{'n/a':>10}"
        lines.append(f"{row['label']:<{label_w}} {row['path']:<{path_w}} {row['rps']:>8.1f} "
                     f"{row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} "
                     f"{row['share_of_bare']:>7.0%} {cpu}  "
                     f"{verdict}{err}")
    print(f"# Maillage {title} benchmark, {meta['date']}: nproc {meta['nproc']}, load average "
          f"before {' '.join(map(str, meta['loadavg_before']))}, Python {meta['python']}, "
          f"{described}")
    print(f"# server: {meta['server']}  ("
          + ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v) + ")")
    print(f"# load:   {meta['load_generator']}")
    print("# cpu ms/req: CPU time of the gunicorn worker per request (user + system), steadier "
          "than req/s on a busy machine")
    print()
    print("\n".join(lines))
    print()
    if missed:
        judged = sum(1 for r in rows if r["target_met"] is not None)
        print(f"Targets MISSED ({len(missed)} of {judged} rows; target: {targets}, and p99 < "
              f"{p99_ms:.0f} ms):")
        for m in missed:
            print(f"  - {m}")
    else:
        print(f"All targets met ({targets}, p99 < {p99_ms:.0f} ms).")
    if any(r["errors"] for r in rows):
        print("Some requests failed (see the errors column): the numbers above are suspect.")
    return missed


# --- main -------------------------------------------------------------------------------------

def _interrupt(signum, _frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


# --- the run, shared with bench/events.py -------------------------------------------------------

def common_args(ap: argparse.ArgumentParser, seconds: int, json_default: Path) -> None:
    """The options every page bench takes."""
    ap.add_argument("--seconds", type=int, default=seconds,
                    help=f"load duration per URL [{seconds}]")
    ap.add_argument("--connections", type=int, default=16, help="concurrent connections [16]")
    ap.add_argument("--threads", type=int, default=16, help="gunicorn gthread threads [16]")
    ap.add_argument("--worker", choices=("gthread", "gevent"), default="gthread",
                    help="gunicorn worker class [gthread]; gevent is what `make run` uses")
    ap.add_argument("--rounds", type=int, default=1,
                    help="load every URL this many times, interleaved; report the medians [1]")
    ap.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto",
                    help="load generator: wrk when installed, else Python [auto]")
    ap.add_argument("--reuse", action="store_true",
                    help="keep the instance in bench/results/ and reuse it")
    ap.add_argument("--json", type=Path, default=json_default,
                    help=f"where to write the results [{json_default.relative_to(ROOT)}]")


def check_args(ap: argparse.ArgumentParser, args, script: str) -> bool:
    """Ranges, the venv's tools, and whether wrk is used."""
    if not 1 <= args.seconds <= 600 or not 1 <= args.connections <= 256 \
            or not 1 <= args.rounds <= 20:
        ap.error("--seconds 1..600, --connections 1..256, --rounds 1..20")
    for tool in ("flask", "gunicorn"):
        if not (BIN / tool).exists():
            sys.exit(f"{BIN / tool} is missing: run with the venv's python "
                     f"(.venv/bin/python bench/{script}) after `make setup`.")
    use_wrk = args.loader == "wrk" or (args.loader == "auto" and shutil.which("wrk"))
    if use_wrk and not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk), or use --loader python")
    return bool(use_wrk)


def run_bench(args, use_wrk: bool, workdir_name: str, prepare, pick, judge, target: dict,
              meta_extra=None, warmups: int = 30) -> int:
    """Build (or reuse) the instance (`prepare(workdir) -> env`), start gunicorn on it, warm
    every URL of `pick(port, db_path) -> [(label, path, cookie, unique)]` up (`warmups`
    requests each), load each in turn, then `judge(meta, rows) -> missed` prints the table;
    the same goes to args.json."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    if args.reuse:
        workdir = RESULTS / workdir_name
        workdir.mkdir(parents=True, exist_ok=True)
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="maillage-bench-")
        workdir = Path(cleanup.name)
    server = None
    try:
        env = prepare(workdir)
        db_path = workdir / "bench.sqlite3"
        port = free_port()
        cmd = server_command(port, args.threads, args.worker)
        log_path = workdir / "gunicorn.log"
        with open(log_path, "w") as server_log:
            # Own session: a Ctrl-C in the terminal reaches this script, which stops the server.
            server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=server_log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        wait_healthy(port, server, log_path)
        workers = worker_pids(server.pid)
        urls = pick(port, db_path)
        for _label, path, cookie, _unique in urls:  # warm up: imports, templates, caches, pool
            for _ in range(warmups):
                status, body = get(port, path, cookie=cookie, timeout=30)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status} during warm-up:\n"
                                       f"{body[:500]!r}\n{tail(log_path)}")
            log(f"warm: {path} ({len(body)} bytes)")
        if use_wrk:
            loader = (f"{wrk_version()}: wrk -t{min(2, args.connections)} "
                      f"-c{args.connections} -d{args.seconds}s --timeout 10s --latency URL")
        else:
            loader = (f"Python load generator (wrk not used): {args.connections} threads x 1 "
                      f"keep-alive http.client connection, {args.seconds}s per URL; it shares "
                      "the CPUs with the server and the GIL among its threads")
        if args.rounds > 1:
            loader += f"; {args.rounds} interleaved rounds, medians reported"
        meta = machine_facts()
        meta.update(meta_extra(db_path) if meta_extra else {})
        meta.update(server=" ".join(["gunicorn", *cmd[1:]]), worker=args.worker,
                    load_generator=loader, connections=args.connections,
                    seconds=args.seconds, rounds=args.rounds)
        runs: dict[str, list[dict]] = {url[0]: [] for url in urls}
        for r in range(args.rounds):
            for label, path, cookie, unique in urls:
                log(f"round {r + 1}/{args.rounds}: {label} {path} for {args.seconds}s")
                cpu_before = cpu_seconds(workers)
                if use_wrk:
                    res = run_wrk(f"http://{HOST}:{port}{path}", args.seconds, args.connections,
                                  cookie, unique)
                else:
                    res = run_python(port, path, args.seconds, args.connections, cookie, unique)
                cpu_after = cpu_seconds(workers)
                res["cpu_ms_per_request"] = (
                    (cpu_after - cpu_before) * 1000 / res["requests"]
                    if cpu_before is not None and cpu_after is not None and res["requests"]
                    else None)
                runs[label].append(res)
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn died during the run:\n{tail(log_path)}")
        rows = [{"label": label, "path": path, "member": bool(cookie), "unique": unique,
                 **median_run(runs[label]), "runs": runs[label]}
                for label, path, cookie, unique in urls]
        missed = judge(meta, rows)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(
            {"meta": meta, "target": target, "results": rows, "targets_missed": missed},
            indent=2, ensure_ascii=False) + "\n")
        log(f"wrote {args.json}")
        return 0
    except RuntimeError as exc:
        log(f"benchmark failed: {exc}")
        return 1
    except KeyboardInterrupt as exc:
        log(f"interrupted ({exc or 'SIGINT'}): stopping the server")
        return 130
    finally:
        if server is not None:
            stop(server)
        if cleanup is not None:
            cleanup.cleanup()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common_args(ap, 10, RESULTS / "pages.json")
    ap.add_argument("--profiles", type=int, default=10_000, help="demo profiles [10000]")
    args = ap.parse_args(argv)
    use_wrk = check_args(ap, args, "pages.py")

    def pick(port: int, db_path: Path) -> list[tuple]:
        urls = pick_urls(db_path)
        member = member_cookie(port, demo_member(db_path))
        return [(label, path, None, False) for label, path in urls] + [
            (f"{label}, member", path, member, False)
            for label, path in urls if label in MEMBER_ROWS] + [
            ("home feed, member", "/", member, False)] + [
            (f"{label}, miss", path, None, True) for label, path in urls if label in MISS_ROWS]

    return run_bench(args, use_wrk, f"instance-{args.profiles}",
                     lambda workdir: build_instance(workdir, args.profiles, args.reuse), pick,
                     report, {"share_of_bare_rps": TARGET_SHARE,
                              "member_share_of_bare_rps": MEMBER_TARGET_SHARE,
                              "p99_ms_below": TARGET_P99_MS},
                     lambda _db: {"profiles": args.profiles})

if __name__ == "__main__":
    sys.exit(main())
