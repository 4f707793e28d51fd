"""The teaching app's parts that are not the page itself.

:mod:`sim.lab.controls` (the settings of one organization: a control per practice, the regime
ends as presets, the overrides of ``agora run``), :mod:`sim.lab.pair` (two organizations
stepping together, drawn and exported together), :mod:`sim.lab.whatif` (a what-if run in the
background, with progress), :mod:`sim.lab.lessons` (the Info tab and the guided experiments)
and :mod:`sim.lab.views` (the Solara components). ``sim/app.py`` is the page.
"""
