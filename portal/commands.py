"""The portal's own command groups, attached to ``app.cli`` by create_app.

Every process that builds the application (each web worker, each ``portal``
command that needs the database) would otherwise import every command's
dependencies: Alembic, the statistics stack, numba, the demo content.  So
``app.cli`` lists the commands from :data:`LAZY` and imports one only when it is
called (click's lazy group), and the commands below import what they use inside.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from portal import db
from portal.accounts import services as account_services
from portal.accounts.models import Role, User
from portal.errors import ServiceError

#: name -> (module, attribute): commands imported when called.
LAZY: dict[str, tuple[str, str]] = {
    "align": ("games.commands", "align"),
    "beat": ("portal.jobs.commands", "beat_command"),
    "communities": ("portal.community.governance.commands", "communities_group"),
    "datasets": ("portal.data.commands", "datasets_group"),
    "ipd": ("analysis.commands", "ipd"),
    "meta": ("analysis.commands", "meta"),
    "network": ("analysis.network.command", "network"),
    "puzzles": ("portal.play.commands", "puzzles_group"),
    "serve": ("portal.jobs.commands", "serve_command"),
    "warmup": ("games.commands", "warmup_command"),
    "worker": ("portal.jobs.commands", "worker_command"),
}


class LazyAppGroup(AppGroup):
    """``app.cli`` whose commands in ``lazy`` are imported on first use."""

    def __init__(self, lazy: dict[str, tuple[str, str]], **attrs: Any) -> None:
        super().__init__(**attrs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, attribute = self.lazy[cmd_name]
            command: click.Command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group("db", help="Database migrations (Alembic).")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Apply migrations up to REVISION (default: head).")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    from portal import migrate

    migrate.upgrade(current_app, revision)
    click.echo(f"Database at {revision}.")


@db_group.command("downgrade", help="Revert migrations down to REVISION.")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    from portal import migrate

    migrate.downgrade(current_app, revision)


@db_group.command("current", help="Show the database's revision.")
@with_appcontext
def db_current() -> None:
    from portal import migrate

    migrate.current(current_app)


@db_group.command("revision", help="Write a new migration from the models' changes.")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    from portal import migrate

    migrate.revision(current_app, message)


@click.group("user", help="Manage accounts.")
def user_group() -> None:
    pass


@user_group.command("create")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Give the account the admin role.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None)
@with_appcontext
def user_create(username: str, email: str, password: str, admin: bool, role: str | None) -> None:
    """Create an account (use --admin for the first administrator)."""
    if admin and role and role != Role.ADMIN.value:
        raise click.UsageError("--admin and --role disagree; give one of them.")
    chosen = Role.ADMIN if admin else Role(role or Role.MEMBER.value)
    session = db.session()
    try:
        user = account_services.register_user(
            session,
            username=username,
            email=email,
            password=password,
            role=chosen,
            # The operator creating it vouches for the address.
            confirmed=True,
        )
    except ServiceError as error:
        session.rollback()
        raise click.ClickException(f"{error.field}: {error}") from None
    session.commit()
    click.echo(f"Created {user.username} ({user.role}).")


@user_group.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@with_appcontext
def user_set_role(username: str, role: str) -> None:
    session = db.session()
    user = session.scalar(select(User).where(User.username == username.lower()))
    if user is None:
        raise click.ClickException(f"No user called {username!r}.")
    account_services.set_role(session, user, Role(role))
    session.commit()
    click.echo(f"{user.username} is now {user.role}.")


@click.group("demo", help="Demo content.")
def demo_group() -> None:
    pass


@contextmanager
def _step(echo: Callable[[str], None], what: str) -> Iterator[None]:
    """Says what the demo is doing before a slow step, and how long it took."""
    echo(f"{what}...")
    start = time.perf_counter()
    yield
    echo(f"  ({time.perf_counter() - start:.1f} s)")


@demo_group.command("load")
@click.option("--force", is_flag=True, help="Load even in production mode.")
@click.option(
    "--migrate", is_flag=True, help="Apply the migrations first, as `portal db upgrade` does."
)
@with_appcontext
def demo_load(force: bool, migrate: bool) -> None:
    """Load the demo content; running it again keeps what is there."""
    start = time.perf_counter()
    if current_app.config["PORTAL_ENV"] == "production" and not force:
        raise click.ClickException("Refusing to load demo accounts in production (use --force).")
    echo = click.echo
    if migrate:
        from portal import migrate as migrations

        with _step(echo, "Database: applying the migrations"):
            migrations.upgrade(current_app)
    from portal import demo
    from portal.community import demo as community_demo
    from portal.data.demo import DEMO_DATA_OWNER
    from portal.data.demo import load_datasets as load_demo_datasets
    from portal.play.demo import load_puzzles as load_demo_puzzles
    from portal.reanalysis.demo import load_analyses as load_demo_analyses

    session = db.session()
    with _step(echo, "Accounts, communities, questions, treatment reports and support threads"):
        report = demo.load(session, password=current_app.config["DEMO_PASSWORD"] or None, echo=echo)
        session.commit()
    owner = session.scalar(select(User).where(User.username == DEMO_DATA_OWNER))
    if owner is None:
        raise click.ClickException(f"The demo accounts lack {DEMO_DATA_OWNER!r}.")
    with _step(echo, "Datasets: reading, checking and recording seven published trials"):
        datasets = load_demo_datasets(session, current_app, owner, echo=echo)
        session.commit()
    with _step(echo, "Analyses: running the demo meta-analyses"):
        analyses = load_demo_analyses(session, current_app, owner, echo=echo)
        session.commit()
    with _step(echo, "Linking questions to their datasets and analyses"):
        community_demo.link_data(session, echo=echo)
        session.commit()
    with _step(echo, "Puzzles: cutting windows of the demo alignments and solving each for par"):
        load_demo_puzzles(session, echo=echo)
        session.commit()
    echo(report.summary())
    echo(f"Demo datasets: {len(datasets)} recorded.")
    echo(f"Demo analyses: {len(analyses)} run.")
    echo(f"Demo loaded in {time.perf_counter() - start:.1f} s.")


def init_app(app: Flask) -> None:
    app.cli = LazyAppGroup(LAZY, name=app.cli.name, commands=app.cli.commands)
    for group in (db_group, user_group, demo_group):
        app.cli.add_command(group)
