"""Dataset pages and records: upload, versions, publication, search, download.

The reading, validation, screening, storage and export work is done by the
``datasets`` package; this feature keeps the records and the pages.
"""

from __future__ import annotations

from flask import Flask

from portal.data import tasks, views
from portal.jobs import runner


def init_app(app: Flask) -> None:
    runner.register_tasks(tasks.TASKS)
    app.register_blueprint(views.bp)
