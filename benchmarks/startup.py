"""How fast the ``portal`` command starts: whole processes, as a person runs them.

Times ``portal --help``, ``portal align score small.fa`` (the 7-row IL-6 protein
alignment of games/data) and ``portal meta`` on a 10-study table, next to two
anchors measured in the same run: ``python -c pass`` (the interpreter alone) and a
plain Biopython script that reads the same FASTA file and scores it.  The commands
run interleaved, round after round, so a busy machine slows them all alike; each
line is the median over the rounds of the wall time, the CPU time (user + system,
steadier than the wall time on a shared machine) and the peak resident memory (the
child's own, from ``wait4``), and the wall time's ratio to ``python -c pass``.

Goals: ``--help`` and ``align score`` under 0.5 s and 120 MB, ``meta`` under 1 s.

Run:  python benchmarks/startup.py [--rounds 7] [--baseline OTHER/.venv/bin/portal]

``--baseline`` adds the same three commands run by another installation's ``portal``
(another checkout, say), in the same rounds, for a before-and-after table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TEN_STUDIES = """study,ai,n1i,ci,n2i
Aronson 1948,4,123,11,139
Ferguson 1949,6,306,29,303
Rosenthal 1960,3,231,11,220
Hart 1977,62,13598,248,12867
Frimodt-Moller 1973,33,5069,47,5808
Stein 1953,180,1541,372,1451
Vandiviere 1973,8,2545,10,629
TPT Madras 1980,505,88391,499,88391
Coetzee 1968,29,7470,45,7232
Rosenthal 1961,17,1699,65,1600
"""

BIOPYTHON_SCRIPT = """
import sys
from Bio import AlignIO
from Bio.Align import PairwiseAligner

records = AlignIO.read(sys.argv[1], "fasta")
aligner = PairwiseAligner(match_score=1, mismatch_score=-1, open_gap_score=-4,
                          extend_gap_score=-1, end_gap_score=0)
print(records.alignment.counts(aligner).score)
"""


def run(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak resident MB of one run."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.stderr is not None
    error = process.stderr.read().decode()
    process.stderr.close()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{error}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def portal_command() -> list[str]:
    script = Path(sys.executable).with_name("portal")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from portal.cli import main; main()"]


def portal_commands(
    portal: list[str], label: str, small: Path, table: Path
) -> dict[str, list[str]]:
    columns = "ai=ai,n1i=n1i,ci=ci,n2i=n2i"
    return {
        f"portal --help{label}": [*portal, "--help"],
        f"portal align score small.fa{label}": [*portal, "align", "score", str(small)],
        f"portal meta ten.csv{label}": [
            *[*portal, "meta", str(table), "--measure", "RR", "--method", "REML"],
            *["--columns", columns, "--study", "study", "--json"],
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--baseline", help="another installation's portal script")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="portal-startup-"))
    try:
        small = folder / "small.fa"
        shutil.copy(ROOT / "games" / "data" / "il6.prot.fasta", small)
        table = folder / "ten.csv"
        table.write_text(TEN_STUDIES)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "Biopython: read and score small.fa": [
                sys.executable,
                "-c",
                BIOPYTHON_SCRIPT,
                str(small),
            ],
            **portal_commands(portal_command(), "", small, table),
        }
        if args.baseline:
            commands.update(portal_commands([args.baseline], " (baseline)", small, table))
        # One untimed round first: it writes numba's and Python's caches, which a
        # person's second call finds already there.
        for command in commands.values():
            run(command)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        peaks: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, command in commands.items():
                wall, cpu, peak = run(command)
                walls[name].append(wall)
                cpus[name].append(cpu)
                peaks[name].append(peak)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    anchor = statistics.median(walls["python -c pass"])
    print(f"Start-up, medians of {args.rounds} interleaved rounds (load {os.getloadavg()[0]:.1f})")
    print(f"{'command':46} {'wall s':>8} {'x python':>9} {'CPU s':>7} {'peak MB':>8}")
    for name in commands:
        wall = statistics.median(walls[name])
        cpu = statistics.median(cpus[name])
        peak = statistics.median(peaks[name])
        print(f"{name:46} {wall:8.3f} {wall / anchor:9.1f} {cpu:7.2f} {peak:8.0f}")


if __name__ == "__main__":
    main()
