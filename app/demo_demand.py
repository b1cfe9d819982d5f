"""Demo coworking demand: declarations concentrated around a few poles (so that clusters are
real), a census campaign with anonymous answers, the territory's real tiers-lieux (the 18 rows of
the national list, imported "to be confirmed": no invented open place) and two projected places
with a poll. Idempotent; plain functions over a session, the caller commits."""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.demand.service import add_version, new_claim_token
from app.demo import DEMO_DOMAIN
from app.territory.gazetteer import haversine_km
from models import (
    Campaign,
    Commune,
    Declaration,
    Place,
    PlaceInterest,
    PlaceStatus,
    Poll,
    PricingPlan,
    Profile,
    Proposal,
    ProposalStatus,
    User,
    Vote,
)
from models.demand import EQUIPMENT, SERVICES
from models.textkey import fold
from models.types import utcnow

# Poles of demand (INSEE code: weight): where declarations concentrate.
POLES = {"12202": 5, "12145": 3, "12300": 2, "48095": 3, "12199": 2, "48092": 1, "12096": 1}
POLE_RADIUS_KM = 18
ACTIVITIES = ("Graphiste", "Développeuse web", "Photographe", "Traductrice", "Illustrateur",
              "Architecte", "Consultant en communication", "Compagnie de théâtre",
              "Musicienne", "Formatrice", "Journaliste pigiste", "Céramiste", "Comptable",
              "Monteur vidéo", "Rédactrice", "Chargé de projets culturels")
DYNAMICS = ("Rompre l'isolement, partager un café et des idées.",
            "Monter des projets à plusieurs, répondre ensemble à des appels d'offres.",
            "Partager du matériel (imprimante, studio photo) et des compétences.",
            "Un lieu vivant avec des **événements** et des ateliers.")
COMPANIES = ("Agence Causses Web", "Bureau d'études Lévézou", "Scop Bâti Ségala",
             "Cabinet Rouergue Conseil", "Studio Aubrac", "Margeride Numérique")

# The places of the territory are the real ones: the project's copy of the national list
# (app/places/sources.py: SHIPPED_FILE), imported "to be confirmed". Only projects are invented:
# the demo's polls and interests need a projected place.
PLACES = [
    {"name": "Tiers-lieu de Rignac (projet)", "commune": "12199", "status": "project",
     "capacity_desks": 8, "surface_m2": 70, "free_first_month": True,
     "description": "L'ancienne poste de Rignac pourrait devenir un tiers-lieu. "
                    "**Choisissons ensemble son nom.**",
     "equipment": ["fibre_wifi", "kitchen"], "plans": []},
    {"name": "Coworking de Villefranche (projet)", "commune": "12300", "status": "project",
     "capacity_desks": 14, "equipment": ["fibre_wifi", "video_room", "meeting_room"], "plans": []},
]
NAME_IDEAS = ("La Poste Numérique", "Le Relais", "L'Escale", "Le Maillon", "La Ruche du Ségala")


def create_demo_demand(session, seed: int = 7) -> dict:
    rng = random.Random(seed)
    communes = {c.insee: c for c in session.scalars(select(Commune))}
    users = session.scalars(select(User).where(User.email.like(f"%@{DEMO_DOMAIN}"))
                            .options(selectinload(User.profile).selectinload(Profile.commune))
                            .order_by(User.id)).all()
    declared = set(session.scalars(select(Declaration.user_id).where(
        Declaration.user_id.is_not(None))))
    made = 0
    for user in users:
        profile = user.profile
        if user.id in declared or profile is None or profile.commune is None:
            continue
        near = _nearest_pole(profile.commune, communes)
        person = random.Random(f"{seed}:{user.email}")  # the same choice on every run
        # Near a pole, most people declare; far away, few do: the clusters are real.
        if person.random() > (0.85 if near else 0.25):
            continue
        version = _answer(person, profile.commune.insee, near, communes, profile.kind)
        declaration = Declaration(user_id=user.id)
        add_version(session, declaration, version)
        declaration.versions[0].created_at = utcnow() - timedelta(days=person.randint(5, 120))
        if person.random() < 0.2:  # some changed their mind since: the history shows it
            changed = dict(version, budget_eur_month=version["budget_eur_month"] + 30,
                           days_per_week=min(7, version["days_per_week"] + 0.5))
            add_version(session, declaration, changed)
        made += 1
    session.flush()
    campaign_answers = _demo_campaign(session, rng, communes)
    places = _demo_places(session, rng, users)
    return {"declarations": made, "campaign_answers": campaign_answers, "places": places}


def _nearest_pole(commune: Commune, communes: dict) -> str | None:
    for code in POLES:
        pole = communes.get(code)
        if pole and haversine_km(commune.lat, commune.lon, pole.lat, pole.lon) <= POLE_RADIUS_KM:
            return code
    return None


def _answer(rng: random.Random, home: str, pole: str | None, communes: dict, kind: str) -> dict:
    company = kind in ("company", "association") and rng.random() < 0.7
    formula = rng.choices(["permanent", "days_per_quarter", "day_pass", "access_24h",
                           "meeting_room"], weights=[3, 4, 3, 1, 1])[0]
    days = rng.choice([0.5, 1, 1.5, 2, 2, 2.5, 3, 3, 4, 5])
    budget = {"permanent": rng.randint(120, 280), "days_per_quarter": rng.randint(50, 130),
              "day_pass": rng.randint(20, 90), "access_24h": rng.randint(150, 320),
              "meeting_room": rng.randint(15, 60)}[formula]
    commute = rng.choice([None, 8, 15, 25, 35, 50, 70])
    target = pole or home
    return {
        "track": "company" if company else "independent",
        "company_name": rng.choice(COMPANIES) if company else "",
        "siret": "", "naf_code": rng.choice(["62.01Z", "71.11Z", "73.11Z", "69.20Z", "43.32A"])
        if company else "",
        "headcount": rng.randint(1, 6) if company else None,
        "telework": rng.choice(["none", "occasional", "regular", "full"]) if company else "",
        "activity": "" if company else rng.choice(ACTIVITIES),
        "dynamics": "" if company else rng.choice(DYNAMICS),
        "home_commune_insee": home,
        "acceptable_communes": sorted({target, home}) if rng.random() < 0.7 else [target],
        "max_distance_km": rng.choice([None, 10, 15, 20, 30]),
        "days_per_week": days, "formula": formula,
        "days_per_quarter": rng.choice([10, 20, 30]) if formula == "days_per_quarter" else None,
        "budget_eur_month": budget,
        "horizon": rng.choice(["now", "3_months", "6_months", "1_year", "later"]),
        "equipment": sorted(rng.sample(EQUIPMENT, rng.randint(1, 4))),
        "services": sorted(rng.sample(SERVICES, rng.randint(0, 3))),
        "free_first_month": rng.random() < 0.6,
        "governance": sorted(rng.sample(["name_theme", "run_events"], rng.randint(0, 2))),
        "commute_km": commute, "commute_minutes": int(commute * 1.1) if commute else None,
        "commute_days_per_week": min(5, days + 2) if commute else None,
    }


def _demo_campaign(session, rng: random.Random, communes: dict) -> int:
    title = "Recensement des besoins en coworking — Aveyron et Lozère 2026"
    if session.scalar(select(Campaign.id).where(Campaign.title == title)):
        return 0
    today = date.today()
    campaign = Campaign(title=title, starts_on=today - timedelta(days=30),
                        ends_on=today + timedelta(days=60), tracks=["company", "independent"],
                        description="Dites-nous quel espace de travail partagé vous "
                                    "utiliseriez : **5 minutes**, sans compte.")
    session.add(campaign)
    session.flush()
    poles = [code for code, weight in POLES.items() for _ in range(weight)]
    for i in range(60):
        pole = rng.choice(poles)
        declaration = Declaration(claim_token=new_claim_token(),
                                  contact_consent=i % 3 == 0,
                                  contact_email=f"repondant{i}@exemple.fr" if i % 3 == 0 else "")
        add_version(session, declaration, _answer(rng, pole, pole, communes, "independent"),
                    campaign_id=campaign.id)
        declaration.versions[0].created_at = utcnow() - timedelta(days=rng.randint(0, 29))
    return 60


def _demo_places(session, rng: random.Random, users: list[User]) -> int:
    """The real places (imported once: a second run finds them unchanged), a few demo members
    who would use each, then the invented projects."""
    from app.places.importer import import_places
    from app.places.sources import SHIPPED_FILE
    report = import_places(session, SHIPPED_FILE)
    for place_id in report.created_place_ids:
        for user in rng.sample(users, min(len(users), rng.randint(3, 15))):
            session.add(PlaceInterest(place_id=place_id, user_id=user.id))
    made = len(report.created)
    existing = set(session.scalars(select(Place.name)))
    for spec in PLACES:
        if spec["name"] in existing:
            continue
        spec = dict(spec)
        plans = spec.pop("plans")
        commune = spec.pop("commune")
        place = Place(commune_insee=commune, **spec)
        place.plans = [PricingPlan(position=i, name=name, price_cents=cents, period=period,
                                   included_days=days, tax_included=True)
                       for i, (name, cents, period, days) in enumerate(plans)]
        locals_ = [u for u in users if u.profile and u.profile.commune_insee == commune]
        if locals_:
            place.animators = locals_[:1]
        session.add(place)
        session.flush()
        for user in rng.sample(users, min(len(users), rng.randint(5, 25))):
            session.add(PlaceInterest(place_id=place.id, user_id=user.id))
        if place.status == PlaceStatus.PROJECT and place.commune_insee == "12199":
            poll = Poll(place_id=place.id, kind="name", question="Quel nom pour le tiers-lieu ?",
                        closes_at=utcnow() + timedelta(days=20))
            session.add(poll)
            session.flush()
            proposals = [Proposal(poll_id=poll.id, text=idea, text_key=fold(idea)[:120],
                                  status=ProposalStatus.APPROVED) for idea in NAME_IDEAS]
            session.add_all(proposals)
            session.flush()
            for user in rng.sample(users, min(len(users), 30)):
                session.add(Vote(poll_id=poll.id, user_id=user.id,
                                 proposal_id=rng.choice(proposals).id))
        made += 1
    return made
