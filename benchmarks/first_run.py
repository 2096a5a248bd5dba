"""How long `make run` takes from a fresh clone to its first page, as a newcomer runs it.

Each run clones the repository into a new folder, runs ``make run`` there (its own
process group, with the environment of this shell minus any virtualenv), asks for
``/`` until it answers 200, then stops the whole group. It records the wall time and
the CPU time (user + system) of every process ``make`` started, and the seconds each
step of ``portal demo load`` reported. With ``--baseline REF`` the runs alternate
between REF and the commit under test (A B A B ...), so a busy machine slows both
alike; the table gives the medians and the ratio of each to the baseline.

pip's wheel cache is whatever the machine has: run it once beforehand to warm it.

Run:  python benchmarks/first_run.py [--baseline main] [--rounds 3] [--port 5140]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")
STEP = re.compile(r"^\s*\((\d+(?:\.\d+)?) s\)$")


@dataclass
class Run:
    wall: float
    cpu: float
    load: float
    steps: list[tuple[str, float]] = field(default_factory=list)


def group_cpu(pgid: int) -> float:
    """CPU seconds of a process group's live members and of the children they reaped."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces; the fields after it are fixed.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            total += sum(int(value) for value in fields[11:15])
    return total / TICKS


def clean_environment(port: int) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PORTAL_"))}
    venv = os.environ.get("VIRTUAL_ENV") or str(Path(sys.prefix))
    environ["PATH"] = os.pathsep.join(
        part for part in environ.get("PATH", "").split(os.pathsep) if not part.startswith(venv)
    )
    return environ


def first_run(commit: str, folder: Path, port: int, give_up_after: float = 600.0) -> Run:
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(ROOT), str(folder)], check=True)
    subprocess.run(["git", "-C", str(folder), "checkout", "-q", commit], check=True)
    log = folder.with_suffix(".log")
    load = os.getloadavg()[0]
    url = f"http://127.0.0.1:{port}/"
    with log.open("w") as out:
        start = time.perf_counter()
        make = subprocess.Popen(
            ["make", "run", f"PORT={port}", "HOST=127.0.0.1"],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=clean_environment(port),
            start_new_session=True,
        )
        try:
            while True:
                if make.poll() is not None:
                    raise SystemExit(f"make run stopped ({make.returncode}); see {log}")
                if time.perf_counter() - start > give_up_after:
                    raise SystemExit(f"no page after {give_up_after:.0f} s; see {log}")
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                time.sleep(0.1)
            wall = time.perf_counter() - start
            cpu = group_cpu(make.pid)
        finally:
            os.killpg(make.pid, signal.SIGTERM)
            try:
                make.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(make.pid, signal.SIGKILL)
                make.wait()
    steps: list[tuple[str, float]] = []
    previous = ""
    for line in log.read_text().splitlines():
        match = STEP.match(line)
        if match and previous.endswith("..."):
            steps.append((previous.rstrip("."), float(match.group(1))))
        if line.endswith("..."):
            previous = line
    return Run(wall, cpu, load, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="a git ref to compare with, run alternately")
    parser.add_argument("--commit", default="HEAD", help="the ref under test (default HEAD)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=5140)
    parser.add_argument("--folder", default="/tmp/fr-firstrun")
    args = parser.parse_args()

    def resolve(ref: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", ref], capture_output=True, text=True, check=True
        ).stdout.strip()

    variants = {"this": resolve(args.commit)}
    if args.baseline:
        variants = {"baseline": resolve(args.baseline), **variants}
    runs: dict[str, list[Run]] = {name: [] for name in variants}
    for round_number in range(1, args.rounds + 1):
        for name, commit in variants.items():
            run = first_run(commit, Path(f"{args.folder}-{name}"), args.port)
            runs[name].append(run)
            steps = ", ".join(f"{what.split(':')[0]} {seconds:.1f}" for what, seconds in run.steps)
            print(
                f"round {round_number} {name:8} {commit[:9]}: wall {run.wall:5.1f} s, "
                f"CPU {run.cpu:5.1f} s, load {run.load:.1f} | demo steps: {steps}",
                flush=True,
            )
    print(f"\nFirst run to a page, medians of {args.rounds} interleaved rounds")
    print(f"{'variant':10} {'commit':10} {'wall s':>7} {'CPU s':>7} {'wall x':>7} {'CPU x':>7}")
    anchor = runs.get("baseline")
    for name, commit in variants.items():
        wall = statistics.median(r.wall for r in runs[name])
        cpu = statistics.median(r.cpu for r in runs[name])
        ratios = ""
        if anchor:
            ratios = (
                f" {wall / statistics.median(r.wall for r in anchor):7.2f}"
                f" {cpu / statistics.median(r.cpu for r in anchor):7.2f}"
            )
        print(f"{name:10} {commit[:9]:10} {wall:7.1f} {cpu:7.1f}{ratios}")


if __name__ == "__main__":
    main()
