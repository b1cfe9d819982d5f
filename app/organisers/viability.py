"""Would a place at this site pay its way? The viability sheet, as a pure function.

Each person the site covers (app/organisers/clusters.py's rule) would pay the planned price of
the formula they asked for, per month:

    permanent desk, 24 h access, meeting room:  the monthly price
    N days per quarter:                         the quarterly price / 3
    day pass:                                   the day price × their days per week × 52 / 12

and comes only if that is within the budget they declared: revenue is capped by what people
said they would pay, never more. A free first month gives 11 paying months in the first year.
Break-even membership is the number of such members, at the average paid, that covers the
monthly costs. The price-rise rows apply +10/20/30 % to every price: whoever's budget is then
exceeded leaves (what broke the Lozère network: a price rise lost more members than it
earned).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from app.organisers.aggregates import small
from app.organisers.clusters import Demand
from models import Formula

WEEKS_PER_MONTH = 52 / 12
RISES = (0.0, 0.10, 0.20, 0.30)


@dataclass
class Plan:
    rent: float = 0.0
    other_costs: float = 0.0
    prices: dict[str, float] = field(default_factory=dict)  # per formula, see the docstring
    free_first_month: bool = False
    occupancy: float = 0.7


@dataclass
class Scenario:
    rise: float
    members: int
    revenue: float  # per month, steady state
    first_year_revenue: float  # per month, averaged over the first year
    balance: float  # revenue - costs, per month
    desks_needed: int


@dataclass
class Sheet:
    people: int
    costs: float
    scenarios: list[Scenario]
    break_even_members: int | None  # None: no one would pay at these prices
    average_paid: float


def monthly_price(demand: Demand, prices: dict[str, float], rise: float = 0.0) -> float | None:
    price = prices.get(demand.formula)
    if price is None:
        return None
    if demand.formula == Formula.DAYS_PER_QUARTER:
        price = price / 3
    elif demand.formula == Formula.DAY_PASS:
        price = price * demand.days * WEEKS_PER_MONTH
    return price * (1 + rise)


def viability(demands: list[Demand], plan: Plan) -> Sheet:
    costs = plan.rent + plan.other_costs
    scenarios = []
    for rise in RISES:
        paying = [(d, p) for d in demands
                  # cents: 100 × 1.1 is 110.00000000000001, within a budget of 110
                  if (p := monthly_price(d, plan.prices, rise)) is not None
                  and round(p, 2) <= d.budget]
        revenue = sum(p for _, p in paying)
        desk_days = sum(d.days for d, _ in paying)
        scenarios.append(Scenario(
            rise=rise, members=len(paying), revenue=revenue,
            first_year_revenue=revenue * (11 / 12 if plan.free_first_month else 1),
            balance=revenue - costs,
            desks_needed=math.ceil(desk_days / (5 * plan.occupancy)) if desk_days else 0))
    base = scenarios[0]
    average = base.revenue / base.members if base.members else 0.0
    break_even = math.ceil(costs / average) if average else None
    return Sheet(people=len(demands), costs=costs, scenarios=scenarios,
                 break_even_members=break_even, average_paid=average)


def without_small_cells(sheet: Sheet, threshold: int) -> Sheet | None:
    """The sheet as it leaves the organisers' pages (the shared read-only view, the council
    report, its workbook) and as the viability page shows it: None when it covers fewer people
    than the threshold (every figure would then tell about those few, even a price row of 0
    members); a price scenario with fewer paying members (but some: `aggregates.small`) loses its
    figures, which would tell what those few pay, and so do the average paid and break-even
    when the planned prices keep so few."""
    if sheet.people < threshold:
        return None

    def hidden(s: Scenario) -> bool:
        return small(s.members, threshold) is None

    scenarios = [Scenario(s.rise, None, None, None, None, None) if hidden(s) else s
                 for s in sheet.scenarios]
    base = sheet.scenarios[0]
    return Sheet(people=sheet.people, costs=sheet.costs, scenarios=scenarios,
                 break_even_members=None if hidden(base) else sheet.break_even_members,
                 average_paid=None if hidden(base) else sheet.average_paid)
