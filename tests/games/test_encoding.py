"""Alignments become the kernels' codes: Bio.Align.Alignment objects are read
from their coordinates, exactly as Biopython shows them, and input that cannot
be encoded raises ScoringError (a ValueError) whose message says where: the
row, the column and the letter, numbered from 1."""

from __future__ import annotations

import sys
from unittest import mock

import numpy as np
import pytest
from Bio import Align
from Bio.Align import Alignment
from Bio.Seq import Seq
from Bio.SeqRecord import SeqRecord
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from games import _kernels, _small, encoding  # noqa: F401  (the kernels loaded: they place by default)
from games.encoding import GAP_CODE, _small_coordinates, encode_batch, encode_rows
from games.scheme import ScoringError, ScoringScheme
from games.scoring import score_alignment

from .strategies import alignments
from .support import DATA, examples, to_alignment

BLASTN = ScoringScheme.preset("blastn")
BLOSUM62 = ScoringScheme(matrix_name="BLOSUM62")
PUZZLE = ScoringScheme.puzzle_dna()


def rows_of(alignment: Alignment) -> list[str]:
    return [alignment[i] for i in range(len(alignment))]


def test_rows_are_those_biopython_prints():
    alignment = Align.read(DATA / "tp53.prot.fasta", "fasta")
    scheme = ScoringScheme.preset("blastp")
    assert np.array_equal(encode_rows(alignment, scheme), encode_rows(rows_of(alignment), scheme))


def test_str_seq_and_seqrecord_sequences_score_alike():
    rows = ["AC-GT", "A-CGT", "--CG-"]
    plain = to_alignment(rows)
    as_seq = Alignment([Seq(s) for s in plain.sequences], plain.coordinates)
    as_records = Alignment(
        [SeqRecord(Seq(s), id=f"r{i}") for i, s in enumerate(plain.sequences)], plain.coordinates
    )
    expected = score_alignment(rows, BLASTN)
    assert score_alignment(plain, BLASTN) == score_alignment(as_seq, BLASTN) == expected
    assert score_alignment(as_records, BLASTN) == expected


def test_a_minus_strand_row_is_scored_reverse_complemented_like_biopython():
    alignment = Alignment(["ACGTA", "AACC"], np.array([[0, 1, 5], [4, 4, 0]]))
    assert rows_of(alignment) == ["ACGTA", "-GGTT"]
    score = score_alignment(alignment, BLASTN)
    assert score == score_alignment(["ACGTA", "-GGTT"], BLASTN)
    assert score == alignment.counts(BLASTN.to_aligner()).score


def test_only_the_aligned_part_of_a_sequence_counts():
    # Coordinates may start and end inside the sequences, as in local alignments.
    alignment = Alignment(["TTACGTTT", "GACGA"], np.array([[2, 6], [1, 5]]))
    assert rows_of(alignment) == ["ACGT", "ACGA"]
    assert score_alignment(alignment, BLASTN) == alignment.counts(BLASTN.to_aligner()).score


@settings(max_examples=examples(300), deadline=None)
@given(rows=alignments("ACGTNacgtn*é"))
def test_an_alignment_object_encodes_like_its_rows_without_all_gap_columns(rows):
    kept = [c for c in range(len(rows[0])) if any(row[c] != "-" for row in rows)]
    assume(kept)  # an Alignment cannot hold columns without letters
    expected = ["".join(row[c] for c in kept) for row in rows]
    scheme = ScoringScheme.puzzle_dna()
    assert np.array_equal(encode_rows(to_alignment(rows), scheme), encode_rows(expected, scheme))


@settings(max_examples=examples(200), deadline=None)
@given(rows=alignments("ARNDCQEGHILKMFPSTWYVBZX*#j"))
def test_alignment_codes_come_from_its_letters_as_the_string_path_makes_them(rows):
    # The Alignment path looks up only the letters and writes the gaps while
    # placing them; the string path looks up every cell of the printed rows.
    # Both must give the same codes, and the same error for a letter the
    # matrix lacks (# and j here).
    kept = [c for c in range(len(rows[0])) if any(row[c] != "-" for row in rows)]
    assume(kept)
    printed = ["".join(row[c] for c in kept) for row in rows]
    sequences, coordinates = Alignment.parse_printed_alignment([r.encode() for r in printed])
    as_bytes = Alignment([Seq(sequence) for sequence in sequences], coordinates)
    for alignment in (as_bytes, to_alignment(printed)):
        try:
            expected = encode_rows(printed, BLOSUM62)
        except ScoringError as error:
            with pytest.raises(ScoringError) as caught:
                encode_rows(alignment, BLOSUM62)
            assert str(caught.value) == str(error)
            assert (caught.value.row, caught.value.column) == (error.row, error.column)
        else:
            assert np.array_equal(encode_rows(alignment, BLOSUM62), expected)


def _placed(rows: list[str], flank: str, minus: list[bool]) -> Alignment:
    """``rows`` as an Alignment whose sequences carry ``flank`` on both sides, the
    rows flagged in ``minus`` stored reverse-complemented, on the minus strand."""
    sequences, coordinates = Alignment.parse_printed_alignment([r.encode() for r in rows])
    placed, shifted = [], []
    for sequence, row, reverse in zip(sequences, coordinates, minus, strict=True):
        whole = flank + sequence.decode() + flank
        if reverse:
            placed.append(str(Seq(whole).reverse_complement()))
            shifted.append(len(whole) - (row + len(flank)))
        else:
            placed.append(whole)
            shifted.append(row + len(flank))
    return Alignment(placed, np.array(shifted))


@settings(max_examples=examples(200), deadline=None)
@given(rows=alignments("ACGTN"), flank=st.sampled_from(["", "T", "GATC"]), data=st.data())
def test_both_placements_of_an_alignment_give_the_codes_of_its_printed_rows(rows, flank, data):
    # The numpy twins place a small alignment in a process without the kernels,
    # the kernels place every other; both read a row's letters off the sequence
    # (flanks left out, minus strand complemented) and must agree with the rows.
    kept = [c for c in range(len(rows[0])) if any(row[c] != "-" for row in rows)]
    assume(kept)
    printed = ["".join(row[c] for c in kept) for row in rows]
    minus = data.draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
    alignment = _placed(printed, flank, minus)
    expected = encode_rows(printed, BLASTN)
    assert np.array_equal(encode_rows(alignment, BLASTN), expected)  # the kernels
    with mock.patch.dict(sys.modules):
        del sys.modules["games._kernels"]
        assert np.array_equal(encode_rows(alignment, BLASTN), expected)  # numpy


@settings(max_examples=examples(200), deadline=None)
@given(rows=alignments("ACGT"), threshold=st.integers(0, 30_000))
def test_the_placement_is_chosen_from_the_columns_as_counted_from_the_blocks(rows, threshold):
    kept = [c for c in range(len(rows[0])) if any(row[c] != "-" for row in rows)]
    assume(kept)
    printed = ["".join(row[c] for c in kept) for row in rows]
    coordinates = to_alignment(printed).coordinates
    columns = int(_small.widths_and_steps(coordinates)[0].sum())
    with mock.patch.dict(sys.modules), mock.patch.object(_small, "SMALL_PAIR_CELLS", threshold):
        del sys.modules["games._kernels"]
        assert _small_coordinates(coordinates) == _small.use_small(len(rows), columns)


def test_encode_rows_and_encode_batch_agree():
    solution = ["AC-GT", "A--GT"]
    codes = encode_rows(solution, PUZZLE)
    assert np.array_equal(encode_batch([solution], PUZZLE)[0], codes)
    assert codes[0, 2] == GAP_CODE and codes[1, 1] == GAP_CODE
    assert (codes[0] != GAP_CODE).sum() == 4


# -- input that cannot be encoded names its row, column and letter --------------


def test_a_letter_outside_the_matrix_alphabet_is_named_with_its_place():
    with pytest.raises(ScoringError) as caught:
        score_alignment(["ACDE", "AC#E"], BLOSUM62)
    error = caught.value
    assert "row 2, column 3: letter '#' is not in the alphabet of BLOSUM62" in str(error)
    assert (error.row, error.column, error.letter) == (2, 3, "#")


def test_letters_are_case_sensitive_with_a_matrix_as_in_biopython():
    with pytest.raises(ScoringError, match=r"row 1, column 2: letter 'c'.*case-sensitive"):
        score_alignment(["Ac", "AC"], BLOSUM62)


def test_a_named_row_of_a_biopython_alignment_is_reported_by_name():
    sequences, coordinates = Alignment.parse_printed_alignment([b"MKV-L", b"MKJ-L"])
    records = [
        SeqRecord(Seq(s), id=name) for s, name in zip(sequences, ["human", "mouse"], strict=True)
    ]
    alignment = Alignment(records, coordinates)
    with pytest.raises(ScoringError, match=r"row 2 \('mouse'\), column 3: letter 'J'"):
        score_alignment(alignment, ScoringScheme(matrix_name="PAM30"))


def test_match_mismatch_schemes_take_any_single_byte_letter():
    assert score_alignment(["a#é", "a#e"], PUZZLE) == 1 + 1 - 1


def test_a_letter_that_is_not_single_byte_is_refused():
    with pytest.raises(ScoringError, match=r"row 2, column 1: letter 'λ' is not a single-byte"):
        score_alignment(["AC", "λC"], PUZZLE)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "the alignment is empty: it has no rows"),
        (["", ""], "the alignment is empty: its rows have no columns"),
        ("ACGT", "not a single string"),
        (["ACGT", "ACG"], "row 2 has 3 columns but row 1 has 4"),
        (["AC", "AC", "A"], "row 3 has 1 columns but row 1 has 2"),
        (["AC", 5], "row 2 is a int; rows must be strings"),
        (42, "not int"),
    ],
)
def test_malformed_alignments(rows, message):
    with pytest.raises(ScoringError) as caught:
        score_alignment(rows, PUZZLE)
    assert message in str(caught.value)


def test_a_sequence_without_content_is_refused():
    alignment = Alignment([Seq(None, 3), Seq("ACG")], np.array([[0, 3], [0, 3]]))
    with pytest.raises(ScoringError, match="row 1: cannot read its letters"):
        score_alignment(alignment, PUZZLE)


def test_gaps_inside_the_sequences_of_an_alignment_are_refused():
    alignment = Alignment(["A-G", "ACG"], np.array([[0, 3], [0, 3]]))
    with pytest.raises(ScoringError, match="row 1: its sequence contains '-'"):
        score_alignment(alignment, PUZZLE)


def test_a_batch_solution_with_an_unknown_letter_is_located():
    with pytest.raises(ScoringError, match=r"solution 2, row 1, column 2: letter 'Z'"):
        encode_batch([["AC", "AC"], ["AZ", "AC"]], ScoringScheme.preset("blastn"))


@pytest.mark.parametrize(
    ("solutions", "message"),
    [
        ([["AC", "AC"], ["AC"]], "solution 2 has 1 rows but solution 1 has 2"),
        ([["AC", "AC"], ["AC", "A"]], "solution 2, row 2 has 1 columns, expected 2"),
        ([[]], "they have no rows"),
        ([["", ""]], "their rows have no columns"),
    ],
)
def test_malformed_batches(solutions, message):
    with pytest.raises(ScoringError) as caught:
        encode_batch(solutions, PUZZLE)
    assert message in str(caught.value)


def test_a_non_scheme_is_refused():
    with pytest.raises(ScoringError, match="expected a ScoringScheme"):
        score_alignment(["A"], "blastp")  # type: ignore[arg-type]


def test_coordinates_that_step_unevenly_are_refused():
    alignment = Alignment(["ACG", "AC"], np.array([[0, 3], [0, 2]]))
    with pytest.raises(ScoringError, match="row 2: its coordinates step by a different amount"):
        score_alignment(alignment, PUZZLE)


def test_coordinates_that_go_both_ways_are_refused():
    alignment = Alignment(["ACGT", "ACGT"], np.array([[0, 2, 4], [0, 2, 0]]))
    with pytest.raises(ScoringError, match="row 2: its coordinates go both forwards and backwards"):
        score_alignment(alignment, PUZZLE)


_SHORT_ROWS = [
    # Row 2 holds 2 letters where its coordinates read 4: placing by the
    # coordinates would take row 3's letters (or, for the last row, bytes past
    # the end of every row's letters) as if they were its own.
    (["ACGT", "AC", "GGTT"], [[0, 1, 4], [0, 1, 4], [0, 1, 4]], 2),
    (["ACGT", "GGTT", "AC"], [[0, 1, 4], [0, 1, 4], [0, 1, 4]], 3),
    (["ACGT", "AC", "GGTT"], [[0, 4], [0, 4], [0, 4]], 2),  # one block, four columns wide
    (["ACGT", "ACGT", "GGT"], [[0, 2, 4], [0, 2, 4], [4, 2, 0]], 3),  # on the minus strand
    (["ACGT", "ACGT", "GGTT"], [[0, 2, 4], [0, 2, 4], [-2, 0, 2]], 3),  # before its start
]


@pytest.mark.parametrize("kind", [str, Seq, lambda s: SeqRecord(Seq(s), id="short")])
@pytest.mark.parametrize(("sequences", "coordinates", "row"), _SHORT_ROWS)
def test_a_sequence_shorter_than_its_coordinates_is_refused(kind, sequences, coordinates, row):
    alignment = Alignment([kind(s) for s in sequences], np.array(coordinates, dtype=np.int64))
    with pytest.raises(ScoringError, match=rf"row {row}\b.*coordinates") as caught:
        encode_rows(alignment, BLASTN)
    assert caught.value.row == row
    with pytest.raises(ScoringError, match=rf"row {row}\b"):
        score_alignment(alignment, BLASTN)


def _byte_path(alignment: Alignment, scheme: ScoringScheme) -> np.ndarray:
    """The codes the long way: every row's sequence read one at a time, the
    gapped bytes placed by ``fill_rows``, then every cell looked up."""
    layout = encoding._alignment_layout(alignment)
    return encoding._encode(encoding._raw_from_alignment(layout), scheme, layout.names)


@settings(max_examples=examples(200), deadline=None)
@given(
    rows=alignments("ARNDCQEGHILKMFPSTWYV#j"),
    flank=st.sampled_from(["", "W", "KLMN"]),
    unit_blocks=st.booleans(),
    data=st.data(),
)
def test_the_fast_conversion_of_an_alignment_matches_the_byte_path(rows, flank, unit_blocks, data):
    # The Alignment -> codes step reads whole forward Seq rows without a
    # Python call per row and looks letters up while placing them, in one
    # loop for one-column blocks (Biopython's usual coordinates: a block at
    # every column where some row starts or ends a gap) and another for
    # wider ones.  Rows are drawn with gapped starts, flanking letters, the
    # minus strand, all-gap rows, letters BLOSUM62 lacks (# and j), and as
    # Seq, SeqRecord or str: every mix must give the byte path's codes or
    # its error.
    kept = [c for c in range(len(rows[0])) if any(row[c] != "-" for row in rows)]
    assume(kept)
    printed = ["".join(row[c] for c in kept) for row in rows]
    n_rows = len(rows)
    minus = data.draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows))
    flanked = data.draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows))
    kinds = data.draw(
        st.lists(st.sampled_from(["Seq", "SeqRecord", "str"]), min_size=n_rows, max_size=n_rows)
    )
    sequences, coordinates = Alignment.parse_printed_alignment([r.encode() for r in printed])
    placed, shifted = [], []
    for sequence, row, reverse, flanks in zip(sequences, coordinates, minus, flanked, strict=True):
        pad = flank if flanks else ""
        whole = pad + sequence.decode() + pad
        if reverse:
            # Complemented with the protein letters left as they are: the
            # scheme sees the same letters either way, only their places move.
            placed.append(str(Seq(whole).reverse_complement()))
            shifted.append(len(whole) - (row + len(pad)))
        else:
            placed.append(whole)
            shifted.append(row + len(pad))
    shifted_coordinates = np.array(shifted)
    if unit_blocks:
        # One point per column, as Biopython makes them for many rows.
        steps = np.diff(coordinates, axis=1)
        per_column = np.repeat(np.sign(np.abs(steps)), np.abs(steps).max(axis=0), axis=1)
        signs = np.where(np.array(minus), -1, 1)[:, None]
        starts = shifted_coordinates[:, :1]
        shifted_coordinates = np.concatenate(
            [starts, starts + signs * np.cumsum(per_column, axis=1)], axis=1
        )
    as_kind = {"Seq": Seq, "str": str, "SeqRecord": lambda s: SeqRecord(Seq(s), id="r")}
    alignment = Alignment(
        [as_kind[kind](s) for kind, s in zip(kinds, placed, strict=True)], shifted_coordinates
    )
    try:
        expected = _byte_path(alignment, BLOSUM62)
    except ScoringError as error:
        with pytest.raises(ScoringError) as caught:
            encode_rows(alignment, BLOSUM62)
        assert str(caught.value) == str(error)
    else:
        assert np.array_equal(encode_rows(alignment, BLOSUM62), expected)


def _one_column_blocks(printed: list[str], flank: str, minus: list[bool]) -> Alignment:
    """``printed`` as an Alignment with a point at every column, as Biopython
    makes them for many rows, each sequence carrying ``flank`` on both sides
    and the rows flagged in ``minus`` on the reverse strand."""
    sequences, _ = Alignment.parse_printed_alignment([r.encode() for r in printed])
    placed, coordinates = [], []
    for sequence, row, reverse in zip(sequences, printed, minus, strict=True):
        whole = flank + sequence.decode() + flank
        letters_before = np.concatenate([[0], np.cumsum([c != "-" for c in row])])
        if reverse:
            placed.append(str(Seq(whole).reverse_complement()))
            coordinates.append(len(whole) - len(flank) - letters_before)
        else:
            placed.append(whole)
            coordinates.append(len(flank) + letters_before)
    return Alignment(placed, np.array(coordinates, dtype=np.int64))


@settings(max_examples=examples(300), deadline=None)
@given(rows=alignments("ACGTNacgtn"), flank=st.sampled_from(["", "T", "GATC"]), data=st.data())
def test_one_column_blocks_are_placed_in_one_pass_as_the_byte_path_places_them(rows, flank, data):
    # Rows with leading and trailing gaps, rows without letters, the reverse
    # strand and lower case: place_codes must give the byte path's codes, and
    # take every such alignment whose letters the scheme knows (with PUZZLE,
    # every letter; with BLASTN, upper case only) instead of leaving it to
    # the byte path.
    kept = [c for c in range(len(rows[0])) if any(row[c] != "-" for row in rows)]
    assume(kept)
    printed = ["".join(row[c] for c in kept) for row in rows]
    minus = data.draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
    alignment = _one_column_blocks(printed, flank, minus)
    for scheme in (PUZZLE, BLASTN):
        placed = encoding._placed_codes(alignment, scheme)
        try:
            expected = _byte_path(alignment, scheme)
        except ScoringError:
            assert placed is None
            continue
        assert placed is not None
        assert np.array_equal(placed, expected)
        assert np.array_equal(encode_rows(alignment, scheme), expected)


@pytest.mark.parametrize(
    ("sequences", "coordinates"),
    [
        (["ACG", "AC"], [[0, 1, 3], [0, 1, 2]]),  # a block two columns wide
        (["ACG", "ACG"], [[0, 1, 1, 3], [0, 1, 1, 3]]),  # a block no column wide
        (["AC", "ACGT"], [[0, 1, 2], [0, 2, 0]]),  # a row going both ways
        (["AC", "A"], [[0, 1, 2], [0, 1, 2]]),  # a sequence shorter than its coordinates
        (["AC", "A-"], [[0, 1, 2], [0, 1, 2]]),  # a gap inside a sequence
        (["AC", "AX"], [[0, 1, 2], [0, 1, 2]]),  # a letter BLASTN lacks
    ],
)
def test_other_alignments_are_left_to_the_byte_path(sequences, coordinates):
    alignment = Alignment(sequences, np.array(coordinates, dtype=np.int64))
    assert encoding._placed_codes(alignment, BLASTN) is None


def _as_kind(letters: bytes, kind: str, flank: int) -> object:
    """``letters`` as the sequence type ``kind``, with ``flank`` letters that the
    alignment does not show on either side (undefined ones for "partial")."""
    whole = b"N" * flank + letters + b"N" * flank
    if kind == "partial":
        return Seq({flank: letters.decode()}, length=len(letters) + 2 * flank)
    if kind == "str":
        return whole.decode()
    if kind == "record":
        return SeqRecord(Seq(whole), id="r")
    return Seq(whole)


@settings(max_examples=examples(300), deadline=None)
@given(
    rows=alignments("ACGTN", max_rows=80, max_columns=60),
    kinds=st.lists(st.sampled_from(["seq", "str", "record", "partial"]), min_size=80, max_size=80),
    flank=st.sampled_from([0, 2]),
)
def test_an_alignment_becomes_the_codes_of_the_rows_biopython_formats(rows, kinds, flank):
    # The reference is slow and plain: Biopython formats each row from the
    # sequences and coordinates, and the string path looks up every cell.
    # Rows start and end with gaps, rows without letters occur, and all-gap
    # columns of the drawn rows vanish from the Alignment as Biopython parses it.
    kept = [c for c in range(len(rows[0])) if any(row[c] != "-" for row in rows)]
    assume(kept)
    printed = ["".join(row[c] for c in kept) for row in rows]
    sequences, coordinates = Alignment.parse_printed_alignment([r.encode() for r in printed])
    alignment = Alignment(
        [_as_kind(s, kind, flank) for s, kind in zip(sequences, kinds, strict=False)],
        coordinates + flank,
    )
    formatted = [alignment[i] for i in range(len(alignment))]
    assert formatted == printed
    assert np.array_equal(encode_rows(alignment, BLASTN), encode_rows(formatted, BLASTN))
    assert score_alignment(alignment, BLASTN) == score_alignment(formatted, BLASTN)


def test_a_partially_defined_sequence_whose_shown_part_is_undefined_is_refused():
    partial = Seq({0: "AC"}, length=6)
    alignment = Alignment([partial, Seq("ACGTAC")], np.array([[0, 6], [0, 6]]))
    with pytest.raises(ScoringError, match="row 1: cannot read its letters"):
        encode_rows(alignment, BLASTN)
