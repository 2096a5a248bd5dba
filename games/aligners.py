"""Aligning unaligned sequences with real aligners, and where they disagree.

FAMSA through its Python bindings (pyfamsa, a dependency) is always there;
MAFFT and Clustal Omega are used when the system has them
(:func:`available_aligners`).  :func:`column_disagreement` says, per column
of one alignment, how many of its aligned residue pairs another alignment of
the same sequences does not share: where aligners disagree, the alignment is
least trustworthy, and that is where puzzles are worth cutting
(:func:`untrusted_columns`).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from games.scheme import GAP

if TYPE_CHECKING:
    from games.puzzles import Source

#: Aligners by name; "famsa" is built in, the others are programs on the PATH.
ALIGNERS = ("famsa", "mafft", "clustalo")


class AlignerError(ValueError):
    pass


def available_aligners() -> list[str]:
    return ["famsa"] + [name for name in ALIGNERS[1:] if shutil.which(name)]


def read_unaligned(path: str | Path, fmt: str = "fasta") -> tuple[list[str], list[str]]:
    """Names and residues (gaps removed, upper case) of the sequences in ``path``."""
    if fmt != "fasta":
        from Bio import SeqIO

        with open(path, encoding="latin-1") as handle:
            text = "".join(f">{r.id}\n{r.seq}\n" for r in SeqIO.parse(handle, fmt))
    else:
        text = Path(path).read_text(encoding="latin-1")
    from games.sequence_input import SequenceInputError, parse_fasta

    try:
        parsed = parse_fasta(text)
    except SequenceInputError as error:
        raise AlignerError(f"{Path(path).name}: {error}") from None
    return parsed.names, parsed.residues


def align(
    names: Sequence[str],
    sequences: Sequence[str],
    aligner: str = "famsa",
    *,
    threads: int = 1,
    guide_tree: str | None = None,
) -> Source:
    """The alignment ``aligner`` makes of ``sequences``, rows in the input
    order; ``guide_tree`` (Newick, leaves named as ``names``) is given to
    Clustal Omega, the one aligner here that reads a Newick guide tree."""
    if aligner not in ALIGNERS:
        raise AlignerError(f"unknown aligner {aligner!r}; expected one of {', '.join(ALIGNERS)}")
    if guide_tree and aligner != "clustalo":
        raise AlignerError("only clustalo takes a guide tree here; choose it or leave the tree out")
    if aligner == "famsa":
        rows = _famsa(names, sequences, threads)
    else:
        if shutil.which(aligner) is None:
            raise AlignerError(f"{aligner} is not installed here; try famsa")
        rows = _program(aligner, names, sequences, threads, guide_tree)
    for name, row, sequence in zip(names, rows, sequences, strict=True):
        if row.replace(GAP, "") != sequence:
            raise AlignerError(f"{aligner} changed the residues of {name!r}")
    # Imported here: the puzzles module loads numba, which `portal align score` need not pay.
    from games.puzzles import source_from_rows

    return source_from_rows(list(names), rows)


def _famsa(names: Sequence[str], sequences: Sequence[str], threads: int) -> list[str]:
    from pyfamsa import Aligner
    from pyfamsa import Sequence as FamsaSequence

    batch = [
        FamsaSequence(f"s{i}".encode(), sequence.encode()) for i, sequence in enumerate(sequences)
    ]
    result = Aligner(threads=threads).align(batch)
    by_id = {record.id.decode(): record.sequence.decode() for record in result}
    return [by_id[f"s{i}"] for i in range(len(names))]


def _neutral_tree(newick: str, names: Sequence[str]) -> str:
    """``newick`` with each leaf renamed to the neutral id its sequence is given."""
    import io

    from Bio import Phylo

    tree = Phylo.read(io.StringIO(newick), "newick")
    ids = {name: f"s{i}" for i, name in enumerate(names)}
    for leaf in tree.get_terminals():
        leaf.name = ids[leaf.name]
    out = io.StringIO()
    Phylo.write(tree, out, "newick")
    return out.getvalue()


def _program(
    aligner: str,
    names: Sequence[str],
    sequences: Sequence[str],
    threads: int,
    guide_tree: str | None = None,
) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.fasta"
        # Neutral ids: some aligners rewrite names with spaces or odd characters.
        path.write_text("".join(f">s{i}\n{seq}\n" for i, seq in enumerate(sequences)))
        if aligner == "mafft":
            command = ["mafft", "--auto", "--quiet", "--thread", str(threads), str(path)]
        else:
            command = ["clustalo", "-i", str(path), "--threads", str(threads)]
            if guide_tree:
                tree_path = Path(folder) / "guide.dnd"
                tree_path.write_text(_neutral_tree(guide_tree, names))
                command += ["--guidetree-in", str(tree_path)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AlignerError(f"{aligner} failed: {done.stderr.strip()[:300]}")
    rows: dict[str, list[str]] = {}
    current = ""
    for line in done.stdout.splitlines():
        if line.startswith(">"):
            current = line[1:].split()[0]
            rows[current] = []
        elif current:
            rows[current].append(line.strip())
    return ["".join(rows[f"s{i}"]).upper() for i in range(len(names))]


def _residue_columns(rows: Sequence[str]) -> list[list[int]]:
    """Per row, the column of each residue."""
    return [[c for c, letter in enumerate(row) if letter != GAP] for row in rows]


def column_disagreement(rows: Sequence[str], other: Sequence[str]) -> np.ndarray:
    """Per column of ``rows``: the share of its aligned residue pairs that
    ``other`` (the same sequences, aligned otherwise) does not align; 0 for
    columns with fewer than two residues."""
    mine = _residue_columns(rows)
    theirs = _residue_columns(other)
    if [len(c) for c in mine] != [len(c) for c in theirs]:
        raise AlignerError("the two alignments do not hold the same sequences")
    # For each column of ``rows``, group its residues by their column in ``other``.
    width = len(rows[0])
    groups: list[Counter[int]] = [Counter() for _ in range(width)]
    for columns_mine, columns_theirs in zip(mine, theirs, strict=True):
        for c, d in zip(columns_mine, columns_theirs, strict=True):
            groups[c][d] += 1
    out = np.zeros(width)
    for c, counter in enumerate(groups):
        n = sum(counter.values())
        pairs = n * (n - 1) / 2
        if pairs:
            shared = sum(k * (k - 1) / 2 for k in counter.values())
            out[c] = 1 - shared / pairs
    return out


def untrusted_columns(rows: Sequence[str], others: Sequence[Sequence[str]] = ()) -> np.ndarray:
    """How little to trust each column: :func:`games.puzzles.column_badness`
    (gaps and non-conservation) plus, averaged over ``others``, twice the
    share of its residue pairs that the other alignments do not share."""
    from games.puzzles import column_badness

    badness = column_badness(rows)
    if others:
        disagreement = np.mean([column_disagreement(rows, other) for other in others], axis=0)
        badness = badness + 2 * disagreement
    return badness


def project_window(
    rows: Sequence[str],
    other: Sequence[str],
    start: int,
    end: int,
    row_indices: Sequence[int],
) -> list[str]:
    """How ``other`` (the same sequences, aligned otherwise) lays out the
    residues that the rows ``row_indices`` of ``rows`` hold in columns
    [start, end): one row per index, over the columns of ``other`` that hold
    any of them (letters taken from ``rows``).  It is a layout of the same
    window, so it can be spliced back like a player's solution."""
    mine = _residue_columns(rows)
    theirs = _residue_columns(other)
    spans = []
    for r in row_indices:
        if len(mine[r]) != len(theirs[r]):
            raise AlignerError(f"row {r + 1}: the two alignments hold different sequences")
        spans.append((bisect_left(mine[r], start), bisect_left(mine[r], end)))
    used = sorted(
        {theirs[r][k] for r, (a, b) in zip(row_indices, spans, strict=True) for k in range(a, b)}
    )
    index = {c: i for i, c in enumerate(used)}
    out = []
    for r, (a, b) in zip(row_indices, spans, strict=True):
        line = [GAP] * max(1, len(used))
        for k in range(a, b):
            line[index[theirs[r][k]]] = rows[r][mine[r][k]]
        out.append("".join(line))
    return out


def shared_pairs(rows: Sequence[str], others: Sequence[Sequence[str]]) -> int:
    """How many aligned residue pairs of ``rows`` the ``others`` also align,
    summed over them: agreement with independent aligners (as M-Coffee
    counts it), which needs no reference."""
    from games.accuracy import compare

    return sum(compare(rows, other).shared_pairs for other in others)


def confirmed_pairs(rows: Sequence[str], others: Sequence[Sequence[str]]) -> int:
    """How many aligned residue pairs of ``rows`` every one of ``others``
    aligns too: pairs on which independent aligners all agree, which are far
    more often right than those only one of them makes."""
    mine = _residue_columns(rows)
    theirs = [_residue_columns(other) for other in others]
    for other in theirs:
        if [len(c) for c in mine] != [len(c) for c in other]:
            raise AlignerError("the alignments do not hold the same sequences")
    groups: list[Counter[tuple[int, ...]]] = [Counter() for _ in range(len(rows[0]))]
    for r, columns in enumerate(mine):
        for k, c in enumerate(columns):
            groups[c][tuple(other[r][k] for other in theirs)] += 1
    return sum(n * (n - 1) // 2 for counter in groups for n in counter.values())
