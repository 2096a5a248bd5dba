"""Scoring schemes: how letters and gaps score in a sum-of-pairs score.

A :class:`ScoringScheme` holds what a ``Bio.Align.PairwiseAligner`` holds for
scoring: a substitution matrix (one of ``Bio.Align.substitution_matrices``,
or any square table over single-byte letters) or a match and a mismatch
score, an optional wildcard, and twelve gap scores, an *open* and an
*extend* score for each of *left* end, *internal* and *right* end gaps in
each of the two directions (*insertion*: a gap in the earlier row of a pair,
Biopython's "target"; *deletion*: a gap in the later row, its "query").
Schemes are built like aligners (:meth:`ScoringScheme.create`, Biopython's
presets, :meth:`ScoringScheme.from_aligner`) and turn back into one
(:meth:`ScoringScheme.to_aligner`), so Biopython can check every score.

Public API: :class:`ScoringScheme`, :class:`ScoringError`,
:data:`GAP_SCORE_FIELDS`, :data:`PRESETS`.  ``-`` is the only gap character.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from Bio.Align import PairwiseAligner, substitution_matrices

__all__ = [
    "GAP_SCORE_FIELDS",
    "PRESETS",
    "ScoringError",
    "ScoringScheme",
]

#: The gap character, the only one.
GAP = "-"

#: The twelve gap scores, named as ``Bio.Align.PairwiseAligner`` names them.
GAP_SCORE_FIELDS = tuple(
    f"{kind}_{position}_{direction}_score"
    for direction in ("insertion", "deletion")
    for position in ("left", "internal", "right")
    for kind in ("open", "extend")
)

#: Names accepted by :meth:`ScoringScheme.preset`; the first three are Biopython's.
PRESETS = ("blastn", "megablast", "blastp", "puzzle-dna")
_BIOPYTHON_PRESET_MATRICES = {"blastn": "BLASTN", "megablast": "MEGABLAST", "blastp": "BLASTP"}

# Letters become uint8 codes and code 0 is the gap.
_MAX_MATRIX_LETTERS = 255


class ScoringError(ValueError):
    """Raised for input that cannot be scored.  ``row``, ``column`` (1-based)
    and ``letter`` locate the problem when it has a location."""

    def __init__(
        self,
        message: str,
        *,
        row: int | None = None,
        column: int | None = None,
        letter: str | None = None,
    ) -> None:
        super().__init__(message)
        self.row = row
        self.column = column
        self.letter = letter


def _finite(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ScoringError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        # Biopython accepts -inf to forbid gaps while aligning, but then scores
        # 0 * -inf = nan for alignments without such gaps; refuse it up front.
        raise ScoringError(f"{name} must be finite, not {value!r}")
    return number


def _load_matrix(name: str) -> substitution_matrices.Array:
    available = substitution_matrices.load()
    if name not in available:
        raise ScoringError(
            f"unknown substitution matrix {name!r}; available: {', '.join(available)}"
        )
    array: substitution_matrices.Array = substitution_matrices.load(name)
    return array


def _matrix_fields(array: Any, what: str) -> tuple[str, tuple[tuple[float, ...], ...]]:
    """(alphabet, values) of a Biopython substitution matrix, checked."""
    alphabet = getattr(array, "alphabet", None)
    if alphabet is None:
        raise ScoringError(f"{what} has no alphabet; use a Bio.Align.substitution_matrices.Array")
    letters = list(alphabet)
    if not all(isinstance(letter, str) and len(letter) == 1 for letter in letters):
        raise ScoringError(
            f"{what} has an alphabet of multi-letter symbols; only single letters can be scored"
        )
    values = np.asarray(array, dtype=np.float64)
    return "".join(letters), tuple(tuple(float(v) for v in row) for row in values)


def _check_matrix(alphabet: str, matrix: Any) -> tuple[str, tuple[tuple[float, ...], ...]]:
    if not isinstance(alphabet, str):
        alphabet = "".join(alphabet)
    if len(set(alphabet)) != len(alphabet):
        raise ScoringError(f"the matrix alphabet {alphabet!r} repeats a letter")
    if GAP in alphabet:
        raise ScoringError(f"the matrix alphabet may not contain the gap character {GAP!r}")
    for letter in alphabet:
        if ord(letter) > 255 or ord(letter) == 0:
            raise ScoringError(f"matrix letter {letter!r} is not a single-byte character")
    if not alphabet or len(alphabet) > _MAX_MATRIX_LETTERS:
        raise ScoringError(f"the matrix alphabet must have 1 to {_MAX_MATRIX_LETTERS} letters")
    try:
        values = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise ScoringError("the substitution matrix must hold numbers") from None
    size = len(alphabet)
    if values.shape != (size, size):
        raise ScoringError(
            f"the substitution matrix has shape {values.shape}, expected ({size}, {size})"
            f" for the alphabet {alphabet!r}"
        )
    if not np.isfinite(values).all():
        raise ScoringError("the substitution matrix holds a value that is not finite")
    return alphabet, tuple(tuple(float(v) for v in row) for row in values)


@functools.lru_cache(maxsize=1)
def _named_matrices() -> dict[tuple[str, tuple[tuple[float, ...], ...]], str]:
    known: dict[tuple[str, tuple[tuple[float, ...], ...]], str] = {}
    for name in substitution_matrices.load():
        try:
            key = _matrix_fields(substitution_matrices.load(name), name)
        except ScoringError:
            continue  # codon matrices and the like
        known.setdefault(key, name)
    return known


@dataclass(frozen=True)
class ScoringScheme:
    """How letters and gaps are scored.

    Either a substitution matrix (``matrix_name`` for one of
    ``Bio.Align.substitution_matrices.load()``, or ``alphabet`` plus
    ``matrix`` values for any other) or ``match_score``/``mismatch_score``.
    With a matrix, letters are looked up case-sensitively and a letter outside
    its alphabet is an error, as in Biopython; with match/mismatch, letters
    are compared exactly (``a`` != ``A``), pairs involving ``wildcard`` score
    0, and any single-byte letter is allowed.  The defaults are those of
    ``Bio.Align.PairwiseAligner()``.  Build schemes with :meth:`create`,
    :meth:`preset`, :meth:`puzzle_dna` or :meth:`from_aligner`.
    """

    matrix_name: str | None = None
    alphabet: str | None = None
    matrix: tuple[tuple[float, ...], ...] | None = None
    match_score: float = 1.0
    mismatch_score: float = 0.0
    wildcard: str | None = None
    open_left_insertion_score: float = -1.0
    extend_left_insertion_score: float = -1.0
    open_internal_insertion_score: float = -1.0
    extend_internal_insertion_score: float = -1.0
    open_right_insertion_score: float = -1.0
    extend_right_insertion_score: float = -1.0
    open_left_deletion_score: float = -1.0
    extend_left_deletion_score: float = -1.0
    open_internal_deletion_score: float = -1.0
    extend_internal_deletion_score: float = -1.0
    open_right_deletion_score: float = -1.0
    extend_right_deletion_score: float = -1.0

    def __post_init__(self) -> None:
        set_ = functools.partial(object.__setattr__, self)
        alphabet, values = self.alphabet, self.matrix
        if values is None and self.matrix_name is not None:
            alphabet, values = _matrix_fields(
                _load_matrix(self.matrix_name), f"substitution matrix {self.matrix_name!r}"
            )
        elif values is None and alphabet is not None:
            raise ScoringError("an alphabet is only used together with a substitution matrix")
        if values is not None:
            if alphabet is None:
                raise ScoringError("a substitution matrix needs its alphabet")
            alphabet, values = _check_matrix(alphabet, values)
            set_("alphabet", alphabet)
            set_("matrix", values)
        for name in ("match_score", "mismatch_score", *GAP_SCORE_FIELDS):
            set_(name, _finite(name, getattr(self, name)))
        if self.wildcard is not None and (
            not isinstance(self.wildcard, str)
            or len(self.wildcard) != 1
            or self.wildcard == GAP
            or not 0 < ord(self.wildcard) < 256
        ):
            raise ScoringError(
                f"wildcard must be a single-byte letter other than {GAP!r}, not {self.wildcard!r}"
            )

    # -- constructors -------------------------------------------------------

    @classmethod
    def create(
        cls,
        scoring: str | None = None,
        *,
        matrix: str | None = None,
        match_score: float | None = None,
        mismatch_score: float | None = None,
        wildcard: str | None = None,
        open_gap_score: float | None = None,
        extend_gap_score: float | None = None,
        end_open_gap_score: float | None = None,
        end_extend_gap_score: float | None = None,
        **gap_scores: float,
    ) -> ScoringScheme:
        """A scheme built the way ``PairwiseAligner(scoring, **attributes)`` is.

        Starts from ``preset(scoring)`` (or Biopython's defaults when
        ``scoring`` is None), then applies, in this order: ``matrix`` *or*
        ``match_score``/``mismatch_score``; ``open_gap_score`` and
        ``extend_gap_score`` (all gaps); ``end_open_gap_score`` and
        ``end_extend_gap_score`` (left and right end gaps); then any of the
        twelve :data:`GAP_SCORE_FIELDS` given by name.
        """
        base = cls.preset(scoring) if scoring is not None else cls()
        changes: dict[str, Any] = {}
        if matrix is not None and (match_score is not None or mismatch_score is not None):
            raise ScoringError("give either a substitution matrix or match/mismatch scores")
        if matrix is not None:
            changes.update(matrix_name=matrix, alphabet=None, matrix=None)
        elif match_score is not None or mismatch_score is not None:
            changes.update(matrix_name=None, alphabet=None, matrix=None)
            if match_score is not None:
                changes["match_score"] = match_score
            if mismatch_score is not None:
                changes["mismatch_score"] = mismatch_score
        if wildcard is not None:
            changes["wildcard"] = wildcard
        for value, kinds, positions in (
            (open_gap_score, ("open",), ("left", "internal", "right")),
            (extend_gap_score, ("extend",), ("left", "internal", "right")),
            (end_open_gap_score, ("open",), ("left", "right")),
            (end_extend_gap_score, ("extend",), ("left", "right")),
        ):
            if value is None:
                continue
            for kind in kinds:
                for position in positions:
                    for direction in ("insertion", "deletion"):
                        changes[f"{kind}_{position}_{direction}_score"] = value
        for name, value in gap_scores.items():
            if name not in GAP_SCORE_FIELDS:
                raise ScoringError(
                    f"unknown gap score {name!r}; expected one of {', '.join(GAP_SCORE_FIELDS)}"
                )
            changes[name] = value
        return dataclasses.replace(base, **changes)

    @classmethod
    def preset(cls, name: str) -> ScoringScheme:
        """Biopython's ``PairwiseAligner(scoring=name)`` for "blastn",
        "megablast" and "blastp"; :meth:`puzzle_dna` for "puzzle-dna"."""
        if name == "puzzle-dna":
            return cls.puzzle_dna()
        if name not in _BIOPYTHON_PRESET_MATRICES:
            raise ScoringError(
                f"unknown scoring preset {name!r}; expected one of {', '.join(PRESETS)}"
            )
        scheme = cls._from_aligner(PairwiseAligner(scoring=name), identify_matrix=False)
        return dataclasses.replace(scheme, matrix_name=_BIOPYTHON_PRESET_MATRICES[name])

    @classmethod
    def puzzle_dna(cls) -> ScoringScheme:
        """The game's nucleotide scheme: match +1, mismatch -1, gap open -4
        (the first gap position), gap extension -1, and free end gaps.  The
        same as ``PairwiseAligner(match_score=1, mismatch_score=-1,
        open_gap_score=-4, extend_gap_score=-1, end_gap_score=0)``."""
        return cls.create(
            match_score=1.0,
            mismatch_score=-1.0,
            open_gap_score=-4.0,
            extend_gap_score=-1.0,
            end_open_gap_score=0.0,
            end_extend_gap_score=0.0,
        )

    @classmethod
    def from_aligner(cls, aligner: PairwiseAligner) -> ScoringScheme:
        """The scheme of a ``Bio.Align.PairwiseAligner`` (its mode is ignored:
        scoring a given alignment does not depend on it).  Gap score functions
        and matrices without a single-letter alphabet are refused."""
        return cls._from_aligner(aligner, identify_matrix=True)

    @classmethod
    def _from_aligner(cls, aligner: PairwiseAligner, *, identify_matrix: bool) -> ScoringScheme:
        if not isinstance(aligner, PairwiseAligner):
            raise ScoringError(
                f"expected a Bio.Align.PairwiseAligner, not {type(aligner).__name__}"
            )
        try:
            fields: dict[str, Any] = {name: getattr(aligner, name) for name in GAP_SCORE_FIELDS}
        except ValueError as exc:  # Biopython: "using a gap score function"
            raise ScoringError(
                f"the aligner's gap scores cannot be used for scoring ({exc})"
            ) from None
        array = aligner.substitution_matrix
        if array is None:
            fields.update(match_score=aligner.match_score, mismatch_score=aligner.mismatch_score)
        else:
            alphabet, values = _matrix_fields(array, "the aligner's substitution matrix")
            fields.update(alphabet=alphabet, matrix=values)
            if identify_matrix:
                fields["matrix_name"] = _named_matrices().get((alphabet, values))
        fields["wildcard"] = aligner.wildcard
        return cls(**fields)

    # -- conversions ----------------------------------------------------------

    def to_aligner(self) -> PairwiseAligner:
        """A global ``PairwiseAligner`` that scores exactly like this scheme."""
        aligner = PairwiseAligner()
        if self.matrix is not None:
            aligner.substitution_matrix = substitution_matrices.Array(
                self.alphabet, dims=2, data=np.array(self.matrix, dtype=np.float64)
            )
        else:
            aligner.match_score = self.match_score
            aligner.mismatch_score = self.mismatch_score
        aligner.wildcard = self.wildcard
        for name in GAP_SCORE_FIELDS:
            setattr(aligner, name, getattr(self, name))
        return aligner

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (what the CLI prints as "scheme")."""
        description: dict[str, Any] = {}
        if self.matrix is not None:
            description["matrix"] = self.matrix_name or "custom"
            description["alphabet"] = self.alphabet
            if self.matrix_name is None:
                description["matrix_values"] = [list(row) for row in self.matrix]
        else:
            description["matrix"] = None
            description["match_score"] = self.match_score
            description["mismatch_score"] = self.mismatch_score
        description["wildcard"] = self.wildcard
        for name in GAP_SCORE_FIELDS:
            description[name] = getattr(self, name)
        return description

    @property
    def symmetric_gaps(self) -> bool:
        """True when insertions and deletions are scored alike (then the row
        order of an alignment does not change its score)."""
        return all(
            getattr(self, name) == getattr(self, name.replace("insertion", "deletion"))
            for name in GAP_SCORE_FIELDS[:6]
        )
