"""Forms for flagging content, a moderator's decision on it, and appeals."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.accounts.sanctions import MAX_SUSPENSION_DAYS
from portal.community.moderation.models import (
    APPEAL_MAX,
    CATEGORIES,
    NOTE_MAX,
    OTHER_CATEGORY,
    Decision,
    FlagReason,
)


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


class ModerationForm(FlaskForm):
    reason = StringField(
        "Reason (kept in the audit log)", validators=[DataRequired(), Length(max=2000)]
    )


class DecisionForm(FlaskForm):
    """One decision on flagged content; the service checks what each decision needs."""

    decision = SelectField(
        "Decision",
        choices=[SelectChoice(d.value, d.label) for d in Decision if d is not Decision.RESTORE],
        validators=[DataRequired(message="Choose a decision.")],
    )
    category = SelectField(
        "What rule it is about (shown to readers)",
        choices=[SelectChoice(value, label) for value, label in CATEGORIES],
        default=OTHER_CATEGORY,
    )
    reason = TextAreaField(
        "Reason (the author is told it; kept in the audit log)",
        validators=[DataRequired(message="Give a reason."), Length(max=2000)],
    )
    new_text = TextAreaField("The text as it should read (for an edit)", validators=[Optional()])
    days = IntegerField(
        "Days (for a suspension)",
        default=7,
        validators=[Optional(), NumberRange(min=1, max=MAX_SUSPENSION_DAYS)],
    )


class AppealForm(FlaskForm):
    text = TextAreaField(
        "Why should the decision change?",
        validators=[DataRequired(message="Say why."), Length(max=APPEAL_MAX)],
    )


class AppealDecisionForm(FlaskForm):
    outcome = RadioField(
        "Outcome",
        choices=[
            SelectChoice("uphold", "Uphold the decision"),
            SelectChoice("overturn", "Overturn it (undo the decision)"),
        ],
        validators=[DataRequired(message="Choose an outcome.")],
    )
    response = TextAreaField(
        "Reply to the author (kept in the audit log)",
        validators=[DataRequired(message="Write a reply."), Length(max=2000)],
    )
