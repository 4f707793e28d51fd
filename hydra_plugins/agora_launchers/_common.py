"""What the Agora launchers share: planning a launch and turning status records into returns."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hydra.core.utils import JobReturn, JobStatus, configure_log, filter_overrides, setup_globals
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

log = logging.getLogger(__name__)


class AgoraLauncherBase:
    """Hydra ``Launcher`` behaviour shared by the pool and Ray launchers."""

    name = "agora"

    def __init__(self, **kwargs: Any) -> None:
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None
        self.options = kwargs

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config = config
        self.task_function = task_function
        self.hydra_context = hydra_context

    def _launch(
        self,
        job_overrides: Sequence[Sequence[str]],
        initial_job_idx: int,
        run: Callable[[Iterable[Any], Callable[[Any, dict], None]], list[dict]],
    ) -> Sequence[JobReturn]:
        from sim.exec.jobs import JobFailed
        from sim.exec.parallel import PlannedJob
        from sim.exec.plan import SweepPlan
        from sim.exec.pool import record_failed_plan
        from sim.exec.sweeps import sweep_id

        setup_globals()
        assert self.config is not None and self.hydra_context is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        launcher = self.config.hydra.runtime.choices.get("hydra/launcher") or self.name
        plan = SweepPlan(self.config, self.hydra_context.config_loader, launcher)
        plan.sweep_dir.mkdir(parents=True, exist_ok=True)
        plan.sweep_id = sweep_id(plan.sweep_dir, create=True)
        log.info(
            "%s launcher (%s) is launching %d jobs into %s",
            self.name,
            ", ".join(f"{k}={v}" for k, v in self.options.items()),
            len(job_overrides),
            plan.sweep_dir,
        )
        done = {"n": 0, "failed": 0}

        def progress(job: Any, record: dict) -> None:
            done["n"] += 1
            if record["status"] != "ok":
                done["failed"] += 1
                log.error("#%s %s: %s", record["num"], record["status"], record["error"])
            if done["n"] % 100 == 0 or done["n"] == len(job_overrides):
                log.info(
                    "%d/%d jobs done (%d not ok)", done["n"], len(job_overrides), done["failed"]
                )

        # A job whose configuration does not resolve is recorded at once; the rest run.
        early: list[dict] = []

        def planned() -> Iterable[PlannedJob]:
            for item in plan.jobs(job_overrides, initial_job_idx):
                if isinstance(item, PlannedJob):
                    yield item
                else:
                    early.append(record_failed_plan(*item, launcher=launcher))

        records = run(planned(), progress) + early
        records.sort(key=lambda r: r["num"])
        returns = []
        for overrides, record in zip(job_overrides, records, strict=True):
            ok = record["status"] == "ok"
            if record.get("skipped"):
                log.info("#%s skipped: already done", record["num"])
            returns.append(
                JobReturn(
                    overrides=[str(o) for o in filter_overrides(overrides)],
                    working_dir=record["dir"],
                    task_name=self.config.hydra.job.name,
                    status=JobStatus.COMPLETED if ok else JobStatus.FAILED,
                    _return_value=None
                    if ok
                    else JobFailed(f"job in {record['dir']} {record['status']}: {record['error']}"),
                )
            )
        return returns
