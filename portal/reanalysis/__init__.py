"""Pooled reanalysis: recorded, re-runnable analysis runs on published datasets.

The statistics are the ``analysis`` package's; this feature keeps the runs (their
exact inputs, options and results), the pages that build them, and their job.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, as flaskr's factory does: importing the package (its models, say)
    # must not load its pages, which import the rest of the portal.
    from portal.jobs import periodic, runner
    from portal.reanalysis import living, tasks, views

    runner.register_tasks(tasks.TASKS, tasks.LABELS)
    app.register_blueprint(views.bp)
    periodic.add(app, periodic.Periodic("analyses.news", living.notify_followers, every=300.0))
