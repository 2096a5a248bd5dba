"""The in-process scheduler of the embedded default: one daemon thread per web process.

It starts with the first request (not at import or for CLI commands, which must not
sweep a database they are about to migrate) and only when no broker is configured:
with one, Celery beat runs the same list (``portal.jobs.periodic.PERIODIC``).
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from portal.jobs.periodic import PERIODIC, Periodic

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, app: Flask, entries: tuple[Periodic, ...] = PERIODIC) -> None:
        self.app = app
        self.entries = entries
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="portal-scheduler", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run_due(self, due: dict[str, float], now: float) -> None:
        for entry in self.entries:
            if now < due.get(entry.name, 0.0):
                continue
            due[entry.name] = now + entry.every
            try:
                entry.function(self.app)
            except Exception:  # noqa: BLE001 - one failing task must not stop the others
                log.exception("Periodic task %s failed", entry.name)

    def _loop(self) -> None:
        # First run after one short delay: the process has just started serving.
        due = {entry.name: time.monotonic() + 5.0 for entry in self.entries}
        while not self._stop.wait(1.0):
            self.run_due(due, time.monotonic())


def init_app(app: Flask) -> None:
    config = app.config
    if (
        config["TESTING"]
        or config["JOBS_INLINE"]
        or config["BROKER_URL"]
        or not config["SCHEDULER"]
    ):
        return
    scheduler = Scheduler(app)
    app.extensions["portal.scheduler"] = scheduler
    app.before_request(scheduler.ensure_started)
