from __future__ import annotations

from flask_wtf import FlaskForm


class MembershipForm(FlaskForm):
    """Join or leave: a POST carrying only the CSRF token."""
