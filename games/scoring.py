"""Sum-of-pairs scores of multiple sequence alignments.

The score of an alignment is the sum, over every pair of rows, of the score of
that pair read as a pairwise alignment: columns where both rows have a gap are
dropped, every aligned pair of letters adds its substitution score, and every
gap adds an *open* score for its first position and an *extend* score for each
further one.  A gap before the first letter of its row is a *left* end gap,
one after the last letter a *right* end gap, any other an *internal* gap, and
each kind has its own open and extend scores.  Within a pair (i, j) with i < j,
row i plays Biopython's "target" and row j its "query": a gap in row i is an
*insertion*, a gap in row j a *deletion*, and a substitution is scored as
``S[letter_i, letter_j]``.  Optional per-row weights multiply the score of pair
(i, j) by ``w_i * w_j``.

This is what ``Bio.Align.Alignment.counts(aligner).score`` is documented to
compute, and for two rows it does.  For three or more rows Biopython 1.88 keeps
the gap state of one pair when it starts the next, so a pair that *begins* with
a left end gap may have it scored as an extension (see
``tests/games/test_biopython_parity.py``); this module scores every pair on
its own.

The scheme is a :class:`~games.scheme.ScoringScheme`; the alignment is turned
into codes by :mod:`games.encoding`, and the numba kernels of the
``games._kernels`` package add up the score without visiting every pair (its
modules' docstrings give the algorithms; ``tests/games/naive.py`` is the
definition above written out, which they are tested against).

Public API: :func:`score_alignment`, :func:`score_batch`, :func:`warmup`.
Errors are :class:`~games.scheme.ScoringError`; rows in their messages are
numbered from 1.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from Bio.Align import Alignment

from games import _small
from games.encoding import compile_scheme, encode_rows
from games.scheme import ScoringError, ScoringScheme

__all__ = ["score_alignment", "score_batch", "warmup"]


def _load_kernels() -> Any:
    # Imported on first use: numba and its compiled kernels cost a second, which a
    # command scoring one small file should not pay (see games/_small.py).
    from games import _kernels

    return _kernels


def _weights(weights: Any, n_rows: int) -> tuple[np.ndarray, bool]:
    if weights is None:
        return np.ones(n_rows, dtype=np.float64), True
    try:
        values = np.array(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise ScoringError("weights must be numbers") from None
    if values.shape != (n_rows,):
        raise ScoringError(
            f"expected one weight per row ({n_rows}), got an array of shape {values.shape}"
        )
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.argmin(finite))
        raise ScoringError(f"the weight of row {row + 1} is not finite", row=row + 1)
    return np.ascontiguousarray(values), bool((values == 1.0).all())


def _score_codes(
    codes: np.ndarray,
    scheme: ScoringScheme,
    weights: Any = None,
    *,
    gap_method: str = "auto",
    substitution_method: str = "auto",
    tile_columns: int = 0,
) -> float:
    """Scores encoded rows.  The method overrides exist so that tests can run
    every kernel on every input, not just the one ``auto`` picks, and a small
    ``tile_columns`` (the kernel reads that many columns at a time) so that
    they cross tile boundaries on small alignments."""
    compiled = compile_scheme(scheme)
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    values, unit = _weights(weights, codes.shape[0])
    symmetric_gaps = {"auto": compiled.symmetric_gaps, "symmetric": True, "directional": False}[
        gap_method
    ]
    symmetric_table = {"auto": compiled.symmetric_table, "symmetric": True, "ordered": False}[
        substitution_method
    ]
    if symmetric_gaps and not compiled.symmetric_gaps:
        raise ValueError("the symmetric gap kernel needs equal insertion and deletion scores")
    if symmetric_table and not compiled.symmetric_table:
        raise ValueError("the symmetric substitution kernel needs a symmetric matrix")
    if (
        gap_method == substitution_method == "auto"
        and tile_columns == 0
        and _small.use_small(*codes.shape)
    ):
        return _small.score_codes(codes, compiled.table, values, compiled.gaps)
    _kernels = _load_kernels()
    return float(
        _kernels.score_codes(
            codes,
            compiled.table,
            values,
            compiled.gaps,
            symmetric_gaps,
            symmetric_table,
            unit,
            tile_columns,
        )
    )


def score_alignment(
    alignment: Alignment | Iterable[str],
    scheme: ScoringScheme,
    weights: Sequence[float] | np.ndarray | None = None,
) -> float:
    """The sum-of-pairs score of ``alignment`` under ``scheme``.

    ``alignment`` is a ``Bio.Align.Alignment`` (or a ``MultipleSeqAlignment``)
    or a list of equally long strings with ``-`` for gaps.  ``weights``, one
    per row, multiply the score of pair (i, j) by ``weights[i] * weights[j]``.
    Raises :class:`ScoringError` for an empty alignment, rows of unequal
    length, or a letter the scheme cannot score.
    """
    codes = encode_rows(alignment, scheme)
    return _score_codes(codes, scheme, weights)


_BATCH_LOCK = threading.Lock()


def score_batch(
    solutions: np.ndarray,
    scheme: ScoringScheme,
    weights: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """Scores of many same-shaped alignments at once.

    ``solutions`` is a uint8 array of shape (solutions, rows, columns) as made
    by :func:`encode_batch` with the same ``scheme``.  Returns float64 scores,
    one per solution, equal to :func:`score_alignment` on each.  Uses all of
    numba's threads; results do not depend on their number.
    """
    array = np.asarray(solutions)
    if array.dtype != np.uint8 or array.ndim != 3:
        raise ScoringError(
            "solutions must be a uint8 array of shape (solutions, rows, columns)"
            f" from encode_batch, not {array.dtype} with shape {array.shape}"
        )
    n_batch, n_rows, n_cols = array.shape
    if n_batch == 0:
        return np.zeros(0, dtype=np.float64)
    if n_rows == 0 or n_cols == 0:
        raise ScoringError("the solutions are empty: they have no rows or no columns")
    compiled = compile_scheme(scheme)
    size = compiled.table.shape[0]
    array = np.ascontiguousarray(array)
    if size <= 255 and int(array.max()) >= size:
        solution, row, column = (int(v) for v in np.argwhere(array >= size)[0])
        raise ScoringError(
            f"solution {solution + 1}, row {row + 1}, column {column + 1}: code"
            f" {int(array[solution, row, column])} is not a letter of this scheme"
            " (were the codes made with another scheme?)",
            row=row + 1,
            column=column + 1,
        )
    values, unit = _weights(weights, n_rows)
    out = np.empty(n_batch, dtype=np.float64)
    # Numba's fallback "workqueue" threading layer aborts on concurrent
    # parallel calls; a server answering requests on several threads must
    # therefore not enter the parallel kernel twice at once.
    import numba

    _kernels = _load_kernels()
    with _BATCH_LOCK:
        _kernels.score_batch_codes(
            array,
            compiled.table,
            values,
            compiled.gaps,
            compiled.symmetric_gaps,
            compiled.symmetric_table,
            unit,
            8 * numba.get_num_threads(),
            out,
        )
    return out


def warmup(*, parallel: bool = True) -> None:
    """Compiles the kernels, or loads them from numba's on-disk cache, so
    that the first request does not pay for it (~0.3 s with the cache, ~10 s
    without).  Call it at start-up, e.g. from ``portal warmup``.

    In a process that forks workers afterwards (a pre-forking server that
    loads the app first), pass ``parallel=False``: loading the parallel
    batch kernel starts numba's OpenMP layer, and numba terminates forked
    children that then use it.  Each worker can call ``warmup()`` itself.
    """
    _load_kernels().compile_all(parallel=parallel)
