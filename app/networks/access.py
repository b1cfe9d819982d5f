"""Who may see and do what in a network. Every network view goes through `load_network`.

- open: anyone sees the page and charter; logged-in people read posts and members; joining
  means accepting the charter.
- on request: anyone sees the page and charter; posts and members are for active members;
  an animator approves each request, then the member accepts the charter.
- private: 404 for everyone without a membership row (invited and approved people included),
  whatever the id; posts and members are for active members.
Posting needs an active membership and the current charter accepted.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from app.extensions import login_manager
from models import Membership, MemberStatus, Network, NetworkVisibility, db


@dataclass
class Access:
    network: Network
    membership: Membership | None  # None for a banned person too: they are outside
    banned: bool = False

    @property
    def is_member(self) -> bool:
        return self.membership is not None and self.membership.is_active

    @property
    def is_animator(self) -> bool:
        return self.membership is not None and self.membership.is_animator

    @property
    def can_read(self) -> bool:
        """Posts, comments and the member list (never for a banned person, even when open)."""
        if self.banned:
            return False
        if self.is_member:
            return True
        return (self.network.visibility == NetworkVisibility.OPEN
                and current_user.is_authenticated)

    @property
    def must_accept_charter(self) -> bool:
        """Joining: the current version. Already a member: the last material version."""
        m = self.membership
        if m is None:
            return False
        if m.status == MemberStatus.APPROVED:
            return m.accepted_charter_version < self.network.charter_version
        return (m.status == MemberStatus.ACTIVE
                and m.accepted_charter_version < self.network.charter_required_version)

    @property
    def is_muted(self) -> bool:
        return self.membership is not None and self.membership.is_muted()

    @property
    def can_post(self) -> bool:
        return self.is_member and not self.must_accept_charter and not self.is_muted

    @property
    def status(self) -> str | None:
        return self.membership.status if self.membership else None


def membership_of(network_id: int, user_id: int) -> Membership | None:
    return db.session.scalar(select(Membership).where(
        Membership.network_id == network_id, Membership.user_id == user_id))


def access_to(network: Network) -> Access:
    membership = (membership_of(network.id, current_user.id)
                  if current_user.is_authenticated else None)
    if membership is not None and membership.status == MemberStatus.BANNED:
        return Access(network, None, banned=True)
    return Access(network, membership)


def load_network(network_id: int, *, read: bool = False, animator: bool = False) -> Access:
    """The network and the viewer's access to it; 404 when the viewer may not know it exists
    (or, with `read`, may not read its content), 403 for animator tools of a network one reads."""
    network = db.session.get(Network, network_id)
    if network is None:
        abort(404)
    access = access_to(network)
    if network.is_private and access.membership is None:
        abort(404)
    if (read or animator) and not access.can_read:
        if not current_user.is_authenticated and not network.is_private:
            # An open network: log in to read it.
            abort(401 if request.path.startswith("/api/") else login_manager.unauthorized())
        abort(404)  # members' content: not even its ids are confirmed
    if animator and not access.is_animator:
        abort(403)
    return access
