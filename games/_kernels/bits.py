"""Bit counts and gathers on 64-bit words for the kernels.  Private.

Under numba they are LLVM's own instructions; under ``NUMBA_DISABLE_JIT=1``
the plain Python twins below run instead, so that the tests can run every
line of the kernels as Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import config, njit, types
from numba.extending import intrinsic

ONE = np.uint64(1)
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_SH1 = np.uint64(1)
_SH2 = np.uint64(2)
_SH4 = np.uint64(4)
_SH8 = np.uint64(8)
_SH16 = np.uint64(16)
_SH32 = np.uint64(32)
_LOW7 = np.uint64(0x7F)
_SH56 = np.uint64(56)
_HIGHS = np.uint64(0x8080808080808080)
# Bit 8k + 7 times this lands on bit 56 + k, and no two products share a bit,
# so nothing carries: byte k's top bit becomes bit k of the top byte.
_GATHER = np.uint64(0x0002040810204081)


def _popcount_python(x: np.uint64) -> np.int64:
    # No multiply: the usual "* 0x0101..." overflows, which numpy reports as a
    # warning.  Byte sums below never carry.
    x = x - ((x >> _SH1) & _M1)
    x = (x & _M2) + ((x >> _SH2) & _M2)
    x = (x + (x >> _SH4)) & _M4
    x = x + (x >> _SH8)
    x = x + (x >> _SH16)
    x = x + (x >> _SH32)
    return np.int64(x & _LOW7)


def _trailing_zeros_python(x: np.uint64) -> np.int64:
    return _popcount_python((x & (~x + ONE)) - ONE)


def _top_bits_python(x: np.uint64) -> np.uint64:
    # Python integers: numpy reports the product's overflow as a warning.
    return np.uint64((int(x) & int(_HIGHS)) * int(_GATHER) >> 56 & 0xFF)


def _top_bits_jit(x: np.uint64) -> np.uint64:
    return ((x & _HIGHS) * _GATHER) >> _SH56


if config.DISABLE_JIT:  # type: ignore[attr-defined]
    popcount = _popcount_python
    trailing_zeros = _trailing_zeros_python
    top_bits = _top_bits_python
else:
    top_bits = njit(cache=True, nogil=True)(_top_bits_jit)

    # LLVM's own bit counts: one instruction each on the CPU the kernels are
    # compiled for, where the shift-and-mask version above costs about twelve.

    @intrinsic
    def popcount(typingctx: Any, x: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            (value,) = args
            return builder.ctpop(value)

        return types.int64(types.uint64), codegen

    @intrinsic
    def trailing_zeros(typingctx: Any, x: Any) -> Any:
        """Index of the lowest set bit; ``x`` must not be 0."""

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            (value,) = args
            return builder.cttz(value, ir.Constant(ir.IntType(1), 1))

        return types.int64(types.uint64), codegen
