"""Pooled reanalysis: recorded, re-runnable analysis runs on published datasets.

The statistics are the ``analysis`` package's; this feature keeps the runs (their
exact inputs, options and results), the pages that build them, and their job.
"""

from __future__ import annotations

from flask import Flask

from portal.jobs import runner
from portal.reanalysis import tasks, views


def init_app(app: Flask) -> None:
    runner.register_tasks(tasks.TASKS)
    app.register_blueprint(views.bp)
