"""Two requests racing for the same unique value: the loser gets a clear answer, not a 500."""
from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from models import PendingSignup, Skill, User, db
from tests.helpers.apps import csrf_from


def insert_from_another_request_just_before_commit(statement, moment: str = "before_commit"):
    """Run `statement` on its own connection and commit it, right before the session's next
    commit: what a concurrent request would have done between our check and our commit.
    `moment="before_flush"`: right before the session's first write, for code that writes
    (flushes) before it commits (the other request would then wait for our lock)."""
    done = []

    def race(session, *_):
        if not done:
            done.append(True)
            with db.engine.begin() as other:
                other.execute(statement)
    event.listen(Session, moment, race, insert=True)  # before the commit hooks' own work
    return lambda: event.remove(Session, moment, race)


def test_two_registrations_with_one_address(client, auth):
    """A sign-up link followed while another request makes an account with the address (after
    our check, before our write): no second account, a clear answer, nobody logged in."""
    assert auth.register("same@example.org", display_name="Slower", finish=False) \
        .headers["Location"] == "/auth/register/sent"
    link = auth.sign_up_link("same@example.org")
    token = csrf_from(client.get(link).get_data(as_text=True))
    stop = insert_from_another_request_just_before_commit(insert(User).values(
        email="same@example.org", password_hash="x", display_name="Quicker", role="member",
        session_token="t" * 32, created_at=func.now()),
        # The link's button writes the account (and its login session) before it commits.
        moment="before_flush")
    try:
        r = client.post(link, data={"csrf_token": token})
    finally:
        stop()
    assert r.status_code == 409 and "Cette adresse a déjà un compte" in r.get_data(as_text=True)
    assert db.session.scalars(select(User.display_name)).all() == ["Quicker"]
    assert db.session.scalar(select(func.count(PendingSignup.id))) == 0
    assert client.get("/people/me/edit").status_code == 302


def test_two_members_creating_the_same_new_skill(client, auth, make_user):
    user = make_user("ana@example.org")
    auth.login("ana@example.org")
    token = csrf_from(client.get("/people/me/edit").get_data(as_text=True))
    stop = insert_from_another_request_just_before_commit(
        insert(Skill).values(name="Vannerie", key="vannerie"))
    try:
        r = client.post("/people/me/edit", data={
            "display_name": "Ana", "kind": "artist", "headline": "", "commune": "",
            "skills": "vannerie", "bio": "", "offers": "", "needs": "", "website": "",
            "visibility": "public", "csrf_token": token})
    finally:
        stop()
    assert r.status_code == 302
    assert [s.name for s in user.profile.skills] == ["Vannerie"]
    assert db.session.scalar(select(func.count(Skill.id)).where(Skill.key == "vannerie")) == 1
