"""Benchmark: ingesting a large CSV next to the parsers it is built on.

    .venv/bin/python benchmarks/ingest.py                       # 1,000,000 rows x 20 columns
    .venv/bin/python benchmarks/ingest.py --rows 300000 --repeat 5
    .venv/bin/python benchmarks/ingest.py --before /path/to/old/checkout   # old code, same run

The file is trial-like: integers and decimals with missing-value codes ("NA",
".", empty cells), categories, a date with a few thousand values, a date of
high cardinality (tens of thousands of days, 2% "NA"), a timestamp that is
different on every row, a boolean and a free-text note of 3 to 11 words (a
third of them ending in a number, 5% empty).

Each measurement runs in a fresh subprocess, so its peak memory (VmHWM,
interpreter and libraries included) and its CPU time (all threads) are its
own; on a busy machine CPU time is the steadier figure. The kinds are run in turn,
round after round (interleaved), and the median of the rounds is reported, so
the machine's other load falls on all of them alike. Measured:

* pyarrow      - ``pyarrow.csv.read_csv`` with the file's missing-value codes:
                 parsing into typed columns, the anchor.
* polars       - ``polars.read_csv`` likewise, dates parsed (skipped if polars
                 is not installed).
* validate     - ``datasets.validate`` against a given schema: every cell type-
                 and constraint-checked, summary statistics computed.
* ingest       - the whole upload pipeline: byte scan and SHA-256, schema
                 inference over every row, report and statistics, identifier
                 screening, and storing the file in a LocalBlobStore.
* ingest-before - ``ingest`` from the checkout given with ``--before``.
* frictionless - ``frictionless.validate`` with the same schema as validate (on
                 a prefix of ``--frictionless-rows`` rows; compared in rows/s).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MISSING = ["", "NA", "."]
CATS = ["alpha", "beta", "gamma", "delta", "epsilon"]
WORDS = [
    "the",
    "patient",
    "reported",
    "mild",
    "headache",
    "after",
    "dose",
    "nausea",
    "resolved",
    "without",
    "treatment",
    "visit",
    "delayed",
    "because",
    "of",
    "travel",
    "follow",
    "up",
    "by",
    "phone",
    "no",
    "adverse",
    "events",
    "noted",
    "swelling",
    "at",
    "injection",
    "site",
    "improved",
    "on",
    "day",
    "seen",
    "in",
    "clinic",
    "withdrew",
    "consent",
    "lost",
    "to",
]

SCHEMA = {
    "fields": (
        [{"name": "id", "type": "integer", "constraints": {"required": True, "unique": True}}]
        + [{"name": f"int{i}", "type": "integer", "constraints": {"minimum": 0}} for i in range(5)]
        + [{"name": f"num{i}", "type": "number"} for i in range(5)]
        + [{"name": f"cat{i}", "type": "string", "constraints": {"enum": CATS}} for i in range(4)]
        + [
            {"name": "visit", "type": "date"},
            {"name": "enrolled", "type": "date"},
            {"name": "recorded", "type": "datetime"},
            {"name": "flag", "type": "boolean"},
            {"name": "note", "type": "string"},
        ]
    ),
    "missingValues": MISSING,
    "primaryKey": ["id"],
}


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """``rows`` x 20 columns of trial-like data, about 175 bytes per row."""
    import numpy as np

    rng = np.random.default_rng(seed)
    cats = np.array(CATS)
    words = np.array(WORDS)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([f["name"] for f in SCHEMA["fields"]])
        step = 100_000
        for start in range(0, rows, step):
            n = min(step, rows - start)
            cols = [np.arange(start + 1, start + n + 1).astype(str)]
            for i in range(5):
                ints = rng.integers(0, 1000, n).astype(str)
                ints[rng.random(n) < 0.01] = "NA" if i % 2 else "."
                cols.append(ints)
            for _ in range(5):
                nums = np.round(rng.normal(50, 10, n), 3).astype(str)
                nums[rng.random(n) < 0.01] = ""
                cols.append(nums)
            for _ in range(4):
                cols.append(cats[rng.integers(0, 5, n)])
            visit = np.datetime64("2000-01-01") + rng.integers(0, 3650, n)
            cols.append(visit.astype(str))
            enrolled = (np.datetime64("1930-01-01") + rng.integers(0, 33_000, n)).astype(str)
            enrolled[rng.random(n) < 0.02] = "NA"
            cols.append(enrolled)
            seconds = rng.integers(0, 300_000_000, n).astype("timedelta64[s]")
            cols.append((np.datetime64("2015-01-01T00:00:00") + seconds).astype(str))
            cols.append(np.where(rng.random(n) < 0.5, "true", "false"))
            lengths = rng.integers(3, 12, n)
            picks = words[rng.integers(0, len(words), (n, 11))]
            note = np.array([" ".join(p[:k]) for p, k in zip(picks, lengths, strict=True)])
            dated = rng.random(n) < 0.3  # "... on day 12": some notes hold a number
            note[dated] = np.char.add(
                np.char.add(note[dated], " on day "),
                rng.integers(1, 60, int(dated.sum())).astype(str),
            )
            note[rng.random(n) < 0.05] = ""
            cols.append(note)
            writer.writerows(zip(*cols, strict=True))


def prefix(src: Path, dst: Path, rows: int) -> None:
    with open(src, encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
        for i, line in enumerate(fin):
            if i > rows:
                break
            fout.write(line)


# ---------------------------------------------------------------- workers --

WORKER = r"""
import json, os.path, resource, sys, time
kind, path, extra = sys.argv[1], sys.argv[2], sys.argv[3]
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
def peak_mb():
    # VmHWM belongs to this program's memory map, new at exec; ru_maxrss outlives exec,
    # so a worker forked while the parent held the generated file reported its peak.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
MISSING = json.loads(sys.argv[4])
# Imports happen before the clock starts: only the work on the file is timed.
if kind == "pyarrow":
    import pyarrow.csv as pacsv
    options = pacsv.ConvertOptions(null_values=MISSING, strings_can_be_null=True)
    start, cpu0 = time.perf_counter(), cpu()
    rows, ok = pacsv.read_csv(path, convert_options=options).num_rows, True
elif kind == "polars":
    import polars as pl
    start, cpu0 = time.perf_counter(), cpu()
    rows, ok = pl.read_csv(path, null_values=MISSING, try_parse_dates=True).height, True
elif kind == "validate":
    from datasets.validation import validate
    schema = json.loads(extra)
    start, cpu0 = time.perf_counter(), cpu()
    report = validate(path, schema)
    rows, ok = report.row_count, report.valid
elif kind.startswith("ingest"):
    from datasets.ingest import ingest
    from datasets.storage import LocalBlobStore
    import inspect
    # Stored as the portal stores an upload it staged itself, hashed once (a checkout
    # from before ``own_file`` hashes it twice).
    staged = {"own_file": True} if "own_file" in inspect.signature(ingest).parameters else {}
    start, cpu0 = time.perf_counter(), cpu()
    result = ingest(path, store=LocalBlobStore(extra), **staged)
    rows, ok = result.row_count, result.valid
else:
    import frictionless
    schema = frictionless.Schema.from_descriptor(json.loads(extra))
    start, cpu0 = time.perf_counter(), cpu()
    # frictionless refuses absolute paths as unsafe; the worker runs in the file's directory
    report = frictionless.validate(os.path.basename(path), schema=schema)
    rows, ok = report.tasks[0].stats.get("rows"), report.valid
    if not ok:
        sys.exit(str(report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]))
seconds = time.perf_counter() - start
cpu_seconds = cpu() - cpu0
peak = peak_mb()
result = {"rows": rows, "valid": ok, "seconds": seconds, "cpu": cpu_seconds, "peak_mb": peak}
print(json.dumps(result))
"""


def measure(kind: str, path: Path, extra: str, code: Path = ROOT) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code))
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, kind, str(path), extra, json.dumps(MISSING)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=path.parent,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--frictionless-rows",
        default="100000",
        help="rows to give frictionless ('all' or a number, for a prefix; 0 to skip it)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="rounds; medians are reported")
    parser.add_argument(
        "--before", type=Path, help="a checkout of older code whose ingest runs in the same rounds"
    )
    parser.add_argument("--keep", type=Path, help="directory to keep the generated files in")
    args = parser.parse_args()

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        run(args, workdir)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def _lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def run(args: argparse.Namespace, workdir: Path) -> None:
    data = workdir / "bench.csv"
    t = time.perf_counter()
    if not data.exists() or _lines(data) != args.rows + 1:
        generate(data, args.rows)
    size_mb = data.stat().st_size / 1e6
    print(
        f"{args.rows:,} rows x 20 columns, {size_mb:.0f} MB, "
        f"ready in {time.perf_counter() - t:.1f}s ({data})"
    )
    schema = json.dumps(SCHEMA)
    kinds: dict[str, tuple[Path, str, Path]] = {"pyarrow": (data, "", ROOT)}
    if installed("polars"):
        kinds["polars"] = (data, "", ROOT)
    kinds["validate"] = (data, schema, ROOT)
    kinds["ingest"] = (data, "", ROOT)
    if args.before:
        kinds["ingest-before"] = (data, "", args.before.resolve())
    fl_note = ""
    if args.frictionless_rows != "0" and installed("frictionless"):
        fl_path = data
        if args.frictionless_rows != "all" and int(args.frictionless_rows) < args.rows:
            fl_path = workdir / "prefix.csv"
            prefix(data, fl_path, int(args.frictionless_rows))
            fl_note = f" (a {int(args.frictionless_rows):,}-row prefix)"
        kinds["frictionless"] = (fl_path, schema, ROOT)

    runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for r in range(args.repeat):
        for kind, (path, extra, code) in kinds.items():
            if kind.startswith("ingest"):
                extra = str(workdir / f"store-{kind}-{r}")
            result = measure(kind, path, extra, code)
            if kind.startswith("ingest"):
                shutil.rmtree(extra, ignore_errors=True)
            runs[kind].append(result)
        print(
            f"round {r + 1}: " + ", ".join(f"{k} {v[-1]['seconds']:.2f}s" for k, v in runs.items()),
            flush=True,
        )

    results: dict[str, dict] = {}
    for kind, rs in runs.items():
        results[kind] = {
            "rows": rs[0]["rows"],
            "seconds": statistics.median(x["seconds"] for x in rs),
            "cpu": statistics.median(x["cpu"] for x in rs),
            "peak_mb": max(x["peak_mb"] for x in rs),
        }
        results[kind]["rows_per_second"] = results[kind]["rows"] / results[kind]["seconds"]
        if kind in ("validate", "ingest", "ingest-before"):
            assert results[kind]["rows"] == args.rows and all(x["valid"] for x in rs), kind

    print()
    print(f"{'':15}{'rows':>11}{'seconds':>10}{'CPU s':>8}{'rows/s':>12}{'peak MB':>10}")
    for kind, res in results.items():
        note = fl_note if kind == "frictionless" else ""
        print(
            f"{kind:15}{res['rows']:>11,}{res['seconds']:>10.2f}{res['cpu']:>8.2f}"
            f"{res['rows_per_second']:>12,.0f}"
            f"{res['peak_mb']:>10.0f}{note}"
        )
    print(f"\nmedians of {args.repeat} interleaved rounds")
    ours = [k for k in ("validate", "ingest", "ingest-before") if k in results]
    for kind in ours:
        secs = results[kind]["seconds"]
        parts = [f"{secs / results[a]['seconds']:.2f}x {a}'s time" for a in ("pyarrow", "polars")]
        parts = [p for p, a in zip(parts, ("pyarrow", "polars"), strict=True) if a in results]
        if "frictionless" in results:
            fl = results[kind]["rows_per_second"] / results["frictionless"]["rows_per_second"]
            parts.append(f"{fl:.1f}x frictionless's rows/s")
        print(f"{kind:15}" + ", ".join(parts))
        cpu = results[kind]["cpu"]
        parts = [
            f"{cpu / results[a]['cpu']:.2f}x {a}'s" for a in ("pyarrow", "polars") if a in results
        ]
        print(f"{'':15}CPU time: " + ", ".join(parts))
    if "ingest-before" in results:
        gain = results["ingest-before"]["seconds"] / results["ingest"]["seconds"]
        print(f"ingest is {gain:.2f}x faster than ingest-before")
    peak = max(results[k]["peak_mb"] for k in ours)
    print(f"peak memory of ours: {peak:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
