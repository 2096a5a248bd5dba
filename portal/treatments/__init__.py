"""Treatment reports: members say what they tried, the community sees the pooled picture.

Models          models (treatments, reports, side effects, the community's open dataset)
Services        services (curate the list, report, edit, withdraw, consent; never commit),
                disclosure (which groupings of answers may be shown), aggregates (a
                treatment's publishable figures), releases (when figures are published:
                in batches of k changed reports), publication (consenting reports as a
                dataset version), charts (server-rendered SVG, no script)
Web             views (pages under /communities/<slug>/treatments), forms; the JSON lives
                in portal.api.treatments
CLI / demo      commands (`portal treatments publish COMMUNITY`), demo (synthetic reports)

Settings: TREATMENT_MIN_REPORTERS (k, default 5): no figure rests on fewer members;
TRUST_AFTER_DAYS: how old an account must be for its reports to count. The README's
"Privacy" section says how the figures resist singling out and differencing.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, as flaskr's factory does: importing the package (its models, say)
    # must not load its pages, which import the rest of the portal.
    from portal.jobs import periodic
    from portal.treatments import commands, releases, views

    app.register_blueprint(views.bp)
    app.cli.add_command(commands.treatments_group)
    # Accounts become trusted as they age: their reports may be due in the figures.
    periodic.add(app, periodic.Periodic("treatments.release", releases.refresh_all, every=600.0))
