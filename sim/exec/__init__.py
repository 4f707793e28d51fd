"""Execution plumbing: what runs a study's jobs, and nothing about what they mean.

:mod:`sim.exec.jobs`
    one job: replicates run, ``metrics.parquet`` and ``summary.json`` written atomically, resume.
:mod:`sim.exec.locks`, :mod:`sim.exec.folders`
    a job's lock file; the marker of folders Agora made (nothing else is ever deleted).
:mod:`sim.exec.parallel`, :mod:`sim.exec.pool`, :mod:`sim.exec.ray_pool`, :mod:`sim.exec.workers`
    planned jobs run in worker processes (with progress) or on Ray.
:mod:`sim.exec.plan`, :mod:`sim.exec.sweeps`, :mod:`sim.exec.fast_values`
    the jobs of a Hydra multirun composed and validated before any starts.
:mod:`sim.exec.designs`
    Latin hypercube, Sobol and Morris designs written as Hydra option files, and read back.
:mod:`sim.exec.scan`, :mod:`sim.exec.dataset`
    the sweep reader: a sweep's job folders into typed tables (a partitioned dataset).

Nothing here imports a study (:mod:`sim.studies`): ``tests/test_layers.py`` checks it.
"""
