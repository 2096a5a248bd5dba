"""numba's on-disk cache, keyed on the source of the modules a kernel calls into.  Private.

``@njit(cache=True)`` keys a kernel's machine code on its own module's source file
only; numba's documentation lists "changes in symbols defined in another file" as a
limitation of cache invalidation.  A kernel that calls a kernel of another module
compiles that callee into its own machine code, so a change to the callee's module
alone would leave the caller's cached code stale.  :func:`keyed_on` adds a digest of
those modules' source to the caller's cache key: a changed callee misses the cache
and is compiled again, an unchanged one is loaded as before.

numba offers no public hook for this; the key is numba's ``FunctionCache._index_key``
extended, and ``tests/games/test_jitcache.py`` checks in fresh processes that an
edited callee is seen and an unchanged one is still loaded from the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from numba.core.caching import FunctionCache

_Kernel = TypeVar("_Kernel")


def source_digest(modules: tuple[ModuleType, ...]) -> str:
    """One digest of the source files of ``modules``, in the order given."""
    digest = hashlib.sha256()
    for module in modules:
        path = module.__file__
        if path is None:
            raise ValueError(f"{module.__name__} has no source file to key a cache on")
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


class _KeyedCache(FunctionCache):
    """numba's function cache, with the callees' source digest in every entry's key."""

    def __init__(self, py_func: Callable[..., Any], digest: str) -> None:
        super().__init__(py_func)  # type: ignore[no-untyped-call]
        self._callees_digest = digest

    def _index_key(self, sig: Any, codegen: Any) -> tuple[Any, ...]:
        numba_key = super()._index_key(sig, codegen)  # type: ignore[no-untyped-call]
        return (*numba_key, self._callees_digest)


def keyed_on(*callees: ModuleType) -> Callable[[_Kernel], _Kernel]:
    """Key a cached kernel's machine code on the source of the ``callees`` modules too.

    Apply above ``@njit(cache=True)``, before the kernel is first called.  Under
    ``NUMBA_DISABLE_JIT=1`` the kernel is plain Python and is returned unchanged.
    """
    digest = source_digest(callees)

    def key(kernel: _Kernel) -> _Kernel:
        cache = getattr(kernel, "_cache", None)
        if isinstance(cache, FunctionCache):
            kernel._cache = _KeyedCache(kernel.py_func, digest)  # type: ignore[attr-defined]
        return kernel

    return key
