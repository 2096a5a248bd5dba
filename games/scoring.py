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

Public API: :class:`ScoringScheme`, :func:`score_alignment`,
:func:`score_batch`, :func:`encode_rows`, :func:`encode_batch`,
:func:`warmup`, :class:`ScoringError`, :data:`GAP_CODE`.  Rows and columns in
error messages are numbered from 1.  ``-`` is the only gap character.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numba
import numpy as np
from Bio.Align import Alignment, MultipleSeqAlignment, PairwiseAligner, substitution_matrices
from Bio.Seq import reverse_complement

from games import _kernels

__all__ = [
    "GAP_CODE",
    "GAP_SCORE_FIELDS",
    "PRESETS",
    "ScoringError",
    "ScoringScheme",
    "encode_batch",
    "encode_rows",
    "score_alignment",
    "score_batch",
    "warmup",
]

GAP = "-"
#: The code of a gap in the arrays made by :func:`encode_rows` / :func:`encode_batch`.
GAP_CODE = 0

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
    return substitution_matrices.load(name)


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


class _Compiled(NamedTuple):
    lut: np.ndarray  # int16[256]: byte -> code, -1 for letters the scheme cannot score
    table: np.ndarray  # float64 (D, D), indexed by codes
    gaps: np.ndarray  # float64 (2, 3, 2), see games/_kernels.py
    symmetric_table: bool
    symmetric_gaps: bool


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


def _compiled(scheme: ScoringScheme) -> _Compiled:
    if not isinstance(scheme, ScoringScheme):
        raise ScoringError(f"expected a ScoringScheme, not {type(scheme).__name__}")
    # Cached on the (immutable) scheme: hashing a 24x24 matrix on every call
    # would cost more than scoring a small alignment.
    cached = scheme.__dict__.get("_compiled")
    if cached is not None:
        return cached
    lut = np.full(256, -1, dtype=np.int16)
    if scheme.matrix is not None:
        size = len(scheme.alphabet) + 1
        table = np.zeros((size, size), dtype=np.float64)
        table[1:, 1:] = np.array(scheme.matrix, dtype=np.float64)
        for code, letter in enumerate(scheme.alphabet, start=1):
            lut[ord(letter)] = code
    else:
        # Match/mismatch schemes accept any byte as a letter, so the codes are
        # the bytes themselves; NUL is excluded because code 0 is the gap.
        table = np.full((256, 256), scheme.mismatch_score, dtype=np.float64)
        np.fill_diagonal(table, scheme.match_score)
        if scheme.wildcard is not None:
            table[ord(scheme.wildcard), :] = 0.0
            table[:, ord(scheme.wildcard)] = 0.0
        table[0, :] = 0.0
        table[:, 0] = 0.0
        lut[1:] = np.arange(1, 256, dtype=np.int16)
    lut[ord(GAP)] = GAP_CODE
    gaps = np.array([getattr(scheme, name) for name in GAP_SCORE_FIELDS], dtype=np.float64).reshape(
        2, 3, 2
    )
    compiled = _Compiled(
        lut=lut,
        table=np.ascontiguousarray(table),
        gaps=np.ascontiguousarray(gaps),
        symmetric_table=bool(np.array_equal(table, table.T)),
        symmetric_gaps=scheme.symmetric_gaps,
    )
    object.__setattr__(scheme, "_compiled", compiled)
    return compiled


# -- turning input into codes ---------------------------------------------------


def _where(row: int, column: int | None, names: Sequence[str | None] | None) -> str:
    label = f"row {row + 1}"
    if names is not None and names[row]:
        label += f" ({names[row]!r})"
    if column is not None:
        label += f", column {column + 1}"
    return label


def _text_rows(rows: Any) -> tuple[list[str], list[str | None] | None]:
    if isinstance(rows, (str, bytes)):
        raise ScoringError("expected a list of gapped rows, not a single string")
    if isinstance(rows, MultipleSeqAlignment):
        return [str(record.seq) for record in rows], [record.id for record in rows]
    try:
        items = list(rows)
    except TypeError:
        raise ScoringError(
            f"expected a Bio.Align.Alignment or a list of gapped strings, not {type(rows).__name__}"
        ) from None
    texts: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, (bytes, bytearray)):
            texts.append(bytes(item).decode("latin-1"))
        else:
            raise ScoringError(
                f"row {index + 1} is a {type(item).__name__}; rows must be strings",
                row=index + 1,
            )
    return texts, None


def _raw_from_texts(texts: list[str], names: Sequence[str | None] | None) -> np.ndarray:
    if not texts:
        raise ScoringError("the alignment is empty: it has no rows")
    length = len(texts[0])
    for index, text in enumerate(texts):
        if len(text) != length:
            raise ScoringError(
                f"{_where(index, None, names)} has {len(text)} columns but row 1 has {length};"
                " all rows of an alignment must be equally long",
                row=index + 1,
            )
    if length == 0:
        raise ScoringError("the alignment is empty: its rows have no columns")
    joined = "".join(texts)
    try:
        data = joined.encode("latin-1")
    except UnicodeEncodeError as exc:
        row, column = divmod(exc.start, length)
        letter = joined[exc.start]
        raise ScoringError(
            f"{_where(row, column, names)}: letter {letter!r} is not a single-byte character",
            row=row + 1,
            column=column + 1,
            letter=letter,
        ) from None
    return np.frombuffer(data, dtype=np.uint8).reshape(len(texts), length)


def _sequence_bytes(
    sequence: Any, start: int, end: int, row: int, names: list[str | None]
) -> bytes:
    data = getattr(sequence, "seq", sequence)  # SeqRecord -> Seq
    try:
        whole = start == 0 and end == len(data)
        piece = data if whole else data[start:end]  # slicing a Seq copies it
        if isinstance(piece, str):
            return piece.encode("latin-1")
        return bytes(piece)
    except UnicodeEncodeError as exc:
        letter = piece[exc.start]
        raise ScoringError(
            f"{_where(row, None, names)}: letter {letter!r} is not a single-byte character",
            row=row + 1,
            letter=letter,
        ) from None
    except Exception as exc:  # e.g. UndefinedSequenceError for a Seq without content
        raise ScoringError(
            f"{_where(row, None, names)}: cannot read its letters ({exc})", row=row + 1
        ) from None


def _raw_from_alignment(alignment: Alignment) -> tuple[np.ndarray, list[str | None]]:
    """The gapped rows of a Bio.Align.Alignment as bytes, built from its
    coordinates (Biopython's own row formatting is far slower than scoring)."""
    sequences = list(alignment.sequences)
    names = [getattr(sequence, "id", None) for sequence in sequences]
    if not sequences:
        raise ScoringError("the alignment is empty: it has no rows")
    coordinates = np.ascontiguousarray(alignment.coordinates, dtype=np.int64)
    if coordinates.ndim != 2 or coordinates.shape[0] != len(sequences):
        raise ScoringError("the alignment's coordinates do not have one row per sequence")
    widths = np.zeros(max(coordinates.shape[1] - 1, 0), dtype=np.int64)
    directions = np.zeros(len(sequences), dtype=np.int64)
    uneven = _kernels.alignment_layout(coordinates, widths, directions)
    if uneven >= 0:
        raise ScoringError(
            f"{_where(uneven, None, names)}: its coordinates step by a different amount than"
            " another row's in the same block",
            row=uneven + 1,
        )
    length = int(widths.sum())
    if length == 0:
        raise ScoringError("the alignment is empty: its rows have no columns")
    pieces = []
    for row, sequence in enumerate(sequences):
        first, last = int(coordinates[row, 0]), int(coordinates[row, -1])
        if directions[row] == 2:
            raise ScoringError(
                f"{_where(row, None, names)}: its coordinates go both forwards and backwards",
                row=row + 1,
            )
        if directions[row] >= 0:
            piece = _sequence_bytes(sequence, first, last, row, names)
        else:
            # A row on the minus strand is shown, and scored, reverse-complemented.
            forward = _sequence_bytes(sequence, last, first, row, names).decode("latin-1")
            piece = reverse_complement(forward).encode("latin-1")
        if GAP.encode() in piece:
            raise ScoringError(
                f"{_where(row, None, names)}: its sequence contains {GAP!r}; in a"
                " Bio.Align.Alignment gaps come from the coordinates, not the sequence",
                row=row + 1,
                letter=GAP,
            )
        pieces.append(piece)
    offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum([len(piece) for piece in pieces], out=offsets[1:])
    letters = np.frombuffer(b"".join(pieces), dtype=np.uint8)
    raw = np.empty((len(sequences), length), dtype=np.uint8)
    _kernels.fill_rows(coordinates, widths, letters, offsets, np.uint8(ord(GAP)), raw)
    return raw, names


def _unknown_letter(
    scheme: ScoringScheme, letter: str, where: str, row: int, column: int
) -> ScoringError:
    if scheme.matrix is None:
        message = f"{where}: letter {letter!r} cannot be scored (NUL is not a letter)"
    else:
        label = scheme.matrix_name or "the custom substitution matrix"
        message = (
            f"{where}: letter {letter!r} is not in the alphabet of {label} ({scheme.alphabet})"
        )
        if letter != letter.upper() and letter.upper() in scheme.alphabet:
            message += "; letters are case-sensitive, as in Biopython"
    return ScoringError(message, row=row, column=column, letter=letter)


def _encode(
    raw: np.ndarray, scheme: ScoringScheme, names: Sequence[str | None] | None
) -> np.ndarray:
    compiled = _compiled(scheme)
    codes = compiled.lut[raw]
    if codes.min() < 0:
        bad = np.unravel_index(int(np.argmax(codes < 0)), codes.shape)
        letter = chr(int(raw[bad]))
        row, column = int(bad[-2]), int(bad[-1])
        where = _where(row, column, names)
        if codes.ndim == 3:
            where = f"solution {int(bad[0]) + 1}, {where}"
        raise _unknown_letter(scheme, letter, where, row + 1, column + 1)
    return codes.astype(np.uint8)


def encode_rows(alignment: Alignment | Iterable[str], scheme: ScoringScheme) -> np.ndarray:
    """The (rows, columns) uint8 codes of one alignment under ``scheme``
    (:data:`GAP_CODE` for gaps).  Codes are only meaningful to the scheme
    they were made with."""
    if isinstance(alignment, Alignment):
        raw, names = _raw_from_alignment(alignment)
    else:
        texts, names = _text_rows(alignment)
        raw = _raw_from_texts(texts, names)
    return _encode(raw, scheme, names)


def encode_batch(solutions: Iterable[Sequence[str]], scheme: ScoringScheme) -> np.ndarray:
    """The (solutions, rows, columns) uint8 codes of same-shaped alignments,
    each given as a list of gapped strings, for :func:`score_batch`."""
    solutions = [list(solution) for solution in solutions]
    if not solutions:
        return np.zeros((0, 0, 0), dtype=np.uint8)
    n_rows = len(solutions[0])
    for index, solution in enumerate(solutions):
        if len(solution) != n_rows:
            raise ScoringError(
                f"solution {index + 1} has {len(solution)} rows but solution 1 has {n_rows}"
            )
    if n_rows == 0:
        raise ScoringError("the solutions are empty: they have no rows")
    flat = [row for solution in solutions for row in solution]
    if not all(isinstance(row, str) for row in flat):
        raise ScoringError("the rows of every solution must be strings")
    length = len(flat[0])
    if any(len(row) != length for row in flat):
        position = next(k for k, row in enumerate(flat) if len(row) != length)
        solution, row = divmod(position, n_rows)
        raise ScoringError(
            f"solution {solution + 1}, row {row + 1} has {len(flat[position])} columns,"
            f" expected {length}",
            row=row + 1,
        )
    if length == 0:
        raise ScoringError("the solutions are empty: their rows have no columns")
    joined = "".join(flat)
    try:
        data = joined.encode("latin-1")
    except UnicodeEncodeError as exc:
        position, column = divmod(exc.start, length)
        solution, row = divmod(position, n_rows)
        letter = joined[exc.start]
        raise ScoringError(
            f"solution {solution + 1}, row {row + 1}, column {column + 1}: letter {letter!r}"
            " is not a single-byte character",
            row=row + 1,
            column=column + 1,
            letter=letter,
        ) from None
    raw = np.frombuffer(data, dtype=np.uint8).reshape(len(solutions), n_rows, length)
    return _encode(raw, scheme, None)


# -- scoring ----------------------------------------------------------------------


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
) -> float:
    """Scores encoded rows.  The method overrides exist so that tests can run
    every kernel on every input, not just the one ``auto`` picks."""
    compiled = _compiled(scheme)
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
    columns = np.ascontiguousarray(codes.T)
    return float(
        _kernels.score_codes(
            codes,
            columns,
            compiled.table,
            values,
            compiled.gaps,
            symmetric_gaps,
            symmetric_table,
            unit,
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
    compiled = _compiled(scheme)
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
    _kernels.compile_all(parallel=parallel)
