"""A member's profile changed from a validated ProfileForm: the page (app/people/views.py) and
the API (app/api/writes.py) both call `save_profile`, so both apply the same rules."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from app.images.forms import apply_picture
from app.people.forms import ProfileForm, split_skills
from models import Skill, User, db
from models.user import utcnow


def save_profile(user: User, form: ProfileForm) -> None:
    """Apply and commit."""
    try:
        _apply_profile_form(user, form)
        db.session.commit()
    except IntegrityError:
        # Another member created one of these new skills at the same moment: it exists
        # now, so a second pass finds it instead of inserting it again.
        db.session.rollback()
        _apply_profile_form(user, form)
        db.session.commit()


def _apply_profile_form(user: User, form: ProfileForm) -> None:
    profile = user.profile
    user.display_name = " ".join(form.display_name.data.split())
    profile.kind = form.kind.data
    profile.headline = form.headline.data.strip()
    profile.bio = form.bio.data
    profile.offers = form.offers.data
    profile.needs = form.needs.data
    profile.website = (form.website.data or "").strip()
    profile.visibility = form.visibility.data
    profile.direct_messages = form.direct_messages.data
    profile.commune = form.resolved_commune
    apply_picture(form, profile, "avatar", "avatar", profile.id, form.avatar_remove)
    profile.updated_at = utcnow()  # "recently active", even when only skills or name changed
    with db.session.no_autoflush:
        profile.skills = Skill.get_or_create(db.session, split_skills(form.skills.data))


def form_values(user: User) -> dict[str, str]:
    """The stored profile as the form's fields (what a partial change starts from)."""
    profile = user.profile
    return {"display_name": user.display_name, "kind": str(profile.kind or ""),
            "headline": profile.headline or "", "bio": profile.bio or "",
            "offers": profile.offers or "", "needs": profile.needs or "",
            "website": profile.website or "", "visibility": str(profile.visibility),
            "direct_messages": str(profile.direct_messages),
            "commune": profile.commune.label if profile.commune else "",
            "skills": ", ".join(s.name for s in profile.skills)}
