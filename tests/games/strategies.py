"""Hypothesis strategies: random alignments and random scoring schemes."""

from __future__ import annotations

import dataclasses

from hypothesis import strategies as st

from games.scheme import GAP_SCORE_FIELDS, ScoringScheme

# Matrices with an alphabet of single letters (SCHNEIDER is a codon matrix).
MATRIX_NAMES = (
    "BLOSUM62",
    "BLASTP",
    "BLASTN",
    "PAM30",
    "GONNET1992",
    "HOXD70",
    "NUC.4.4",
    "JONES",
    "BENNER22",
)

# Letters for match/mismatch schemes: case matters and anything single-byte
# goes, including punctuation and Latin-1 letters.
FREE_LETTERS = "ACGTNacgtnXYZ*.01é~"

SCORES = st.one_of(
    st.integers(-12, 4).map(float),
    st.sampled_from([-0.5, -2.5, 0.25, -1.75]),
    st.floats(-20, 5, allow_nan=False, allow_infinity=False, width=64),
)


@st.composite
def gap_scores(draw, symmetric: bool | None = None) -> dict[str, float]:
    """The twelve gap scores: all different, insertion == deletion, or the
    usual internal/end split."""
    style = draw(st.sampled_from(["independent", "symmetric", "internal-end"]))
    if symmetric is True and style == "independent":
        style = "symmetric"
    if symmetric is False:
        style = "independent"
    if style == "independent":
        return {name: draw(SCORES) for name in GAP_SCORE_FIELDS}
    if style == "symmetric":
        half = {name: draw(SCORES) for name in GAP_SCORE_FIELDS[:6]}
        return {**half, **{name.replace("insertion", "deletion"): v for name, v in half.items()}}
    internal_open, internal_extend, end_open, end_extend = (draw(SCORES) for _ in range(4))
    values = {}
    for name in GAP_SCORE_FIELDS:
        end = "_left_" in name or "_right_" in name
        if name.startswith("open"):
            values[name] = end_open if end else internal_open
        else:
            values[name] = end_extend if end else internal_extend
    return values


@st.composite
def schemes(draw, symmetric_gaps: bool | None = None, integer: bool = False) -> ScoringScheme:
    """A random scheme: a named matrix, a custom (possibly asymmetric) matrix,
    or match/mismatch with an optional wildcard."""
    kind = draw(st.sampled_from(["named", "custom", "match"]))
    gaps = draw(gap_scores(symmetric_gaps))
    if integer:
        gaps = {name: float(round(value)) for name, value in gaps.items()}
    # Biopython ignores the wildcard when there is a matrix; so must we.
    wildcard = draw(st.none() | st.sampled_from("NnX*"))
    if kind == "named":
        scheme = ScoringScheme(
            matrix_name=draw(st.sampled_from(MATRIX_NAMES)), wildcard=wildcard, **gaps
        )
        if integer:
            rounded = tuple(tuple(float(round(v)) for v in row) for row in scheme.matrix)
            scheme = dataclasses.replace(scheme, matrix_name=None, matrix=rounded)
        return scheme
    if kind == "custom":
        alphabet = "".join(
            draw(st.lists(st.sampled_from("ACGTWXYZ*acg"), min_size=1, max_size=8, unique=True))
        )
        size = len(alphabet)
        value = st.integers(-6, 6).map(float) if integer else SCORES
        matrix = tuple(tuple(draw(value) for _ in range(size)) for _ in range(size))
        return ScoringScheme(alphabet=alphabet, matrix=matrix, wildcard=wildcard, **gaps)
    score = st.integers(-5, 5).map(float) if integer else SCORES
    return ScoringScheme(
        match_score=draw(score), mismatch_score=draw(score), wildcard=wildcard, **gaps
    )


def letters_of(scheme: ScoringScheme) -> str:
    return scheme.alphabet if scheme.matrix is not None else FREE_LETTERS


@st.composite
def alignments(draw, letters: str, max_rows: int = 50, max_columns: int = 40) -> list[str]:
    """Gapped rows over ``letters`` with realistic structure: gap runs of
    varied length, ragged ends, and now and then all-gap columns and rows."""
    n_rows = draw(st.integers(1, max_rows))
    n_columns = draw(st.integers(1, max_columns))
    rng = draw(st.randoms(use_true_random=False))
    alphabet = draw(
        st.lists(st.sampled_from(letters), min_size=1, max_size=len(letters), unique=True)
    )
    rows = []
    for _ in range(n_rows):
        style = rng.choice(["dense", "runs", "ragged", "sparse", "all-gap", "no-gap"])
        gap_open = {"dense": 0.05, "runs": 0.2, "ragged": 0.1, "sparse": 0.6}.get(style, 0.0)
        cells = []
        in_gap = False
        for _ in range(n_columns):
            if style == "all-gap":
                cells.append("-")
                continue
            in_gap = rng.random() < (0.6 if in_gap else gap_open)
            cells.append("-" if in_gap else rng.choice(alphabet))
        if style == "ragged":
            left = rng.randint(0, n_columns // 2)
            right = rng.randint(0, n_columns // 2)
            cells = ["-"] * left + cells[left : n_columns - right] + ["-"] * right
        rows.append("".join(cells))
    for column in draw(st.lists(st.integers(0, n_columns - 1), max_size=3)):
        rows = [row[:column] + "-" + row[column + 1 :] for row in rows]  # an all-gap column
    return rows


@st.composite
def scheme_and_rows(draw, max_rows: int = 50, max_columns: int = 40, **scheme_options):
    scheme = draw(schemes(**scheme_options))
    rows = draw(alignments(letters_of(scheme), max_rows=max_rows, max_columns=max_columns))
    return scheme, rows


def weights_for(n_rows: int):
    return st.none() | st.lists(
        st.floats(-2, 3, allow_nan=False, allow_infinity=False),
        min_size=n_rows,
        max_size=n_rows,
    )
