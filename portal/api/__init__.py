"""The JSON API, version 1: one blueprint at /api/v1, the same services as the pages.

One module per resource adds its routes to the blueprint; ``auth`` installs token
authentication, ``spec`` validates requests and describes each operation,
``openapi`` writes the document from those descriptions, ``pagination`` gives every
list the same envelope. Errors are rendered by the app (portal.errors), in one shape.
"""

from __future__ import annotations

import importlib

from flask import Flask

#: One module per resource; each adds its routes to the blueprint when imported.
RESOURCES = (
    "alignments",
    "analyses",
    "communities",
    "comparisons",
    "datasets",
    "jobs",
    "leaderboards",
    "puzzles",
    "questions",
    "support_threads",
    "treatments",
)


def init_app(app: Flask) -> None:
    # Imported here, as flaskr's factory does: a module that needs one part of the API
    # (the token cache, a schema) must not load every resource.
    from portal.api import openapi
    from portal.api.auth import protect_api
    from portal.api.blueprint import bp
    from portal.extensions import csrf

    for name in RESOURCES:
        importlib.import_module(f"portal.api.{name}")
    # API clients authenticate with tokens; calls made with the session cookie are
    # checked for CSRF by protect_api instead.
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(openapi.bp)
    protect_api(app)
