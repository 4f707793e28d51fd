"""Worker processes started the same way everywhere, and stopped when their parent is gone.

The lowest layer of the experiment machinery: :mod:`sim.exec.jobs` (every job watches its
parent), :mod:`sim.exec.parallel` and :mod:`sim.exec.pool` (which start workers) import it,
and it imports none of them.

Examples
--------
>>> process_context().get_start_method() in ("forkserver", "spawn")
True
"""

from __future__ import annotations

import _thread
import logging
import multiprocessing as mp
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

__all__ = ["process_context", "stop_pool", "watch_parent"]

log = logging.getLogger(__name__)

_watching = False


def watch_parent(grace: float = 3.0) -> bool:
    """In a worker process, stop when the process that started it is gone; True if watching.

    A worker of a process pool (``multiprocessing`` forkserver or spawn, joblib's loky) that
    loses its parent (killed, out of memory) would otherwise run its job to the end and
    then wait forever. A daemon thread waits for the parent to go (the parent's sentinel, or
    polling the parent pid for loky, whose workers have none), then interrupts the main thread
    (``KeyboardInterrupt``: ``finally`` blocks remove temporary files and release job locks)
    and ends the process ``grace`` seconds later if it is still there. Does nothing in a
    process that no Python parent started (a command run from a shell, a SLURM task).
    """
    global _watching
    if _watching:
        return True
    parent = mp.parent_process()
    if parent is None:
        return False
    sentinel, parent_pid, ppid = parent.sentinel, parent.pid, os.getppid()

    def parent_alive() -> bool:
        if os.getppid() != ppid:  # re-parented: the parent has gone
            return False
        if parent_pid is None:  # multiprocessing may not know it: os.getppid() alone decides
            return True
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True

    def watch() -> None:
        if sentinel is not None:
            from multiprocessing.connection import wait

            wait([sentinel])
        else:
            while parent_alive():
                time.sleep(0.5)
        log.error("parent process %s is gone: stopping worker %s", parent_pid, os.getpid())
        _thread.interrupt_main()
        time.sleep(grace)
        os._exit(1)

    threading.Thread(target=watch, name="watch parent", daemon=True).start()
    _watching = True
    return True


#: What the forkserver imports once for all its workers: the model, and what every job's
#: writing needs (a module a job imports would be imported again in each worker).
PRELOAD = [
    "sim.exec.jobs",
    "sim.simulation",
    "sim.model",
    "pyarrow.parquet",
    "threadpoolctl",
]


def process_context() -> mp.context.BaseContext:
    """forkserver (workers fork from a server that has already imported the model), else spawn.

    Chosen explicitly: ``import mesa`` sets a global start method, and forking after threads
    have started (BLAS, tqdm) is unsafe.
    """
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return mp.get_context("spawn")


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and terminate the workers of ``pool`` (they stop at once)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(timeout=5)
