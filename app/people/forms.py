from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.forms import BaseForm, has_letters
from app.images import forms as pictures
from app.people.labels import DIRECT_MESSAGE_LABELS, KIND_LABELS, VISIBILITY_LABELS
from models import DirectMessages, db
from models.textkey import fold, tidy

BIO_MAX = 10_000
SKILLS_MAX = 20
SKILL_LENGTH_MAX = 60


COMMUNE_UNKNOWN = _l("We do not know this commune. Type its name, or pick one from the "
                     "suggestions.")
COMMUNE_AMBIGUOUS = _l("Several communes match. Pick one: %(names)s.")
COMMUNE_CLOSE = _l("We do not know this commune. Did you mean %(names)s? Type it again or pick "
                   "it from the suggestions.")


COMMUNES_UNKNOWN = _l("Unknown or ambiguous: %(names)s. Type a name with its postcode, e.g. "
                      "“Rignac (12390)”.")


def commune_error(typed: str, found: list) -> str | None:
    """What to tell a person about the commune they typed, or None when it is clear. A name
    that matches none gets the closest ones ("Rignak": did you mean Rignac (12390)?)."""
    if not typed or len(found) == 1:
        return None
    if not found:
        close = commune_suggestions(typed, found)
        if close:
            return str(COMMUNE_CLOSE) % {"names": ", ".join(c.label for c in close)}
        return str(COMMUNE_UNKNOWN)
    return str(COMMUNE_AMBIGUOUS) % {"names": ", ".join(c.label for c in found[:12])}


QUOTED_MAX = 40  # characters of a typed name quoted back in an error


def listed_communes(parts: list[str]) -> tuple[list[str], str | None]:
    """A list of typed communes (a campaign's frame, the communes one would go to): their INSEE
    codes, in order, once each, and what to say of those that match none or several (at most
    five quoted, each cut to QUOTED_MAX characters), or None."""
    from app.territory.gazetteer import match_communes
    codes, unknown = [], []
    for part in parts:
        found = match_communes(db.session, part)
        if len(found) == 1:
            codes.append(found[0].insee)
        else:
            unknown.append(part if len(part) <= QUOTED_MAX else part[:QUOTED_MAX] + "…")
    if not unknown:
        return list(dict.fromkeys(codes)), None
    return list(dict.fromkeys(codes)), str(COMMUNES_UNKNOWN) % {"names": ", ".join(unknown[:5])}


def commune_suggestions(typed: str, found: list) -> list:
    """The communes to offer back: those that match, else the closest names."""
    from app.territory.gazetteer import close_communes
    return found or close_communes(db.session, typed)


def split_skills(raw: str) -> list[str]:
    """"Menuiserie, dev web ; Photo" -> ["Menuiserie", "dev web", "Photo"] (no duplicates)."""
    if not isinstance(raw, str):  # a field missing from the request
        return []
    seen, out = set(), []
    for part in raw.replace(";", ",").split(","):
        name = tidy(part)
        if name and fold(name) and fold(name) not in seen:
            seen.add(fold(name))
            out.append(name)
    return out


class ProfileForm(BaseForm):
    display_name = StringField(_l("Name shown to others"),
                               validators=[DataRequired(), Length(max=80), has_letters])
    kind = SelectField(_l("I am"), choices=list(KIND_LABELS.items()))
    headline = StringField(_l("Headline"), validators=[Length(max=140)],
                           description=_l("One line: what you do, e.g. “Joiner and cabinet maker”."))
    commune = StringField(_l("Commune"), validators=[Optional(), Length(max=120)],
                          description=_l("Type a name or a postcode, e.g. “Rignac” or “12390”."))
    skills = StringField(_l("Skills"), validators=[Length(max=2000)],
                         description=_l("Separated by commas, e.g. “joinery, web design, photo”."))
    bio = TextAreaField(_l("About me"), validators=[Length(max=BIO_MAX)],
                        description=_l("Markdown: **bold**, *italics*, [link](https://…), lists."))
    offers = TextAreaField(_l("I can help with"), validators=[Length(max=2000)])
    needs = TextAreaField(_l("I am looking for"), validators=[Length(max=2000)])
    website = StringField(_l("Website"), validators=[Optional(), Length(max=300)],
                          description=_l("Starting with https:// or http://"))
    visibility = RadioField(_l("Who can see my profile"), choices=list(VISIBILITY_LABELS.items()))
    direct_messages = RadioField(_l("Who can write to me directly"),
                                 choices=list(DIRECT_MESSAGE_LABELS.items()),
                                 default=DirectMessages.CONNECTIONS)

    avatar = pictures.file_field(_l("Profile picture"), "avatar")
    avatar_remove = pictures.remove_field(_l("Remove my picture (your initials are shown instead)"))
    crop_x, crop_y, crop_size = (pictures.crop_field() for _ in range(3))

    resolved_commune = None  # set by validate_commune
    picture = None  # set by validate_avatar: the processed upload

    def validate_avatar(self, field) -> None:
        pictures.check_picture(self, field, "avatar")
    commune_candidates: list = []  # the communes an ambiguous entry may mean, to choose from

    def validate_commune(self, field) -> None:
        from app.territory.gazetteer import match_communes
        found = match_communes(db.session, field.data) if field.data else []
        error = commune_error(field.data, found)
        if error:
            self.commune_candidates = commune_suggestions(field.data, found)
            raise ValidationError(error)
        self.resolved_commune = found[0] if found else None

    def validate_skills(self, field) -> None:
        names = split_skills(field.data)
        if len(names) > SKILLS_MAX:
            raise ValidationError(_l("At most %(n)d skills.", n=SKILLS_MAX))
        # The folded key can be longer than the name ("ß" -> "ss"): both must fit.
        if any(max(len(name), len(fold(name))) > SKILL_LENGTH_MAX for name in names):
            raise ValidationError(_l("Each skill fits in %(n)d characters.", n=SKILL_LENGTH_MAX))

    def validate_website(self, field) -> None:
        parts = urlsplit(field.data.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in field.data.strip():
            raise ValidationError(_l("Give a full address starting with https:// or http://."))


class DirectoryFilterForm(BaseForm):
    """GET filters: no CSRF (nothing changes), unknown values simply match nothing."""

    class Meta:
        csrf = False

    commune = StringField(_l("Commune"))
    epci = SelectField(_l("Community of communes"), choices=[])
    kind = SelectField(_l("Kind"), choices=[])
    skill = StringField(_l("Skill"))
