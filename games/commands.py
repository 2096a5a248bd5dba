"""The ``align`` command group.

The portal attaches it to its CLI as ``portal align ...``; it is plain click,
so it also runs on its own: ``python -m games.commands score FILE --json``.

    align score FILE [--format FMT] [--scoring PRESET]
                     [--matrix NAME | --match M --mismatch X]
                     [--open-gap-score O] [--extend-gap-score E]
                     [--end-open-gap-score O2] [--end-extend-gap-score E2] [--json]

prints the sum-of-pairs score of the alignment in FILE; with ``--json`` as
one JSON object with at least ``score``, ``sequences``, ``columns`` and
``scheme``.

    align compare ESTIMATE REFERENCE [--format FMT] [--json]

prints the SP, modeler and TC scores of ESTIMATE against REFERENCE (see
games/accuracy.py).  Unreadable files and unscorable letters exit with status 1,
wrong options with status 2, each with a one-line message.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from games.aligners import ALIGNERS
from games.scheme import PRESETS, ScoringError, ScoringScheme
from games.scoring import score_alignment, warmup

#: Formats read with ``Bio.Align.read``.
ALIGN_FORMATS = ("fasta", "clustal", "stockholm", "phylip", "nexus", "maf", "a2m", "msf", "mauve")
#: Formats only ``Bio.AlignIO`` reads.
ALIGNIO_FORMATS = ("phylip-relaxed", "phylip-sequential", "ig")
FORMATS = ALIGN_FORMATS + ALIGNIO_FORMATS

FORMAT_BY_EXTENSION = {
    ".fa": "fasta",
    ".fas": "fasta",
    ".fasta": "fasta",
    ".fna": "fasta",
    ".faa": "fasta",
    ".afa": "fasta",
    ".mfa": "fasta",
    ".aln": "clustal",
    ".clw": "clustal",
    ".clustal": "clustal",
    ".sto": "stockholm",
    ".stk": "stockholm",
    ".sth": "stockholm",
    ".stockholm": "stockholm",
    ".phy": "phylip",
    ".phylip": "phylip",
    ".nex": "nexus",
    ".nxs": "nexus",
    ".nexus": "nexus",
    ".maf": "maf",
    ".a2m": "a2m",
    ".msf": "msf",
    ".xmfa": "mauve",
}

DEFAULT_PRESET = "puzzle-dna"


def detect_format(path: Path) -> str:
    """The alignment format implied by the file's extension."""
    fmt = FORMAT_BY_EXTENSION.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMAT_BY_EXTENSION))
        raise click.UsageError(
            f"cannot tell the format of {path.name!r} from its extension; pass --format"
            f" (extensions recognised: {known})"
        )
    return fmt


def read_alignment(path: Path, fmt: str) -> Any:
    """Reads exactly one alignment; parser errors become ClickExceptions."""
    from Bio import Align, AlignIO

    reader: Callable[[Any, str], Any] = AlignIO.read if fmt in ALIGNIO_FORMATS else Align.read
    try:
        # Our own handle: Biopython leaves a file it opened unclosed when its
        # parser rejects the first lines.
        with warnings.catch_warnings(), open(path, encoding="latin-1") as handle:
            # Parser warnings about odd but readable files are not errors here.
            warnings.simplefilter("ignore")
            return reader(handle, fmt)
    except Exception as exc:
        message = str(exc) or type(exc).__name__
        raise click.ClickException(f"cannot read {path.name} as {fmt}: {message}") from None


def build_scheme(
    scoring: str | None,
    matrix: str | None,
    match_score: float | None,
    mismatch_score: float | None,
    open_gap_score: float | None,
    extend_gap_score: float | None,
    end_open_gap_score: float | None,
    end_extend_gap_score: float | None,
) -> ScoringScheme:
    if matrix is not None and (match_score is not None or mismatch_score is not None):
        raise click.UsageError("--matrix cannot be combined with --match/--mismatch")
    if (match_score is None) != (mismatch_score is None):
        raise click.UsageError("--match and --mismatch must be given together")
    try:
        return ScoringScheme.create(
            scoring or DEFAULT_PRESET,
            matrix=matrix,
            match_score=match_score,
            mismatch_score=mismatch_score,
            open_gap_score=open_gap_score,
            extend_gap_score=extend_gap_score,
            end_open_gap_score=end_open_gap_score,
            end_extend_gap_score=end_extend_gap_score,
        )
    except ScoringError as exc:
        raise click.UsageError(str(exc)) from None


@click.group(name="align")
def align() -> None:
    """Score multiple sequence alignments."""


@align.command("score")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Alignment format; by default taken from the file extension.",
)
@click.option(
    "--scoring",
    type=click.Choice(PRESETS),
    help=f"Starting scheme: Biopython's presets or the game's ({DEFAULT_PRESET}, the default).",
)
@click.option("--matrix", metavar="NAME", help="Substitution matrix, e.g. BLOSUM62.")
@click.option("--match", "match_score", type=float, help="Score of identical letters.")
@click.option("--mismatch", "mismatch_score", type=float, help="Score of different letters.")
@click.option("--open-gap-score", type=float, help="Score of a gap's first position.")
@click.option("--extend-gap-score", type=float, help="Score of each further gap position.")
@click.option("--end-open-gap-score", type=float, help="Open score of gaps at a row's ends.")
@click.option("--end-extend-gap-score", type=float, help="Extend score of gaps at a row's ends.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def score_command(
    file: Path,
    fmt: str | None,
    scoring: str | None,
    matrix: str | None,
    match_score: float | None,
    mismatch_score: float | None,
    open_gap_score: float | None,
    extend_gap_score: float | None,
    end_open_gap_score: float | None,
    end_extend_gap_score: float | None,
    as_json: bool,
) -> None:
    """Print the sum-of-pairs score of the alignment in FILE.

    Every pair of rows is scored as a pairwise alignment (columns where both
    have a gap are dropped) and the scores are added.  The scheme starts from
    --scoring (default: puzzle-dna, i.e. match 1, mismatch -1, gap open -4,
    extend -1, free end gaps); the other options override parts of it, in
    the way Bio.Align.PairwiseAligner's attributes of the same names do.
    """
    scheme = build_scheme(
        scoring,
        matrix,
        match_score,
        mismatch_score,
        open_gap_score,
        extend_gap_score,
        end_open_gap_score,
        end_extend_gap_score,
    )
    fmt = fmt or detect_format(file)
    alignment = read_alignment(file, fmt)
    try:
        value = score_alignment(alignment, scheme)
    except ScoringError as exc:
        raise click.ClickException(f"{file.name}: {exc}") from None
    sequences, columns = _shape(alignment)
    result: dict[str, Any] = {
        "file": str(file),
        "format": fmt,
        "sequences": sequences,
        "columns": columns,
        "score": value,
        "scheme": {"preset": scoring or DEFAULT_PRESET, **scheme.to_dict()},
    }
    if as_json:
        click.echo(json.dumps(result))
        return
    label = scheme.matrix_name or ("custom matrix" if scheme.matrix else "match/mismatch")
    click.echo(f"{file.name}: {sequences} sequences x {columns} columns ({fmt})")
    click.echo(f"score: {value:g}  [{result['scheme']['preset']}, {label}]")


@align.command("compare")
@click.argument("estimate", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("reference", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Format of both files; by default taken from each file's extension.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def compare_command(estimate: Path, reference: Path, fmt: str | None, as_json: bool) -> None:
    """Compare ESTIMATE with REFERENCE: SP score (shared aligned residue
    pairs / pairs in the reference), modeler score (shared / pairs in the
    estimate) and TC score (reference columns with two or more residues that
    the estimate reproduces exactly), as FastSP and qscore define them."""
    from games.accuracy import AccuracyError, compare

    loaded = []
    for path in (estimate, reference):
        alignment = read_alignment(path, fmt or detect_format(path))
        names, rows = _rows(alignment)
        loaded.append((names, rows))
    try:
        result = compare(
            loaded[0][1], loaded[1][1], estimate_names=loaded[0][0], reference_names=loaded[1][0]
        )
    except AccuracyError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(
            json.dumps({"estimate": str(estimate), "reference": str(reference), **result.to_dict()})
        )
        return
    click.echo(
        f"SP score:      {result.sp:.4f}  ({result.shared_pairs} of "
        f"{result.reference_pairs} reference pairs)"
    )
    click.echo(
        f"modeler score: {result.modeler:.4f}  ({result.shared_pairs} of "
        f"{result.estimate_pairs} estimate pairs)"
    )
    click.echo(
        f"TC score:      {result.tc:.4f}  ({result.recovered_columns} of "
        f"{result.reference_columns} columns)"
    )


def _rows(alignment: Any) -> tuple[list[str], list[str]]:
    if hasattr(alignment, "get_alignment_length"):
        return [r.id for r in alignment], [str(r.seq) for r in alignment]
    names = [getattr(s, "id", None) or f"seq{i + 1}" for i, s in enumerate(alignment.sequences)]
    return names, [alignment[i] for i in range(len(alignment.sequences))]


def _shape(alignment: Any) -> tuple[int, int]:
    if hasattr(alignment, "get_alignment_length"):  # Bio.AlignIO's MultipleSeqAlignment
        return len(alignment), alignment.get_alignment_length()
    rows, columns = alignment.shape
    return int(rows), int(columns)


@click.command("warmup")
@click.option(
    "--serial-only",
    is_flag=True,
    help="Skip the parallel kernels (call this before forking worker processes).",
)
def warmup_command(serial_only: bool) -> None:
    """Compile or load the scorer's kernels so no player's request pays for it."""
    started = time.perf_counter()
    warmup(parallel=not serial_only)
    click.echo(f"Scorer kernels ready in {time.perf_counter() - started:.2f} s.")


@align.command("build")
@click.argument("unaligned", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--aligner",
    type=click.Choice(ALIGNERS),
    default="famsa",
    show_default=True,
    help="famsa (built in); mafft or clustalo when installed.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the alignment (FASTA).",
)
@click.option(
    "--compare-with",
    type=click.Choice(ALIGNERS),
    multiple=True,
    help="Other aligners whose disagreement marks untrusted columns (repeatable).",
)
@click.option(
    "--guide-tree",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Newick guide tree whose leaves are the sequence names (clustalo only).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def build_command(
    unaligned: Path,
    aligner: str,
    output: Path,
    compare_with: tuple[str, ...],
    guide_tree: Path | None,
    as_json: bool,
) -> None:
    """Align the sequences in UNALIGNED (FASTA; gaps are removed) with a real
    aligner and write the alignment to OUTPUT; report the columns least worth
    trusting (gappy, unconserved, or where other aligners disagree)."""
    from games.aligners import AlignerError, align, read_unaligned, untrusted_columns
    from games.export import write_alignment
    from games.sequence_input import SequenceInputError, check_guide_tree

    try:
        names, sequences = read_unaligned(unaligned)
        tree = None
        if guide_tree is not None:
            tree = check_guide_tree(guide_tree.read_text(encoding="utf-8"), names)
        built = align(names, sequences, aligner, guide_tree=tree)
        others = [align(names, sequences, other).rows for other in compare_with]
    except SequenceInputError as exc:
        where = guide_tree.name if guide_tree else unaligned.name
        raise click.ClickException(f"{where}: {exc}") from None
    except (AlignerError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    output.write_text(write_alignment(built.names, built.rows, "fasta"))
    badness = untrusted_columns(built.rows, others)
    worst = sorted(range(built.width), key=lambda c: -badness[c])[:10]
    least_trusted = [c + 1 for c in sorted(worst)]
    result: dict[str, Any] = {
        "aligner": aligner,
        "output": str(output),
        "sequences": len(built.rows),
        "columns": built.width,
        "compared_with": list(compare_with),
        "least_trusted_columns": least_trusted,
    }
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(
        f"{len(built.rows)} sequences aligned by {aligner}: {built.width} columns -> {output}"
    )
    click.echo("least trusted columns: " + ", ".join(str(c) for c in least_trusted))


@align.command("improve")
@click.argument("alignment", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Format of ALIGNMENT.")
@click.option("--players", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option(
    "--kind",
    type=click.Choice(["dna", "protein", "auto"]),
    default="auto",
    show_default=True,
    help="Puzzle scheme; auto guesses from the letters.",
)
@click.option(
    "--windows",
    type=click.IntRange(1, 200),
    default=12,
    show_default=True,
    help="At most this many puzzles are cut.",
)
@click.option(
    "--budget",
    type=click.IntRange(100, 10_000_000),
    default=4_000,
    show_default=True,
    help="Evaluations of the most skilled simulated player.",
)
@click.option(
    "--rounds",
    type=click.IntRange(1, 20),
    default=2,
    show_default=True,
    help="Cut, play and splice this many times, each round on the alignment the last left"
    " (stops early when a round splices nothing).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--compare-with",
    type=click.Choice(ALIGNERS),
    multiple=True,
    help="Realign with these aligners; splice only what agrees more with each (repeatable).",
)
@click.option(
    "--reference",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A curated alignment of the same sequences: report SP/modeler/TC.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the improved alignment here (FASTA).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def improve_command(
    alignment: Path,
    fmt: str | None,
    players: int,
    kind: str,
    windows: int,
    budget: int,
    rounds: int,
    seed: int,
    compare_with: tuple[str, ...],
    reference: Path | None,
    output: Path | None,
    as_json: bool,
) -> None:
    """Run the game loop offline on ALIGNMENT: cut puzzles, let simulated
    players solve them, build consensus, splice, and report what changed."""
    from games.aligners import AlignerError, align, untrusted_columns
    from games.export import check_same_sequences, write_alignment
    from games.improve import improve
    from games.puzzles import read_source, scheme_for

    try:
        source = read_source(alignment, fmt or detect_format(alignment))
        ref = read_source(reference, detect_format(reference)) if reference else None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if kind == "auto":
        letters = set("".join(source.rows)) - {"-"}
        kind = "dna" if letters <= set("ACGTUN") else "protein"
    scheme = scheme_for(kind)
    try:
        residues = [row.replace("-", "") for row in source.rows]
        others = [align(source.names, residues, name).rows for name in compare_with]
    except AlignerError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        outcome = improve(
            source,
            scheme,
            players=players,
            budget=budget,
            limit=windows,
            rounds=rounds,
            seed=seed,
            others=others,
            badness=untrusted_columns(source.rows, others) if others else None,
            reference=ref.rows if ref else None,
            reference_names=ref.names if ref else None,
        )
        check_same_sequences(source.rows, outcome.rows)
    except (ScoringError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if output is not None:
        output.write_text(write_alignment(source.names, outcome.rows, "fasta"))
    data = outcome.to_dict()
    if as_json:
        click.echo(json.dumps(data))
        return
    rate = outcome.transfer_rate
    click.echo(f"score: {outcome.score_before:g} -> {outcome.score_after:g}")
    click.echo(f"rounds run: {outcome.rounds_run} of {rounds}")
    click.echo(
        f"windows offered {outcome.windows_offered}, improved {outcome.windows_improved},"
        f" spliced {outcome.spliced} (consensus {outcome.consensus_used})"
    )
    click.echo("transfer rate: " + ("n/a" if rate is None else f"{rate:.0%}"))
    if outcome.accuracy_before and outcome.accuracy_after:
        for key in ("sp", "modeler", "tc"):
            click.echo(
                f"{key}: {outcome.accuracy_before[key]:.4f} -> {outcome.accuracy_after[key]:.4f}"
            )


if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess in the tests
    align()
