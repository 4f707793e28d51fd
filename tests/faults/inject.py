"""Fault hooks for the tests: a job fails or dies on purpose when its overrides name it.

``AGORA_FAIL_IF`` and ``AGORA_KILL_IF`` each hold one or more Hydra overrides separated by
``;``. A job whose override list contains one of them raises ``RuntimeError`` inside the job
(``AGORA_FAIL_IF``) or kills its own process with SIGKILL before simulating (``AGORA_KILL_IF``,
standing in for an out-of-memory kill). They live here, not in the shipped code:

* in the test process, :func:`install` wraps :func:`sim.exec.jobs._run_locked` (the part of
  a job run while its directory is locked, after resume has decided to run it), and
  :func:`sim.exec.pool.execute_group` (several jobs of a sweep stepped as one batch): a batch
  holding a job named by a hook dies with it (``AGORA_KILL_IF``), or fails, so its jobs run
  one by one as the batch's own fallback runs them (``AGORA_FAIL_IF``);
* in the processes a test starts (the Hydra app, its pool, joblib or submitit workers),
  :func:`with_faults` puts ``tests/faults/site`` on ``PYTHONPATH``, whose
  ``sitecustomize.py`` calls :func:`install` at interpreter start when a hook is set.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["HOOKS", "SITE", "install", "with_faults"]

HOOKS = ("AGORA_FAIL_IF", "AGORA_KILL_IF")
SITE = Path(__file__).resolve().parent / "site"


def _matches(variable: str, overrides: Sequence[str]) -> bool:
    patterns = [p.strip() for p in os.environ.get(variable, "").split(";") if p.strip()]
    return any(p in overrides for p in patterns)


def install() -> None:
    """Wrap ``sim.exec.jobs._run_locked`` and ``sim.exec.pool.execute_group`` so the hooks act
    in this process (idempotent)."""
    import sim
    import sim.exec.jobs as jobs

    original = jobs._run_locked
    if getattr(original, "_fault_hooks", False):
        return

    def _run_locked(cfg, job_dir, summary, overrides, *args, **kwargs):
        kill = _matches("AGORA_KILL_IF", overrides)
        fail = _matches("AGORA_FAIL_IF", overrides)
        if not (kill or fail):
            return original(cfg, job_dir, summary, overrides, *args, **kwargs)

        def fault(*_, **__):
            if kill:  # no Python cleanup, no files: the process just ends
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError(f"AGORA_FAIL_IF testing hook matched overrides {list(overrides)}")

        real = sim.simulate  # the job imports it from sim when it starts simulating
        sim.simulate = fault
        try:
            return original(cfg, job_dir, summary, overrides, *args, **kwargs)
        finally:
            sim.simulate = real

    _run_locked._fault_hooks = True
    jobs._run_locked = _run_locked

    import sim.exec.pool as pool

    grouped = pool.execute_group

    def execute_group(planned):
        if len(planned) > 1 and any(_matches("AGORA_KILL_IF", j.overrides) for j in planned):
            os.kill(os.getpid(), signal.SIGKILL)
        if len(planned) > 1 and any(_matches("AGORA_FAIL_IF", j.overrides) for j in planned):
            return [pool.execute(j) for j in planned]
        return grouped(planned)

    pool.execute_group = execute_group


def with_faults(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for a subprocess: the hooks it sets take effect there (and only those)."""
    out = dict(env)
    if any(out.get(h) for h in HOOKS):
        out["PYTHONPATH"] = os.pathsep.join(
            [str(SITE), *[p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p]]
        )
    return out
