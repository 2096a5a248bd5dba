"""`portal treatments publish COMMUNITY`: publish the consenting reports as a new version."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from portal import db
from portal.accounts.models import Role, User
from portal.community.models import Community
from portal.errors import ServiceError
from portal.extensions import the_app
from portal.treatments import aggregates, publication, services


@click.group("treatments", help="Treatment reports.")
def treatments_group() -> None:
    pass


@treatments_group.command("publish")
@click.argument("community_slug")
@click.option(
    "--by",
    "username",
    default=None,
    help="Researcher, moderator or admin recorded as publishing it (default: the first admin).",
)
@with_appcontext
def publish_command(community_slug: str, username: str | None) -> None:
    """Publish COMMUNITY's consenting reports as the next version of its open dataset."""
    session = db.session()
    community = session.scalar(select(Community).where(Community.slug == community_slug))
    if community is None:
        raise click.ClickException(f"No community called {community_slug!r}.")
    if username:
        actor = session.scalar(select(User).where(User.username == username))
        if actor is None:
            raise click.ClickException(f"No user called {username!r}.")
    else:
        actor = session.scalar(select(User).where(User.role == Role.ADMIN.value).order_by(User.id))
        if actor is None:
            raise click.ClickException("No admin account: name the publisher with --by.")
    try:
        version = publication.publish(
            session,
            the_app(),
            community,
            actor,
            floor=aggregates.floor(),
            today=services.today(),
        )
    except ServiceError as error:
        session.rollback()
        raise click.ClickException(str(error)) from None
    session.commit()
    click.echo(
        f"Published {version.dataset.slug} version {version.number}: {version.row_count} reports."
    )
