"""The overview's charts: the organisers' page shows them whole; the shared read-only view
(`shared_charts`) leaves out every bar under the small-cell threshold."""
from __future__ import annotations

from flask_babel import gettext as _

from app.demand import labels as L
from app.organisers.aggregates import BUDGET_BANDS, DAYS_BANDS, Overview

# Charts where each person counts once: their bars add up to the total, so hiding one small bar
# alone would leave it to a subtraction.
SINGLE_CHOICE = {"c-track", "c-formula", "c-days", "c-budget", "c-horizon", "c-kind", "c-free",
                 "c-trend"}


def charts(data: Overview) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """(id, title, [(label, people)]) for each chart of the overview."""
    from app.people.labels import KIND_LABELS

    def labelled(name: str, labels: dict) -> list[tuple[str, int]]:
        return [(str(labels.get(code, code)), n) for code, n in data.by[name].most_common()]

    def banded(name: str, bands) -> list[tuple[str, int]]:
        return [(label, data.by[name][label]) for _, label in bands if data.by[name][label]]

    return [
        ("c-track", _("Questionnaire"), labelled("track", L.TRACK_LABELS)),
        ("c-formula", _("Formula"), labelled("formula", L.FORMULA_LABELS)),
        ("c-days", _("Days per week"), banded("days", DAYS_BANDS)),
        ("c-budget", _("Budget per month"), banded("budget", BUDGET_BANDS)),
        ("c-equipment", _("Equipment"), labelled("equipment", L.EQUIPMENT_LABELS)),
        ("c-services", _("Services"), labelled("services", L.SERVICE_LABELS)),
        ("c-horizon", _("Start"), labelled("horizon", L.HORIZON_LABELS)),
        ("c-kind", _("Who"), labelled("kind", {**KIND_LABELS,
                                              "anonymous": _("Campaign respondent")})),
        ("c-free", _("A free first month would help"),
         labelled("free_first_month", {"yes": _("yes"), "no": _("no")})),
        ("c-governance", _("Would take part in governance"),
         labelled("governance", L.GOVERNANCE_LABELS)),
        ("c-trend", _("New declarations per month"), data.trend),
    ]


def shared_charts(data: Overview, threshold: int) -> list[tuple[str, str, list, int]]:
    """(id, title, bars shown, bars left out): no bar under the threshold; in a chart where
    each person counts once, the smallest bars shown are left out too until those left out add
    up to the threshold at least (or none is shown), so that none is found by subtraction."""
    if data.total < threshold:
        return []
    out = []
    for id_, title, items in charts(data):
        shown = [(label, n) for label, n in items if n >= threshold]
        hidden = sum(n for _label, n in items if 0 < n < threshold)
        if id_ in SINGLE_CHOICE:
            shown.sort(key=lambda t: t[1], reverse=True)
            while shown and 0 < hidden < threshold:
                hidden += shown.pop()[1]
            order = [label for label, _n in items]
            shown.sort(key=lambda t: order.index(t[0]))
        out.append((id_, title, shown, len(items) - len(shown)))
    return out
