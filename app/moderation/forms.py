"""Moderation forms and the translated labels of actions, reasons and refusals."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.forms import BaseForm
from app.moderation.actions import REASON_MAX
from app.moderation.investigation import ACCESS_HOURS
from app.moderation.reports import APPEAL_MAX, NOTE_MAX

REASON_LABELS = {
    "spam": _l("Spam or advertising"),
    "harassment": _l("Harassment or insults"),
    "hate": _l("Hate or discrimination"),
    "illegal": _l("Illegal content"),
    "personal_data": _l("Someone's personal data"),
    "off_topic": _l("Off topic for this network"),
    "other": _l("Something else (say what in the note)"),
}
ACTION_LABELS = {
    "dismiss": _l("Dismiss the reports (nothing to do)"),
    "hide": _l("Hide the content"),
    "restore": _l("Show the content again"),
    "delete": _l("Delete the content"),
    "warn": _l("Warn the author"),
    "mute": _l("Mute the author in the network"),
    "unmute": _l("End the mute"),
    "ban": _l("Ban from the network"),
    "suspend": _l("Suspend the account (admins)"),
    "appoint": _l("Make animator of the network"),
    "demote": _l("Remove the animator role"),
    "uphold": _l("Reject the appeal (stays hidden)"),
    "overturn": _l("Grant the appeal (show it again)"),
    "remove_image": _l("Remove the picture (avatar, logo or photo)"),
    # Not moderation actions, but in the audit log too.
    "charter": _l("Charter changed"),
    "skill_merge": _l("Skills merged"),
    "site_role": _l("Site role changed"),
    "remove": _l("Removed from the network"),
    "recovery_link": _l("Recovery link issued (admins)"),
    "recovery_used": _l("Recovery link followed, new password set"),
    "investigate": _l("Investigation access to a private conversation"),
    # The census in the field (app/census/).
    "census_frame": _l("Census frame changed"),
    "census_referent": _l("Census referent named or removed"),
    "census_quota": _l("Census answer targets changed"),
    "census_draw": _l("Census sample drawn"),
    "census_swap": _l("Census target swapped"),
    "census_status": _l("Census outreach status changed"),
    "census_answered": _l("Census target answered through its link"),
    "census_suppress": _l("Put on the do-not-contact list"),
    "census_unsuppress": _l("Taken off the do-not-contact list"),
    "census_field_answer": _l("Census answer entered in the field (with consent)"),
    "census_close": _l("Census campaign closed"),
    "api_token": _l("Organiser data read with a personal access token"),
}
# In the past tense, for reporters and notifications.
OUTCOME_LABELS = {
    "dismiss": _l("looked at: no action needed"),
    "hide": _l("the content was hidden"),
    "restore": _l("the content was shown again"),
    "delete": _l("the content was deleted"),
    "warn": _l("the author was warned"),
    "mute": _l("the author was muted"),
    "ban": _l("the author was banned from the network"),
    "suspend": _l("the account was suspended"),
    "remove_image": _l("the picture was removed"),
}
KIND_LABELS = {
    "profile": _l("Profile"), "post": _l("Network post"), "comment": _l("Reply to a post"),
    "message": _l("Chat message"), "network": _l("Network"), "place": _l("Place"),
    "appeal": _l("Appeal"), "skill": _l("Skill"), "room": _l("Conversation"),
    "campaign": _l("Campaign"), "census": _l("Census target"),
    "suppressed": _l("Do-not-contact entry"), "answer": _l("Census field answer"),
    "token": _l("Personal access token"),
}
MUTE_CHOICES = [(60, _l("1 hour")), (1440, _l("1 day")), (10080, _l("1 week")),
                (43200, _l("30 days"))]


def error_messages() -> dict:
    from flask_babel import gettext as _
    return {
        "unauthorized": _("Log in to do this."),
        "forbidden": _("You cannot moderate this: it is outside the networks and places you "
                       "animate."),
        "not_found": _("This content does not exist, or is no longer there."),
        "invalid": _("This action does not apply here."),
        "reason_required": _("Give a reason: the person concerned is told why."),
        "too_long": _("This text is too long."),
        "duration": _("Choose how long the mute lasts."),
        "no_network": _("This conversation is not a network's: there is nothing to mute or ban "
                        "from."),
        "already": _("This is already done."),
        "self": _("You cannot do this to yourself."),
        "no_author": _("Its author's account no longer exists."),
        "not_member": _("This person is not a member of the network."),
        "no_report": _("There is no open report to dismiss."),
        "another_moderator": _("You hid this content: another moderator decides the appeal."),
        "last_animator": _("A network needs an animator: appoint another one first."),
        "appealed": _("You have already appealed this decision."),
        "rate_limited": _("You have sent many reports recently: wait a while before sending "
                          "another."),
    }


def error_text(code: str) -> str:
    messages = error_messages()
    return messages.get(code, messages["invalid"])


class ReportForm(BaseForm):
    reason = RadioField(_l("What is wrong?"), choices=list(REASON_LABELS.items()),
                        validators=[InputRequired(message=_l("Choose a reason."))])
    note = TextAreaField(_l("Note for the moderators (optional)"),
                         validators=[Optional(), Length(max=NOTE_MAX)],
                         description=_l("What should they know? Only moderators read it."))


class ActionForm(BaseForm):
    action = SelectField(_l("Action"), choices=[],
                         validators=[InputRequired(message=_l("Choose an action."))])
    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(message=_l("Give a reason: the person concerned is told why.")),
        Length(max=REASON_MAX)],
        description=_l("Shown to the author and kept in the audit log."))
    minutes = SelectField(_l("Mute for"), choices=MUTE_CHOICES, coerce=int, default=1440,
                          description=_l("Only for a mute."))
    network = HiddenField()


class InvestigationForm(BaseForm):
    reason = TextAreaField(_l("Why do you need to read this conversation?"), validators=[
        DataRequired(message=_l("Give a reason: the people of the conversation are told why.")),
        Length(max=REASON_MAX)],
        description=_l("Required. Kept in the audit log and sent to each person of the "
                       "conversation. The access lasts %(hours)d hours, read only.",
                       hours=ACCESS_HOURS))


class AppealForm(BaseForm):
    body = TextAreaField(_l("Why should it be shown again?"), validators=[
        DataRequired(message=_l("Explain why, in a few words.")), Length(max=APPEAL_MAX)],
        description=_l("Another moderator will read it when possible. You can appeal once."))


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), choices=[], validate_choice=False)
    kind = SelectField(_l("Target"), choices=[], validate_choice=False)
    actor = StringField(_l("By"), validators=[Optional(), Length(max=80)])
    network = StringField(_l("Network number"), validators=[Optional(), Length(max=12)])
    since = StringField(_l("From (YYYY-MM-DD)"), validators=[Optional(), Length(max=10)])
    until = StringField(_l("To (YYYY-MM-DD)"), validators=[Optional(), Length(max=10)])
