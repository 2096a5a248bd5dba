"""Forms for opening a prioritisation round, taking part and comparing two questions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.community.forms import MultiCheckboxField
from portal.community.rounds.models import ROUND_TITLE_MAX, Perspective


class RoundForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(min=3, max=ROUND_TITLE_MAX)])
    description = TextAreaField(
        "What the round is for (optional)", validators=[Optional(), Length(max=5000)]
    )
    questions = MultiCheckboxField("Questions in the round", coerce=int)


class PerspectiveForm(FlaskForm):
    perspective = RadioField(
        "I take part as",
        choices=[SelectChoice(p.value, p.label) for p in Perspective],
        validators=[DataRequired(message="Choose one.")],
    )


class CompareForm(FlaskForm):
    first_id = IntegerField(validators=[DataRequired()])
    second_id = IntegerField(validators=[DataRequired()])
    winner_id = IntegerField(validators=[DataRequired()])
