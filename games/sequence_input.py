"""Reading sequences a person uploaded or pasted as FASTA, with every problem
named by record and line, and the guide tree they may come with.

The web import and ``portal align build`` read through here, so both refuse
the same files with the same words.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from games.scheme import GAP

#: Letters each kind may hold. DNA takes the IUPAC ambiguity codes; protein
#: takes the 20 amino acids and B, Z, X, which the aligners and the puzzle
#: scheme (BLOSUM62) all know.
DNA_LETTERS = frozenset("ACGTNRYKMSWBDHV")
PROTEIN_LETTERS = frozenset("ACDEFGHIKLMNPQRSTVWYBZX")
#: Sequences made of these letters alone are read as DNA.
NUCLEOTIDES = frozenset("ACGTN")


class SequenceInputError(ValueError):
    """A problem with the text, naming the record and line it is on."""

    def __init__(self, message: str, *, line: int | None = None, record: str | None = None):
        super().__init__(message)
        self.line = line
        self.record = record


@dataclass(frozen=True)
class Limits:
    min_sequences: int = 2
    max_sequences: int | None = None
    #: The most letters (residues and gaps) one sequence may have.
    max_length: int | None = None


@dataclass(frozen=True)
class Sequences:
    names: list[str]
    #: As given, upper case, ``.`` read as a gap.
    rows: list[str]
    kind: str  # "dna" or "protein"

    @property
    def residues(self) -> list[str]:
        return [row.replace(GAP, "") for row in self.rows]

    @property
    def has_gaps(self) -> bool:
        return any(GAP in row for row in self.rows)

    @property
    def aligned(self) -> bool:
        """Whether the rows already form an alignment (gaps, equally long)."""
        return self.has_gaps and len({len(row) for row in self.rows}) == 1


def _where(name: str, line: int) -> str:
    return f"sequence {name!r} (line {line})"


def parse_fasta(text: str, limits: Limits = Limits()) -> Sequences:
    """The sequences of FASTA ``text``, or a :class:`SequenceInputError`
    naming the first problem: no records, text before the first ``>``, a
    missing or repeated name, an empty sequence, a letter no aligner reads,
    too few or too many sequences, a sequence too long."""
    names: list[str] = []
    lines_of: list[int] = []
    #: Per record, its lines of letters, each with its line number.
    chunks: list[list[tuple[int, str]]] = []
    for number, raw in enumerate(io.StringIO(text), start=1):
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith(">"):
            header = line[1:].strip()
            name = header.split()[0] if header else ""
            if not name:
                raise SequenceInputError(
                    f"line {number}: a sequence has no name after '>'", line=number
                )
            if name in names:
                first = lines_of[names.index(name)]
                raise SequenceInputError(
                    f"line {number}: the name {name!r} is used twice (first on line {first}); "
                    "every sequence needs its own name",
                    line=number,
                    record=name,
                )
            names.append(name)
            lines_of.append(number)
            chunks.append([])
            if limits.max_sequences is not None and len(names) > limits.max_sequences:
                raise SequenceInputError(
                    f"line {number}: more than {limits.max_sequences} sequences; "
                    f"at most {limits.max_sequences} can be imported at once",
                    line=number,
                    record=name,
                )
            continue
        if not names:
            raise SequenceInputError(
                f"line {number}: text before the first '>' header; FASTA starts each "
                "sequence with a line '>name'",
                line=number,
            )
        chunks[-1].append((number, line.upper().replace(".", GAP).replace(" ", "")))
    if not names:
        raise SequenceInputError("no sequences found: FASTA starts each sequence with '>name'")
    if len(names) < limits.min_sequences:
        raise SequenceInputError(
            f"only {len(names)} sequence{'s' if len(names) != 1 else ''}; "
            f"at least {limits.min_sequences} are needed to make an alignment"
        )
    rows = ["".join(part for _, part in chunk) for chunk in chunks]
    letters: set[str] = set()
    for name, at, row in zip(names, lines_of, rows, strict=True):
        if not row.replace(GAP, ""):
            raise SequenceInputError(f"{_where(name, at)} is empty", line=at, record=name)
        if limits.max_length is not None and len(row) > limits.max_length:
            raise SequenceInputError(
                f"{_where(name, at)} is {len(row):,} letters long; "
                f"at most {limits.max_length:,} can be imported",
                line=at,
                record=name,
            )
        letters.update(row)
    letters.discard(GAP)
    kind = "dna" if letters <= NUCLEOTIDES else "protein"
    allowed = DNA_LETTERS if kind == "dna" else PROTEIN_LETTERS
    for name, at, row, chunk in zip(names, lines_of, rows, chunks, strict=True):
        bad = next((letter for letter in row if letter != GAP and letter not in allowed), None)
        if bad is None:
            continue
        where = next(number for number, part in chunk if bad in part)
        hint = "; RNA is imported with T for U" if bad == "U" else ""
        raise SequenceInputError(
            f"{_where(name, at)}: line {where} holds {bad!r}, which is not "
            f"a {'nucleotide' if kind == 'dna' else 'amino acid'} letter{hint}",
            line=where,
            record=name,
        )
    return Sequences(names, rows, kind)


def check_guide_tree(text: str, names: list[str]) -> str:
    """The Newick ``text`` cleaned of surrounding space, once it parses and its
    leaves are exactly ``names``."""
    from Bio import Phylo
    from Bio.Phylo.NewickIO import NewickError

    newick = text.strip()
    try:
        trees = list(Phylo.parse(io.StringIO(newick), "newick"))
    except (NewickError, ValueError, IndexError) as error:
        raise SequenceInputError(f"the guide tree is not Newick: {error}") from None
    if len(trees) != 1:
        raise SequenceInputError("the guide tree must be one Newick tree ending in ';'")
    leaves = [leaf.name or "" for leaf in trees[0].get_terminals()]
    missing = [name for name in names if name not in leaves]
    extra = [leaf for leaf in leaves if leaf not in names]
    if missing:
        raise SequenceInputError(
            f"the guide tree has no leaf for {', '.join(repr(n) for n in missing[:5])}"
        )
    if extra:
        raise SequenceInputError(
            f"the guide tree names {', '.join(repr(n) for n in extra[:5])}, "
            "which is not among the sequences"
        )
    if len(leaves) != len(set(leaves)):
        raise SequenceInputError("the guide tree names a sequence twice")
    return newick
