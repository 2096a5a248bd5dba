"""Times games.scoring against Biopython's ``Alignment.counts(aligner)`` on the
same alignments, asserts that the scores are identical, and checks the timing
targets.

    .venv/bin/python benchmarks/scorer.py

Each line gives our figure, the baseline measured in the same run, and their
ratio.  Exit status 1 if a target is missed.  Timing targets live here only,
never in the tests.

The machine this runs on is shared, so single-threaded figures are the CPU
time of this thread (``time.thread_time``: time spent waiting for a core does
not count), each contender is timed once per round, rounds interleave the
contenders, and figures are medians over the rounds.  The kernel's line also
gives its share of the memory-bandwidth limit: the time a numpy copy, timed
in the same rounds, takes to move as many bytes as the alignment has cells,
over the kernel's time (the kernel must read every cell once).

    .venv/bin/python benchmarks/scorer.py --against main

also times the kernel of another git revision on the same codes, in the same
rounds (before/after).

About the baselines: Biopython 1.88's ``counts`` carries its gap state from
one pair of rows to the next (see tests/games/test_biopython_parity.py), which
can turn a pair's leading gap open into an extension.  The random alignments
below therefore start with a gap-free column (every protein starts with M),
where that cannot happen, and the puzzle scheme has free end gaps, where it
makes no difference; the scores then agree exactly.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numba  # noqa: E402
import numpy as np  # noqa: E402
from Bio import Align  # noqa: E402
from Bio.Align import Alignment  # noqa: E402
from Bio.Seq import Seq  # noqa: E402

from games.encoding import compile_scheme, encode_batch, encode_rows  # noqa: E402
from games.scheme import ScoringScheme  # noqa: E402
from games.scoring import _score_codes, score_alignment, score_batch, warmup  # noqa: E402

AMINO_ACIDS = np.frombuffer(b"ARNDCQEGHILKMFPSTWYV", dtype=np.uint8)
# Background frequencies (roughly UniProt), so that substitutions look real.
AA_FREQUENCIES = np.array(
    [
        8.3,
        5.5,
        4.1,
        5.5,
        1.4,
        3.9,
        6.7,
        7.1,
        2.3,
        5.9,
        9.7,
        5.8,
        2.4,
        3.9,
        4.7,
        6.6,
        5.3,
        1.1,
        2.9,
        6.9,
    ]
)
AA_FREQUENCIES /= AA_FREQUENCIES.sum()
NUCLEOTIDES = np.frombuffer(b"ACGT", dtype=np.uint8)
GAP = ord("-")

failures: list[str] = []

clock = time.thread_time
COPY_BYTES = 64 << 20  # far beyond the caches: the copy runs at memory speed
_copy_source = np.ones(COPY_BYTES, dtype=np.uint8)
_copy_target = np.empty_like(_copy_source)


def numpy_copy() -> None:
    np.copyto(_copy_target, _copy_source)


def rounds(contenders: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median time of each contender over ``repeat`` rounds, each round timing
    every contender once, in turn."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, function in contenders.items():
            start = clock()
            function()
            times[name].append(clock() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def bandwidth_share(seconds: float, cells: int, copy_seconds: float) -> tuple[float, float]:
    """(copy bandwidth in bytes per second, the kernel's share of the limit)."""
    bandwidth = COPY_BYTES / copy_seconds
    return bandwidth, cells / bandwidth / seconds


def git(*arguments: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *arguments], capture_output=True, text=True, check=True
    ).stdout


class Baseline:
    """The kernel of another revision, loaded from git into a scratch module,
    called the way that revision's scoring.py called it."""

    def __init__(self, revision: str) -> None:
        self.revision = revision
        self._directory = tempfile.TemporaryDirectory()  # numba caches beside the files
        where = Path(self._directory.name)
        # A single module, or a package whose modules import each other relatively.
        listed = git("ls-tree", "--name-only", revision, "games/_kernels/").split()
        if listed:
            package = where / "baseline_kernels"
            package.mkdir()
            for name in listed:
                if name.endswith(".py"):
                    (package / Path(name).name).write_text(git("show", f"{revision}:{name}"))
            path = package / "__init__.py"
            locations = [str(package)]
        else:
            path = where / "baseline_kernels.py"
            path.write_text(git("show", f"{revision}:games/_kernels.py"))
            locations = None
        spec = importlib.util.spec_from_file_location(
            "baseline_kernels", path, submodule_search_locations=locations
        )
        assert spec is not None and spec.loader is not None
        self.module = importlib.util.module_from_spec(spec)
        sys.modules["baseline_kernels"] = self.module  # for its relative imports
        spec.loader.exec_module(self.module)
        kernel = self.module.score_codes
        self.parameters = list(inspect.signature(kernel.py_func).parameters)

    def scorer(self, codes: np.ndarray, scheme: ScoringScheme) -> Callable[[], float]:
        compiled = compile_scheme(scheme)
        weights = np.ones(codes.shape[0])
        arguments = (compiled.gaps, compiled.symmetric_gaps, compiled.symmetric_table, True)
        kernel = self.module.score_codes
        if self.parameters[1] == "cols":  # the column-major copy was made by the caller
            return lambda: kernel(
                codes, np.ascontiguousarray(codes.T), compiled.table, weights, *arguments
            )
        extra = (0,) * (len(self.parameters) - 7)  # tile_cols and later: their defaults
        return lambda: kernel(codes, compiled.table, weights, *arguments, *extra)


def best_of(function, repeat: int) -> tuple[float, object]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.3f} s "


def report(label: str, ours: float, baseline: float, note: str = "") -> float:
    ratio = baseline / ours
    print(
        f"{label:<34} ours {fmt_time(ours)}   Biopython {fmt_time(baseline)}   {ratio:9.3g}x{note}"
    )
    return ratio


def target(description: str, met: bool) -> None:
    print(f"    target: {description}: {'met' if met else 'MISSED'}")
    if not met:
        failures.append(description)


def protein_alignment(rng: np.random.Generator, n_rows: int, n_columns: int) -> np.ndarray:
    """Rows of a made-up protein family: a consensus with 30% substitutions,
    gap runs of geometric length (mean 4) opened once per 50 columns, columns
    that only a few rows fill (insertions), and ragged right ends."""
    consensus = rng.choice(AMINO_ACIDS, size=n_columns, p=AA_FREQUENCIES)
    mutated = rng.choice(AMINO_ACIDS, size=(n_rows, n_columns), p=AA_FREQUENCIES)
    rows = np.where(rng.random((n_rows, n_columns)) < 0.3, mutated, consensus)
    gaps = np.zeros((n_rows, n_columns), dtype=bool)
    lengths = rng.geometric(0.25, size=(n_rows, n_columns))
    for row, column in np.argwhere(rng.random((n_rows, n_columns)) < 1 / 50):
        gaps[row, column : column + lengths[row, column]] = True
    insertion_columns = rng.random(n_columns) < 0.05
    gaps[:, insertion_columns] |= rng.random((n_rows, int(insertion_columns.sum()))) < 0.9
    for row in np.flatnonzero(rng.random(n_rows) < 0.2):
        gaps[row, n_columns - rng.integers(1, max(2, n_columns // 10)) :] = True
    rows[gaps] = GAP
    rows[:, 0] = ord("M")  # gap-free first column: see the module docstring
    return rows


def puzzle_solutions(rng: np.random.Generator, count: int) -> np.ndarray:
    """8 x 25 DNA solutions: a 25-column consensus, 25% substitutions, one or
    two short gap runs per row and ragged ends."""
    n_rows, n_columns = 8, 25
    consensus = rng.choice(NUCLEOTIDES, size=(count, 1, n_columns))
    mutated = rng.choice(NUCLEOTIDES, size=(count, n_rows, n_columns))
    cells = np.where(rng.random((count, n_rows, n_columns)) < 0.25, mutated, consensus)
    gaps = np.zeros(cells.shape, dtype=bool)
    columns = np.arange(n_columns)
    for _ in range(2):
        start = rng.integers(0, n_columns, size=(count, n_rows, 1))
        length = rng.integers(0, 4, size=(count, n_rows, 1))
        gaps |= (columns >= start) & (columns < start + length)
    left = rng.integers(0, 3, size=(count, n_rows, 1))
    right = rng.integers(0, 3, size=(count, n_rows, 1))
    gaps |= (columns < left) | (columns >= n_columns - right)
    cells[gaps] = GAP
    return cells


def to_alignment(rows: np.ndarray) -> Alignment:
    sequences, coordinates = Alignment.parse_printed_alignment([row.tobytes() for row in rows])
    return Alignment([Seq(sequence) for sequence in sequences], coordinates)


def to_strings(rows: np.ndarray) -> list[str]:
    return [row.tobytes().decode("ascii") for row in rows]


def kernel_lines(
    rows: np.ndarray, alignment: Alignment, scheme: ScoringScheme, baseline: Baseline | None,
    repeat: int, biopython: Callable[[], float] | None,
) -> dict[str, float]:  # fmt: skip
    """Times, in the same rounds: the whole call from an Alignment, from a
    list of strings, the Alignment -> codes step, the kernel alone, a numpy
    copy, and (when given) Biopython and another revision's kernel."""
    strings = to_strings(rows)
    codes = encode_rows(alignment, scheme)
    contenders: dict[str, Callable[[], object]] = {
        "alignment": lambda: score_alignment(alignment, scheme),
        "strings": lambda: score_alignment(strings, scheme),
        "encode": lambda: encode_rows(alignment, scheme),
        "kernel": lambda: _score_codes(codes, scheme),
        "copy": numpy_copy,
    }
    if baseline is not None:
        before = baseline.scorer(codes, scheme)
        assert before() == _score_codes(codes, scheme)
        contenders["before"] = before
    if biopython is not None:
        contenders["biopython"] = biopython
    return rounds(contenders, repeat)


def print_kernel(
    label: str, times: dict[str, float], cells: int, baseline: Baseline | None
) -> None:
    bandwidth, share = bandwidth_share(times["kernel"], cells, times["copy"])
    per_cell = times["kernel"] / cells * 1e9
    print(
        f"{label:<34} ours {fmt_time(times['kernel'])}   {per_cell:5.2f} ns/cell   {share:6.2%}"
        f" of the bandwidth limit (numpy copy {bandwidth / 1e9:.1f} GB/s, same rounds)"
    )
    if baseline is not None:
        print(
            f"{'  kernel of ' + baseline.revision:<34} was  {fmt_time(times['before'])}"
            f"   {times['before'] / cells * 1e9:5.2f} ns/cell"
            f"   now {times['before'] / times['kernel']:.2f}x faster (same rounds)"
        )
    print(
        f"{'  Alignment -> codes':<34} ours {fmt_time(times['encode'])}"
        f"   ({times['encode'] / times['kernel']:.2f}x the kernel)"
    )


def bench_random_proteins(
    rng: np.random.Generator, scheme: ScoringScheme, baseline: Baseline | None
) -> None:
    aligner = scheme.to_aligner()
    for n_rows, n_columns in [(50, 300), (200, 1000), (400, 2000)]:
        rows = protein_alignment(rng, n_rows, n_columns)
        alignment = to_alignment(rows)
        strings = to_strings(rows)
        baseline_score = alignment.counts(aligner).score
        ours = score_alignment(alignment, scheme)
        assert ours == score_alignment(strings, scheme) == baseline_score, (ours, baseline_score)
        times = kernel_lines(
            rows,
            alignment,
            scheme,
            baseline,
            5 if n_rows == 400 else 9,
            lambda a=alignment: a.counts(aligner).score,
        )
        label = f"protein {n_rows}x{n_columns} (blastp)"
        ratio = report(
            label, times["alignment"], times["biopython"], f"   score {ours:.0f} identical"
        )
        report("  same, from a list of strings", times["strings"], times["biopython"])
        print_kernel("  kernel alone (codes -> score)", times, n_rows * n_columns, baseline)
        if (n_rows, n_columns) == (400, 2000):
            target(
                f"400x2000 from an Alignment at least 500x Biopython on one thread"
                f" (got {ratio:.0f}x)",
                ratio >= 500,
            )


def bench_real(scheme: ScoringScheme) -> None:
    path = ROOT / "games" / "data" / "il6.prot.fasta"
    alignment = Align.read(path, "fasta")
    aligner = scheme.to_aligner()
    baseline_time, baseline = best_of(lambda: alignment.counts(aligner).score, 200)
    ours_time, ours = best_of(lambda: score_alignment(alignment, scheme), 200)
    assert ours == baseline, (ours, baseline)
    report(
        f"real: {path.name} 7x246 (blastp)",
        ours_time,
        baseline_time,
        f"   score {ours:.0f} identical",
    )


def bench_batch(rng: np.random.Generator) -> None:
    scheme = ScoringScheme.puzzle_dna()
    count = 100_000
    cells = puzzle_solutions(rng, count)
    solutions = [to_strings(solution) for solution in cells]
    codes = encode_batch(solutions, scheme)
    score_batch(codes[:10], scheme)
    encode_time, _ = best_of(lambda: encode_batch(solutions, scheme), 3)
    batch_time, scores = best_of(lambda: score_batch(codes, scheme), 5)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        serial_time, serial_scores = best_of(lambda: score_batch(codes, scheme), 3)
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(scores, serial_scores)
    sample = 5_000
    alignments = [to_alignment(solution) for solution in cells[:sample]]
    aligner = scheme.to_aligner()
    baseline_time, baseline = best_of(lambda: [a.counts(aligner).score for a in alignments], 1)
    assert scores[:sample].tolist() == baseline
    baseline_rate = sample / baseline_time
    rate = count / batch_time
    print(
        f"{'batch: 100,000 puzzles 8x25':<34} ours {rate:12,.0f}/s"
        f"   Biopython {baseline_rate:10,.0f}/s"
        f"   {rate / baseline_rate:9.3g}x   ({threads} threads; Biopython timed on {sample:,}"
        " and scores identical there)"
    )
    print(f"{'  same, 1 thread':<34} ours {count / serial_time:12,.0f}/s")
    print(
        f"{'  encode_batch + score_batch':<34} ours {count / (encode_time + batch_time):12,.0f}/s"
        "   (from lists of strings)"
    )
    target(f"at least 200,000 puzzle solutions per second (got {rate:,.0f})", rate >= 200_000)


def bench_large(rng: np.random.Generator, scheme: ScoringScheme, baseline: Baseline | None) -> None:
    n_rows, n_columns = 1000, 10_000
    rows = protein_alignment(rng, n_rows, n_columns)
    alignment = to_alignment(rows)
    assert score_alignment(alignment, scheme) == score_alignment(to_strings(rows), scheme)
    times = kernel_lines(rows, alignment, scheme, baseline, 5, None)
    # Biopython in full would take minutes.  Its counts() walks every block of
    # the coordinates for every pair, so a sub-alignment of some rows that
    # keeps the full coordinates costs the same per pair as the whole; time
    # that and scale by the number of pairs.
    subset = 150
    sub_alignment = Alignment(alignment.sequences[:subset], alignment.coordinates[:subset])
    aligner = scheme.to_aligner()
    start = clock()
    baseline_sub = sub_alignment.counts(aligner).score
    sub_time = clock() - start
    assert score_alignment(sub_alignment, scheme) == baseline_sub
    pairs, sub_pairs = n_rows * (n_rows - 1) // 2, subset * (subset - 1) // 2
    estimate = sub_time * pairs / sub_pairs
    report(
        "protein 1000x10000 (blastp)",
        times["alignment"],
        estimate,
        f"   Biopython EXTRAPOLATED from {sub_pairs:,} of {pairs:,} pairs"
        f" ({fmt_time(sub_time).strip()}); scores identical on those rows",
    )
    print(f"{'  same, from a list of strings':<34} ours {fmt_time(times['strings'])}")
    print_kernel("  kernel alone (codes -> score)", times, n_rows * n_columns, baseline)
    target(f"1000x10,000 under 1 s (got {times['alignment']:.3f} s)", times["alignment"] < 1.0)


FRESH_OURS = """
import time
start = time.perf_counter()
from games.scheme import ScoringScheme
from games.scoring import score_alignment, score_batch
from games.encoding import encode_batch
from Bio import Align
imported = time.perf_counter()
alignment = Align.read({path!r}, "fasta")
scheme = ScoringScheme.preset("blastp")
ready = time.perf_counter()
score_alignment(alignment, scheme)
first = time.perf_counter()
puzzle = ScoringScheme.puzzle_dna()
score_batch(encode_batch([["ACGT", "AC-T"]], puzzle), puzzle)
batch = time.perf_counter()
print({{"import": imported - start, "first_call": first - ready, "first_batch": batch - first}})
"""

FRESH_BIOPYTHON = """
import time
start = time.perf_counter()
from Bio import Align
from Bio.Align import PairwiseAligner
imported = time.perf_counter()
alignment = Align.read({path!r}, "fasta")
aligner = PairwiseAligner(scoring="blastp")
ready = time.perf_counter()
alignment.counts(aligner).score
first = time.perf_counter()
print({{"import": imported - start, "first_call": first - ready}})
"""


def fresh(code: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    return json.loads(done.stdout.strip().replace("'", '"'))


def bench_first_call() -> None:
    path = str(ROOT / "games" / "data" / "il6.prot.fasta")
    runs = [fresh(FRESH_OURS.format(path=path)) for _ in range(3)]
    baselines = [fresh(FRESH_BIOPYTHON.format(path=path)) for _ in range(3)]
    ours = min(run["first_call"] for run in runs)
    baseline = min(run["first_call"] for run in baselines)
    report(
        "first call, fresh process, cached",
        ours,
        baseline,
        "   (loading the kernels from numba's on-disk cache; best of 3 processes)",
    )
    print(
        f"{'  import games.scoring (+Bio)':<34} ours {fmt_time(min(r['import'] for r in runs))}"
        f"   Biopython {fmt_time(min(r['import'] for r in baselines))} (import Bio.Align)"
    )
    first_batch = min(run["first_batch"] for run in runs)
    print(f"{'  first score_batch, same process':<34} ours {fmt_time(first_batch)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--against",
        metavar="REVISION",
        help="also time this git revision's kernel on the same codes, in the same rounds",
    )
    options = parser.parse_args()
    baseline = Baseline(options.against) if options.against else None
    rng = np.random.default_rng(options.seed)
    start = time.perf_counter()
    warmup()  # compiles on the first run, then loads from the cache
    elapsed = fmt_time(time.perf_counter() - start).strip()
    print(f"warmup(): {elapsed}   numba threads: {numba.get_num_threads()}")
    blastp = ScoringScheme.preset("blastp")
    threads = numba.get_num_threads()
    numba.set_num_threads(1)  # single alignments are scored serially anyway
    try:
        bench_random_proteins(rng, blastp, baseline)
        bench_real(blastp)
        bench_large(rng, blastp, baseline)
    finally:
        numba.set_num_threads(threads)
    bench_batch(rng)
    bench_first_call()
    if failures:
        print("MISSED:", "; ".join(failures))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
