"""Forms of the admin area: changes to an account, each with a reason."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from portal.accounts.sanctions import MAX_SUSPENSION_DAYS


class ReasonForm(FlaskForm):
    """Ban or restore: a reason, which the member is told and the audit log keeps."""

    reason = TextAreaField(
        "Reason (the member is told it)",
        validators=[DataRequired(message="Give a reason."), Length(max=2000)],
    )


class SuspendForm(ReasonForm):
    days = IntegerField(
        "Days",
        default=7,
        validators=[
            DataRequired(message="Say for how many days."),
            NumberRange(min=1, max=MAX_SUSPENSION_DAYS),
        ],
    )
