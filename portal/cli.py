"""The ``portal`` console script: Flask's CLI bound to create_app, usable from any folder."""

from __future__ import annotations

from flask.cli import FlaskGroup

from portal.app import create_app

main = FlaskGroup(create_app=create_app, help="The Open Research Portal.")
