"""The training process keeps the memory it frees, so that a step's states are not page-faulted in again.

A training step of a 10-qubit QNN at batch 256 allocates some thirty 1-2 MiB tensors (states,
their gradients) and frees them by the end of the step. glibc serves such sizes with ``mmap``
and returns them to the kernel on ``free`` (or trims them off the heap's top), so every step
faults in and zero-fills the same megabytes anew: how often depends on what the process freed
before (glibc raises its threshold after large frees), and it cost a fashion-10 epoch up to 1.68x
(``experiments/bench_heap.py``). Raising glibc's mmap threshold to its maximum (32 MiB) and its
trim threshold well above it keeps freed blocks in the process heap for the next step. The
price is that the process's resident memory stays at its peak, which for our trainings is a few
hundred MiB at most.

:func:`keep_freed_memory` is called by :func:`qas.trainer.train` (every candidate training, in
every worker). It changes nothing off glibc (macOS, musl) and nothing with
``QAS_KEEP_FREED_MEMORY=0`` in the environment.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_memory"]

#: blocks up to this size come from the heap, not from mmap (glibc's upper limit on 64-bit)
MMAP_THRESHOLD = 32 * 2**20
#: the heap's free top is given back to the kernel only beyond this
TRIM_THRESHOLD = 1 * 2**30

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h>
_done: bool | None = None


def keep_freed_memory() -> bool:
    """Set glibc's thresholds once per process; True when they are set (now or before)."""
    global _done
    if _done is None:
        _done = False
        if sys.platform.startswith("linux") and os.environ.get("QAS_KEEP_FREED_MEMORY", "1") != "0":
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
                mallopt = libc.mallopt
            except (OSError, AttributeError):  # not glibc
                return False
            mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
            _done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done
