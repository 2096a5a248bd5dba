"""What every page with a form shares: a service's complaint shown next to its field,
and the status of a page drawn again."""

from __future__ import annotations

from flask_wtf import FlaskForm

from portal import db
from portal.errors import ServiceError


def attach(error: ServiceError, form: FlaskForm, default_field: str) -> None:
    """Undo the unit of work and show a service's complaint next to the form field it
    is about (``default_field`` when it names none, or none the form has)."""
    db.session().rollback()
    field = getattr(form, error.field or default_field, None) or getattr(form, default_field)
    field.errors = [*field.errors, error.message]


def redrawn(form: FlaskForm, page: str, refused: int = 400) -> tuple[str, int]:
    """``page`` with its status: 200 when the form is first shown, ``refused`` after a
    post that did not go through, so that a browser, a test or a proxy can tell the two
    apart."""
    return page, refused if form.is_submitted() else 200
