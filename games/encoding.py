"""Alignments as the kernels read them: letters turned into small integer codes.

A scheme assigns every letter it can score a code (``uint8``, :data:`GAP_CODE`
for ``-``) and lays out its substitution and gap scores as arrays indexed by
those codes (:func:`compile_scheme`, the layout is described in
``games._kernels``).  :func:`encode_rows` turns one alignment, a
``Bio.Align.Alignment``, a ``MultipleSeqAlignment`` or a list of gapped
strings, into a (rows, columns) array of codes; :func:`encode_batch` turns
many same-shaped alignments into a (solutions, rows, columns) array.  Codes
are only meaningful to the scheme they were made with.

Letters the scheme cannot score, rows of unequal length and the like raise
:class:`~games.scheme.ScoringError` naming the row (and its sequence's id
when it has one), the column and the letter, numbered from 1.

Public API: :func:`encode_rows`, :func:`encode_batch`, :data:`GAP_CODE`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
from Bio.Align import Alignment, MultipleSeqAlignment
from Bio.Seq import Seq, reverse_complement
from Bio.SeqRecord import SeqRecord

from games import _small
from games.scheme import GAP, GAP_SCORE_FIELDS, ScoringError, ScoringScheme

__all__ = ["GAP_CODE", "encode_batch", "encode_rows"]

#: The code of a gap in the arrays made by :func:`encode_rows` / :func:`encode_batch`.
GAP_CODE = 0


class CompiledScheme(NamedTuple):
    """A scheme as the kernels read it (for :mod:`games.scoring`)."""

    lut: np.ndarray  # int16[256]: byte -> code, -1 for letters the scheme cannot score
    letter_lut: np.ndarray  # lut, but -1 for the gap too: for a sequence's letters
    table: np.ndarray  # float64 (D, D), indexed by codes
    gaps: np.ndarray  # float64 (2, 3, 2), see games/_kernels/__init__.py
    symmetric_table: bool
    symmetric_gaps: bool


def compile_scheme(scheme: ScoringScheme) -> CompiledScheme:
    """The codes of ``scheme``'s letters and its scores as arrays indexed by
    them.  With a matrix, letters are numbered in alphabet order from 1; with
    match/mismatch, a letter's code is its byte."""
    if not isinstance(scheme, ScoringScheme):
        raise ScoringError(f"expected a ScoringScheme, not {type(scheme).__name__}")
    # Cached on the (immutable) scheme: hashing a 24x24 matrix on every call
    # would cost more than scoring a small alignment.
    cached: CompiledScheme | None = scheme.__dict__.get("_compiled")
    if cached is not None:
        return cached
    lut = np.full(256, -1, dtype=np.int16)
    if scheme.matrix is not None:
        assert scheme.alphabet is not None  # ScoringScheme sets both or neither
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
    letter_lut = lut.copy()
    lut[ord(GAP)] = GAP_CODE
    gaps = np.array([getattr(scheme, name) for name in GAP_SCORE_FIELDS], dtype=np.float64).reshape(
        2, 3, 2
    )
    compiled = CompiledScheme(
        lut=lut,
        letter_lut=letter_lut,
        table=np.ascontiguousarray(table),
        gaps=np.ascontiguousarray(gaps),
        symmetric_table=bool(np.array_equal(table, table.T)),
        symmetric_gaps=scheme.symmetric_gaps,
    )
    object.__setattr__(scheme, "_compiled", compiled)
    return compiled


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
    sequence: Any, start: int, end: int, row: int, names: list[str | None] | None
) -> bytes:
    data: Any = sequence.seq if isinstance(sequence, SeqRecord) else sequence
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


class _Layout(NamedTuple):
    """A Bio.Align.Alignment read off its coordinates: each row's letters in
    display order, one after the other, and where the gaps go."""

    coordinates: np.ndarray  # int64 (rows, blocks + 1)
    widths: np.ndarray  # int64 (blocks,): columns per block
    letters: np.ndarray  # uint8: every row's letters, row after row, then one more byte
    offsets: np.ndarray  # int64 (rows + 1,): row i's letters are letters[offsets[i]:offsets[i + 1]]
    length: int  # columns
    names: list[str | None]


def _small_coordinates(coordinates: np.ndarray) -> bool:
    """Whether the numpy twins place this alignment, decided without reading its
    coordinates when it cannot be small: the kernels are loaded already, or one
    row alone has more letters than a small alignment has columns."""
    n_rows = coordinates.shape[0]
    if not _small.use_small(n_rows, 0):
        return False
    longest = int(np.abs(coordinates[:, -1] - coordinates[:, 0]).max()) if coordinates.size else 0
    if not _small.use_small(n_rows, longest):
        return False
    return _small.use_small(n_rows, int(_small.widths_and_steps(coordinates)[0].sum()))


def _whole_sequences(
    sequences: list[Any], coordinates: np.ndarray, directions: np.ndarray
) -> list[Any]:
    """Each row's letters where the row is a ``Seq`` (or a ``SeqRecord`` of one) on the forward
    strand that the alignment shows whole (the common case), ``None`` for the
    rows left to :func:`_sequence_bytes`.  With hundreds of rows, calling it
    once a row costs as much as placing the letters, and so would a test of
    each row's type in Python: the types are gathered as a set."""
    seqs: list[Any] = sequences
    kinds = set(map(type, seqs))
    if SeqRecord in kinds:
        seqs = [sequence.seq if type(sequence) is SeqRecord else sequence for sequence in seqs]
        kinds = set(map(type, seqs))
    if kinds != {Seq}:
        return [None] * len(sequences)
    try:
        # bytes() of a Seq holding bytes returns that object: no copy.
        whole = list(map(bytes, seqs))
    except Exception:  # e.g. a Seq without content: _sequence_bytes words the error
        return [None] * len(sequences)
    lengths = np.fromiter(map(len, whole), dtype=np.int64, count=len(whole))
    shown = (directions == 1) & (coordinates[:, 0] == 0) & (coordinates[:, -1] == lengths)
    if shown.all():
        return whole
    return [piece if ok else None for piece, ok in zip(whole, shown.tolist(), strict=True)]


def _row_pieces(
    sequences: list[Any],
    coordinates: np.ndarray,
    directions: np.ndarray,
    names: list[str | None] | None,
) -> list[bytes]:
    """Each row's letters in display order: the part of its sequence that its
    coordinates span, reverse-complemented on the minus strand."""
    pieces = _whole_sequences(sequences, coordinates, directions)
    if None not in pieces:
        return pieces
    # Plain ints: indexing numpy arrays row by row costs more than reading the sequences.
    firsts, lasts = coordinates[:, 0].tolist(), coordinates[:, -1].tolist()
    for row, (sequence, direction) in enumerate(zip(sequences, directions.tolist(), strict=True)):
        if pieces[row] is not None:
            continue
        first, last = firsts[row], lasts[row]
        if direction == 2:
            raise ScoringError(
                f"{_where(row, None, names)}: its coordinates go both forwards and backwards",
                row=row + 1,
            )
        low, high = min(first, last), max(first, last)
        if low < 0:
            raise ScoringError(
                f"{_where(row, None, names)}: its coordinates start at {low},"
                " before the first letter of its sequence",
                row=row + 1,
            )
        piece = _sequence_bytes(sequence, low, high, row, names)
        # The letters are placed by their count alone, so a row with fewer than
        # its coordinates read would take the next row's letters as its own.
        if len(piece) != high - low:
            raise ScoringError(
                f"{_where(row, None, names)}: its coordinates read letters {low + 1} to"
                f" {high} of its sequence, which holds {len(piece)} of them",
                row=row + 1,
            )
        if direction < 0:
            # A row on the minus strand is shown, and scored, reverse-complemented.
            piece = reverse_complement(piece.decode("latin-1")).encode("latin-1")
        pieces[row] = piece
    return pieces


def _placed_codes(alignment: Alignment, scheme: ScoringScheme) -> np.ndarray | None:
    """The codes of the common large alignment, one-column blocks only
    (``_kernels.one_column_steps``), placed without first finding the block
    widths, which costs a pass over the coordinates, the largest input by far;
    or None for any other alignment, valid or not: :func:`_alignment_layout`
    and the kernels it feeds handle those and word the errors, so nothing here
    raises."""
    coordinates = alignment.coordinates
    if not (
        type(coordinates) is np.ndarray
        and coordinates.dtype == np.int64
        and coordinates.ndim == 2
        and coordinates.flags.c_contiguous
    ):
        return None
    sequences = list(alignment.sequences)
    n_rows, n_points = coordinates.shape
    if n_rows != len(sequences) or n_rows == 0 or n_points < 2:
        return None
    if _small.use_small(n_rows, n_points - 1):
        return None
    firsts, lasts = coordinates[:, 0], coordinates[:, -1]
    directions = np.sign(lasts - firsts)
    from games import _kernels

    # Checked before reading any sequence, so that other alignments cost little here.
    if not _kernels.one_column_steps(coordinates, directions):
        return None
    try:
        pieces = _row_pieces(sequences, coordinates, directions, None)
    except ScoringError:
        return None
    lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=n_rows)
    if not np.array_equal(lengths, np.abs(lasts - firsts)):
        return None  # a sequence shorter than its coordinates say
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    pieces.append(GAP.encode())  # place_codes may read one byte past the last row
    letters = np.frombuffer(b"".join(pieces), dtype=np.uint8)
    codes = np.empty((n_rows, n_points - 1), dtype=np.uint8)
    lut = compile_scheme(scheme).letter_lut
    if not _kernels.place_codes(coordinates, letters, offsets, directions, lut, codes):
        return None
    return codes


def _alignment_layout(alignment: Alignment) -> _Layout:
    sequences = list(alignment.sequences)
    names = [getattr(sequence, "id", None) for sequence in sequences]
    if not sequences:
        raise ScoringError("the alignment is empty: it has no rows")
    coordinates = np.ascontiguousarray(alignment.coordinates, dtype=np.int64)
    if coordinates.ndim != 2 or coordinates.shape[0] != len(sequences):
        raise ScoringError("the alignment's coordinates do not have one row per sequence")
    widths = np.zeros(max(coordinates.shape[1] - 1, 0), dtype=np.int64)
    directions = np.zeros(len(sequences), dtype=np.int64)
    kernels: Any = _small
    if not _small_coordinates(coordinates):
        # Imported here: numba costs a second that a small alignment need not pay.
        from games import _kernels as kernels
    uneven = kernels.alignment_layout(coordinates, widths, directions)
    if uneven >= 0:
        raise ScoringError(
            f"{_where(uneven, None, names)}: its coordinates step by a different amount than"
            " another row's in the same block",
            row=uneven + 1,
        )
    length = int(widths.sum())
    if length == 0:
        raise ScoringError("the alignment is empty: its rows have no columns")
    pieces = _row_pieces(sequences, coordinates, directions, names)
    offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
    np.cumsum([len(piece) for piece in pieces], out=offsets[1:])
    # The byte after the last row's letters lets fill_codes read one past a row's
    # end; joined in, it costs no second copy of the letters.
    pieces.append(GAP.encode())
    joined = b"".join(pieces)
    letters = np.frombuffer(joined, dtype=np.uint8)
    gap_at = joined.find(GAP.encode(), 0, len(joined) - 1)
    if gap_at >= 0:
        row = int(np.searchsorted(offsets, gap_at, side="right")) - 1
        raise ScoringError(
            f"{_where(row, None, names)}: its sequence contains {GAP!r}; in a"
            " Bio.Align.Alignment gaps come from the coordinates, not the sequence",
            row=row + 1,
            letter=GAP,
        )
    return _Layout(coordinates, widths, letters, offsets, length, names)


def _small_layout(layout: _Layout) -> bool:
    # A small alignment is placed with numpy: numba costs a second it need not pay.
    return _small.use_small(len(layout.names), layout.length)


def _raw_from_alignment(layout: _Layout) -> np.ndarray:
    """The gapped rows as bytes, built from the coordinates (Biopython's own
    row formatting is far slower than scoring)."""
    raw = np.empty((len(layout.names), layout.length), dtype=np.uint8)
    kernels: Any = _small
    if not _small_layout(layout):
        from games import _kernels as kernels
    kernels.fill_rows(
        layout.coordinates, layout.widths, layout.letters, layout.offsets, np.uint8(ord(GAP)), raw
    )
    return raw


def _codes_from_alignment(layout: _Layout, scheme: ScoringScheme) -> np.ndarray:
    """The codes straight from the sequences' bytes and the coordinates, in
    one pass that looks up each letter and places it (no Python strings, no
    intermediate array of gapped bytes)."""
    if _small_layout(layout):
        return _encode(_raw_from_alignment(layout), scheme, layout.names)
    from games import _kernels

    codes = np.empty((len(layout.names), layout.length), dtype=np.uint8)
    unknown = _kernels.fill_codes(
        layout.coordinates,
        layout.widths,
        layout.letters,
        layout.offsets,
        compile_scheme(scheme).lut,
        codes,
    )
    if unknown >= 0:
        # Rare: let the byte path find the column and word the message.
        return _encode(_raw_from_alignment(layout), scheme, layout.names)
    return codes


def _unknown_letter(
    scheme: ScoringScheme, letter: str, where: str, row: int, column: int
) -> ScoringError:
    if scheme.matrix is None:
        message = f"{where}: letter {letter!r} cannot be scored (NUL is not a letter)"
    else:
        assert scheme.alphabet is not None  # ScoringScheme sets both or neither
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
    compiled = compile_scheme(scheme)
    codes: np.ndarray = compiled.lut[raw]
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
        codes = _placed_codes(alignment, scheme)
        if codes is not None:
            return codes
        return _codes_from_alignment(_alignment_layout(alignment), scheme)
    texts, names = _text_rows(alignment)
    return _encode(_raw_from_texts(texts, names), scheme, names)


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
        number, row = divmod(position, n_rows)
        raise ScoringError(
            f"solution {number + 1}, row {row + 1} has {len(flat[position])} columns,"
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
        number, row = divmod(position, n_rows)
        letter = joined[exc.start]
        raise ScoringError(
            f"solution {number + 1}, row {row + 1}, column {column + 1}: letter {letter!r}"
            " is not a single-byte character",
            row=row + 1,
            column=column + 1,
            letter=letter,
        ) from None
    raw = np.frombuffer(data, dtype=np.uint8).reshape(len(solutions), n_rows, length)
    return _encode(raw, scheme, None)
