"""The portal's own command groups, attached to ``app.cli`` by create_app."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from analysis.commands import ipd as ipd_command
from analysis.commands import meta as meta_command
from analysis.network.command import network as network_command
from games.commands import align as align_group
from games.commands import warmup_command
from portal import db, demo, migrate
from portal.accounts import services as account_services
from portal.accounts.models import Role, User
from portal.community import demo as community_demo
from portal.community.governance.commands import communities_group
from portal.data.commands import datasets_group
from portal.data.demo import DEMO_DATA_OWNER
from portal.data.demo import load_datasets as load_demo_datasets
from portal.errors import ServiceError
from portal.jobs.commands import COMMANDS as scale_commands
from portal.play.commands import puzzles_group
from portal.play.demo import load_puzzles as load_demo_puzzles
from portal.reanalysis.demo import load_analyses as load_demo_analyses


@click.group("db", help="Database migrations (Alembic).")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Apply migrations up to REVISION (default: head).")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    migrate.upgrade(current_app, revision)
    click.echo(f"Database at {revision}.")


@db_group.command("downgrade", help="Revert migrations down to REVISION.")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    migrate.downgrade(current_app, revision)


@db_group.command("current", help="Show the database's revision.")
@with_appcontext
def db_current() -> None:
    migrate.current(current_app)


@db_group.command("revision", help="Write a new migration from the models' changes.")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
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


@demo_group.command("load")
@click.option("--force", is_flag=True, help="Load even in production mode.")
@with_appcontext
def demo_load(force: bool) -> None:
    """Load the demo content; running it again keeps what is there."""
    if current_app.config["PORTAL_ENV"] == "production" and not force:
        raise click.ClickException("Refusing to load demo accounts in production (use --force).")
    session = db.session()
    report = demo.load(
        session, password=current_app.config["DEMO_PASSWORD"] or None, echo=click.echo
    )
    session.commit()
    owner = session.scalar(select(User).where(User.username == DEMO_DATA_OWNER))
    if owner is None:
        raise click.ClickException(f"The demo accounts lack {DEMO_DATA_OWNER!r}.")
    datasets = load_demo_datasets(session, current_app, owner, echo=click.echo)
    session.commit()
    analyses = load_demo_analyses(session, current_app, owner, echo=click.echo)
    session.commit()
    community_demo.link_data(session, echo=click.echo)
    session.commit()
    load_demo_puzzles(session, echo=click.echo)
    session.commit()
    click.echo(report.summary())
    click.echo(f"Demo datasets: {len(datasets)} recorded.")
    click.echo(f"Demo analyses: {len(analyses)} run.")


def init_app(app: Flask) -> None:
    for group in (
        db_group,
        user_group,
        communities_group,
        demo_group,
        meta_command,
        ipd_command,
        network_command,
        align_group,
        warmup_command,
        datasets_group,
        puzzles_group,
        *scale_commands,
    ):
        app.cli.add_command(group)
