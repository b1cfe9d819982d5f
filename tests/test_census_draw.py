"""Issue 24, must show 1: the target sample. The same seed over the same data draws the same
sample, whatever order the rows went into the database; every EPCI gets within one target of
its proportional quota and rural communes their share or more; no non-diffusible, closed,
suppressed or declared establishment is ever drawn or swapped in (200,000 synthetic SIRENE
rows, and the SIRENE sample imported by the real importer, before and after a re-import)."""
from __future__ import annotations

import csv
import io
import random
from collections import Counter
from fractions import Fraction

import pytest
from sqlalchemy import delete, insert, select

from app.census import outreach
from app.census.frame import frame_for, territory
from app.census.sample import (
    Options,
    allocate,
    choose,
    draw,
    eligible_units,
    largest_remainder,
    size_class,
)
from app.census.suppression import suppress
from app.demand.service import add_version
from app.organisers.sirene import import_stock
from models import (
    CensusSuppression,
    CensusTarget,
    Declaration,
    OutreachStatus,
    SireneEstablishment,
    SuppressionReason,
    User,
    db,
)
from models.types import utcnow
from tests.helpers.census import (
    SIRENE_SAMPLE,
    communes,
    insert_establishments,
    make_campaign,
    synthetic_rows,
)


def epci_shares(chosen) -> Counter:
    return Counter(unit.epci for unit, _key in chosen)


def sirets_of(chosen) -> set[str]:
    return {unit.siret for unit, _key in chosen}


def test_a_draw_over_200000_sirene_rows(app, make_user):
    organiser = make_user("orga@example.org", role="organiser")
    rows = synthetic_rows(200_000)
    insert_establishments(rows)
    campaign = make_campaign()
    rng = random.Random(3)
    # 500 establishments on the do-not-contact list, drawn among those that could be drawn.
    suppressed = {r["siret"] for r in rng.sample([r for r in rows if r["active"]
                                                  and r["diffusible"]], 500)}
    db.session.execute(insert(CensusSuppression.__table__), [
        {"siret": siret, "reason": SuppressionReason.DECLINED, "note": "", "created_at": utcnow()}
        for siret in sorted(suppressed)])
    db.session.commit()

    # The frame, worked out here from the rows themselves: active, diffusible, not on the list,
    # not in NAF division 84 (excluded below).
    gazetteer = communes()
    expected = {r["siret"]: r for r in rows if r["active"] and r["diffusible"]
                and r["siret"] not in suppressed and not r["naf_code"].startswith("84")}
    options = Options(size=20, seed="424242", naf_exclude=("84",), include_members=False)
    places = territory(db.session, campaign, frame_for(db.session, campaign))
    units = eligible_units(db.session, places, options)
    assert {u.siret for u in units} == set(expected)
    assert not any(u.siret in suppressed for u in units)

    # Each EPCI within one target of its quota: size x its units / all units.
    per_epci = Counter(gazetteer[r["commune_insee"]][0] for r in expected.values())
    rural_units = Counter(gazetteer[r["commune_insee"]][0] for r in expected.values()
                          if size_class(gazetteer[r["commune_insee"]][1]) == "rural")
    total = sum(per_epci.values())
    for size in (20, 2_000):
        sample = choose(units, size, "424242")
        assert len(sample.chosen) == size
        shares = epci_shares(sample.chosen)
        for epci, n in per_epci.items():
            quota = Fraction(size * n, total)
            assert abs(shares[epci] - quota) < 1, (size, epci, shares[epci], float(quota))
        # Rural communes: in every EPCI, at least their proportional share of its targets.
        rural_drawn = Counter(u.epci for u, _k in sample.chosen if u.size_class == "rural")
        for epci, n in per_epci.items():
            assert rural_drawn[epci] >= Fraction(shares[epci] * rural_units[epci], n), epci
        for unit, _key in sample.chosen:
            row = expected[unit.siret]
            assert row["diffusible"] and row["active"] and unit.siret not in suppressed

    # The same seed over the same data, however the rows come: the same sample.
    first = sirets_of(choose(units, 20, "424242").chosen)
    shuffled = list(units)
    random.Random(11).shuffle(shuffled)
    assert sirets_of(choose(shuffled, 20, "424242").chosen) == first
    assert sirets_of(choose(list(reversed(units)), 20, "424242").chosen) == first
    assert sirets_of(choose(units, 20, "424243").chosen) != first

    # Through the real path: targets written with their keys and references, the seed kept.
    record = draw(db.session, campaign, options, organiser)
    db.session.commit()
    targets = db.session.scalars(select(CensusTarget).where(
        CensusTarget.campaign_id == campaign.id)).all()
    assert {t.siret for t in targets} == first and record.seed == "424242"
    assert record.frame_size == len(expected)
    assert len({t.ref for t in targets}) == 20 and not any(t.siret in t.ref for t in targets)


def test_the_same_seed_draws_the_same_sample_whatever_the_row_order(app, make_user):
    organiser = make_user("orga@example.org", role="organiser")
    rows = synthetic_rows(3_000, seed=5)
    campaign = make_campaign()
    options = Options(size=25, seed="order-test", include_members=False)

    def drawn_after_inserting(ordered) -> set[str]:
        db.session.execute(delete(CensusTarget))
        db.session.execute(delete(SireneEstablishment))
        db.session.commit()
        insert_establishments(ordered)
        draw(db.session, campaign, options, organiser)
        db.session.commit()
        return set(db.session.scalars(select(CensusTarget.siret).where(
            CensusTarget.campaign_id == campaign.id)))

    first = drawn_after_inserting(rows)
    assert len(first) == 25
    refs = set(db.session.scalars(select(CensusTarget.ref)))
    draw(db.session, campaign, options, organiser)  # again, over the same rows
    db.session.commit()
    assert set(db.session.scalars(select(CensusTarget.siret))) == first
    assert not refs & set(db.session.scalars(select(CensusTarget.ref)))  # new references
    assert drawn_after_inserting(list(reversed(rows))) == first
    shuffled = list(rows)
    random.Random(2).shuffle(shuffled)
    assert drawn_after_inserting(shuffled) == first


def test_largest_remainder_and_the_rural_floor():
    assert largest_remainder(20, {"a": 1, "b": 1, "c": 1}) == {"a": 7, "b": 7, "c": 6}
    assert sum(largest_remainder(7, {"x": 13, "y": 29, "z": 58}).values()) == 7
    # One target for an EPCI with a rural unit: it goes to the rural commune, even though the
    # town has more units (its share, 1 x 1/10, rounded up).
    assert allocate({("e", "rural"): 1, ("e", "town"): 9}, 1) == {("e", "rural"): 1,
                                                                   ("e", "town"): 0}
    # Never more than a stratum has.
    shares = allocate({("e", "rural"): 2, ("e", "small_town"): 3, ("f", "town"): 1}, 100)
    assert shares == {("e", "rural"): 2, ("e", "small_town"): 3, ("f", "town"): 1}
    assert size_class(1_999) == "rural" and size_class(2_000) == "small_town"
    assert size_class(10_000) == "town"


def _sample_file(non_diffusible: set[str]) -> bytes:
    """The SIRENE sample, with these establishments made non-diffusible (statut "P")."""
    text = SIRENE_SAMPLE.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    siret, status = header.index("siret"), header.index("statutDiffusionEtablissement")
    for row in rows[1:]:
        if row[siret] in non_diffusible:
            row[status] = "P"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def test_the_sirene_sample_through_the_importer_and_a_re_import(app, make_user):
    organiser_id = make_user("orga@example.org", role="organiser").id
    with SIRENE_SAMPLE.open(encoding="utf-8") as f:
        sirets = [row["siret"] for row in csv.DictReader(f)]
    assert len(sirets) == 40
    hidden = set(sirets[::5])  # 8 non-diffusible
    declined, asked = sirets[1], sirets[2]
    declared = sirets[3]
    known = set(communes())
    import_stock(db.session, io.BytesIO(_sample_file(hidden)), known)
    organiser = db.session.get(User, organiser_id)  # the import let go of every object
    suppress(db.session, organiser, SuppressionReason.DECLINED, siret=declined)
    suppress(db.session, organiser, SuppressionReason.DO_NOT_CONTACT, siret=asked)
    declaration = Declaration(user_id=organiser.id)
    add_version(db.session, declaration, {
        "track": "company", "company_name": "Déjà là", "siret": declared,
        "home_commune_insee": "12202", "acceptable_communes": ["12202"], "days_per_week": 1.0,
        "formula": "day_pass", "budget_eur_month": 50, "horizon": "now"})
    db.session.commit()
    assert db.session.get(SireneEstablishment, sorted(hidden)[0]).name == ""
    campaign = make_campaign()
    campaign_id = campaign.id
    eligible = set(sirets) - hidden - {declined, asked, declared}
    options = Options(size=40, seed="1", include_members=False)

    draw(db.session, campaign, options, organiser)
    db.session.commit()
    drawn = set(db.session.scalars(select(CensusTarget.siret)))
    assert drawn == eligible  # everyone who may be drawn, and nobody else

    # A new extract where everything is public again: the establishments it makes diffusible
    # may be drawn; the do-not-contact list outlives the import.
    import_stock(db.session, io.BytesIO(SIRENE_SAMPLE.read_bytes()), known)
    organiser = db.session.get(User, organiser_id)
    campaign = db.session.get(type(campaign), campaign_id)
    assert db.session.get(SireneEstablishment, sorted(hidden)[0]).diffusible
    for seed in ("1", "2", "3"):
        draw(db.session, campaign, Options(size=40, seed=seed, include_members=False),
             organiser)
        db.session.commit()
        drawn = set(db.session.scalars(select(CensusTarget.siret)))
        assert drawn == set(sirets) - {declined, asked, declared}
    # Nor does a swap offer them: swapping every target of a small draw never brings them in.
    draw(db.session, campaign, Options(size=5, seed="9", include_members=False), organiser)
    db.session.commit()
    seen = set()
    for target in db.session.scalars(select(CensusTarget).where(
            CensusTarget.campaign_id == campaign.id)).all():
        seen.add(target.siret)
        try:
            new = outreach.swap(db.session, campaign, target, "test", organiser)
        except outreach.NoReplacement:
            continue
        seen.add(new.siret)
        db.session.commit()
    assert seen and not seen & {declined, asked, declared}


def test_a_swap_takes_the_next_of_the_stratum_and_refuses_a_non_diffusible_siret(app, make_user):
    organiser = make_user("orga@example.org", role="organiser")
    rows = synthetic_rows(2_000, seed=9)
    insert_establishments(rows)
    campaign = make_campaign()
    options = Options(size=10, seed="77", include_members=False)
    draw(db.session, campaign, options, organiser)
    db.session.commit()
    target = db.session.scalars(select(CensusTarget).order_by(CensusTarget.id)).first()
    # The next one: in the target's stratum, the smallest key after those already drawn.
    places = territory(db.session, campaign, frame_for(db.session, campaign))
    stratum = [u for u in eligible_units(db.session, places, options)
               if u.epci == target.epci_code and u.size_class == target.size_class]
    taken = set(db.session.scalars(select(CensusTarget.siret)))
    from app.census.sample import draw_key
    following = min((draw_key("77", u.name), u.siret) for u in stratum if u.siret not in taken)
    new = outreach.swap(db.session, campaign, target, "a fermé ses portes", organiser)
    db.session.commit()
    assert new.siret == following[1] and target.replaced_by_id == new.id
    assert target.swapped_out_at is not None and target.swap_reason == "a fermé ses portes"

    hidden = next(r["siret"] for r in rows if r["active"] and not r["diffusible"])
    other = db.session.scalars(select(CensusTarget).where(
        CensusTarget.swapped_out_at.is_(None), CensusTarget.id != new.id)).first()
    with pytest.raises(outreach.NoReplacement):
        outreach.swap(db.session, campaign, other, "choisi", organiser, siret=hidden)
    db.session.rollback()
    chosen = next(r["siret"] for r in rows if r["active"] and r["diffusible"]
                  and r["siret"] not in taken | {new.siret}
                  and not r["naf_code"].startswith("84"))
    swapped_in = outreach.swap(db.session, campaign, other, "connu du référent", organiser,
                               siret=chosen)
    db.session.commit()
    assert swapped_in.siret == chosen and swapped_in.status == OutreachStatus.TO_CONTACT
