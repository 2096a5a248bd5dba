"""Researchers' sequences made into a research alignment with puzzles: the
checks made before a job is queued, the aligning and cutting the job does,
and the record it leaves.

The page, the API and the job call these; services take a session and never
commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from games.aligners import AlignerError, align, available_aligners, untrusted_columns
from games.puzzles import Puzzle as GamePuzzle
from games.puzzles import source_from_rows
from games.sequence_input import (
    Limits,
    SequenceInputError,
    Sequences,
    check_guide_tree,
    parse_fasta,
)
from portal.errors import ServiceError
from portal.play import cutting
from portal.play.models import AlignmentSource

#: The choice that keeps an uploaded alignment as it is.
KEEP = "keep"
ALIGNER_NAMES = {
    "famsa": "FAMSA",
    "mafft": "MAFFT",
    "clustalo": "Clustal Omega",
    KEEP: "none: my sequences are already aligned",
}
TITLE_MAX = 200
DESCRIPTION_MAX = 5000
TREE_MAX = 200_000
#: Slugs that name pages under /play/alignments/, not alignments.
RESERVED_SLUGS = {"import"}
#: How many times ``store`` picks a new slug when another import took its pick first.
SLUG_ATTEMPTS = 5


def aligner_choices() -> list[tuple[str, str]]:
    """The aligners installed here, FAMSA first, then keeping the alignment."""
    return [(name, ALIGNER_NAMES[name]) for name in [*available_aligners(), KEEP]]


def limits(config: Mapping[str, Any]) -> Limits:
    return Limits(
        min_sequences=config["ALIGN_IMPORT_MIN_SEQUENCES"],
        max_sequences=config["ALIGN_IMPORT_MAX_SEQUENCES"],
        max_length=config["ALIGN_IMPORT_MAX_LENGTH"],
    )


@dataclass(frozen=True)
class ImportRequest:
    """What a researcher asked for; the job's payload."""

    fasta: str
    title: str = ""
    description: str = ""
    guide_tree: str = ""
    aligner: str = "famsa"
    filename: str = ""

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)


def check(request: ImportRequest, config: Mapping[str, Any]) -> Sequences:
    """The sequences of ``request``, or a ServiceError naming the field and,
    for the sequences, the record and line."""
    if request.aligner not in dict(aligner_choices()):
        installed = ", ".join(name for name, _ in aligner_choices())
        raise ServiceError(f"Choose an aligner installed here: {installed}.", "aligner")
    if len(request.title) > TITLE_MAX:
        raise ServiceError(f"A title is at most {TITLE_MAX} characters.", "title")
    if len(request.description) > DESCRIPTION_MAX:
        raise ServiceError(f"A description is at most {DESCRIPTION_MAX} characters.", "description")
    if not request.fasta.strip():
        raise ServiceError("Choose a FASTA file or paste the sequences.", "fasta")
    where = f"{request.filename}: " if request.filename else ""
    if len(request.fasta) > max_text_bytes(config):
        raise ServiceError(
            f"{where}the sequences take more than {max_text_bytes(config):,} characters, the "
            "most this portal imports at once could take.",
            "fasta",
        )
    try:
        sequences = parse_fasta(request.fasta, limits(config))
    except SequenceInputError as error:
        raise ServiceError(f"{where}{error}", "fasta") from None
    if request.aligner == KEEP and not sequences.aligned:
        raise ServiceError(f"{where}{_not_aligned(sequences)}", "fasta")
    if request.guide_tree.strip():
        if request.aligner != "clustalo":
            raise ServiceError(
                "Only Clustal Omega reads a guide tree: choose it, or leave the tree empty.",
                "guide_tree",
            )
        if len(request.guide_tree) > TREE_MAX:
            raise ServiceError(f"A guide tree is at most {TREE_MAX:,} characters.", "guide_tree")
        try:
            check_guide_tree(request.guide_tree, sequences.names)
        except SequenceInputError as error:
            raise ServiceError(str(error).capitalize() + ".", "guide_tree") from None
    return sequences


def _not_aligned(sequences: Sequences) -> str:
    if not sequences.has_gaps:
        return (
            "these sequences hold no gaps, so they are not aligned yet; choose an aligner "
            "to align them"
        )
    width = len(sequences.rows[0])
    for name, row in zip(sequences.names, sequences.rows, strict=True):
        if len(row) != width:
            return (
                f"sequence {name!r} is {len(row):,} letters long but {sequences.names[0]!r} is "
                f"{width:,}: the rows of an alignment are all equally long; choose an aligner "
                "to align them again"
            )
    return "the sequences are not aligned"


@dataclass(frozen=True)
class Built:
    names: list[str]
    rows: list[str]
    kind: str
    aligner: str
    compared_with: list[str]
    cuts: dict[str, list[GamePuzzle]]


def _levels(total: int) -> dict[str, int]:
    beginner = (total + 1) // 2
    return {"beginner": beginner, "intermediate": total - beginner}


def build(
    request: ImportRequest,
    config: Mapping[str, Any],
    progress: Callable[[float, str], None] = lambda fraction, message: None,
) -> Built:
    """Align, find the least trusted windows, cut puzzles there: the CPU work,
    touching no database."""
    sequences = check(request, config)
    names = sequences.names
    if request.aligner == KEEP:
        progress(0.05, f"Reading your alignment of {len(names)} sequences")
        rows = sequences.rows
    else:
        label = ALIGNER_NAMES[request.aligner]
        progress(0.05, f"Aligning {len(names)} sequences with {label}")
        try:
            rows = align(
                names,
                sequences.residues,
                request.aligner,
                guide_tree=request.guide_tree.strip() or None,
            ).rows
        except AlignerError as error:
            raise ServiceError(f"{label} could not align these sequences: {error}") from None
    progress(0.3, "Finding the windows the alignment is least sure of")
    # Where a second aligner places residues otherwise, the alignment is least
    # trusted; FAMSA is always there to compare with.
    other = next((a for a in available_aligners() if a != request.aligner), None)
    compared_with: list[str] = []
    others = []
    if other is not None:
        try:
            others.append(align(names, sequences.residues, other).rows)
            compared_with.append(other)
        except AlignerError:
            pass  # the comparison only ranks windows; gaps and conservation still do
    badness = untrusted_columns(rows, others)
    levels = {k: v for k, v in _levels(config["ALIGN_IMPORT_PUZZLES"]).items() if v}
    order = list(levels)

    def cutting_level(level: str) -> None:
        done = order.index(level)
        progress(0.45 + 0.5 * done / len(order), f"Cutting {level} puzzles")

    cuts = cutting.cut_levels(
        source_from_rows(names, rows),
        sequences.kind,
        levels,
        time_limit=1.0,
        badness=badness,
        progress=cutting_level,
    )
    return Built(names, rows, sequences.kind, request.aligner, compared_with, cuts)


def unique_slug(session: Session, title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "alignment"
    taken = set(
        session.scalars(select(AlignmentSource.slug).where(AlignmentSource.slug.startswith(base)))
    )
    taken |= RESERVED_SLUGS
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def default_title(request: ImportRequest, built: Built) -> str:
    what = "DNA" if built.kind == "dna" else "protein"
    origin = f" from {request.filename}" if request.filename else ""
    return f"{len(built.names)} {what} sequences{origin}"[:TITLE_MAX]


def store(
    session: Session, request: ImportRequest, built: Built, username: str
) -> tuple[AlignmentSource, list]:
    """Records the built alignment and its puzzles."""
    title = request.title.strip() or default_title(request, built)
    how = (
        "kept as uploaded"
        if built.aligner == KEEP
        else f"aligned with {ALIGNER_NAMES[built.aligner]}"
    )
    if built.compared_with:
        how += (
            "; puzzles cut where "
            + " and ".join(ALIGNER_NAMES[a] for a in built.compared_with)
            + " disagree most"
        )
    source = f"Imported by {username}, {how}."
    if request.description.strip():
        source += " " + request.description.strip()
    game_source = source_from_rows(built.names, built.rows)
    for _attempt in range(SLUG_ATTEMPTS):
        slug = unique_slug(session, title)
        try:
            # The slug was free when read; another import of the same title may store
            # it first, and the unique index then refuses this one: pick again.
            with session.begin_nested():
                return cutting.store_alignment(
                    session,
                    game_source,
                    built.cuts,
                    kind=built.kind,
                    slug=slug,
                    title=title,
                    source=source,
                )
        except IntegrityError:
            if (
                session.scalar(select(AlignmentSource.id).where(AlignmentSource.slug == slug))
                is None
            ):
                raise
    raise ServiceError(
        f"Other alignments called “{title}” were being saved at the same moment; "
        "try again or choose another title.",
        "title",
    )


def max_text_bytes(config: Mapping[str, Any]) -> int:
    """Room for the most sequences of the longest length, with a header and a
    line break every 60 letters each."""
    longest = config["ALIGN_IMPORT_MAX_LENGTH"]
    return config["ALIGN_IMPORT_MAX_SEQUENCES"] * (longest + longest // 60 + 1 + 300)


def read_upload(stream: IO[bytes], filename: str, max_bytes: int) -> str:
    """The text of an uploaded FASTA file, refused when too large or not text."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ServiceError(
            f"{filename} is larger than {max_bytes:,} bytes, the most sequences this portal "
            "imports at once could take.",
            "file",
        )
    if b"\x00" in data:
        raise ServiceError(f"{filename} is not a text file; choose a FASTA file.", "file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Letters outside ASCII are refused by name when the sequences are read.
        return data.decode("latin-1")
