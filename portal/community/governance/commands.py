"""`portal communities ...`: operators create, list and archive communities."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from portal import audit, db
from portal.accounts.models import User
from portal.community import services
from portal.community.governance import codes, founding
from portal.community.models import Community, CommunityStatus, Membership
from portal.errors import ServiceError


@click.group("communities", help="Create, list and archive communities.")
def communities_group() -> None:
    pass


def _fail(error: ServiceError) -> click.ClickException:
    db.session().rollback()
    where = f"{error.field}: " if error.field else ""
    return click.ClickException(f"{where}{error.message}")


@communities_group.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--condition", required=True, help="The condition in plain words.")
@click.option("--code", "condition_code", default="", help="ICD-10 or ICD-11 code (shape only).")
@click.option("--description", default="")
@click.option("--moderator", "moderator_names", multiple=True, help="Username; repeatable.")
@with_appcontext
def create(
    slug: str,
    name: str,
    condition: str,
    condition_code: str,
    description: str,
    moderator_names: tuple[str, ...],
) -> None:
    """Create an active community at SLUG, with its first moderators."""
    session = db.session()
    code = codes.normalise(condition_code)
    try:
        if code and codes.system_of(code) is None:
            raise ServiceError(f"{code!r} is neither an ICD-10 nor an ICD-11 code.", "code")
        if slug in founding.RESERVED_SLUGS:
            raise ServiceError(f"{slug!r} is an address the portal keeps.", "slug")
        moderators = []
        for username in moderator_names:
            user = session.scalar(select(User).where(User.username == username.lower()))
            if user is None:
                raise ServiceError(f"No user called {username!r}.", "moderator")
            moderators.append(user)
        community = services.create_community(
            session, slug=slug, name=name, condition=condition, description=description
        )
        community.condition_code = code
        for user in moderators:
            services.join(session, community, user, role="moderator", visible=True)
        audit.record(
            session,
            "community.created",
            subject=f"community:{community.slug}",
            community_id=community.id,
            actor_role="operator",
            moderators=[user.id for user in moderators],
        )
    except ServiceError as error:
        raise _fail(error) from None
    session.commit()
    click.echo(f"Created {community.slug} ({community.name}).")


@communities_group.command("list")
@click.option(
    "--status",
    "statuses",
    type=click.Choice([s.value for s in CommunityStatus]),
    multiple=True,
    help="Only these (default: all).",
)
@with_appcontext
def list_command(statuses: tuple[str, ...]) -> None:
    """Communities with their status and number of members, by address."""
    session = db.session()
    members = (
        select(Membership.community_id, func.count().label("n"))
        .group_by(Membership.community_id)
        .subquery()
    )
    statement = (
        select(Community, func.coalesce(members.c.n, 0))
        .outerjoin(members, members.c.community_id == Community.id)
        .order_by(Community.slug)
    )
    if statuses:
        statement = statement.where(Community.status.in_(statuses))
    for community, count in session.execute(statement).all():
        code = f" [{community.condition_code}]" if community.condition_code else ""
        click.echo(f"{community.slug}\t{community.status}\t{count} members\t{community.name}{code}")


@communities_group.command("archive")
@click.argument("slug")
@click.option("--reason", default="", help="Shown in the community's moderation log.")
@with_appcontext
def archive(slug: str, reason: str) -> None:
    """Archive the community at SLUG: unlisted and read-only, its pages still readable."""
    session = db.session()
    community = session.scalar(select(Community).where(Community.slug == slug))
    if community is None:
        raise click.ClickException(f"No community at {slug!r}.")
    try:
        founding.archive(session, None, community, reason=reason)
    except ServiceError as error:
        raise _fail(error) from None
    session.commit()
    click.echo(f"Archived {community.slug}.")
