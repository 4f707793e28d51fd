"""The studies: each is plan -> jobs -> outcomes -> analysis -> report.

:mod:`sim.studies.outcomes`
    the outcomes kit: the end-of-run window, per-seed window means, finals, intervals kept
    inside a metric's range, effect tables, numbers as reports print them. Every study and
    the app read outcomes through it; no other module slices a window.
:mod:`sim.studies.compare` (report: :mod:`sim.studies.compare_report`)
    the main job: every practice against a base, paired by seed, then classified
    (:mod:`sim.studies.classification`) and quantified (:mod:`sim.studies.factorial`).
:mod:`sim.studies.paired`
    paired runs (one point, two settings, the same seeds), shared by discover.
:mod:`sim.studies.discover`
    where a practice pays off: PRIM over a Latin hypercube.
:mod:`sim.studies.sensitivity`
    Sobol and Morris indices over a design's sweep.
:mod:`sim.studies.aggregate` (report: :mod:`sim.studies.sweep_report`)
    a sweep directory into tables, intervals and plots.

The what-if study is :mod:`sim.scenarios.whatif`; the dockings :mod:`sim.validation`. The
jobs they all run are :mod:`sim.exec`. Arguments are parsed in :mod:`sim.cli` only.
"""
