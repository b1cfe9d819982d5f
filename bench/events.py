"""Requests/s and p50/p99 latency of the /events page and a commune's calendar feed with 10,000
events, next to the bare route in the same run (issue 22).

Run it with::

    .venv/bin/python bench/events.py [--seconds 10] [--events 10000] [--profiles 340]
        [--connections 16] [--worker gthread|gevent] [--reuse]

What it does, every run:

1. builds a throwaway instance as bench/pages.py does (``flask db upgrade``, ``flask territory
   load``, ``flask demo --profiles N``: communes, places, networks and members), then inserts
   N events in one transaction (one SQLAlchemy Core INSERT, executemany, on the model's table;
   nothing else is written: no content version, no search document) and refreshes the
   planner's statistics (``ANALYZE``, as ``flask demo`` does after its own inserts). The mix:
   about 50 weekly permanences (``FREQ=WEEKLY``) at places, some begun in the last months; the
   rest one-off events of every kind over the next 12 months, in the territory's communes
   (weighted by the square root of their population, so towns hold more), at places, at an
   address or online, mostly public, some for members only or for a network's members, a few
   cancelled. ``--reuse`` keeps the instance in bench/results/events-instance-<profiles>/;
2. starts gunicorn with ``bench.bench_app:app`` (the production app and ``/bench/bare``), one
   worker, gthread (16 threads) or ``--worker gevent``;
3. loads each URL for --seconds with 16 connections (wrk when installed, else the Python load
   generator of bench/pages.py): the bare route; /events/ as a visitor; /events/ around Rodez
   (20 km) as a visitor; /events/ as a logged-in demo member; the calendar feed of Rodez and
   20 km around; and, for information, "miss" rows whose every request carries a different
   ?nocache=N argument, so every request is a cache miss and a full query and render;
4. prints a table (req/s, p50, p99, % of the bare route, CPU ms of the worker per request,
   target) and writes it to bench/results/events.json.

Target (issue 22): the judged rows serve at least 25% of the bare route's requests/s with a p99
under 100 ms. A missed target is reported, not failed: the exit status is 0 unless the benchmark
itself could not run.
"""
from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import (  # noqa: E402
    RESULTS,
    TARGET_P99_MS,
    build_instance,
    check_args,
    common_args,
    demo_member,
    log,
    member_cookie,
    run_bench,
)
from bench.pages import report as pages_report  # noqa: E402

TARGET_SHARE = 0.25  # of the bare route's requests/s, every judged row (issue 22)
RODEZ = "12202"
RECURRING = 50
SEED = 22


# --- the events -------------------------------------------------------------------------------

def event_count(db_path: Path) -> int:
    try:
        with sqlite3.connect(db_path) as con:
            return con.execute("SELECT count(*) FROM event").fetchone()[0]
    except sqlite3.Error:
        return -1


TOPICS = ("la comptabilité des indépendants", "la facturation électronique", "le RGPD",
          "la visioconférence", "les réseaux sociaux", "la création d'entreprise",
          "le télétravail", "la sécurité informatique", "la prise de parole", "Linux",
          "la photographie de produits", "les marchés publics", "le portage salarial",
          "les tableurs", "la gestion du temps", "l'anglais professionnel")
TITLES = {
    "open_day": ("Portes ouvertes", "Venez découvrir le lieu", "Journée portes ouvertes"),
    "discovery_day": ("Journée découverte", "Une journée pour essayer le coworking"),
    "training": tuple(f"Formation : {t}" for t in TOPICS),
    "meetup": ("Café des indépendants", "Apéro coworking", "Petit-déjeuner des télétravailleurs",
               "Rencontre des entrepreneurs", "Déjeuner partagé") +
              tuple(f"Échanges sur {t}" for t in TOPICS),
    "permanence": ("Permanence de l'expert-comptable", "Permanence juridique",
                   "Permanence numérique", "Permanence de la CCI"),
    "governance": ("Réunion des usagers", "Assemblée du lieu", "Conseil des coworkers"),
    "other": ("Soirée jeux", "Projection-débat", "Marché des créateurs", "Atelier réparation",
              "Visite d'entreprise") + tuple(f"Conférence : {t}" for t in TOPICS),
}
DESCRIPTION = ("**{title}**, à {where}.\n\n"
               "Ouvert à qui travaille près d'ici : indépendants, salariés en télétravail, "
               "porteurs de projet. [En savoir plus](https://example.org/agenda)\n\n"
               "- accueil à partir de {hour} h\n- café offert\n")


def seed_events(count: int, seed: int = SEED) -> None:
    """Replace the events of the instance MAILLAGE_DATABASE_URL names with `count` new ones
    (run in a child process with bench_env(): the app's config, models and column types)."""
    import math
    import random
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import delete, insert, select, text

    from app import create_app
    from app.events.occurrences import from_local, to_local
    from models import (
        Commune,
        Event,
        EventAudience,
        EventKind,
        EventLocation,
        Network,
        NetworkVisibility,
        Place,
        User,
        db,
    )
    from models.user import Role

    rng = random.Random(seed)
    app = create_app()
    with app.app_context():
        session = db.session
        communes = session.execute(select(Commune.insee, Commune.name, Commune.population)
                                   .order_by(Commune.insee)).all()
        if not communes:
            raise SystemExit("no commune: is the territory loaded?")
        weights = [math.sqrt(max(p or 0, 1)) for _, _, p in communes]
        names = {insee: name for insee, name, _ in communes}
        places = session.execute(select(Place.id, Place.commune_insee, Place.name)
                                 .order_by(Place.id)).all()
        networks = session.execute(select(Network.id, Network.visibility)
                                   .order_by(Network.id)).all()
        organisers = list(session.scalars(select(User.id).where(
            User.role.in_((Role.ORGANISER, Role.ADMIN))).order_by(User.id))) or [None]
        today = to_local(datetime.now(timezone.utc)).replace(tzinfo=None).replace(
            hour=0, minute=0, second=0, microsecond=0)
        now = datetime.now(timezone.utc)

        def at(day: int, hour: int, minute: int = 0) -> datetime:
            return from_local(today + timedelta(days=day, hours=hour, minutes=minute))

        def row(kind: EventKind, starts: datetime, hours: float, **fields) -> dict:
            title = rng.choice(TITLES[kind.value])
            commune = fields.get("commune_insee")
            where = names.get(commune, "en ligne")
            return {"title": title[:120],
                    "description": DESCRIPTION.format(title=title, where=where,
                                                      hour=to_local(starts).hour),
                    "kind": kind, "place_id": None, "network_id": None,
                    "created_by_id": rng.choice(organisers), "starts_at": starts,
                    "ends_at": starts + timedelta(hours=hours), "rrule": None, "exceptions": [],
                    "location": EventLocation.ADDRESS, "address": "", "commune_insee": None,
                    "online_url": "", "capacity": None, "seats_taken": 0, "price_eur": 0,
                    "audience": EventAudience.PUBLIC, "cover": None, "cover_alt": "",
                    "cancelled_at": None, "sequence": 0, "created_at": now, "updated_at": now,
                    **fields}

        def address_fields() -> dict:
            insee = rng.choices(communes, weights)[0][0]
            return {"location": EventLocation.ADDRESS, "commune_insee": insee,
                    "address": f"{rng.randint(1, 40)} place de la Mairie"}

        rows = []
        for i in range(min(RECURRING, count)):  # weekly permanences, at places when there are
            fields = address_fields()
            if places:
                place = places[i % len(places)]
                fields = {"location": EventLocation.PLACE, "place_id": place.id,
                          "commune_insee": place.commune_insee}
            rows.append(row(EventKind.PERMANENCE, at(rng.randint(-90, 30), rng.choice((9, 14))),
                            3, rrule="FREQ=WEEKLY", **fields,
                            audience=EventAudience.PUBLIC if rng.random() < 0.8
                            else EventAudience.MEMBERS))
        kinds = [EventKind.MEETUP, EventKind.TRAINING, EventKind.OTHER, EventKind.OPEN_DAY,
                 EventKind.DISCOVERY_DAY, EventKind.GOVERNANCE, EventKind.PERMANENCE]
        kind_weights = [30, 20, 18, 10, 8, 7, 7]
        for _ in range(count - len(rows)):
            kind = rng.choices(kinds, kind_weights)[0]
            day, hour = rng.randrange(0, 365), rng.randint(8, 19)
            hours = 7 if kind == EventKind.DISCOVERY_DAY else rng.choice((1, 1.5, 2, 3))
            if kind == EventKind.DISCOVERY_DAY:
                hour = 9
            at_place = places and (kind in (EventKind.OPEN_DAY, EventKind.DISCOVERY_DAY,
                                            EventKind.GOVERNANCE) or rng.random() < 0.3)
            fields: dict = {}
            audience = EventAudience.PUBLIC if rng.random() < 0.88 else EventAudience.MEMBERS
            if at_place:
                place = rng.choice(places)
                fields = {"location": EventLocation.PLACE, "place_id": place.id,
                          "commune_insee": place.commune_insee}
                if kind == EventKind.GOVERNANCE and rng.random() < 0.6:
                    audience = EventAudience.MEMBERS
            else:
                if networks and rng.random() < 0.3:  # a network's event
                    network_id, visibility = rng.choice(networks)
                    fields["network_id"] = network_id
                    if visibility == NetworkVisibility.PRIVATE or rng.random() < 0.3:
                        audience = EventAudience.NETWORK
                if rng.random() < 0.06:
                    fields.update(location=EventLocation.ONLINE,
                                  online_url="https://visio.example.org/maillage")
                else:
                    fields.update(address_fields())
            if rng.random() < 0.4:
                fields["capacity"] = rng.choice((8, 12, 15, 20, 30, 50))
            if kind == EventKind.TRAINING and rng.random() < 0.5:
                fields["price_eur"] = rng.choice((10, 20, 35, 60))
            if rng.random() < 0.02:
                fields["cancelled_at"] = now - timedelta(hours=rng.randint(1, 500))
            rows.append(row(kind, at(day, hour, rng.choice((0, 30))), hours,
                            audience=audience, **fields))
        session.execute(delete(Event.__table__))
        session.execute(insert(Event.__table__), rows)  # one executemany
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
        by_audience: dict[str, int] = {}
        for r in rows:
            by_audience[r["audience"].value] = by_audience.get(r["audience"].value, 0) + 1
        print(f"{len(rows)} events ({sum(1 for r in rows if r['rrule'])} weekly, "
              f"{sum(1 for r in rows if r['place_id'])} at places, "
              f"{sum(1 for r in rows if r['cancelled_at'])} cancelled; "
              + ", ".join(f"{k} {v}" for k, v in sorted(by_audience.items())) + ")")


def add_events(env: dict, db_path: Path, count: int) -> None:
    if event_count(db_path) == count:
        log(f"reusing the {count} events of {db_path}")
        return
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
            f"from bench.events import seed_events; seed_events({count})")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        sys.exit(f"inserting the events failed ({done.returncode}):\n{done.stdout[-3000:]}")
    log(f"events: {done.stdout.strip().splitlines()[-1]}")


# --- report -------------------------------------------------------------------------------

def report(meta: dict, rows: list[dict]) -> list[str]:
    """bench/pages.py's table, every judged row at TARGET_SHARE."""
    return pages_report(meta, rows, title="events",
                        described=f"{meta['events']} events, {meta['profiles']} demo profiles",
                        share_for=lambda _row: TARGET_SHARE, widths=(30, 42),
                        targets=f">= {TARGET_SHARE:.0%} of the bare route's req/s")


# --- main -------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common_args(ap, 10, RESULTS / "events.json")
    ap.add_argument("--events", type=int, default=10_000, help="events inserted [10000]")
    ap.add_argument("--profiles", type=int, default=340, help="demo profiles [340]")
    args = ap.parse_args(argv)
    if not RECURRING <= args.events <= 1_000_000:
        ap.error(f"--events {RECURRING}..1000000")
    use_wrk = check_args(ap, args, "events.py")

    def prepare(workdir: Path) -> dict:
        env = build_instance(workdir, args.profiles, args.reuse)
        add_events(env, workdir / "bench.sqlite3", args.events)
        return env

    def pick(port: int, db_path: Path) -> list[tuple]:
        member = member_cookie(port, demo_member(db_path))
        around = "/events/?commune=Rodez&km=20"
        feed = f"/events/feeds/commune/{RODEZ}.ics?km=20"
        return [("bare route", "/bench/bare", None, False),
                ("events", "/events/", None, False),
                ("events around Rodez, 20 km", around, None, False),
                ("events, member", "/events/", member, False),
                ("Rodez feed, 20 km", feed, None, False),
                ("events, miss", "/events/", None, True),
                ("events around Rodez, miss", around, None, True),
                ("Rodez feed, miss", feed, None, True)]

    return run_bench(args, use_wrk, f"events-instance-{args.profiles}", prepare, pick, report,
                     {"share_of_bare_rps": TARGET_SHARE, "p99_ms_below": TARGET_P99_MS},
                     lambda db_path: {"events": event_count(db_path),
                                      "profiles": args.profiles})

if __name__ == "__main__":
    sys.exit(main())
