"""`portal puzzles import FILE`: cut puzzles from an alignment."""

from __future__ import annotations

import re
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from games.commands import FORMATS, detect_format
from games.puzzles import read_source, scheme_for
from games.scoring import score_alignment
from portal import db
from portal.play import cutting, splicing
from portal.play.models import AlignmentSource


@click.group("puzzles", help="Alignment puzzles.")
def puzzles_group() -> None:
    pass


@puzzles_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Alignment format; by default taken from the file extension.",
)
@click.option(
    "--kind",
    type=click.Choice(["dna", "protein"]),
    default=None,
    help="Sequence kind; by default guessed from the letters.",
)
@click.option("--title", help="Title shown with the puzzles (default: the file name).")
@click.option("--slug", help="Short unique name (default: from the file name).")
@click.option("--licence", default="", help="Licence of the alignment, e.g. CC0-1.0.")
@click.option("--source", default="", help="Where the alignment comes from.")
@click.option(
    "--level", type=click.Choice(["beginner", "intermediate", "expert"]), default="beginner"
)
@click.option("--limit", type=click.IntRange(1, 100), default=6, help="At most this many puzzles.")
@with_appcontext
def import_command(
    file: Path,
    fmt: str | None,
    kind: str | None,
    title: str | None,
    slug: str | None,
    licence: str,
    source: str,
    level: str,
    limit: int,
) -> None:
    """Record the alignment in FILE and cut puzzles where it looks wrong."""
    fmt = fmt or detect_format(file)
    try:
        rows = read_source(file, fmt).rows
    except Exception as error:  # noqa: BLE001 - any parser failure is the user's file
        raise click.ClickException(f"cannot read {file.name} as {fmt}: {error}") from None
    if kind is None:
        letters = set("".join(rows)) - {"-"}
        kind = "dna" if letters <= set("ACGTUN") else "protein"
    slug = slug or re.sub(r"[^a-z0-9]+", "-", file.stem.lower()).strip("-")[:80]
    session = db.session()
    try:
        alignment, puzzles = cutting.import_alignment(
            session,
            file,
            fmt=fmt,
            kind=kind,
            slug=slug,
            title=title or file.stem,
            licence=licence,
            source=source,
            level=level,
            limit=limit,
        )
    except ValueError as error:
        session.rollback()
        raise click.ClickException(f"{file.name}: {error}") from None
    session.commit()
    click.echo(
        f"{alignment.slug}: {len(alignment.names)} sequences, {kind}; {len(puzzles)} puzzles."
    )
    for puzzle in puzzles:
        click.echo(
            f"  #{puzzle.id} columns {puzzle.source_start + 1}-{puzzle.source_end},"
            f" {len(puzzle.sequences)} rows, start {puzzle.start_score:g},"
            f" par {puzzle.par:g}"
        )


@puzzles_group.command("splice")
@click.argument("slug")
@with_appcontext
def splice_command(slug: str) -> None:
    """Put the players' consensus (or best solution) of each of SLUG's puzzles
    back into its alignment, keeping each only where it raises the whole
    alignment's score."""
    session = db.session()
    alignment = session.scalar(select(AlignmentSource).where(AlignmentSource.slug == slug))
    if alignment is None:
        raise click.ClickException(f"No alignment called {slug!r}.")
    changes = splicing.splice_best(session, alignment)
    session.commit()
    scheme = scheme_for(alignment.kind)
    before = score_alignment(alignment.original_rows, scheme)
    after = score_alignment(alignment.rows, scheme)
    click.echo(f"{slug}: {len(changes)} windows spliced in; score {before:g} -> {after:g}.")
    for change in changes:
        used = (
            f"consensus of {change.kept} solutions"
            if change.method == "consensus"
            else f"solution #{change.solution_id}"
        )
        click.echo(
            f"  puzzle #{change.puzzle_id}, {used}: columns {change.start_column + 1}-"
            f"{change.end_column} ({change.score_before:g} -> {change.score_after:g})"
        )


@puzzles_group.command("refresh-context")
@click.argument("slug", required=False)
@click.option("--dry-run", is_flag=True, help="Say what would change, change nothing.")
@with_appcontext
def refresh_context_command(slug: str | None, dry_run: bool) -> None:
    """Give the puzzles of SLUG (of every research alignment when omitted) cut
    before puzzles kept their window's flanks and the alignment's other rows
    as fixed context, so their gains transfer exactly once spliced. Their
    rows and boards stay; start score, par and solutions' scores are
    recomputed by the new rule (points earned stay). Safe to run again."""
    from portal.play import refreshing

    session = db.session()
    if (
        slug is not None
        and session.scalar(select(AlignmentSource.id).where(AlignmentSource.slug == slug)) is None
    ):
        raise click.ClickException(f"No alignment called {slug!r}.")
    done = refreshing.refresh_alignments(session, slug, dry_run=dry_run)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    counts = {s: sum(r.status == s for r in done) for s in refreshing.STATUSES}
    click.echo(
        ("Would refresh" if dry_run else "Refreshed")
        + f" {counts[refreshing.REFRESHED]} puzzles; {counts[refreshing.CURRENT]} already had"
        f" their context; {counts[refreshing.NEEDS_RECUT]} need cutting again."
    )
    for line in done:
        if line.status == refreshing.CURRENT:
            continue
        text = f"  #{line.puzzle_id}: {line.status}, {line.context_rows} fixed rows"
        if line.start_score and line.par:
            text += (
                f"; start {line.start_score[0]:g} -> {line.start_score[1]:g},"
                f" par {line.par[0]:g} -> {line.par[1]:g}, {line.solutions} solutions rescored"
            )
        elif line.status == refreshing.NEEDS_RECUT:
            text += "; its board drops columns where only those rows have letters"
        click.echo(text)
