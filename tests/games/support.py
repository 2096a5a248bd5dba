"""Helpers shared by the games tests."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import numba
from Bio.Align import Alignment

from games.scheme import GAP_SCORE_FIELDS, ScoringScheme

DATA = Path(__file__).resolve().parents[2] / "games" / "data"


def examples(count: int) -> int:
    """Hypothesis examples for a kernel test: ``count``, or a third of it when
    NUMBA_DISABLE_JIT=1 runs the kernels as plain Python (scripts/run-tests.sh
    does so once, so that their lines run as Python), which is far slower."""
    return max(count // 3, 10) if numba.config.DISABLE_JIT else count


def shuffled_gaps(rows: Sequence[str], rng: random.Random, slack: int) -> list[str]:
    """The same sequences as ``rows``, gaps put elsewhere at random, in rows
    0 to ``slack`` columns wider than the longest sequence."""
    sequences = [row.replace("-", "") for row in rows]
    width = max(len(s) for s in sequences) + rng.randint(0, slack)
    out = []
    for sequence in sequences:
        cols = sorted(rng.sample(range(width), len(sequence)))
        line = ["-"] * width
        for c, letter in zip(cols, sequence, strict=True):
            line[c] = letter
        out.append("".join(line))
    return out


def to_alignment(rows: Sequence[str]) -> Alignment:
    """A Bio.Align.Alignment of gapped rows (sequences kept as str, so that
    Biopython compares Latin-1 letters by code point, as we do)."""
    sequences, coordinates = Alignment.parse_printed_alignment(
        [row.encode("latin-1") for row in rows]
    )
    return Alignment([sequence.decode("latin-1") for sequence in sequences], coordinates)


def biopython_pairwise_sum(rows: Sequence[str], scheme: ScoringScheme) -> float:
    """The sum-of-pairs score from Biopython alone: ``counts(aligner).score``
    of every two-row alignment, added up."""
    aligner = scheme.to_aligner()
    return sum(
        to_alignment([rows[i], rows[j]]).counts(aligner).score
        for i in range(len(rows))
        for j in range(i + 1, len(rows))
    )


def tolerance(rows: Sequence[str], scheme: ScoringScheme, weights=None) -> float:
    """An absolute bound for floating-point rounding: a small multiple of the
    largest total the terms of the sum could reach."""
    values = [abs(getattr(scheme, name)) for name in GAP_SCORE_FIELDS]
    values += [abs(scheme.match_score), abs(scheme.mismatch_score)]
    if scheme.matrix is not None:
        values += [abs(v) for row in scheme.matrix for v in row]
    weight = max([1.0] + [abs(w) for w in (weights or [])])
    pairs = len(rows) * (len(rows) - 1) / 2
    return 1e-10 * (pairs * len(rows[0]) * max(values + [1.0]) * weight * weight + 1.0)


def assert_close(actual: float, expected: float, rows, scheme, weights=None) -> None:
    bound = tolerance(rows, scheme, weights)
    assert abs(actual - expected) <= bound, f"{actual} != {expected} (tolerance {bound})"
