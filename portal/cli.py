"""The ``portal`` console script: Flask's CLI bound to create_app, usable from any folder.

A command is imported only when it is called. The commands in ``STANDALONE`` need no
application (they read files and print), so ``portal align score`` loads the scorer,
not the web application and its database; the others are the application's own
``app.cli`` commands, and calling one builds the application as Flask's CLI always
does. ``portal --help`` lists both from the table below without importing either.
"""

from __future__ import annotations

import importlib
from typing import Any

import click
from flask.cli import FlaskGroup

#: name -> (module, attribute): commands that run without the application.
STANDALONE: dict[str, tuple[str, str]] = {
    "align": ("games.commands", "align"),
    "meta": ("analysis.commands", "meta"),
    "ipd": ("analysis.commands", "ipd"),
    "network": ("analysis.network.command", "network"),
    "warmup": ("games.commands", "warmup_command"),
}

#: Every command and the line ``portal --help`` shows for it (a test keeps this equal
#: to the commands themselves).
SUMMARIES: dict[str, str] = {
    "align": "Score multiple sequence alignments.",
    "beat": "Run Celery beat: sends the periodic tasks (run exactly one of these).",
    "communities": "Create, list and archive communities.",
    "datasets": "Open datasets: inspect and record files, materialise the demo catalogue.",
    "db": "Database migrations (Alembic).",
    "demo": "Demo content.",
    "ipd": "Participant-level pooling of the trials in FILES (one participant per row).",
    "meta": "Meta-analysis of the studies in FILE (one study per row).",
    "network": "Network meta-analysis of the arms in FILES (one arm per row).",
    "puzzles": "Alignment puzzles.",
    "routes": "Show the routes for the app.",
    "run": "Run a development server.",
    "serve": "Serve the portal with gunicorn (the production web process).",
    "shell": "Run a shell in the app context.",
    "treatments": "Treatment reports.",
    "user": "Manage accounts.",
    "warmup": "Compile or load the scorer's kernels so no player's request pays for it.",
    "worker": "Run a Celery worker taking the portal's jobs from the broker.",
}


def _create_app() -> Any:
    from portal.app import create_app

    return create_app()


class PortalGroup(FlaskGroup):
    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in STANDALONE:
            module, attribute = STANDALONE[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUMMARIES)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl(sorted(SUMMARIES.items()))


main = PortalGroup(create_app=_create_app, help="The Open Research Portal.")
