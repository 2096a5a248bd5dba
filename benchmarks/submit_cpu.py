"""CPU time and SQL statements per solution submission, measured in one process
through Flask's test client (no sockets, no other clients), so the figure holds on
a machine other people are loading: CPU time (user + sys) of this process, not
wall time, and the statements counted by an SQLAlchemy event listener.

    .venv/bin/python benchmarks/submit_cpu.py [--database-url postgresql+psycopg://...]
        [--submissions 1000] [--rounds 3] [--existing 2000] [--before OTHER_CHECKOUT]

Each round runs in a fresh process on a fresh database (migrated, the demo puzzles,
20 players with write tokens, and ``--existing`` solutions already stored for each
puzzle, as after some minutes of play): ``--submissions`` POSTs of new random layouts
to /api/v1/puzzles/<id>/solutions with a player's token, and as many GETs of
/healthz, the same stack doing no work, as the anchor measured in the same process.
The database server's own CPU (PostgreSQL) is not in the figure; the statements are.
With ``--before``, the other checkout's code is measured the same way, its rounds
interleaved with this one's. Rate limits and retirement are off, as in load.py.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The load benchmark's set-up, from this file's own folder. Imported here, before a
# round puts the measured checkout first on sys.path, since importing it puts this
# checkout there.
from load import empty_postgres, puzzles_and_players, random_layout

ROOT = Path(__file__).resolve().parents[1]
#: Submissions sent before the clock starts (first imports, compiled kernels, the pool).
WARM_UP = 50


def measure(
    database_url: str, submissions: int, existing: int, seed: int, profile: str = ""
) -> dict:
    """One round in this process: prepare, then time the anchor and the submissions."""
    import hashlib

    from sqlalchemy import event, insert, select

    from portal import create_app, db, migrate
    from portal.play.models import Puzzle, Solution

    folder = Path(tempfile.mkdtemp(prefix="portal-submit-cpu-"))
    if database_url.startswith("postgres"):
        empty_postgres(database_url)
    else:
        database_url = f"sqlite:///{folder / 'portal.db'}"
    config = {
        "INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": False,
        "PUZZLE_RETIRE_AFTER": 10**9,
    }
    app = create_app(config)
    migrate.upgrade(app)
    rng = random.Random(seed)
    with app.app_context():
        session = db.session()
        tokens = puzzles_and_players(session)
        puzzles = [
            (p.id, p.start, p.par, p.start_score)
            for p in session.scalars(select(Puzzle).where(Puzzle.level != "tutorial"))
        ]
        for puzzle_id, start, par, start_score in puzzles:
            values = []
            for number in range(existing):
                rows = random_layout(start, rng)
                values.append(
                    {
                        "puzzle_id": puzzle_id,
                        "player_key": f"guest:seed{number % 97}",
                        "nickname": "seed",
                        "layout_hash": hashlib.sha256(f"{number}".encode()).hexdigest(),
                        "rows": rows,
                        "score": start_score + rng.random() * (par - start_score),
                        "points": 0,
                        "flagged": number % 5 == 0,
                    }
                )
            if values:
                session.execute(insert(Solution), values)
        session.commit()
        db.engine().dispose()

    bodies = []
    for _ in range(submissions + WARM_UP):
        puzzle_id, start, _par, _start_score = rng.choice(puzzles)
        body = json.dumps({"rows": random_layout(start, rng)})
        bodies.append((f"/api/v1/puzzles/{puzzle_id}/solutions", body, rng.choice(tokens)))

    app = create_app({**config, "PORTAL_ENV": "production", "BASE_URL": "http://localhost"})
    client = app.test_client()
    statements = 0

    with app.app_context():
        engine = db.engine()

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", count)
    # Warm up: first imports, compiled kernels, the pool, the token and puzzle copies.
    for path, body, token in bodies[submissions:]:
        client.post(
            path,
            data=body,
            content_type="application/json",
            headers={"Authorization": "Bearer " + token},
        )
        client.get("/healthz")

    started = time.process_time()
    for _ in range(submissions):
        client.get("/healthz")
    healthz = (time.process_time() - started) / submissions

    statements = 0
    statuses: dict[int, int] = {}
    started = time.process_time()
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    for path, body, token in bodies[:submissions]:
        response = client.post(
            path,
            data=body,
            content_type="application/json",
            headers={"Authorization": "Bearer " + token},
        )
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    submit = (time.process_time() - started) / submissions
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    return {
        "healthz_cpu_ms": 1000 * healthz,
        "submit_cpu_ms": 1000 * submit,
        "ratio": submit / healthz,
        "statements": statements / submissions,
        "statuses": statuses,
    }


def _round(checkout: Path, args: argparse.Namespace, seed: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--one-round",
        str(seed),
        "--database-url",
        args.database_url,
        "--submissions",
        str(args.submissions),
        "--existing",
        str(args.existing),
    ]
    # The measured code is imported from ``checkout``: this file is run by path,
    # so its own folder is on sys.path, not the checkout's packages.
    done = subprocess.run(command, env=env, cwd=checkout, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--existing", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, default=None)
    parser.add_argument("--one-round", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile", default="", help="write one round's cProfile of the submissions to this file"
    )
    args = parser.parse_args()
    if args.one_round is not None or args.profile:
        sys.path.insert(0, os.getcwd())
        figures = measure(
            args.database_url, args.submissions, args.existing, args.one_round or 0, args.profile
        )
        print(json.dumps(figures))
        return 0

    trees = {"this": ROOT} | ({"before": args.before.resolve()} if args.before else {})
    results: dict[str, list[dict]] = {name: [] for name in trees}
    for number in range(args.rounds):
        # Alternate which tree goes first, so a slow spell falls on both alike.
        order = list(trees) if number % 2 == 0 else list(reversed(trees))
        for name in order:
            results[name].append(_round(trees[name], args, seed=number))
            row = results[name][-1]
            print(
                f"round {number + 1} {name:<7} submit {row['submit_cpu_ms']:.2f} ms CPU, "
                f"healthz {row['healthz_cpu_ms']:.3f} ms, ratio {row['ratio']:.1f}, "
                f"{row['statements']:.2f} statements, statuses {row['statuses']}",
                flush=True,
            )
    backend = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    print(
        f"{backend}, {args.submissions} submissions a round, {args.existing} solutions stored "
        f"per puzzle first; medians of {args.rounds} rounds (CPU time, user + sys):"
    )
    for name, rows in results.items():
        median = {
            key: statistics.median(row[key] for row in rows) for key in rows[0] if key != "statuses"
        }
        print(
            f"  {name:<7} {median['submit_cpu_ms']:.2f} ms CPU a submission "
            f"({median['ratio']:.1f}x /healthz's {median['healthz_cpu_ms']:.3f} ms), "
            f"{median['statements']:.2f} SQL statements a submission"
        )
    if args.before:
        ratios = [
            a["submit_cpu_ms"] / b["submit_cpu_ms"]
            for a, b in zip(results["this"], results["before"], strict=True)
        ]
        print(f"  this / before, median of the rounds' ratios: {statistics.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
