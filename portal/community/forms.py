"""Forms every part of a community uses: one-button forms and a list of checkboxes.

Each part keeps its own forms beside its views (questions/forms.py, rounds/forms.py...).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class MembershipForm(FlaskForm):
    """Join or leave: a POST carrying only the CSRF token."""


class ActionForm(FlaskForm):
    """A button that changes something (support, follow, delete...): only the CSRF token."""


class MultiCheckboxField(SelectMultipleField):
    """Several choices shown as checkboxes (a round's questions, the runs of an answer)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
