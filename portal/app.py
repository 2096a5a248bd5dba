"""The application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from portal import api, commands, errors, logging_setup, page_cache, security, settings, templating
from portal.accounts.views import bp as accounts_bp
from portal.community.feed_views import bp as question_feed_bp
from portal.community.notification_views import bp as notifications_bp
from portal.community.views import bp as community_bp
from portal.data import tasks as _data_tasks  # noqa: F401 - registers the dataset jobs
from portal.data.views import bp as data_bp
from portal.extensions import csrf, db, limiter, login_manager
from portal.jobs import runner as job_runner
from portal.jobs import scheduler as job_scheduler
from portal.jobs.views import bp as jobs_bp
from portal.main.views import bp as main_bp
from portal.play import payload_cache as puzzle_payloads
from portal.play.views import bp as play_bp
from portal.reanalysis import tasks as _reanalysis_tasks  # noqa: F401 - registers the analysis job
from portal.reanalysis.views import bp as reanalysis_bp
from portal.treatments.commands import treatments_group
from portal.treatments.views import bp as treatments_bp


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    Configuration comes from the defaults, then ``<instance>/portal.cfg``, then
    ``PORTAL_*`` environment variables, then ``config`` (what tests pass).
    """
    environ = os.environ
    app = Flask(
        "portal",
        instance_path=settings.instance_path(config, environ),
        instance_relative_config=True,
    )
    os.makedirs(app.instance_path, exist_ok=True)

    app.config.from_mapping(settings.defaults(app.instance_path))
    app.config.from_pyfile("portal.cfg", silent=True)
    app.config.from_mapping(settings.from_environment(environ))
    if config:
        app.config.from_mapping(config)
    settings.finalise(app.config)
    os.makedirs(app.config["DATA_DIR"], exist_ok=True)

    # Extensions before blueprints: views and the CLI expect them bound.
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    logging_setup.init_app(app)
    job_runner.init_app(app)
    job_scheduler.init_app(app)
    puzzle_payloads.init_app(app)
    page_cache.init_app(app)
    commands.init_app(app)

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(community_bp)
    app.register_blueprint(data_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(play_bp)
    app.register_blueprint(reanalysis_bp)
    app.register_blueprint(question_feed_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(treatments_bp)
    api.init_app(app)
    app.cli.add_command(treatments_group)
    return app
