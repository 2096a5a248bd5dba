"""Load on the portal as deployed: gunicorn workers on 127.0.0.1, driven by separate
client processes for a bounded time, first on /healthz (the ceiling: the same
stack doing no work), then on a realistic mix of the hot paths.

    .venv/bin/python benchmarks/load.py [--database-url postgresql+psycopg://...]
                                        [--workers 2] [--threads 4] [--clients 16]
                                        [--duration 10] [--json]

The mix: 70% puzzle fetches (GET /api/v1/puzzles/<id>), 20% solution submissions
(POST /api/v1/puzzles/<id>/solutions: validated, scored and stored, each by a new
guest), 10% page views (/datasets/, /questions/, /play/). Without --database-url a
fresh SQLite file is used; the schema is migrated and the demo puzzles are loaded
first. Rate limits are switched off (they would make the numbers about the limits).
Nothing here is a test: it prints what happened, per endpoint, and the ratio of the
mixed throughput to the ceiling.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIX = (("puzzle fetch", 0.70), ("solution submit", 0.20), ("page view", 0.10))
PAGES = ("/datasets/", "/questions/", "/play/")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PLAYERS = 20


def prepare(instance: Path, database_url: str) -> tuple[list[dict], list[str]]:
    """Migrate, load the demo puzzles and make players with API tokens.

    Returns each puzzle's id and starting rows, and the players' tokens.
    """
    from sqlalchemy import select

    from portal import create_app, db, migrate
    from portal.accounts.services import register_user
    from portal.accounts.tokens import create_token
    from portal.play.demo import load_puzzles
    from portal.play.models import Puzzle

    instance.mkdir(parents=True, exist_ok=True)
    # Read by every gunicorn worker too: the numbers must not be about rate limits.
    (instance / "portal.cfg").write_text("RATELIMIT_ENABLED = False\n")
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": database_url,
                      "TESTING": True})
    migrate.upgrade(app)
    with app.app_context():
        session = db.session()
        load_puzzles(session, echo=lambda _line: None, time_limit=0.05)
        # Programs submit through the API with a token (a cookie would need a CSRF token).
        tokens = []
        for number in range(PLAYERS):
            user = register_user(session, username=f"bench{number}",
                                 email=f"bench{number}@example.org",
                                 password="load benchmark password")
            tokens.append(create_token(session, user, name="load", scope="write")[1])
        session.commit()
        puzzles = [{"id": p.id, "rows": p.start} for p in session.scalars(select(Puzzle))]
        db.engine().dispose()
    return puzzles, tokens


def start_server(instance: Path, database_url: str, port: int, workers: int,
                 threads: int) -> subprocess.Popen:
    from portal.jobs.commands import gunicorn_argv

    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update({"PORTAL_INSTANCE_PATH": str(instance), "PORTAL_DATABASE_URL": database_url,
                "PORTAL_ENV": "production", "PORTAL_DB_POOL_SIZE": str(threads),
                "PYTHONPATH": str(ROOT)})
    argv = gunicorn_argv({"WEB_WORKERS": workers, "WEB_THREADS": threads,
                          "WEB_BIND": f"127.0.0.1:{port}"})
    argv = [item for item in argv if item not in ("--access-logfile", "-")]
    server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(server.stderr.read().decode(errors="replace")) from None
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not become ready in 120 s")


def _client(port: int, mode: str, puzzles: list[dict], tokens: list[str], deadline: float,
            seed: int, out: list) -> None:
    rng = random.Random(seed)
    names = [name for name, _ in MIX]
    weights = [weight for _, weight in MIX]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.time() < deadline:
        name = "healthz" if mode == "baseline" else rng.choices(names, weights)[0]
        puzzle = rng.choice(puzzles)
        if name == "healthz":
            method, path, body, headers = "GET", "/healthz", None, {}
        elif name == "puzzle fetch":
            method, path, body, headers = "GET", f"/api/v1/puzzles/{puzzle['id']}", None, {}
        elif name == "solution submit":
            method, path = "POST", f"/api/v1/puzzles/{puzzle['id']}/solutions"
            body = json.dumps({"rows": puzzle["rows"]})
            headers = {"Content-Type": "application/json",
                       "Authorization": f"Bearer {rng.choice(tokens)}"}
        else:
            method, path, body, headers = "GET", rng.choice(PAGES), None, {}
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status = 0
        out.append((name, time.perf_counter() - started, status))
    connection.close()


def _client_process(args: tuple) -> list:
    port, mode, puzzles, tokens, deadline, threads, seed = args
    out: list = []
    pool = [threading.Thread(target=_client,
                             args=(port, mode, puzzles, tokens, deadline, seed * 100 + i, out))
            for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return out


def drive(port: int, mode: str, puzzles: list[dict], tokens: list[str], clients: int,
          processes: int, duration: float) -> list:
    deadline = time.time() + duration
    per = max(1, clients // processes)
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.map(_client_process, [(port, mode, puzzles, tokens, deadline, per, seed)
                                            for seed in range(processes)])
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="portal-load-") as folder:
        instance = Path(folder) / "instance"
        database_url = args.database_url or f"sqlite:///{Path(folder) / 'portal.db'}"
        puzzles, tokens = prepare(instance, database_url)
        port = free_port()
        server = start_server(instance, database_url, port, args.workers, args.threads)
        try:
            # A short warm-up so no phase pays for first imports and pool filling.
            phase = (puzzles, tokens, args.clients, args.client_processes)
            drive(port, "mixed", *phase, 2.0)
            baseline = summarise(drive(port, "baseline", *phase, args.duration), args.duration)
            mixed = summarise(drive(port, "mixed", *phase, args.duration), args.duration)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

    ratio = mixed["all"]["rps"] / baseline["all"]["rps"] if baseline["all"]["rps"] else float("nan")
    backend = "postgresql" if database_url.startswith("postgres") else "sqlite"
    if args.json:
        print(json.dumps({"backend": backend, "workers": args.workers, "threads": args.threads,
                          "clients": args.clients, "duration_s": args.duration,
                          "baseline": baseline["healthz"], "mixed": mixed,
                          "mixed_to_baseline": ratio}, indent=2))
        return 0
    print(f"gunicorn {args.workers} workers x {args.threads} threads, {backend}, "
          f"{args.clients} clients in {args.client_processes} processes, "
          f"{args.duration:.0f} s a phase")
    print(f"{'endpoint':<18}{'requests':>9}{'errors':>8}{'4xx':>6}{'req/s':>9}"
          f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    rows = [("healthz (ceiling)", baseline["healthz"])] + [
        (name, mixed[name]) for name in [n for n, _ in MIX] + ["all"] if name in mixed]
    for label, row in rows:
        label = "mixed, all" if label == "all" else label
        print(f"{label:<18}{row['requests']:>9}{row['errors']:>8}{row['rejected']:>6}"
              f"{row['rps']:>9.1f}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}")
    print(f"mixed throughput / ceiling: {ratio:.2f} (the issue asks for at least 0.33)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
