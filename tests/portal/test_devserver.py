"""`portal run`'s ready line: when a server answers, and how long after the start."""

from __future__ import annotations

import http.server
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import click
import pytest

from portal.devserver import STARTED_AT, announce_when_ready, started_at


def serving(status: int):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(params=[200])
def server_url(request):
    server = serving(request.param)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def seconds_in(line: str, url: str) -> int:
    match = re.fullmatch(rf"Ready at {re.escape(url)}, (\d+) s after `make run` began", line)
    assert match, line
    return int(match.group(1))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_ready_line_names_the_address_and_the_seconds_since_the_start(server_url):
    said: list[str] = []
    began = time.time() - 42
    assert announce_when_ready(server_url, began, said.append)
    [line] = said
    assert seconds_in(line, server_url) in range(42, round(time.time() - began) + 1)


def test_a_server_that_never_answers_gets_no_ready_line():
    said: list[str] = []
    url = f"http://127.0.0.1:{closed_port()}"
    assert not announce_when_ready(url, time.time(), said.append, poll=0.01, give_up_after=0.2)
    assert said == []


@pytest.mark.parametrize("server_url", [302, 404, 500], indirect=True)
def test_any_answer_means_the_server_is_listening(server_url):
    said: list[str] = []
    assert announce_when_ready(server_url, time.time(), said.append)
    [line] = said
    assert seconds_in(line, server_url) >= 0


def test_the_start_time_is_read_from_the_environment():
    assert started_at({}) is None
    assert started_at({STARTED_AT: ""}) is None
    assert started_at({STARTED_AT: "1765105500.25"}) == 1765105500.25


def test_a_start_time_that_is_no_number_is_named():
    with pytest.raises(click.BadParameter, match=f"{STARTED_AT}='soon' is not a Unix time"):
        started_at({STARTED_AT: "soon"})


ROOT = Path(__file__).resolve().parents[2]


def make_dry_run(*targets: str) -> str:
    """What `make` would run and the variables it set, without running anything."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-p", *targets, "PORT=5999"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_only_make_run_reads_the_start_time_and_its_processes_write_their_byte_code():
    assert not re.search(r"^STARTED_AT :?= ", make_dry_run("clean"), re.MULTILINE)
    run = make_dry_run("run")
    assert re.search(r"^STARTED_AT := \d+\.\d+$", run, re.MULTILINE)
    # the recipes as make would run them, variables expanded
    assert re.search(
        r"^PYTHONDONTWRITEBYTECODE= PORTAL_RUN_STARTED_AT=\d+\.\d+ \S+/portal run --host ",
        run,
        re.MULTILINE,
    )
    assert any(
        line.startswith("PYTHONDONTWRITEBYTECODE= ") and "portal demo load" in line
        for line in run.splitlines()
    )
