"""The wizard's fields are built from each dataset's schema, so the forms only carry CSRF."""

from __future__ import annotations

from flask_wtf import FlaskForm


class StepForm(FlaskForm):
    """A form whose fields are read from request.form by the view (CSRF is checked here)."""
