"""Treatment reports: members say what they tried, the community sees the pooled picture.

Models          models (treatments, reports, side effects, the community's open dataset)
Services        services (curate the list, report, edit, withdraw, consent; never commit),
                aggregates (k-anonymous summaries), publication (consenting reports as a
                dataset version), charts (server-rendered SVG, no script)
Web             views (pages under /communities/<slug>/treatments), forms; the JSON lives
                in portal.api.treatments
CLI / demo      commands (`portal treatments publish COMMUNITY`), demo (synthetic reports)

Setting: TREATMENT_MIN_REPORTERS (environment PORTAL_TREATMENT_MIN_REPORTERS, default 5):
no aggregate is shown until that many distinct members contributed to it.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, as flaskr's factory does: importing the package (its models, say)
    # must not load its pages, which import the rest of the portal.
    from portal.treatments import commands, views

    app.register_blueprint(views.bp)
    app.cli.add_command(commands.treatments_group)
