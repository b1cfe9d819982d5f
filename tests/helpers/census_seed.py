"""A census campaign for the browser tests, written into a live server's database by the app's
own models (run as `python -m tests.helpers.census_seed EMAIL` with the server's environment):
a campaign over Rodez's community of communes, open for 30 days, and a place at Rodez animated
by EMAIL's account. Prints the campaign's id."""
from __future__ import annotations

import sys
from datetime import date, timedelta

from sqlalchemy import select


def main(email: str) -> int:
    from app import create_app
    from models import Campaign, Commune, Place, User, db
    app = create_app()
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
        print(campaign.id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
