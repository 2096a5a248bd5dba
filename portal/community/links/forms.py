"""Forms for linking an analysis run to a question and deciding on a suggested dataset."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired


class LinkRunForm(FlaskForm):
    run_id = SelectField(
        "Analysis run for this question",
        coerce=int,
        validate_choice=False,
        validators=[DataRequired()],
    )


class DatasetDecisionForm(FlaskForm):
    decision = RadioField(
        "Could this dataset answer the question?",
        choices=[SelectChoice("confirmed", "Yes, confirm"), SelectChoice("rejected", "No, reject")],
        validators=[DataRequired()],
    )
