"""The ``portal`` console script: Flask's CLI bound to create_app, usable from any folder.

A command is imported only when it is called. The commands in ``STANDALONE`` need no
application (they read files and print), so ``portal align score`` loads the scorer,
not the web application and its database; the others are the application's own
``app.cli`` commands, and calling one builds the application as Flask's CLI always
does. ``portal --help`` lists both from the table below without importing either.

The group itself is plain click: importing Flask alone costs more than a standalone
command's whole run, so Flask's CLI machinery (its ``.env`` loading, the script info
that builds the application) is imported only when an application command is asked for.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import click

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
    "meta": (
        "Meta-analysis of the studies in FILE (one study per row), or with --mods a"
        " meta-regression, or with --multilevel a three-level model of several effects"
        " per study."
    ),
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


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool | None) -> None:
    # As Flask's own --debug: through the environment, so the factory sees it.
    if value is not None:
        os.environ["FLASK_DEBUG"] = "1" if value else "0"


class PortalGroup(click.Group):
    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "run":
            # Flask's group would answer with its own `run`, which cannot say when it
            # answers; this one wraps it.
            self._application_group(ctx)
            from portal.devserver import run_command

            return run_command
        if cmd_name in STANDALONE:
            module, attribute = STANDALONE[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return self._application_group(ctx).get_command(ctx, cmd_name)

    def _application_group(self, ctx: click.Context) -> click.Group:
        """Flask's group, set up as ``flask`` itself would be before a command."""
        from flask.cli import FlaskGroup, ScriptInfo, load_dotenv

        os.environ["FLASK_RUN_FROM_CLI"] = "true"
        load_dotenv(ctx.params.get("env_file"))
        if not isinstance(ctx.obj, ScriptInfo):
            ctx.obj = ScriptInfo(create_app=_create_app, set_debug_flag=True)
        return FlaskGroup(create_app=_create_app, add_version_option=False, load_dotenv=False)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUMMARIES)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl(sorted(SUMMARIES.items()))


def _version() -> str:
    from portal._version import __version__

    return __version__


main = PortalGroup(
    help="The Open Research Portal.",
    params=[
        click.Option(
            ["-e", "--env-file"],
            type=click.Path(exists=True, dir_okay=False),
            is_eager=True,
            help="Load environment variables from this file before an application command "
            "(after '.env' and '.flaskenv'; variables already set win).",
        ),
        click.Option(
            ["--debug/--no-debug"],
            default=None,
            expose_value=False,
            callback=_set_debug,
            help="Set debug mode.",
        ),
    ],
)
main = click.version_option(_version(), prog_name="portal")(main)
