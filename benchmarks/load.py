"""Load on the portal as deployed: gunicorn workers on 127.0.0.1, driven by separate
client processes for a bounded time in three phases: /healthz (the ceiling: the same
stack doing no work), a realistic mix of the hot paths, and solution submissions
alone. The phases are interleaved: several rounds of all three, each round in a
rotated order, and every figure is the median over rounds, with each round's
throughput ratio to the ceiling measured in that same round (this machine's
speed drifts by tens of percent within a minute).

    .venv/bin/python benchmarks/load.py [--database-url postgresql+psycopg://...]
                                        [--workers 2] [--threads 4] [--clients 16]
                                        [--duration 4] [--rounds 5] [--json]
                                        [--against OTHER_CHECKOUT [--against-database-url URL]]

The mix: 70% puzzle fetches (GET /api/v1/puzzles/<id>), 20% solution submissions
(POST /api/v1/puzzles/<id>/solutions with a player's token: a new random layout of
the puzzle's rows each time, so each is validated, scored and stored as a new row),
10% page views (/datasets/, /questions/, /play/). Without --database-url a fresh
SQLite file is used; a PostgreSQL database is emptied first (give it one of its
own); the schema is migrated and the demo puzzles are loaded.
With --against, another checkout is served too, on its own database, and each
phase of each round runs on both, back to back, the two taking turns to go
first: the last line gives this checkout's submissions over the other's, round
by round, the comparison that holds when the machine's speed drifts.
Rate limits and puzzle retirement are switched off: the numbers would be about the
limits, and every puzzle would retire after its 200th layout, a few seconds in.
Nothing here is a test: it prints what happened, per endpoint, the ratio of the
mixed throughput to the ceiling, and the submissions-only rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIX = (("puzzle fetch", 0.70), ("solution submit", 0.20), ("page view", 0.10))
PAGES = ("/datasets/", "/questions/", "/play/")
#: Phases that drive a single endpoint (any other phase drives the mix).
ONE_ENDPOINT = {"baseline": "healthz", "submit": "solution submit"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PLAYERS = 20


def empty_postgres(url: str) -> None:
    """Every run starts from an empty database, as it does on SQLite."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def prepare(instance: Path, database_url: str) -> tuple[list[dict], list[str]]:
    """Migrate, load the demo puzzles and make players with API tokens.

    Returns each puzzle's id and starting rows, and the players' tokens.
    """
    from sqlalchemy import select

    from portal import create_app, db, migrate
    from portal.play.models import Puzzle

    if database_url.startswith("postgres"):
        empty_postgres(database_url)
    instance.mkdir(parents=True, exist_ok=True)
    # Read by every gunicorn worker too: the numbers must not be about rate limits.
    (instance / "portal.cfg").write_text(
        "RATELIMIT_ENABLED = False\nPUZZLE_RETIRE_AFTER = 10 ** 9\n"
    )
    app = create_app(
        {"INSTANCE_PATH": str(instance), "DATABASE_URL": database_url, "TESTING": True}
    )
    migrate.upgrade(app)
    with app.app_context():
        session = db.session()
        tokens = puzzles_and_players(session)
        puzzles = [{"id": p.id, "rows": p.start} for p in session.scalars(select(Puzzle))]
        db.engine().dispose()
    return puzzles, tokens


def puzzles_and_players(session: Any) -> list[str]:
    """Load the demo puzzles and make the players; returns their API tokens, since
    programs submit through the API with a token (a cookie would need a CSRF token)."""
    from portal.accounts.services import register_user
    from portal.accounts.tokens import create_token
    from portal.play.demo import load_puzzles

    load_puzzles(session, echo=lambda _line: None, time_limit=0.05)
    tokens = []
    for number in range(PLAYERS):
        user = register_user(
            session,
            username=f"bench{number}",
            email=f"bench{number}@example.org",
            password="benchmark player password",
        )
        tokens.append(create_token(session, user, name="bench", scope="write")[1])
    session.commit()
    return tokens


def start_server(
    instance: Path, database_url: str, port: int, workers: int, threads: int, root: Path = ROOT
) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(
        {
            "PORTAL_INSTANCE_PATH": str(instance),
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_ENV": "production",
            "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
            "PORTAL_DB_POOL_SIZE": str(threads),
            "PYTHONPATH": str(root),
        }
    )
    config = {"WEB_WORKERS": workers, "WEB_THREADS": threads, "WEB_BIND": f"127.0.0.1:{port}"}
    # The checkout's own command line (its gunicorn options may differ), asked of it
    # from its own folder, as gunicorn runs below: Python and gunicorn both put the
    # current folder first on the path, ahead of PYTHONPATH, so a server started from
    # another checkout's folder would serve that checkout's code.
    asked = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, portal; from portal.jobs.commands import gunicorn_argv; "
            "print(json.dumps([portal.__file__, gunicorn_argv(json.loads(sys.argv[1]))]))",
            json.dumps(config),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        check=True,
        text=True,
    )
    loaded, argv = json.loads(asked.stdout)
    if not Path(loaded).resolve().is_relative_to(root.resolve()):
        raise SystemExit(f"{root} would serve the portal from {loaded}")
    argv = [item for item in argv if item not in ("--access-logfile", "-")]
    # Its log goes to a file: a pipe nobody reads would stall the workers once full.
    log = (instance / "gunicorn.log").open("wb")
    server = subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit((instance / "gunicorn.log").read_text(errors="replace")) from None
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not become ready in 120 s")


def random_layout(rows: list[str], rng: random.Random) -> list[str]:
    """The same residues as ``rows``, in order, with the gaps put anywhere."""
    width = len(rows[0])
    layout = []
    for row in rows:
        residues = iter(row.replace("-", ""))
        gaps = set(rng.sample(range(width), row.count("-")))
        layout.append("".join("-" if column in gaps else next(residues) for column in range(width)))
    return layout


def _request(
    port: int, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Plan:
    """Every request a client process will send, encoded before the clock starts,
    so the client spends its time on the wire, not on building requests (it
    shares the machine's two cores with the server it measures)."""

    def __init__(
        self,
        port: int,
        mode: str,
        puzzles: list[dict],
        tokens: list[str],
        seed: int,
        submissions: int,
    ) -> None:
        self.rng, self.mode = random.Random(seed), mode
        self.names = [name for name, _ in MIX]
        self.weights = [weight for _, weight in MIX]
        self.fetches = [_request(port, "GET", f"/api/v1/puzzles/{p['id']}") for p in puzzles]
        self.pages = [_request(port, "GET", path) for path in PAGES]
        self.healthz = _request(port, "GET", "/healthz")
        self.submits = []
        for _ in range(submissions if mode in ("mixed", "submit") else 0):
            puzzle = self.rng.choice(puzzles)
            body = json.dumps({"rows": random_layout(puzzle["rows"], self.rng)}).encode()
            self.submits.append(
                _request(
                    port,
                    "POST",
                    f"/api/v1/puzzles/{puzzle['id']}/solutions",
                    {
                        "Content-Type": "application/json",
                        "Authorization": f"Bearer {self.rng.choice(tokens)}",
                    },
                    body,
                )
            )
        self.sent_submits = 0

    def next(self) -> tuple[str, bytes]:
        name = ONE_ENDPOINT.get(self.mode) or self.rng.choices(self.names, self.weights)[0]
        if name == "healthz":
            return name, self.healthz
        if name == "puzzle fetch":
            return name, self.rng.choice(self.fetches)
        if name == "page view":
            return name, self.rng.choice(self.pages)
        # Past the end of the prepared layouts they come round again: repeats are
        # counted by the server as the same layout sent twice (a real, cheaper path).
        payload = self.submits[self.sent_submits % len(self.submits)]
        self.sent_submits += 1
        return name, payload


#: Requests sent on one connection before it is closed and another opened. Players'
#: requests are seconds apart, longer than gunicorn keeps a connection alive, so
#: real connections are short; a benchmark connection kept for a whole phase would
#: stay with whichever worker process accepted it, and a phase could then measure
#: one process's core instead of the machine.
REQUESTS_PER_CONNECTION = 25


async def _connection(port: int, plan: Plan, deadline: float, out: list) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    while time.time() < deadline:
        if sent == REQUESTS_PER_CONNECTION:
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            sent = 0
        sent += 1
        name, payload = plan.next()
        started = time.perf_counter()
        try:
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            at = head.lower().index(b"\r\ncontent-length:") + 17
            await reader.readexactly(int(head[at : head.index(b"\r\n", at)]))
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            status = 0
        out.append((name, time.perf_counter() - started, status))
    writer.close()


def _client_process(args: tuple) -> list:
    port, mode, puzzles, tokens, start_at, deadline, connections, seed, submissions = args
    plan = Plan(port, mode, puzzles, tokens, seed, submissions)
    time.sleep(max(0.0, start_at - time.time()))
    out: list = []

    async def run() -> None:
        await asyncio.gather(*(_connection(port, plan, deadline, out) for _ in range(connections)))

    asyncio.run(run())
    return out


def drive(
    port: int,
    mode: str,
    puzzles: list[dict],
    tokens: list[str],
    clients: int,
    processes: int,
    duration: float,
) -> list:
    """``clients`` keep-alive connections, shared by ``processes`` asyncio client
    processes, each sending its next request as soon as the last one is answered."""
    # Time to start the processes and encode their requests, outside the measured span.
    start_at = time.time() + 4.0
    per = max(1, clients // processes)
    # Enough distinct layouts for ~1,000 submissions a second from each process.
    submissions = int(1000 * duration)
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.map(
            _client_process,
            [
                (port, mode, puzzles, tokens, start_at, start_at + duration, per, seed, submissions)
                for seed in range(processes)
            ],
        )
    return [sample for part in parts for sample in part]


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def summarise(samples: list, duration: float) -> dict[str, dict]:
    table: dict[str, dict] = {}
    for name in sorted({name for name, _, _ in samples}) + ["all"]:
        chosen = [s for s in samples if name == "all" or s[0] == name]
        latencies = sorted(latency for _, latency, _ in chosen)
        table[name] = {
            "requests": len(chosen),
            "errors": sum(1 for _, _, status in chosen if status == 0 or status >= 500),
            "rejected": sum(1 for _, _, status in chosen if 400 <= status < 500),
            "rps": len(chosen) / duration,
            "p50_ms": 1000 * percentile(latencies, 0.50),
            "p95_ms": 1000 * percentile(latencies, 0.95),
            "p99_ms": 1000 * percentile(latencies, 0.99),
        }
    return table


#: The three phases of a round, in the order of the first round.
PHASES = ("baseline", "mixed", "submit")


def median(values: list[float]) -> float:
    ordered = sorted(v for v in values if v == v)
    if not ordered:
        return float("nan")
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def interleaved(rounds: int) -> list[tuple[str, ...]]:
    """The phase order of each round, rotated by one each time, so that a slow spell
    of the machine falls on every phase alike rather than on whichever runs last."""
    return [PHASES[r % 3 :] + PHASES[: r % 3] for r in range(rounds)]


def combine(per_round: list[dict[str, dict]]) -> dict[str, dict]:
    """Per endpoint: the median over rounds of every figure, and the round figures."""
    names = sorted({name for table in per_round for name in table})
    out: dict[str, dict] = {}
    for name in names:
        rows = [table[name] for table in per_round if name in table]
        out[name] = {key: median([row[key] for row in rows]) for key in rows[0]}
        out[name]["rounds_rps"] = [row["rps"] for row in rows]
    return out


def report(label: str, results: dict[str, list[dict[str, dict]]], backend: str) -> dict:
    """One tree's figures: medians over rounds, and ratios to its ceiling round by round."""
    ceilings = [table["healthz"]["rps"] for table in results["baseline"]]
    return {
        "tree": label,
        "backend": backend,
        "baseline": combine(results["baseline"])["healthz"],
        "mixed": combine(results["mixed"]),
        "mixed_to_baseline": median(
            [m["all"]["rps"] / c for m, c in zip(results["mixed"], ceilings, strict=True) if c]
        ),
        "submissions_only": combine(results["submit"])["solution submit"],
        "submissions_to_baseline": median(
            [
                t["solution submit"]["rps"] / c
                for t, c in zip(results["submit"], ceilings, strict=True)
                if c and "solution submit" in t
            ]
        ),
    }


def print_report(figures: dict) -> None:
    baseline, mixed, alone = figures["baseline"], figures["mixed"], figures["submissions_only"]
    print(f"-- {figures['tree']}")
    print(
        f"{'endpoint':<18}{'requests':>9}{'errors':>8}{'4xx':>6}{'req/s':>9}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}   req/s per round"
    )
    rows = (
        [("healthz (ceiling)", baseline)]
        + [(name, mixed[name]) for name in [n for n, _ in MIX] + ["all"] if name in mixed]
        + [("submissions only", alone)]
    )
    for label, row in rows:
        label = "mixed, all" if label == "all" else label
        per_round = " ".join(f"{v:.0f}" for v in row["rounds_rps"])
        print(
            f"{label:<18}{row['requests']:>9.0f}{row['errors']:>8.0f}{row['rejected']:>6.0f}"
            f"{row['rps']:>9.1f}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}"
            f"   {per_round}"
        )
    refused = sum(mixed.get("solution submit", {}).get(k, 0) for k in ("errors", "rejected"))
    refused += alone["errors"] + alone["rejected"]
    if refused:
        print(f"WARNING: submissions answered with an error (median a round: {refused:.0f})")
    print(
        f"mixed throughput / ceiling, median of the rounds' ratios: "
        f"{figures['mixed_to_baseline']:.2f}"
    )
    print(
        f"submissions alone: {alone['rps']:.0f}/s, p99 {alone['p99_ms']:.0f} ms "
        f"({figures['submissions_to_baseline']:.2f} of the ceiling); "
        "target: 500/s with p99 under 100 ms"
    )


def paired(results: dict[str, dict[str, list[dict[str, dict]]]]) -> dict[str, float]:
    """This tree's submissions over the other's, round by round (the two ran
    back to back in each round), as medians."""
    this, other = results["this"]["submit"], results["against"]["submit"]
    pairs = [
        (a["solution submit"], b["solution submit"])
        for a, b in zip(this, other, strict=True)
        if "solution submit" in a and "solution submit" in b
    ]
    return {
        "submissions_rps_ratio": median([a["rps"] / b["rps"] for a, b in pairs if b["rps"]]),
        "submissions_p99_ratio": median([a["p99_ms"] / b["p99_ms"] for a, b in pairs]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--duration", type=float, default=4.0, help="seconds a phase")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--against", type=Path, default=None, help="another checkout, served in the same rounds"
    )
    parser.add_argument(
        "--against-database-url",
        default="",
        help="its database (PostgreSQL: another empty database; SQLite: a file of its own)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.against and args.database_url and not args.against_database_url:
        parser.error("--against with --database-url needs --against-database-url")
    if args.against_database_url and args.against_database_url == args.database_url:
        parser.error("the two checkouts need a database each: each run empties its own")

    trees = {"this": ROOT} | ({"against": args.against.resolve()} if args.against else {})
    results = {name: {phase: [] for phase in PHASES} for name in trees}
    servers: dict[str, tuple[int, subprocess.Popen]] = {}
    setup: dict[str, tuple] = {}
    with tempfile.TemporaryDirectory(prefix="portal-load-") as folder:
        urls = {
            "this": args.database_url or f"sqlite:///{Path(folder) / 'portal.db'}",
            "against": args.against_database_url or f"sqlite:///{Path(folder) / 'against.db'}",
        }
        try:
            for name, tree in trees.items():
                # Both databases are prepared by this checkout: the trees must share a schema.
                instance = Path(folder) / f"instance-{name}"
                puzzles, tokens = prepare(instance, urls[name])
                port = free_port()
                server = start_server(
                    instance, urls[name], port, args.workers, args.threads, root=tree
                )
                servers[name] = (port, server)
                setup[name] = (puzzles, tokens, args.clients, args.client_processes)
            # A short warm-up so no phase pays for first imports and pool filling.
            for name, (port, _) in servers.items():
                drive(port, "mixed", *setup[name], 2.0)
            for number, order in enumerate(interleaved(args.rounds)):
                for phase in order:
                    # The trees take turns going first, so a slow spell falls on both.
                    names = list(trees) if number % 2 == 0 else list(reversed(trees))
                    for name in names:
                        samples = drive(servers[name][0], phase, *setup[name], args.duration)
                        results[name][phase].append(summarise(samples, args.duration))
        finally:
            for _, server in servers.values():
                server.send_signal(signal.SIGTERM)
            for _, server in servers.values():
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()

    backend = "postgresql" if urls["this"].startswith("postgres") else "sqlite"
    figures = {name: report(str(tree), results[name], backend) for name, tree in trees.items()}
    comparison = paired(results) if args.against else {}
    if args.json:
        print(
            json.dumps(
                {
                    "workers": args.workers,
                    "threads": args.threads,
                    "clients": args.clients,
                    "duration_s": args.duration,
                    "rounds": args.rounds,
                    **figures["this"],
                    **({"against": figures["against"], **comparison} if comparison else {}),
                },
                indent=2,
            )
        )
        return 0
    print(
        f"gunicorn {args.workers} workers x {args.threads} threads, {backend}, "
        f"{args.clients} clients in {args.client_processes} processes; {args.rounds} rounds "
        f"of the three phases in rotating order, {args.duration:g} s a phase; medians over rounds"
    )
    for name in trees:
        print_report(figures[name])
    if comparison:
        print(
            "this / against, submissions alone, median of the rounds' ratios: "
            f"throughput {comparison['submissions_rps_ratio']:.2f}, "
            f"p99 {comparison['submissions_p99_ratio']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
