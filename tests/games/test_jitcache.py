"""A cached kernel that calls a kernel of another module sees that module change.

numba keys ``cache=True`` machine code on the caller's own file: without
``games._jitcache.keyed_on`` a process started after the callee's module was edited
would still run the old callee compiled into the caller.  Each run here is a fresh
process on a tiny two-module package, as a restarted server would be.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numba
import pytest
from numba.core.caching import FunctionCache
from numba.core.dispatcher import Dispatcher

from games import _climb, _kernels, _profile
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


def sibling_imports(module: ModuleType) -> set[str]:
    """The modules of ``module``'s package that its source imports."""
    found = set()
    for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module is None:
                found.update(alias.name for alias in node.names)
            else:
                found.add(node.module)
    return found


@pytest.mark.skipif(numba.config.DISABLE_JIT, reason="plain Python: nothing is cached")
def test_every_kernel_of_the_scorer_package_is_keyed_on_the_modules_it_compiles_in():
    """A kernel of games._kernels compiles in what its module imports from its
    siblings, and what those import in turn: it must be keyed on all of them (in
    the order of their names), or a kernel with no such import not keyed at all."""
    modules = {
        info.name: importlib.import_module(f"games._kernels.{info.name}")
        for info in pkgutil.iter_modules(_kernels.__path__)
    }
    direct = {name: sibling_imports(module) for name, module in modules.items()}
    checked = 0
    for name, module in modules.items():
        reached: set[str] = set()
        todo = list(direct[name])
        while todo:
            sibling = todo.pop()
            if sibling not in reached:
                reached.add(sibling)
                todo.extend(direct[sibling])
        for kernel in vars(module).values():
            if not isinstance(kernel, Dispatcher) or kernel.py_func.__module__ != module.__name__:
                continue
            checked += 1
            cache = kernel._cache
            if not reached:
                assert type(cache) is FunctionCache, kernel
                continue
            key = cache._index_key((), kernel.targetctx.codegen())
            expected = source_digest(tuple(modules[sibling] for sibling in sorted(reached)))
            assert key[-1] == expected, (kernel, sorted(reached))
    assert checked >= 20
