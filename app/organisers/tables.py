"""The organisers' figures as tables people read: headers in the reader's language (French
first), labels instead of stored codes, numbers kept as numbers (a column says what kind), and
the small-cell rule applied (a count of people under ORGANISER_MIN_CELL becomes `Hidden`): the
one rule of `aggregates.py` (`small`, `suppress`), with the overview's answers as
`charts.shared_charts` leaves them and the viability sheet as `viability.without_small_cells`
does, which the shared read-only view shows too.

One set of tables feeds the council report's PDF (`report.py`), the XLSX workbook and the
French CSV files (`spreadsheets.py`): what one shows, the others show."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from flask_babel import format_date, ngettext, to_user_timezone
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demand import labels as L
from app.organisers.aggregates import Overview, gaps, per_commune, small, suppress
from app.organisers.charts import shared_charts
from app.organisers.clusters import Result
from app.organisers.data import Filters, Row, geography, open_place_communes
from app.organisers.viability import without_small_cells
from models import Campaign, Commune, Declaration, DeclarationVersion, Epci

# Column kinds: how a value is written (spreadsheets.py) and shown (the report's template).
TEXT, INT, DECIMAL, EUROS, RATIO, DATE, MONTH = ("text", "int", "decimal", "euros", "ratio",
                                                 "date", "month")


class Hidden:
    """A count of people under the threshold, or a figure about so few people (`about=True`:
    an amount, a break-even), not shown. Each reads as what it is: "fewer than 3" for the
    count; "not shown (fewer than 3 people)" for the figure, which is no small number."""

    def __init__(self, threshold: int, about: bool = False):
        self.threshold = threshold
        self.about = about

    def __str__(self) -> str:
        if self.about:
            return _("not shown (fewer than %(n)d people)", n=self.threshold)
        return _("fewer than %(n)d", n=self.threshold)

    def __eq__(self, other) -> bool:
        return isinstance(other, Hidden) and (other.threshold, other.about) == \
            (self.threshold, self.about)

    __hash__ = None


def people(count: int, threshold: int):
    """A count of people as shown: itself, or Hidden under the threshold (0 stays 0)."""
    return Hidden(threshold) if small(count, threshold) is None else count


@dataclass
class Column:
    header: str
    kind: str = TEXT


@dataclass
class Table:
    name: str  # a spreadsheet's sheet name: at most 31 characters, none of []:*?/\
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Tables of (name, value) rows: the kind of each row's value (the last column), when the
    # values are of several kinds.
    value_kinds: list[str] = field(default_factory=list)

    def kind(self, row: int, column: int) -> str:
        if self.value_kinds and column == len(self.columns) - 1:
            return self.value_kinds[row]
        return self.columns[column].kind


def paris_today(now: datetime) -> date:
    """The date of `now` where the organisers are (BABEL_DEFAULT_TIMEZONE, Europe/Paris)."""
    return to_user_timezone(now).date()


def small_cell_note(threshold: int) -> str:
    return _("Counts of fewer than %(n)d people are not shown (nor anything that would give "
             "them away), so that no one can be recognised.", n=threshold)


# --- the filters, the overview ---------------------------------------------------------------

def filter_labels(session: Session, filters: Filters) -> list[tuple[str, str]]:
    """The filters in words, each one shown even when not set ("all")."""
    epci = session.get(Epci, filters.epci) if filters.epci else None
    campaign = session.get(Campaign, filters.campaign_id) if filters.campaign_id else None
    if filters.since and filters.until:
        dates = _("from %(since)s to %(until)s", since=format_date(filters.since, "long"),
                  until=format_date(filters.until, "long"))
    elif filters.since:
        dates = _("from %(since)s", since=format_date(filters.since, "long"))
    elif filters.until:
        dates = _("up to %(until)s", until=format_date(filters.until, "long"))
    else:
        dates = _("any date")
    return [
        (_("Community of communes"), epci.name if epci else _("All")),
        (_("Campaign"), campaign.title if campaign else _("All")),
        (_("Questionnaire"), str(L.TRACK_LABELS[filters.track]) if filters.track else _("All")),
        (_("Declared"), dates),
    ]


def filters_table(session: Session, filters: Filters, now: datetime,
                  settings: list[tuple[str, object, str]]) -> Table:
    """Who made the tables, when, for which filters and with which settings
    ((label, value, kind))."""
    table = Table(_("Filters"), _("Filters and settings"),
                  [Column(_("Setting")), Column(_("Value"))])
    table.rows.append([_("Organisation"), current_app.config["ORGANISATION_NAME"]])
    table.rows.append([_("Date"), paris_today(now)])
    table.rows += [[label, value] for label, value in filter_labels(session, filters)]
    table.rows += [[label, value] for label, value, _kind in settings]
    table.rows.append([_("Smallest count shown"), current_app.config["ORGANISER_MIN_CELL"]])
    table.value_kinds = [TEXT, DATE] + [TEXT] * 4 + [kind for _l, _v, kind in settings] + [INT]
    return table


def overview_table(data: Overview, threshold: int) -> Table:
    """Every answer of the overview and its people, as the shared read-only view shows them
    (`charts.shared_charts`): no answer under the threshold, nor one that would give it away by
    subtraction (a line says how many are left out); no answer at all when the filters select
    fewer people than the threshold (the overview page shows no chart then either)."""
    table = Table(_("Demand"), _("Demand overview"),
                  [Column(_("Question")), Column(_("Answer")), Column(_("People"), INT)])
    table.rows.append([_("Active declarations"), _("all"), people(data.total, threshold)])
    for _id, question, items, left_out in shared_charts(data, threshold):
        table.rows += [[question, answer, n] for answer, n in items]
        if left_out:
            table.rows.append([question, ngettext("%(num)d answer not shown",
                                                  "%(num)d answers not shown", left_out), None])
    table.notes.append(_("A declaration may give several equipments, services and governance "
                         "roles: those answers add up to more than the declarations."))
    table.notes.append(small_cell_note(threshold))
    return table


# --- per commune, sites, gaps -----------------------------------------------------------------

def communes_table(session: Session, rows: list[Row], threshold: int) -> Table:
    """The demand per home commune: only communes with at least `threshold` people (as the
    machine CSV: a small commune is not listed at all)."""
    cells = {c: v for c, v in suppress(per_commune(rows), threshold).items()
             if v["people"] is not None}
    communes = {c.insee: c for c in session.scalars(select(Commune).where(
        Commune.insee.in_(list(cells))))}
    table = Table(_("Communes"), _("Demand per home commune"), [
        Column(_("INSEE code")), Column(_("Commune")), Column(_("Community of communes")),
        Column(_("People"), INT), Column(_("Desk-days per week"), DECIMAL),
        Column(_("Median budget (€ per month)"), EUROS)])
    for insee, cell in sorted(cells.items()):
        c = communes[insee]
        table.rows.append([insee, c.name, c.epci.name if c.epci else "", cell["people"],
                           round(cell["desk_days"], 1), cell["budget_median"]])
    table.notes.append(_("Communes with fewer than %(n)d people are not listed.", n=threshold))
    return table


def sites_table(result: Result, names: dict[str, str], threshold: int) -> Table:
    table = Table(_("Sites"), _("Proposed sites"), [
        Column(_("Rank"), INT), Column(_("Site")), Column(_("INSEE code")),
        Column(_("People covered"), INT), Column(_("Desk-days per week"), DECIMAL),
        Column(_("Desks needed"), INT), Column(_("Formulas wanted")),
        Column(_("Median budget (€ per month)"), EUROS), Column(_("km avoided per week"), INT),
        Column(_("kg CO2 avoided per week"), INT)])
    for rank, s in enumerate(result.sites, 1):
        row = [rank, names.get(s.commune, s.commune), s.commune]
        if s.people >= threshold:
            formulas = ", ".join(f"{L.FORMULA_LABELS.get(f, f)} ({n})"
                                 for f, n in s.formulas.most_common())
            row += [s.people, round(s.desk_days, 1), s.desks_needed, formulas, s.budget_median,
                    round(s.km_avoided), round(s.co2_kg_avoided)]
        else:
            row += [Hidden(threshold)] + [None] * 6
        table.rows.append(row)
    table.notes.append(_("Already covered by an open place: %(n)s. Still uncovered: %(u)s, of "
                         "%(total)s.", n=people(result.already_covered, threshold),
                         u=people(result.uncovered, threshold),
                         total=people(result.total, threshold)))
    return table


@dataclass
class Gaps:
    communes: list[tuple[str, int, float | None]]  # (INSEE, people, km to the nearest open place)
    names: dict[str, Commune]
    epcis: list[tuple[str, int, int]]  # (name, people, people of its communes shown)


def gap_lists(session: Session, rows: list[Row], km: float, threshold: int) -> Gaps:
    """Communes with demand and no open place within `km`, and their EPCIs. Small cells carry no
    number and are not ranked among themselves by their size either; an EPCI's total counts
    only its communes shown with a number (else the total minus the figures shown would give a
    small cell away)."""
    found = gaps(per_commune(rows), geography(session), open_place_communes(session), km)
    communes = {c.insee: c for c in session.scalars(select(Commune))}

    def epci_of(insee: str) -> str:
        return communes[insee].epci.name if communes[insee].epci else "—"

    by_epci: dict[str, int] = {}
    shown: dict[str, int] = {}
    for insee, n, _distance in found:
        by_epci[epci_of(insee)] = by_epci.get(epci_of(insee), 0) + n
        if n >= threshold:
            shown[epci_of(insee)] = shown.get(epci_of(insee), 0) + n
    found = sorted(found, key=lambda t: (t[1] < threshold, -t[1] if t[1] >= threshold else 0,
                                         communes[t[0]].name))
    epcis = sorted(by_epci.items(), key=lambda t: (t[1] < threshold,
                                                   -t[1] if t[1] >= threshold else 0, t[0]))
    return Gaps(found, communes, [(name, total, shown.get(name, 0)) for name, total in epcis])


def epci_people(total: int, shown: int, threshold: int):
    """An EPCI's people in the gaps: the total, or "N or more" when some of its communes are
    small (their sum would give them away), or Hidden."""
    if total < threshold:
        return Hidden(threshold)
    if shown == total:
        return total
    return _("%(n)d or more", n=max(shown, threshold))


def gap_tables(found: Gaps, km: float, threshold: int) -> list[Table]:
    communes = Table(_("Gaps, communes"), _("Communes with demand and no open place within "
                                            "%(km)s km", km=round(km)), [
        Column(_("Commune")), Column(_("INSEE code")), Column(_("Community of communes")),
        Column(_("People"), INT), Column(_("Nearest open place (km)"), INT)])
    for insee, n, nearest in found.communes:
        c = found.names[insee]
        communes.rows.append([c.name, insee, c.epci.name if c.epci else "",
                              people(n, threshold),
                              round(nearest) if nearest is not None else None])
    epcis = Table(_("Gaps, EPCIs"), _("Communities of communes with demand and no open place "
                                      "within %(km)s km", km=round(km)),
                  [Column(_("Community of communes")), Column(_("People"), INT)])
    epcis.rows = [[name, epci_people(total, shown, threshold)]
                  for name, total, shown in found.epcis]
    epcis.notes.append(_("A total written “N or more” leaves out communes of fewer than %(n)d "
                         "people, which it would otherwise give away.", n=threshold))
    return [communes, epcis]


# --- the viability sheet ----------------------------------------------------------------------

def assumptions_table(found, threshold: int) -> Table:
    """Every assumption of the viability sheet (`params.Viability`), as typed."""
    from app.organisers.forms import PRICE_FIELDS
    form, plan = found.form, found.plan
    table = Table(_("Assumptions"), _("Assumptions of the viability sheet"),
                  [Column(_("Assumption")), Column(_("Value"))])
    table.rows = [
        [_("Candidate site"), found.site_name],
        [str(form.rent.label.text), plan.rent],
        [str(form.other_costs.label.text), plan.other_costs],
        *[[str(label), plan.prices[f]] for f, label in PRICE_FIELDS.items()],
        [_("First month free"), _("yes") if plan.free_first_month else _("no")],
        [_("Target desk occupancy"), plan.occupancy],
        [_("Count people an open place already covers"),
         _("yes") if form.include_open.data else _("no")],
    ]
    table.value_kinds = [TEXT, EUROS, EUROS] + [EUROS] * len(PRICE_FIELDS) + [TEXT, RATIO, TEXT]
    table.notes.append(_("Each person covered pays the planned price of the formula they asked "
                         "for, if it is within the budget they declared; otherwise they do not "
                         "come. Days per quarter: the quarterly price divided by 3 each month; "
                         "a day pass: the day price × their days per week × 52 / 12. A free "
                         "first month leaves 11 paying months in the first year."))
    return table


def viability_table(sheet, threshold: int) -> Table:
    """The sheet's results as `viability.without_small_cells` leaves them (the shared view's
    rule): with fewer people covered than the threshold, no figure but the costs; the average
    paid and the break-even hidden when the planned prices keep fewer members than that (they
    would tell what those few pay)."""
    table = Table(_("Viability"), _("Viability sheet"), [Column(_("Figure")), Column(_("Value"))])
    shown = without_small_cells(sheet, threshold)
    hidden = shown is None or shown.average_paid is None
    table.rows = [
        [_("People covered"), people(sheet.people, threshold)],
        [_("Monthly costs"), sheet.costs],
        [_("Average paid per member"), Hidden(threshold, about=True) if hidden
         else sheet.average_paid],
        [_("Break-even membership"), Hidden(threshold, about=True) if hidden
         else (sheet.break_even_members if sheet.break_even_members is not None
               else _("no one would pay these prices"))],
    ]
    table.value_kinds = [INT, EUROS, EUROS, INT]
    return table


def scenarios_table(sheet, threshold: int) -> Table:
    """The price-rise rows as `viability.without_small_cells` leaves them: none with a figure
    when the sheet covers fewer people than the threshold (even a row of 0 members would tell
    about those few), else none for a row of fewer members (but some) than the threshold."""
    shown = without_small_cells(sheet, threshold)
    table = Table(_("Price rises"), _("If prices rise, those whose budget is exceeded leave"), [
        Column(_("Prices")), Column(_("Members"), INT), Column(_("Revenue per month"), EUROS),
        Column(_("First year, per month"), EUROS), Column(_("Balance per month"), EUROS),
        Column(_("Desks needed"), INT)])
    for s in (shown or sheet).scenarios:
        label = _("as planned") if s.rise == 0 else f"+{round(s.rise * 100)} %"
        if shown is None or s.members is None:
            table.rows.append([label, Hidden(threshold), None, None, None, None])
        else:
            table.rows.append([label, s.members, round(s.revenue, 2),
                               round(s.first_year_revenue, 2), round(s.balance, 2),
                               s.desks_needed])
    table.notes.append(_("Members: those covered whose budget the prices fit. A row of fewer "
                         "than %(n)d members shows no figure: it would tell what they pay.",
                         n=threshold))
    return table


# --- events and declarations (the French twins of the machine CSV files) ----------------------

def events_table(found, threshold: int) -> Table:
    """`events.usage` per place (or commune) and month, every month of the window."""
    table = Table(_("Events"), _("Events, registrations and declared demand per place and month"),
                  [Column(_("Place")), Column(_("Place status")), Column(_("INSEE code")),
                   Column(_("Commune")), Column(_("Community of communes")),
                   Column(_("Month"), MONTH), Column(_("Events"), INT),
                   Column(_("Registrations"), INT), Column(_("Declared demand nearby"), INT)])
    for use in found.uses:
        place, commune = use.place, use.commune
        for month in found.months:
            counts = use.months.get(month)
            table.rows.append([
                place.name if place else _("elsewhere than at a place"),
                str(L.PLACE_STATUS_LABELS[place.status]) if place else "",
                commune.insee, commune.name, commune.epci.name if commune.epci else "",
                date.fromisoformat(f"{month}-01"), counts.events if counts else 0,
                people(counts.registrations, threshold) if counts else 0,
                people(use.demand, threshold)])
    table.notes.append(small_cell_note(threshold))
    return table


def _labels(codes, labels: dict) -> str:
    return ", ".join(str(labels.get(code, code)) for code in codes or ())


def declarations_table(session: Session) -> Table:
    """One line per current declaration, at commune level; a name and an email only for those
    who consented to be contacted (campaign respondents): the machine CSV's lines, in words."""
    v = DeclarationVersion
    query = (select(Declaration, v, Commune.name).join(v, v.declaration_id == Declaration.id)
             .join(Commune, Commune.insee == v.home_commune_insee)
             .where(v.is_current, Declaration.withdrawn_at.is_(None)).order_by(Declaration.id))
    table = Table(_("Declarations"), _("Declarations"), [
        Column(_("INSEE code")), Column(_("Commune")), Column(_("Questionnaire")),
        Column(_("Formula")), Column(_("Days per week"), DECIMAL),
        Column(_("Budget (€ per month)"), EUROS), Column(_("Start")), Column(_("Equipment")),
        Column(_("Services")), Column(_("A free first month would help")),
        Column(_("Would take part in governance")), Column(_("Declared on"), DATE),
        Column(_("Contact name")), Column(_("Contact email"))])
    for declaration, version, commune in session.execute(query):
        consented = declaration.contact_consent
        table.rows.append([
            version.home_commune_insee, commune, str(L.TRACK_LABELS.get(version.track, "")),
            str(L.FORMULA_LABELS.get(version.formula, version.formula)),
            version.days_per_week, version.budget_eur_month,
            str(L.HORIZON_LABELS.get(version.horizon, version.horizon)),
            _labels(version.equipment, L.EQUIPMENT_LABELS),
            _labels(version.services, L.SERVICE_LABELS),
            _("yes") if version.free_first_month else _("no"),
            _labels(version.governance, L.GOVERNANCE_LABELS),
            to_user_timezone(version.created_at).date(),
            declaration.contact_name if consented else "",
            declaration.contact_email if consented else ""])
    table.notes.append(_("Names and emails only of the people who agreed to be contacted."))
    return table


def display_value(value, kind: str) -> str:
    """A value as the report shows it, in the reader's language: "1 500 €", "3,5", "0,7",
    "7 décembre 2026"; "—" for none; a Hidden count in words."""
    from flask_babel import format_decimal, format_number
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float | date):
        return str(value)
    if isinstance(value, date):
        return format_date(value, "LLLL y" if kind == MONTH else "long")
    if kind == EUROS:
        amount = format_decimal(value, "#,##0" if value == round(value) else "#,##0.00")
        return _("%(amount)s €", amount=amount)
    if kind == DECIMAL:
        return format_decimal(value, "#,##0.0")
    if kind == RATIO:
        return format_decimal(value, "0.0##")
    return format_number(round(value)) if kind == INT else format_number(value)
