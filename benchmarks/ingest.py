"""Benchmark: validating and ingesting a large CSV, next to frictionless-py.

    .venv/bin/python benchmarks/ingest.py                 # 1,000,000 rows x 20 columns
    .venv/bin/python benchmarks/ingest.py --rows 200000 --frictionless-rows 50000

Each measurement runs in a fresh subprocess so its peak memory (ru_maxrss,
which includes the interpreter and libraries) is its own. Measured:

* validate   - ``datasets.validate`` against a given schema (every cell is
               type- and constraint-checked, summary statistics computed);
               the operation comparable to ``frictionless validate``.
* ingest     - the whole upload pipeline: byte scan + SHA-256, schema
               inference over the whole file, report, identifier screening,
               and storing the file in a LocalBlobStore.
* frictionless - ``frictionless.validate(path, schema=...)`` with the same
               schema (types, required, unique, minimum, enum, primary key),
               so both check exactly the same things. A benchmark-only
               dependency: ``pip install frictionless``.

The machine's other load affects all three alike; run twice if in doubt.
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

SCHEMA = {
    "fields": (
        [{"name": "id", "type": "integer", "constraints": {"required": True, "unique": True}}]
        + [{"name": f"int{i}", "type": "integer", "constraints": {"minimum": 0}} for i in range(6)]
        + [{"name": f"num{i}", "type": "number"} for i in range(6)]
        + [
            {
                "name": f"cat{i}",
                "type": "string",
                "constraints": {"enum": ["alpha", "beta", "gamma", "delta", "epsilon"]},
            }
            for i in range(4)
        ]
        + [
            {"name": "visit", "type": "date"},
            {"name": "flag", "type": "boolean"},
            {"name": "note", "type": "string"},
        ]
    ),
    "missingValues": ["", "NA"],
    "primaryKey": ["id"],
}


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """rows x 20 columns of trial-like data, about 120 bytes per row."""
    import numpy as np

    rng = np.random.default_rng(seed)
    cats = np.array(["alpha", "beta", "gamma", "delta", "epsilon"])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([f["name"] for f in SCHEMA["fields"]])
        step = 100_000
        for start in range(0, rows, step):
            n = min(step, rows - start)
            cols = [np.arange(start + 1, start + n + 1).astype(str)]
            for _ in range(6):
                ints = rng.integers(0, 1000, n).astype(str)
                ints[rng.random(n) < 0.01] = "NA"
                cols.append(ints)
            for _ in range(6):
                cols.append(np.round(rng.normal(50, 10, n), 3).astype(str))
            for _ in range(4):
                cols.append(cats[rng.integers(0, 5, n)])
            days = np.datetime64("2000-01-01") + rng.integers(0, 3650, n)
            cols.append(days.astype(str))
            cols.append(np.where(rng.random(n) < 0.5, "true", "false"))
            cols.append(np.char.add("note ", rng.integers(0, 100, n).astype(str)))
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
# Imports happen before the clock starts: only the work on the file is timed.
if kind == "validate":
    from datasets.validation import validate
    schema = json.loads(extra)
    start = time.perf_counter()
    report = validate(path, schema)
    rows, ok = report.row_count, report.valid
elif kind == "ingest":
    from datasets.ingest import ingest
    from datasets.storage import LocalBlobStore
    start = time.perf_counter()
    result = ingest(path, store=LocalBlobStore(extra))
    rows, ok = result.row_count, result.valid
else:
    import frictionless
    schema = frictionless.Schema.from_descriptor(json.loads(extra))
    start = time.perf_counter()
    # frictionless refuses absolute paths as unsafe; the worker runs in the file's directory
    report = frictionless.validate(os.path.basename(path), schema=schema)
    rows, ok = report.tasks[0].stats.get("rows"), report.valid
    if not ok:
        sys.exit(str(report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": rows, "valid": ok, "seconds": seconds, "peak_mb": peak}))
"""


def measure(kind: str, path: Path, extra: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, kind, str(path), extra],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=path.parent,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--frictionless-rows",
        default="all",
        help="rows to give frictionless ('all' or a number, for a prefix)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of ours; the median is reported"
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


def run(args: argparse.Namespace, workdir: Path) -> None:
    data = workdir / "bench.csv"
    t = time.perf_counter()
    generate(data, args.rows)
    size_mb = data.stat().st_size / 1e6
    print(
        f"generated {args.rows:,} rows x 20 columns, {size_mb:.0f} MB, "
        f"in {time.perf_counter() - t:.1f}s ({data})"
    )

    results: dict[str, dict] = {}
    for kind in ("validate", "ingest"):
        runs = []
        for r in range(args.repeat):
            extra = json.dumps(SCHEMA) if kind == "validate" else str(workdir / f"store{r}")
            runs.append(measure(kind, data, extra))
        seconds = statistics.median(run["seconds"] for run in runs)
        results[kind] = {
            **runs[0],
            "seconds": seconds,
            "peak_mb": max(run["peak_mb"] for run in runs),
            "all_seconds": [round(run["seconds"], 2) for run in runs],
        }
        assert results[kind]["rows"] == args.rows and results[kind]["valid"]

    fl_note = ""
    try:
        import frictionless  # noqa: F401

        fl_path = data
        if args.frictionless_rows != "all" and int(args.frictionless_rows) < args.rows:
            fl_path = workdir / "prefix.csv"
            prefix(data, fl_path, int(args.frictionless_rows))
            fl_note = f" (on a {int(args.frictionless_rows):,}-row prefix)"
        results["frictionless"] = measure("frictionless", fl_path, json.dumps(SCHEMA))
    except ImportError:
        fl_note = " not installed (pip install frictionless)"

    print()
    print(f"{'':14}{'rows':>11}{'seconds':>10}{'rows/s':>12}{'peak MB':>10}")
    for kind, res in results.items():
        rate = res["rows"] / res["seconds"]
        res["rows_per_second"] = rate
        note = fl_note if kind == "frictionless" else f"  runs {res['all_seconds']}"
        print(
            f"{kind:14}{res['rows']:>11,}{res['seconds']:>10.2f}{rate:>12,.0f}"
            f"{res['peak_mb']:>10.0f}{note}"
        )
    if "frictionless" in results:
        fl = results["frictionless"]["rows_per_second"]
        print()
        for kind in ("validate", "ingest"):
            ratio = results[kind]["rows_per_second"] / fl
            print(f"{kind} is {ratio:.1f}x frictionless-py in rows per second")
    else:
        print(f"\nfrictionless{fl_note}")
    peak = max(results[k]["peak_mb"] for k in ("validate", "ingest"))
    print(f"peak memory of ours: {peak:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
