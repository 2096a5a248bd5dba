"""Dataset pages and records: upload, versions, publication, search, download.

The reading, validation, screening, storage and export work is done by the
``datasets`` package; this feature keeps the records and the pages.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, as flaskr's factory does: importing the package (its models, say)
    # must not load its pages, which import the rest of the portal.
    from portal.data import tasks, views
    from portal.jobs import runner

    runner.register_tasks(tasks.TASKS, tasks.LABELS)
    app.register_blueprint(views.bp)
