"""``hydra/launcher=ray``: Agora jobs as tasks on a Ray cluster (needs ``agora-sim[ray]``).

Every job's configuration is composed once, in the launching process (:mod:`sim.exec.plan`), and the
resolved configuration runs as a Ray task (:func:`sim.exec.ray_pool.run_ray`); jobs that differ only
in their practices, mechanism switches or seeds share a task, stepped as one batch. The sweep
directory must be on a file system every node sees. Importing this module does not import Ray: Hydra
scans it whether or not Ray is installed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from omegaconf import OmegaConf

from ._common import AgoraLauncherBase


class RayLauncher(AgoraLauncherBase, Launcher):
    """Hydra launcher running Agora jobs as Ray tasks on the cluster at ``address``."""

    name = "ray"

    def __init__(
        self,
        address: str | None = "auto",
        max_retries: int = 1,
        max_in_flight: int | None = None,
        num_cpus: float = 1,
        init: Mapping[str, Any] | None = None,
    ) -> None:
        # No **kwargs: a key the launcher does not know is an error, never passed on. ``init``
        # reaches ray.init: only with agora run --allow-setup (sim.config.hydra_keys).
        super().__init__(address=address, max_retries=max_retries)
        self.address = address
        self.max_retries = int(max_retries)
        self.max_in_flight = max_in_flight
        self.num_cpus = num_cpus
        # A mapping of ray.init's keywords, plain Python (OmegaConf's container, if given one).
        self.init: dict[str, Any] = (
            cast(dict, OmegaConf.to_container(init))
            if OmegaConf.is_config(init)
            else dict(init or {})
        )

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        from sim.exec.ray_pool import run_ray

        return self._launch(
            job_overrides,
            initial_job_idx,
            lambda jobs, progress: run_ray(
                jobs,
                address=self.address,
                max_retries=self.max_retries,
                max_in_flight=self.max_in_flight,
                num_cpus=self.num_cpus,
                init=self.init,
                on_result=progress,
            ),
        )
