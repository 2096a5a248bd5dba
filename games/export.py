"""Writing an alignment out as FASTA, Clustal or Stockholm, and checking that
an improved alignment still holds exactly the sequences it started from.

The writers are Biopython's (``Bio.Align.Alignment`` and its format
printers), so a file written here reads back with ``Bio.Align.read`` /
``Bio.AlignIO.read`` as the same rows.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from Bio.Align import Alignment

GAP = "-"

#: Export format -> (Biopython format name, file extension, media type).
FORMATS = {
    "fasta": ("fasta", "fasta", "text/x-fasta"),
    "clustal": ("clustal", "aln", "text/plain"),
    "stockholm": ("stockholm", "sto", "text/plain"),
}


class ExportError(ValueError):
    """The alignment cannot be written (unknown format, broken rows)."""


def check_same_sequences(original: Sequence[str], improved: Sequence[str]) -> None:
    """Raises :class:`ExportError` unless ``improved`` has the same rows as
    ``original`` with the same residues in the same order (only gaps moved)
    and all its rows are equally long."""
    if len(original) != len(improved):
        raise ExportError(
            f"the improved alignment has {len(improved)} rows, the original {len(original)}"
        )
    if improved and len({len(row) for row in improved}) != 1:
        raise ExportError("the rows of the improved alignment are not equally long")
    for index, (before, after) in enumerate(zip(original, improved, strict=True)):
        if before.replace(GAP, "") != after.replace(GAP, ""):
            raise ExportError(f"row {index + 1} of the improved alignment has different residues")


def _safe_names(names: Sequence[str]) -> list[str]:
    """Identifiers the three formats can all hold: no spaces, unique."""
    out: list[str] = []
    seen: set[str] = set()
    for index, name in enumerate(names):
        base = "_".join(str(name).split()) or f"seq{index + 1}"
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}_{n}"
        seen.add(candidate)
        out.append(candidate)
    return out


def to_alignment(names: Sequence[str], rows: Sequence[str]) -> Alignment:
    """A ``Bio.Align.Alignment`` of the gapped ``rows`` (named ``names``)."""
    from Bio.Align import Alignment
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    if len(names) != len(rows):
        raise ExportError("one name per row is needed")
    if not rows or len({len(row) for row in rows}) != 1:
        raise ExportError("an alignment needs equally long rows")
    letters, coordinates = Alignment.parse_printed_alignment([row.encode("ascii") for row in rows])
    records = [
        SeqRecord(Seq(seq), id=name, description="")
        for name, seq in zip(_safe_names(names), letters, strict=True)
    ]
    alignment = Alignment(records, coordinates)
    # The Stockholm writer reads these even when there is nothing to write;
    # Biopython's Alignment does not declare these optional attributes.
    alignment.column_annotations = {}  # type: ignore[attr-defined]
    alignment.annotations = {}  # type: ignore[attr-defined]
    return alignment


def write_alignment(names: Sequence[str], rows: Sequence[str], fmt: str) -> str:
    """The alignment as text in ``fmt`` (``fasta``, ``clustal`` or ``stockholm``)."""
    if fmt not in FORMATS:
        raise ExportError(f"format is one of {', '.join(FORMATS)}")
    from Bio import Align

    out = io.StringIO()
    # Align.write (not format()) so that Clustal gets its header line.
    Align.write(to_alignment(names, rows), out, FORMATS[fmt][0])
    return out.getvalue()


def credit_csv(lines: Iterable[dict[str, Any]]) -> str:
    """The credit report as CSV: one line per spliced solution."""
    columns = [
        "puzzle_id",
        "puzzle",
        "player",
        "solution_id",
        "columns",
        "score_before",
        "score_after",
        "gain",
        "points",
    ]
    # Puzzle titles and nicknames are typed by people, so the text goes through
    # the download writer that neutralises spreadsheet formulas.
    from datasets.cells import dict_csv_text

    return dict_csv_text(columns, lines)
