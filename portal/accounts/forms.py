from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.accounts.models import DISPLAY_NAME_MAX, EMAIL_MAX, USERNAME_MAX, Role
from portal.accounts.passwords import PASSWORD_MAX

PASSWORD_ADVICE = (
    "At least 10 characters and hard to guess: a few unrelated words work well. "
    "Common passwords, keyboard runs and your own name are refused."
)


class RegistrationForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[DataRequired(), Length(min=3, max=USERNAME_MAX)],
        description="3 to 32 characters: letters, digits, '_', '.', '-'.",
    )
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    display_name = StringField(
        "Display name (optional)", validators=[Optional(), Length(max=DISPLAY_NAME_MAX)]
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=PASSWORD_MAX)],
        description=PASSWORD_ADVICE,
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class LoginForm(FlaskForm):
    login = StringField("Username or e-mail", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    remember = BooleanField("Keep me logged in on this device")


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Display name", validators=[Optional(), Length(max=DISPLAY_NAME_MAX)]
    )


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(r.value, r.value.title()) for r in Role])


class LogoutForm(FlaskForm):
    """Logging out is a POST with a CSRF token, so another site cannot log you out."""


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        validators=[DataRequired(), Length(max=80)],
        description="What the token is for, e.g. 'analysis scripts'.",
    )
    scope = SelectField(
        "Scope",
        choices=[
            SelectChoice("read", "read: list, search and download"),
            SelectChoice("write", "write: also upload, publish, post and vote"),
        ],
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(max=PASSWORD_MAX)],
        description=PASSWORD_ADVICE,
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
    )


class ForgotPasswordForm(FlaskForm):
    login = StringField("Username or e-mail", validators=[DataRequired(), Length(max=EMAIL_MAX)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(max=PASSWORD_MAX)],
        description=PASSWORD_ADVICE,
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class MembershipVisibilityForm(FlaskForm):
    """Which of one's community memberships others may see."""

    visible = SelectMultipleField(
        "Show these memberships on my profile and the member lists",
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )
