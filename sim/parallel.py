"""Worker processes for running replicates in parallel, started the same way everywhere.

Examples
--------
>>> process_context().get_start_method() in ("forkserver", "spawn")
True
"""

from __future__ import annotations

import multiprocessing as mp

__all__ = ["process_context"]


def process_context() -> mp.context.BaseContext:
    """forkserver (workers fork from a server that has already imported the model), else spawn.

    Chosen explicitly: ``import mesa`` sets a global start method, and forking after threads
    have started (BLAS, tqdm) is unsafe.
    """
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.jobs", "sim.simulation", "sim.model"])
        return ctx
    return mp.get_context("spawn")
