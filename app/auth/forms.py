from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.forms import BaseForm, has_letters

PASSWORD_MIN = 10


class RegisterForm(BaseForm):
    display_name = StringField(_l("Name shown to others"),
                               validators=[DataRequired(), Length(max=80), has_letters])
    email = EmailField(_l("Email address"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(min=PASSWORD_MIN, max=200)],
        description=_l("At least %(n)d characters.", n=PASSWORD_MIN))


class LoginForm(BaseForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Stay logged in on this device"))


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=PASSWORD_MIN, max=200)],
        description=_l("At least %(n)d characters.", n=PASSWORD_MIN))
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))])


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Email(), Length(max=254)],
                       description=_l("The address of your Maillage account."))


class ResetPasswordForm(BaseForm):
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=PASSWORD_MIN, max=200)],
        description=_l("At least %(n)d characters.", n=PASSWORD_MIN))
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))])


class ChangeEmailForm(BaseForm):
    new_email = EmailField(_l("New email address"),
                           validators=[DataRequired(), Email(), Length(max=254)],
                           description=_l("We send a link to this address: the change applies "
                                          "when you follow it."))
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=200)])


class RecoveryLinkForm(BaseForm):
    email = EmailField(_l("The member's email address"),
                       validators=[DataRequired(), Length(max=254)])
    reason = StringField(_l("Reason (kept in the audit log)"),
                         validators=[DataRequired(), Length(max=300)],
                         description=_l("E.g. “called on 12 March, lost access to their mailbox”."))


class TwoFactorSetupForm(BaseForm):
    code = StringField(_l("Code shown by the app"),
                       validators=[DataRequired(message=_l("Type the 6-digit code.")),
                                   Length(max=20)],
                       description=_l("6 digits; a new one every 30 seconds."))


class TwoFactorLoginForm(BaseForm):
    code = StringField(_l("Code from your authenticator app, or a recovery code"),
                       validators=[DataRequired(message=_l("Type the code.")), Length(max=40)],
                       description=_l("6 digits from the app, or one of your recovery codes "
                                      "(e.g. abcd-efgh), usable once."))


class TwoFactorDisableForm(BaseForm):
    code = StringField(_l("Current code from the app"),
                       validators=[DataRequired(message=_l("Type the 6-digit code.")),
                                   Length(max=20)])
