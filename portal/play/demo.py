"""Demo puzzles: the tutorial and windows of the real alignments in games/data."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from portal.play import cutting, tutorial

DATA = Path(__file__).resolve().parents[2] / "games" / "data"
SOURCE = (
    "scikit-bio 0.7.4 test data (skbio/alignment/tests/data), copied unchanged;"
    " see games/data/README.md"
)
LICENCE = "BSD-3-Clause"

DEMO_ALIGNMENTS = [
    # (file, kind, slug, title, {level: how many puzzles at most})
    (
        "il6.nucl.fasta",
        "dna",
        "il6-nucl",
        "Interleukin-6 coding sequences",
        {"beginner": 4, "intermediate": 3, "expert": 3},
    ),
    (
        "il6.prot.fasta",
        "protein",
        "il6-prot",
        "Interleukin-6 proteins",
        {"beginner": 2, "expert": 1},
    ),
    (
        "tp53.prot.fasta",
        "protein",
        "tp53-prot",
        "p53 proteins",
        {"beginner": 2, "intermediate": 1, "expert": 1},
    ),
]


def load_puzzles(
    session: Session, *, echo: Callable[[str], object] = print, time_limit: float = 1.0
) -> int:
    """Adds the tutorial and the demo puzzles (idempotent); returns how many
    puzzles there are from these sources."""
    tutorial.ensure_tutorial(session)
    total = 1
    for name, kind, slug, title, limits in DEMO_ALIGNMENTS:
        start = time.perf_counter()
        _alignment, puzzles = cutting.import_alignment(
            session,
            DATA / name,
            kind=kind,
            slug=slug,
            title=title,
            licence=LICENCE,
            source=SOURCE,
            levels=limits,
            time_limit=time_limit,
        )
        total += len(puzzles)
        echo(f"  + {len(puzzles)} puzzles from {title} ({time.perf_counter() - start:.1f} s)")
    echo(f"Demo puzzles: {total} (tutorial included).")
    return total
