"""The alignment puzzle: puzzles cut from real alignments, solutions, leaderboards,
and the research alignments the players' work improves."""

from __future__ import annotations

from flask import Flask

from portal.jobs import periodic
from portal.play import payload_cache, tasks, views


def init_app(app: Flask) -> None:
    payload_cache.init_app(app)
    periodic.add(app, *tasks.PERIODIC)
    app.register_blueprint(views.bp)
