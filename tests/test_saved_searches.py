"""Saved searches and their alerts (issue 25, must show 3): "tell me when a joiner sets up
within 20 km of Rodez", through the real pages, the real alert job and the digest."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.mailprefs.digest import build_digests
from app.savedsearch.alerts import send_alerts
from models import (
    Block,
    MailMode,
    Notification,
    NotificationKind,
    OutboxMessage,
    SavedSearch,
    db,
)
from models.types import utcnow
from tests.helpers.apps import csrf_from, login_as


def save_search(client, **fields):
    html = client.get("/searches/").get_data(as_text=True)
    return client.post("/searches/", data={"csrf_token": csrf_from(html), **fields})


def alerts_of(user) -> list[Notification]:
    db.session.rollback()
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == NotificationKind.SEARCH_MATCH)))


@pytest.fixture
def searcher(app, client, make_user):
    user = make_user("cherche@example.org", display_name="Camille Cherche", commune="12202")
    user.email_verified_at = utcnow()
    db.session.commit()
    login_as(client, user)
    response = save_search(client, q="menuisier", commune="Rodez", within_km="20")
    assert response.status_code == 302
    send_alerts(db.session)  # what existed before the search is not news
    db.session.commit()
    return user


def test_an_alert_for_a_joiner_within_20_km_once_never_across_a_block(app, client, searcher,
                                                                      make_user):
    """Must show 3: 30 km away, no alert; 10 km away, one alert, and only one however often
    the profile is edited; from someone who blocked the searcher, none."""
    far = make_user(display_name="Loin Menuisier", headline="Menuisier",
                    skills=("menuiserie",), commune="12191")  # Privezac, 30 km
    near = make_user(display_name="Près Menuisière", headline="Menuisière",
                     skills=("menuiserie",), commune="12254")  # Salles-la-Source, 10 km
    blocker = make_user(display_name="Bloque Menuisier", headline="Menuisier",
                        skills=("menuiserie",), commune="12102", commit=False)  # Flavin, 9 km
    db.session.add(Block(blocker_id=blocker.id, blocked_id=searcher.id))
    db.session.commit()
    report = send_alerts(db.session)
    db.session.commit()
    told = alerts_of(searcher)
    assert [n.actor_id for n in told] == [near.id] and report.alerts == 1
    assert told[0].detail == "menuisier · Rodez · 20 km"
    # Edited again: still one alert. The job run again: nothing new.
    near.profile.bio = "Escaliers sur mesure"
    db.session.commit()
    send_alerts(db.session)
    send_alerts(db.session)
    db.session.commit()
    assert len(alerts_of(searcher)) == 1
    assert far.id not in {n.actor_id for n in alerts_of(searcher)}
    # The alert's link leads to the person's profile; the blocker's would be a 404.
    assert client.get(f"/searches/person/{near.id}").status_code == 302
    assert client.get(f"/searches/person/{blocker.id}").status_code == 404
    # By mail: in the daily digest (the default), never at once.
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind.like("notify:search_match%"))) == 0
    build_digests(db.session, MailMode.DAILY, utcnow())
    digest = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.to_address == searcher.email, OutboxMessage.kind == "digest_daily"))
    assert digest is not None and "Près Menuisière" in digest.text


def test_an_edited_profile_that_comes_to_match_alerts(app, client, searcher, make_user):
    user = make_user(display_name="Devenu Artisan", headline="Charpentier", commune="12202")
    send_alerts(db.session)
    db.session.commit()
    assert alerts_of(searcher) == []
    user.profile.headline = "Charpentier et menuisier"
    db.session.commit()
    send_alerts(db.session)
    db.session.commit()
    assert [n.actor_id for n in alerts_of(searcher)] == [user.id]


def test_the_list_edit_delete_and_their_checks(app, client, searcher, make_user):
    html = client.get("/searches/").get_data(as_text=True)
    assert "menuisier · Rodez · 20 km" in html
    saved = db.session.scalar(select(SavedSearch).where(SavedSearch.user_id == searcher.id))
    # An unknown commune is refused with its suggestion, what was typed kept.
    edit = f"/searches/{saved.id}/edit"
    response = client.post(edit, data={"csrf_token": csrf_from(client.get(edit).get_data(
        as_text=True)), "q": "ébéniste", "commune": "Rodes", "within_km": "20"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "vouliez-vous dire Rodez" in page
    assert 'value="ébéniste"' in page and 'value="Rodes"' in page
    response = client.post(edit, data={"csrf_token": csrf_from(page), "q": "ébéniste",
                                       "commune": "Rodez", "within_km": "15"})
    assert response.status_code == 302
    db.session.rollback()
    assert (saved.query, saved.within_km) == ("ébéniste", 15)
    # Without the CSRF token: refused, nothing changed.
    assert client.post(edit, data={"q": "x"}).status_code == 400
    # Someone else's: 404 for every action.
    other = client.application.test_client()
    login_as(other, make_user("autre@example.org"))
    assert other.get(edit).status_code == 404
    assert other.get(f"/searches/{saved.id}/delete").status_code == 404
    # Delete asks first, then deletes.
    saved_id, delete = saved.id, f"/searches/{saved.id}/delete"
    page = client.get(delete).get_data(as_text=True)
    assert client.post(delete, data={"csrf_token": csrf_from(page)}).status_code == 302
    db.session.rollback()
    assert db.session.get(SavedSearch, saved_id) is None


def test_limits_and_the_notify_me_button(app, client, searcher):
    from app.savedsearch import service
    html = client.get("/search", query_string={"q": "menusier", "type": "profile"}).get_data(
        as_text=True)
    assert "Me prévenir" in html  # on a people search, for a member
    assert save_search(client, q="x" * 500).status_code == 422  # too long: said, not cut
    for i in range(service.PER_MEMBER_MAX - 1):
        assert save_search(client, q=f"menuisier {i}").status_code == 302
    response = save_search(client, q="un de trop")
    assert response.status_code == 422 and "supprimez-en une" in response.get_data(as_text=True)
    assert client.get("/searches/").status_code == 200
    client.post("/auth/logout", data={"csrf_token": csrf_from(html)})
    assert client.post("/searches/", data={"q": "x"}).status_code in (302, 400, 401)
