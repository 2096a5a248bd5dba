"""Forms for flagging content and for a moderator's decision on it."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.community.moderation.models import NOTE_MAX, FlagReason


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
