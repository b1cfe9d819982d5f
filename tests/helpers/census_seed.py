"""A census campaign for the browser tests, written into a live server's database by the app's
own models, from the test's process (an app of its own over the server's database, search index
and uploads, as `flask` commands are): a campaign over Rodez's community of communes, open for
30 days, and a place at Rodez animated by EMAIL's account. (It ran as a command in a process of
its own: 1.5 s of CPU each time, to import the app again.)"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select


def seed_campaign(db_file: Path, email: str) -> int:
    """The campaign's id."""
    from app import create_app
    from models import Campaign, Commune, Place, User, db
    from tests.helpers.apps import base_config
    app = create_app(base_config(db_file))  # the live server's files are beside its database
    with app.app_context():
        animator = db.session.scalar(select(User).where(User.email == email))
        epci = db.session.get(Commune, "12202").epci_code
        campaign = Campaign(title="Recensement du Ruthénois", description="Dites-nous.",
                            epci_codes=[epci], starts_on=date.today() - timedelta(days=1),
                            ends_on=date.today() + timedelta(days=30),
                            tracks=["independent", "company"])
        place = Place(name="Le Hangar", commune_insee="12202")
        place.animators.append(animator)
        db.session.add_all([campaign, place])
        db.session.commit()
        campaign_id = campaign.id
        db.session.remove()
        db.engine.dispose()
    return campaign_id
