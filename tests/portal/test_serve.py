"""What `make run` does, with the real console script in separate processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

PORTAL = Path(sys.executable).with_name("portal")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_migrate_load_demo_and_serve_from_another_folder(tmp_path):
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("PORTAL_DATABASE_URL", None)
    # `make run` migrates inside the demo load; `make migrate` must still work after it.
    for command in (["demo", "load", "--migrate"], ["db", "upgrade"], ["demo", "load"]):
        result = subprocess.run(
            [str(PORTAL), *command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
    assert "0 created" in result.stdout, "a second load keeps the existing data"

    port = free_port()
    began = time.time() - 30
    server = subprocess.Popen(
        [str(PORTAL), "run", "--port", str(port)],
        cwd=tmp_path,
        env={**env, "PORTAL_RUN_STARTED_AT": str(began)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True)
    reader.start()
    try:
        body = ""
        # A loaded machine can take many seconds to import the app; wait on a
        # deadline rather than a count of tries.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.1)
        assert "Move research forward, together." in body
        assert "Colon cancer" in body
        ready = f"Ready at http://127.0.0.1:{port}, "
        while time.monotonic() < deadline and not any(ready in line for line in lines):
            time.sleep(0.1)
        (line,) = [line for line in lines if ready in line]
        seconds = int(line.split(ready)[1].split(" s after `make run` began")[0])
        assert 30 <= seconds <= time.time() - began + 1
    finally:
        server.terminate()
        server.wait(timeout=10)
        reader.join(timeout=10)
        server.stdout.close()
