"""Job kinds that exist only in tests: imported through PORTAL_JOB_TASK_MODULES."""

from __future__ import annotations

import time

from portal import audit
from portal.jobs.runner import JobContext, TransientJobError, task

COUNTED = "test.job_counted"


@task("test.slow")
def slow(context: JobContext, seconds: float, marker: str) -> dict:
    """Work for a while, reporting progress, then count once (in the job's transaction)."""
    steps = max(1, int(seconds / 0.1))
    for step in range(steps):
        context.progress(step / steps, f"Step {step + 1} of {steps}", force=True)
        time.sleep(seconds / steps)
    audit.record(context.session, COUNTED, subject=marker, attempt=context.attempt)
    return {"marker": marker, "attempt": context.attempt}


@task("test.flaky")
def flaky(context: JobContext, failures: int, marker: str) -> dict:
    """Fail with a transient error on the first ``failures`` attempts."""
    if context.attempt <= failures:
        raise TransientJobError(f"attempt {context.attempt} hit a transient error")
    audit.record(context.session, COUNTED, subject=marker, attempt=context.attempt)
    return {"marker": marker, "attempt": context.attempt}
