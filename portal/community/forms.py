"""Forms for one-button actions and the choice lists the parts of a community share."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.community.moderation_models import NOTE_MAX, FlagReason


class MembershipForm(FlaskForm):
    """Join or leave: a POST carrying only the CSRF token."""


class ActionForm(FlaskForm):
    """A button that changes something (support, follow, delete...): only the CSRF token."""


class FlagForm(FlaskForm):
    reason = RadioField(
        "Why are you flagging this?",
        choices=[SelectChoice(r.value, r.label) for r in FlagReason],
        validators=[DataRequired(message="Choose a reason.")],
    )
    note = StringField(
        "Anything a moderator should know? (optional)",
        validators=[Optional(), Length(max=NOTE_MAX)],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


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


class ModerationForm(FlaskForm):
    reason = StringField(
        "Reason (kept in the audit log)", validators=[DataRequired(), Length(max=2000)]
    )
