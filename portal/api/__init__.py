"""The JSON API, version 1: one blueprint at /api/v1, the same services as the pages.

One module per resource adds its routes to the blueprint; ``auth`` installs token
authentication, ``spec`` validates requests and describes each operation,
``openapi`` writes the document from those descriptions, ``pagination`` gives every
list the same envelope. Errors are rendered by the app (portal.errors), in one shape.
"""

from __future__ import annotations

from flask import Flask

from portal.api import (  # each module adds its routes to the blueprint
    analyses,
    communities,
    datasets,
    jobs,
    leaderboards,
    openapi,
    puzzles,
    questions,
    treatments,
)
from portal.api.auth import protect_api
from portal.api.blueprint import bp
from portal.extensions import csrf

RESOURCES = (analyses, communities, datasets, jobs, leaderboards, puzzles, questions, treatments)


def init_app(app: Flask) -> None:
    # API clients authenticate with tokens; calls made with the session cookie are
    # checked for CSRF by protect_api instead.
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(openapi.bp)
    protect_api(app)
