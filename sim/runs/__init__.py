"""Old import paths, kept for code written against them: the modules now live elsewhere.

``sim.runs`` held the experiment machinery until December 2026. Execution plumbing (jobs,
locks, launchers, sweeps, datasets, designs) is now :mod:`sim.exec`; the studies and the
outcomes kit are :mod:`sim.studies`. The documented Python entry points keep their old names:
``sim.runs.aggregate`` is :mod:`sim.studies.aggregate` and ``sim.runs.dataset`` is
:mod:`sim.exec.dataset` (each name is read from the new module, so they are the same
objects).

Examples
--------
>>> from sim.runs.aggregate import aggregate
>>> import sim.studies.aggregate
>>> aggregate is sim.studies.aggregate.aggregate
True
"""
