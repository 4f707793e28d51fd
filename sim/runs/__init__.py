"""The experiment machinery: jobs, sweeps, aggregation, designs, sensitivity, parallel runs.

:mod:`sim.runs.jobs`
    one job: replicates run, ``metrics.parquet`` and ``summary.json`` written atomically, resume.
:mod:`sim.runs.sweeps`
    the jobs of a Hydra multirun listed and validated before any starts.
:mod:`sim.runs.aggregate`
    a sweep directory into ``runs.parquet``, ``timeseries.parquet``, ``summary.csv`` and plots.
:mod:`sim.runs.designs`
    Latin hypercube and Sobol designs written as Hydra option files.
:mod:`sim.runs.sensitivity`
    Sobol indices from aggregated results.
:mod:`sim.runs.parallel`
    a pool of replicate jobs with progress, shared by compare and what-if.
"""
