"""Keep freed memory in the process, so a step's large temporaries do not fault in afresh.

glibc's ``malloc`` serves every block above its mmap threshold (128 KiB, rising to at most
32 MiB as blocks are freed) with a fresh ``mmap`` and hands it back with ``munmap`` when it is
freed; and it returns the top of its heap to the kernel once more than its trim threshold is
free. A model step at a million members allocates temporaries of 30-240 MB (``(n, m)``
arrays of int8 to float64), so every step asked the kernel for new zeroed pages: issue 26
measured about 10,000 minor page faults per step and 42% of the CPU in the kernel at 1M.

:func:`keep_freed_memory` tells the allocator (``mallopt``) to serve large blocks from its
heap (``M_MMAP_MAX`` = 0) and to keep what is freed there (``M_TRIM_THRESHOLD`` at its
maximum), so the next step reuses pages already mapped. The price: a process keeps its high-
water mark of memory until it exits (Agora's simulation processes are short-lived, or hold
the model anyway). :func:`sim.util.threads.pin_threads` calls it, so the ``agora`` command,
every job's worker and every benchmark run with it, except the app (``agora app``), a
long-lived server whose ended sessions must give their memory back; on a system without glibc
it does nothing. ``AGORA_MALLOC=system`` switches it off (for this process and, through the
environment, the workers it starts): the allocator keeps its defaults.

Examples
--------
>>> keep_freed_memory() in (True, False)  # False without glibc or under AGORA_MALLOC=system
True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["OFF_SWITCH", "keep_freed_memory"]

#: The environment variable that switches :func:`keep_freed_memory` off (value ``system``).
OFF_SWITCH = "AGORA_MALLOC"

# mallopt's parameter codes, from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
#: The largest trim threshold mallopt takes (an int): in effect, never trim.
_NEVER = 2**31 - 1


def keep_freed_memory() -> bool:
    """Serve large blocks from the heap and keep freed memory there; whether it took effect.

    Safe to call any number of times. Returns False (and changes nothing) under
    ``AGORA_MALLOC=system`` or where the C library has no ``mallopt`` (not glibc).
    """
    if os.environ.get(OFF_SWITCH, "").strip().lower() == "system":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl, macOS, Windows: no mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success: both must hold, or the blocks still go back to the kernel.
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, _NEVER))
