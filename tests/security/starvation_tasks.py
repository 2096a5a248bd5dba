"""A job kind for the starvation attack: it holds its runner until the test opens a gate.

The gate is a file, so the same task works in the web process's thread pool and in
separate `portal worker` processes.
"""

from __future__ import annotations

import time
from pathlib import Path

from portal.jobs.runner import JobContext, task


@task("test.gated")
def gated(context: JobContext, gate: str, marker: str) -> dict:
    # Bounded, so a broken test ends instead of holding a worker for ever.
    deadline = time.monotonic() + 120
    while not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return {"marker": marker}
