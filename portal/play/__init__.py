"""The alignment puzzle: puzzles cut from real alignments, solutions, leaderboards,
and the research alignments the players' work improves."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, as flaskr's factory does: importing the package (its models, say)
    # must not load its pages, which import the rest of the portal.
    from portal.jobs import periodic, runner
    from portal.play import payload_cache, tasks, views

    runner.register_tasks(tasks.TASKS, tasks.LABELS)
    payload_cache.init_app(app)
    app.add_template_global(views.player_card, "play_card")
    periodic.add(app, *tasks.PERIODIC)
    app.register_blueprint(views.bp)
