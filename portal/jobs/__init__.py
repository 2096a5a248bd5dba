"""Background jobs whose state lives in the database, so any process can show any job.

The embedded default runs jobs on a thread pool inside the web process; with
``PORTAL_BROKER_URL`` set, Celery workers run them instead, and views do not change,
since they only submit and read rows. Jobs know no feature: each feature registers
its job kinds (``runner.register_tasks``) and its periodic work (``periodic.add``)
from its own ``init_app``, which the app factory calls before this one.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, as flaskr's factory does: importing the package (its models, say)
    # must not load its pages, which import the rest of the portal.
    from portal.jobs import periodic, runner, scheduler, views

    periodic.add(app, *periodic.UPKEEP)
    runner.import_task_modules(app)
    if app.config["BROKER_URL"] and not app.config["JOBS_INLINE"]:
        # Celery is loaded only by processes that send jobs to a broker.
        from portal.jobs.celery_app import CeleryExecutor, celery_for

        app.extensions["portal.jobs"] = CeleryExecutor(celery_for(app))
    else:
        app.extensions["portal.jobs"] = runner.JobExecutor(
            workers=app.config["JOB_WORKERS"], inline=app.config["JOBS_INLINE"]
        )
    scheduler.init_app(app)
    app.register_blueprint(views.bp)
