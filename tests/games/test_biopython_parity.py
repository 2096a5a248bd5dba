"""Our score is Biopython's: ``Alignment.counts(aligner).score``.

Biopython 1.88 computes that score for multiple alignments by looping over the
pairs of rows, but it does not reset its previous-step state between pairs
(``path`` in Bio/Align/_alignmentcounts.c).  When a pair starts with a gap of
the same kind (insertion or deletion) as the previous pair ended with, the
first position of that left end gap is counted as an extension instead of an
opening.  So:

* for every pair on its own, and for any alignment whose pairs all start with
  aligned letters, our score equals ``counts(aligner).score`` exactly;
* in general it equals the sum of ``counts(aligner).score`` over two-row
  alignments, one per pair;
* and ``tests/games/naive.py::biopython_counts_model`` reproduces what 1.88's
  ``counts`` returns, which shows that the carried state is the *only*
  difference.
"""

from __future__ import annotations

import Bio
import pytest
from Bio import Align, AlignIO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from games.scheme import ScoringScheme
from games.scoring import score_alignment

from .naive import biopython_counts_model, naive_score
from .strategies import letters_of, scheme_and_rows
from .support import DATA, assert_close, biopython_pairwise_sum, to_alignment

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(case=scheme_and_rows(max_columns=30))
def test_score_is_the_sum_of_biopython_pairwise_counts(case):
    scheme, rows = case
    expected = biopython_pairwise_sum(rows, scheme)
    assert_close(score_alignment(rows, scheme), expected, rows, scheme)
    if any(letter != "-" for row in rows for letter in row):
        # A Bio.Align.Alignment has no all-gap columns (its coordinates cannot
        # express them), so one without letters has no columns at all.
        alignment = to_alignment(rows)
        assert_close(score_alignment(alignment, scheme), expected, rows, scheme)


@SETTINGS
@given(data=st.data())
def test_score_is_biopython_counts_when_every_pair_starts_aligned(data):
    scheme, rows = data.draw(scheme_and_rows(max_columns=30))
    first = data.draw(st.text(alphabet=letters_of(scheme), min_size=len(rows), max_size=len(rows)))
    rows = [letter + row for letter, row in zip(first, rows, strict=True)]
    alignment = to_alignment(rows)
    expected = alignment.counts(scheme.to_aligner()).score
    assert_close(score_alignment(alignment, scheme), expected, rows, scheme)


@SETTINGS
@given(case=scheme_and_rows(max_columns=30))
def test_biopython_counts_differs_only_by_the_state_it_carries_between_pairs(case):
    scheme, rows = case
    counts = to_alignment(rows).counts(scheme.to_aligner()).score
    assert_close(biopython_counts_model(rows, scheme), counts, rows, scheme)


def test_biopython_counts_scores_a_left_gap_after_a_right_gap_as_an_extension():
    # If this fails, Biopython has started to reset its gap state between
    # pairs: counts() is then exactly our score, and the tests above can
    # compare with it directly.
    scheme = ScoringScheme.create(
        match_score=1, mismatch_score=0, open_gap_score=-10, extend_gap_score=-1
    )
    rows = ["-A-", "CAC", "CAC"]
    # Pair (1, 2): a left insertion, A-A, a right insertion.  Pair (1, 3): the
    # same.  Pair (2, 3): three matches.
    assert score_alignment(rows, scheme) == (-10 + 1 - 10) * 2 + 3 == -35
    biopython = to_alignment(rows).counts(scheme.to_aligner()).score
    assert biopython == -26, f"Biopython {Bio.__version__} now gives {biopython}"
    assert biopython == biopython_counts_model(rows, scheme)


# -- real alignments, bundled in games/data (see its README) --------------------

REAL = ["il6.prot.fasta", "il6.nucl.fasta", "tp53.prot.fasta"]
SCHEMES = {
    "blastp": ScoringScheme.preset("blastp"),
    "puzzle-dna": ScoringScheme.puzzle_dna(),
    "blosum62-free-ends": ScoringScheme.create(
        matrix="BLOSUM62",
        open_gap_score=-7,
        extend_gap_score=-2,
        end_open_gap_score=0,
        end_extend_gap_score=0,
    ),
    "nuc44-asymmetric-gaps": ScoringScheme.create(
        matrix="NUC.4.4",
        open_gap_score=-8,
        extend_gap_score=-1,
        open_left_insertion_score=-3,
        extend_right_deletion_score=-0.5,
    ),
}


CASES = [
    ("il6.prot.fasta", "blastp"),
    ("il6.prot.fasta", "blosum62-free-ends"),
    ("il6.prot.fasta", "puzzle-dna"),
    ("tp53.prot.fasta", "blastp"),
    ("tp53.prot.fasta", "blosum62-free-ends"),
    ("il6.nucl.fasta", "puzzle-dna"),
    ("il6.nucl.fasta", "nuc44-asymmetric-gaps"),
]


@pytest.mark.parametrize(("name", "label"), CASES)
def test_real_alignments_match_biopython(name, label):
    scheme = SCHEMES[label]
    alignment = Align.read(DATA / name, "fasta")
    rows = [alignment[i] for i in range(len(alignment))]
    ours = score_alignment(alignment, scheme)
    assert ours == score_alignment(rows, scheme) == naive_score(rows, scheme)
    assert ours == biopython_pairwise_sum(rows, scheme)
    if all(row[0] != "-" for row in rows):  # il6: every protein starts with M
        assert ours == alignment.counts(scheme.to_aligner()).score


def test_real_alignment_read_through_alignio_scores_the_same():
    scheme = ScoringScheme.preset("blastp")
    msa = AlignIO.read(DATA / "tp53.prot.fasta", "fasta")
    assert score_alignment(msa, scheme) == score_alignment(
        Align.read(DATA / "tp53.prot.fasta", "fasta"), scheme
    )


@pytest.mark.parametrize(
    ("name", "scheme", "expected"),
    [
        # scikit-bio 0.7.4 skbio/alignment/tests/test_score.py, test_align_score_real:
        # align_score(aln, sub_score, gap_cost=(5, 2)) charges 5 + 2 k for a gap of
        # length k, i.e. open -7 and extend -2 here; free_ends=True means end gaps 0.
        (
            "il6.prot.fasta",
            dict(matrix="BLOSUM62", end_open_gap_score=0, end_extend_gap_score=0),
            11044,
        ),
        ("il6.prot.fasta", dict(matrix="BLOSUM62"), 10918),
        (
            "il6.nucl.fasta",
            dict(match_score=5, mismatch_score=-4, end_open_gap_score=0, end_extend_gap_score=0),
            26550,
        ),
        (
            "il6.nucl.fasta",
            dict(matrix="NUC.4.4", end_open_gap_score=0, end_extend_gap_score=0),
            26550,
        ),
    ],
)
def test_real_alignments_match_scikit_bio_published_scores(name, scheme, expected):
    scheme = ScoringScheme.create(open_gap_score=-7, extend_gap_score=-2, **scheme)
    assert score_alignment(Align.read(DATA / name, "fasta"), scheme) == expected
