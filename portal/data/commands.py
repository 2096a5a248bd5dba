"""`portal datasets ...`: the datasets package's commands plus `add`, which records a file."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from datasets.commands import ProgressBars
from datasets.commands import cli as datasets_cli
from datasets.errors import DatasetError
from portal import db
from portal.accounts.models import User
from portal.data import services
from portal.errors import ServiceError


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(";") if part.strip()]


@click.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", required=True)
@click.option("--description", required=True)
@click.option("--licence", required=True, help="SPDX id, e.g. CC-BY-4.0 or CC0-1.0.")
@click.option("--owner", required=True, help="Username of the researcher who shares it.")
@click.option("--level", type=click.Choice(["participant", "aggregate"]), default="participant")
@click.option("--design", "study_design", default=None)
@click.option("--condition", "conditions", multiple=True)
@click.option("--intervention", "interventions", multiple=True)
@click.option("--comparator", default=None)
@click.option("--outcome", "outcomes", multiple=True)
@click.option("--participants", "n_participants", type=int, default=None)
@click.option("--registry-id", "registry_ids", multiple=True)
@click.option("--citation", default=None)
@click.option("--doi", default=None)
@click.option("--contact", default=None)
@click.option("--keyword", "keywords", multiple=True)
@click.option("--publish", is_flag=True, help="Publish at once if the checks allow it.")
@with_appcontext
def add(file: Path, owner: str, publish: bool, **fields) -> None:
    """Check FILE and record it as a new dataset (a draft unless --publish)."""
    session = db.session()
    user = session.scalar(select(User).where(User.username == owner.lower()))
    if user is None:
        raise click.ClickException(f"No user called {owner!r}.")
    metadata = {
        key: _split(value) if isinstance(value, tuple) else value for key, value in fields.items()
    }
    bars = ProgressBars()
    try:
        dataset, version, result = services.ingest_file(
            session,
            current_app,
            file,
            filename=file.name,
            user=user,
            dataset=None,
            metadata=metadata,
            change_note="First version.",
            progress=bars,
        )
    except DatasetError as error:
        bars.close()
        session.rollback()
        raise click.ClickException(str(error)) from None
    bars.close()
    click.echo(
        f"Recorded {dataset.slug} version 1: {result.row_count:,} rows, "
        f"{'valid' if result.valid else 'NOT valid'}, "
        f"{'no blocking identifiers' if not result.screening.blocking else 'identifiers found'}."
    )
    if publish:
        try:
            services.publish(session, version, actor=user, confirmed=True)
        except ServiceError as error:
            session.commit()
            click.echo(f"Kept as a draft: {error}", err=True)
            sys.exit(1)
        click.echo("Published.")
    session.commit()


datasets_group = click.Group(
    "datasets",
    help="Open datasets: inspect and record files, materialise the demo catalogue.",
    commands={**datasets_cli.commands, "add": add},
)
