"""Template globals shared by every page."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from portal import db
from portal._version import __version__
from portal.accounts.forms import LogoutForm
from portal.accounts.models import Role
from portal.community.services import communities_of

NAVIGATION = [
    ("data.index", {}, "Datasets"),
    ("main.section", {"section": "questions"}, "Questions"),
    ("play.index", {}, "Play"),
    ("reanalysis.index", {}, "Analyses"),
    ("community.index", {}, "Communities"),
]


def init_app(app: Flask) -> None:
    @app.context_processor
    def globals_for_templates() -> dict:
        return {
            "navigation": NAVIGATION,
            # formdata=None: the header form never reads the request, which may be the
            # oversized upload an error page is answering.
            "logout_form": lambda: LogoutForm(formdata=None),
            "Role": Role,
            "portal_version": __version__,
            # The memberships of ``user`` the person looking may see.
            "user_communities": lambda user: communities_of(db.session(), user, current_user),
        }

    @app.template_filter("date")
    def format_date(value) -> str:
        return value.strftime("%d %b %Y") if value else ""
