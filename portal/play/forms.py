from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.play.models import NICKNAME_MAX


class NicknameForm(FlaskForm):
    nickname = StringField(
        "Nickname",
        validators=[DataRequired(), Length(2, NICKNAME_MAX)],
        description="Shown on the leaderboards. Log in to keep a history.",
    )


class SolutionForm(FlaskForm):
    rows = TextAreaField(
        "Your layout, one row per line ('-' for gaps)",
        validators=[DataRequired(), Length(max=20_000)],
    )
    nickname = StringField("Nickname", validators=[Optional(), Length(2, NICKNAME_MAX)])
    source = HiddenField(default="form")


class SpliceForm(FlaskForm):
    """Only its CSRF token: the action has no other input."""
