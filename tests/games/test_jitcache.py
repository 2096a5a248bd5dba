"""A cached kernel that calls a kernel of another module sees that module change.

numba keys ``cache=True`` machine code on the caller's own file: without
``games._jitcache.keyed_on`` a process started after the callee's module was edited
would still run the old callee compiled into the caller.  Each run here is a fresh
process on a tiny two-module package, as a restarted server would be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numba
import pytest

from games import _climb, _profile
from games._jitcache import source_digest

ROOT = Path(__file__).resolve().parents[2]

CALLER = """
from numba import njit

from kernels import callee
from kernels.callee import value
from games._jitcache import keyed_on


@keyed_on(callee)
@njit(cache=True)
def run(x):
    return value(x) + 1
"""

CALLEE = """
from numba import njit


@njit(cache=True)
def value(x):
    return x * {factor}
"""

REPORT = """
import json
from kernels.caller import run
print(json.dumps({"result": run(10), "hits": sum(run.stats.cache_hits.values())}))
"""


def make_package(where: Path) -> None:
    package = where / "kernels"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "caller.py").write_text(CALLER)


def write_callee(where: Path, factor: int) -> None:
    (where / "kernels" / "callee.py").write_text(CALLEE.format(factor=factor))


def run_fresh(where: Path) -> dict[str, int]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(where), str(ROOT)]),
        "NUMBA_DISABLE_JIT": "0",
        "NUMBA_CACHE_DIR": str(where / "numba-cache"),
    }
    done = subprocess.run(
        [sys.executable, "-c", REPORT], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, int] = json.loads(done.stdout)
    return report


def test_an_edited_callee_is_compiled_again_and_an_unchanged_one_is_loaded(tmp_path):
    make_package(tmp_path)
    write_callee(tmp_path, factor=2)
    assert run_fresh(tmp_path) == {"result": 21, "hits": 0}
    # unchanged: the caller's machine code comes from the cache
    assert run_fresh(tmp_path) == {"result": 21, "hits": 1}

    # only the callee's module changes (the caller's file is untouched)
    write_callee(tmp_path, factor=3)
    assert run_fresh(tmp_path) == {"result": 31, "hits": 0}
    assert run_fresh(tmp_path) == {"result": 31, "hits": 1}


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="plain Python: nothing is cached")
def test_the_solver_kernel_is_keyed_on_the_profile_module():
    """best_move compiles _profile.fixed_score into itself."""
    key = _climb.best_move._cache._index_key((), _climb.best_move.targetctx.codegen())
    assert key[-1] == source_digest((_profile,))
