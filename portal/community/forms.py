"""Forms every part of a community uses: one-button forms and a list of checkboxes.

Each part keeps its own forms beside its views (questions/forms.py, rounds/forms.py...).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class MembershipForm(FlaskForm):
    """Join or leave: a POST carrying the CSRF token, and on joining whether to show it."""

    visible = BooleanField(
        "Show on my profile and the member list that I am a member",
        description="Off: only you and the community's moderators see it. "
        "You can change this later on your account page.",
    )


class ActionForm(FlaskForm):
    """A button that changes something (support, follow, delete...): only the CSRF token."""


class MultiCheckboxField(SelectMultipleField):
    """Several choices shown as checkboxes (a round's questions, the runs of an answer)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
