"""The application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import (
    accounts,
    admin,
    api,
    commands,
    community,
    data,
    errors,
    jobs,
    logging_setup,
    main,
    page_cache,
    play,
    reanalysis,
    security,
    session_cookies,
    settings,
    templating,
    treatments,
)
from portal.accounts import sanctions
from portal.extensions import csrf, db, limiter, login_manager


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
    proxies = app.config["PROXY_COUNT"]
    if proxies > 0:
        # Only the headers the last ``proxies`` hops wrote are believed; a client's own
        # X-Forwarded-For entries sit further left and are ignored.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    # What every feature relies on, before the features: views and commands expect
    # the extensions bound.
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    session_cookies.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    logging_setup.init_app(app)
    page_cache.init_app(app)

    # Each feature registers its pages, job kinds, periodic work and commands.
    main.init_app(app)
    accounts.init_app(app)
    community.init_app(app)
    data.init_app(app)
    reanalysis.init_app(app)
    play.init_app(app)
    treatments.init_app(app)
    api.init_app(app)
    admin.init_app(app)
    # After the API's token check: a sanctioned account's writes are refused alike
    # whether they come from a page or through a token.
    sanctions.enforce(app)

    # Jobs last: they run what the features registered.
    jobs.init_app(app)
    commands.init_app(app)
    return app
