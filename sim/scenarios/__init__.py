"""Named scenarios and what-if comparisons (real org charts are in :mod:`sim.org`).

:mod:`sim.scenarios.library`
    the scenario library (``conf/scenario/*.yaml``) and named interventions
    (``conf/intervention/*.yaml``), with their plain-words descriptions.
:mod:`sim.scenarios.whatif`
    a scenario run with and without an intervention, replicates in parallel, aggregated into
    one table; :mod:`sim.scenarios.report` turns that table into ``report.md`` and plots.
"""
