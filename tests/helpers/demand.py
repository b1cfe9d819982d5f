"""Declarations of interest for tests: the form data of each track, and a declaration stored
directly."""
from __future__ import annotations

import random

from models import Declaration, db

INDEPENDENT = {
    "track": "independent", "activity": "Illustratrice", "dynamics": "Partager un *atelier*",
    "home_commune": "Rignac", "acceptable_communes": "Rodez, Rignac (12390)",
    "max_distance_km": "", "days_per_week": "2,5", "formula": "days_per_quarter",
    "days_per_quarter": "20", "budget_eur_month": "100", "horizon": "3_months",
    "equipment": ["fibre_wifi", "kitchen"], "services": ["events"], "free_first_month": "y",
    "governance": ["name_theme"], "commute_km": "30", "commute_minutes": "35",
    "commute_days_per_week": "4",
}
COMPANY = {
    "track": "company", "company_name": "Agence Causses Web", "siret": "732 829 320 00074",
    "naf": "6201z", "headcount": "3", "telework": "regular", "home_commune": "Rodez (12000)",
    "acceptable_communes": "", "max_distance_km": "20", "days_per_week": "3",
    "formula": "permanent", "budget_eur_month": "250", "horizon": "now",
    "equipment": ["video_room"],
}


def declare(user_id, commune, consent=False, email="", **fields):
    """A current declaration from `commune` (its only acceptable commune); `fields` replace the
    defaults (formula, budget_eur_month, days_per_week...)."""
    from app.demand.service import add_version
    declaration = Declaration(user_id=user_id, contact_consent=consent, contact_email=email,
                              claim_token=None if user_id else f"t{random.random()}")
    add_version(db.session, declaration, {
        "track": "independent", "activity": "x", "home_commune_insee": commune,
        "acceptable_communes": [commune], "days_per_week": 2, "formula": "permanent",
        "budget_eur_month": 120, "horizon": "now", **fields})
    db.session.commit()
