"""How a network's scope is named to people, on the pages and in the API."""
from __future__ import annotations

from flask_babel import gettext as _

from models import Commune, Epci, Network, Scope, db


def scope_label(network: Network) -> str:
    """The EPCI's name, the commune's label, or "Whole territory"."""
    if network.scope == Scope.EPCI:
        epci = db.session.get(Epci, network.scope_code)
        return epci.name if epci else ""
    if network.scope == Scope.COMMUNE:
        commune = db.session.get(Commune, network.scope_code)
        return commune.label if commune else ""
    return _("Whole territory")
