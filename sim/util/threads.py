"""One BLAS and OpenMP thread per process: Agora's parallelism is processes, not threads.

A simulation step is many small numpy calls; BLAS threads add overhead to each without
speeding any up, and two processes on two cores, each with two BLAS threads, fight over the
cores (issue 26 measured 172-178 ms per step at 100k members with OpenBLAS at 2 threads
against 69-78 ms with 1). So the ``agora`` command, every job (pool, Ray, SLURM, joblib
workers run :func:`sim.exec.pool.execute` or ``agora run``'s task function) and every
benchmark call :func:`pin_threads`.

It works in two ways, because numpy is usually loaded already when it is called: the
environment variables that the BLAS and OpenMP libraries read when they load are set, for the
processes this one starts (forkserver, spawn, Ray's and SLURM's workers inherit the
environment), and :mod:`threadpoolctl` limits the libraries already loaded in this process.

It also tells the allocator to keep freed memory (:func:`sim.util.memory.keep_freed_memory`,
off with ``AGORA_MALLOC=system``): the same processes want both, and one call sets them up.

Examples
--------
>>> pin_threads()
>>> blas_threads()
1
>>> os.environ["OPENBLAS_NUM_THREADS"]
'1'
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["THREAD_VARIABLES", "pin_threads", "blas_threads"]

#: What OpenBLAS, OpenMP, MKL, Apple's Accelerate, numexpr and BLIS read for their thread count.
THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "BLIS_NUM_THREADS",
)


def pin_threads(*, keep_memory: bool = True) -> None:
    """One thread for BLAS and OpenMP, in this process and in every process it starts.

    Safe to call any number of times; each call costs about half a millisecond. With
    ``keep_memory`` (simulation processes) it also keeps freed memory in the process
    (:func:`sim.util.memory.keep_freed_memory`); a long-lived server (the app) passes False, so
    what its ended sessions freed goes back to the system.
    """
    from sim.util.memory import keep_freed_memory

    if keep_memory:
        keep_freed_memory()
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


#: threadpoolctl's view of this process's libraries, and how many modules were imported then.
_controller: tuple[int, Any] | None = None


def blas_threads() -> int:
    """The largest thread count of the BLAS and OpenMP libraries loaded in this process
    (1 when none is loaded), as :mod:`threadpoolctl` reads it.

    Finding the libraries costs about 2 ms (every job records this figure), reading their
    current thread counts microseconds; so they are found again only when a module has been
    imported since (native libraries load with the modules that need them).
    """
    global _controller
    from threadpoolctl import ThreadpoolController

    if _controller is None or _controller[0] != len(sys.modules):
        controller = ThreadpoolController()  # counted after: it may import modules itself
        _controller = (len(sys.modules), controller)
    return max((int(lib["num_threads"]) for lib in _controller[1].info()), default=1)
