"""Agora's Hydra launchers (Hydra finds plugins only in the ``hydra_plugins`` namespace).

``pool`` (:mod:`.pool_launcher`)
    long-lived worker processes on this machine; every job composed once in the parent.
``ray`` (:mod:`.ray_launcher`)
    the same jobs as Ray tasks on a Ray cluster (needs ``pip install agora-sim[ray]``).

The work is done in :mod:`sim.exec.plan`, :mod:`sim.exec.pool` and :mod:`sim.exec.ray_pool`;
these classes only adapt them to Hydra's ``Launcher`` interface. Both launchers run Agora jobs
(:func:`sim.exec.jobs.run_job`), not an arbitrary task function.
"""


def register() -> None:
    """Make Hydra know these launchers even where its plugin scan cannot see them.

    Hydra finds plugins by walking the folders of the ``hydra_plugins`` namespace; an editable
    install (``pip install -e .``) serves this package through an import hook instead of a
    folder, so the walk misses it. Registering the classes directly works in every install
    (registering twice is harmless). Called by ``agora run`` before Hydra starts.
    """
    from hydra.core.plugins import Plugins

    from .pool_launcher import PoolLauncher
    from .ray_launcher import RayLauncher

    for launcher in (PoolLauncher, RayLauncher):
        Plugins.instance().register(launcher)
