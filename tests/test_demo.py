"""`flask demo` builds a believable territory: members, networks with posts, connections."""
from __future__ import annotations

from sqlalchemy import func, select

from models import Comment, Connection, Membership, Network, Post, Profile, db


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_creates_networks_posts_connections_and_pictures_once(runner):
    """Networks with posts, connections, and pictures for some members (the feed, the directory
    and the page-weight bench show real images), stored as an upload is: one WebP file per
    size. A second run adds nothing. (One test: each `flask demo` run takes seconds.)"""
    from app.images.processing import SQUARE_SIZES
    from app.images.storage import KEY, path_for
    result = runner.invoke(args=["demo", "--profiles", "150"])
    assert result.exit_code == 0, result.output
    assert count(Profile) == 150
    assert count(Network) == 12
    assert db.session.scalar(select(func.count()).select_from(Network).where(
        Network.visibility == "private")) >= 1
    assert count(Post) >= 12 * 4 and count(Comment) > 0 and count(Connection) > 20
    # Every network has an active animator and its member count is right.
    for network in db.session.scalars(select(Network)):
        active = db.session.scalar(select(func.count()).select_from(Membership).where(
            Membership.network_id == network.id, Membership.status == "active"))
        assert network.member_count == active >= 2
        assert db.session.scalar(select(Membership).where(
            Membership.network_id == network.id, Membership.role == "animator",
            Membership.status == "active")) is not None
    keys = db.session.scalars(select(Profile.avatar).where(Profile.avatar.is_not(None))).all()
    assert 20 <= len(keys) <= 90
    assert db.session.scalar(select(func.count()).select_from(Profile)
                             .where(Profile.avatar.is_(None))) > 0  # initials stay too
    for key in keys:
        assert KEY.fullmatch(key)
        for size in SQUARE_SIZES:
            assert path_for(key, size).read_bytes()[8:12] == b"WEBP"
    # Weighs what a photo weighs at 48 px, not a flat drawing of a few hundred bytes.
    small = [path_for(key, 48).stat().st_size for key in keys]
    assert 500 < sum(small) / len(small) < 2000
    before = [count(m) for m in (Profile, Network, Post, Comment, Connection, Membership)]
    assert runner.invoke(args=["demo", "--profiles", "150"]).exit_code == 0
    assert [count(m) for m in (Profile, Network, Post, Comment, Connection, Membership)] == before
    assert db.session.scalars(select(Profile.avatar).where(Profile.avatar.is_not(None))).all() \
        == keys


def test_demo_demand_clusters_and_the_real_places(runner):
    """The places of the demo are the territory's real ones, from the project's copy of the
    national list ("to be confirmed", no invented figures); only projects are invented, and
    the poll of one of them."""
    from models import Declaration, DeclarationVersion, Place, PlaceInterest, PlaceStatus, Poll
    from tests.helpers.tierslieux import EXPECTED
    assert runner.invoke(args=["demo", "--profiles", "340"]).exit_code == 0
    declarations = count(Declaration)
    assert 200 <= declarations <= 400  # a few hundred, members and anonymous answers
    # Concentrated: the three busiest home communes hold a large share of the answers.
    rows = db.session.execute(select(DeclarationVersion.home_commune_insee, func.count())
                              .where(DeclarationVersion.is_current)
                              .group_by(DeclarationVersion.home_commune_insee)
                              .order_by(func.count().desc())).all()
    assert sum(n for _, n in rows[:3]) > 0.3 * sum(n for _, n in rows)
    imported = db.session.scalars(select(Place).where(Place.source.is_not(None))).all()
    assert {p.source_id: p.commune_insee for p in imported} == {
        sid: insee for sid, (insee, _how) in EXPECTED.items()}
    assert all(p.source == "CGET 2019" and p.to_confirm and not p.plans and p.rent_eur_month
               is None and p.status == PlaceStatus.OPEN for p in imported)
    invented = db.session.scalars(select(Place).where(Place.source.is_(None))).all()
    assert invented and {p.status for p in invented} == {PlaceStatus.PROJECT}
    assert count(Poll) >= 1 and count(PlaceInterest) > 0
    places = count(Place)
    assert runner.invoke(args=["demo", "--profiles", "340"]).exit_code == 0
    assert (count(Declaration), count(Place)) == (declarations, places)
