"""The structure of organizations: reporting trees, typed communication ties, real org charts.

:mod:`sim.org.network`
    trees of ``depth`` levels and ``span`` reports, peer, cross-unit, external and inter-org
    ties, all drawn from the model's Generator and kept as CSR arrays.
:mod:`sim.org.orgchart`
    a real organization loaded from an org chart (CSV) and an observed communication network
    (CSV edge list or GraphML), checked row by row.
"""
