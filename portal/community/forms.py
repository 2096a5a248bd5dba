"""Forms for one-button actions and the choice lists the parts of a community share."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    SelectMultipleField,
)
from wtforms.widgets import CheckboxInput, ListWidget


class MembershipForm(FlaskForm):
    """Join or leave: a POST carrying only the CSRF token."""


class ActionForm(FlaskForm):
    """A button that changes something (support, follow, delete...): only the CSRF token."""


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
