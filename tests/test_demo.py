"""`flask demo` builds a believable territory: members, networks with posts, connections."""
from __future__ import annotations

from sqlalchemy import func, select

from models import Comment, Connection, Membership, Network, Post, Profile, db


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_creates_networks_posts_and_connections_once(runner):
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
    before = [count(m) for m in (Profile, Network, Post, Comment, Connection, Membership)]
    assert runner.invoke(args=["demo", "--profiles", "150"]).exit_code == 0
    assert [count(m) for m in (Profile, Network, Post, Comment, Connection, Membership)] == before
