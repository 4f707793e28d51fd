"""Named scenarios, real org charts and what-if comparisons.

:mod:`sim.scenarios.library`
    the scenario library (``conf/scenario/*.yaml``) and named interventions
    (``conf/intervention/*.yaml``), with their plain-words descriptions.
:mod:`sim.scenarios.orgchart`
    a real organization loaded from an org chart (CSV) and an observed communication
    network (CSV edge list or GraphML), checked row by row.
:mod:`sim.scenarios.whatif`
    a scenario run with and without an intervention, replicates in parallel, aggregated into
    one table; :mod:`sim.scenarios.report` turns that table into ``report.md`` and plots.
"""
