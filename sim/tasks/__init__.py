"""Task environments kept apart from the organization model (e.g. Kauffman NK landscapes).

A task environment is a problem that agents solve in parallel on a network; it shares the
project's conventions (one Generator handed down, vectorised arrays) but none of the model's
state, so the classics it reproduces (Lazer & Friedman 2007) can be checked on their own.
"""

from sim.tasks.nk import NKLandscape, lazer_friedman, lf_network

__all__ = ["NKLandscape", "lazer_friedman", "lf_network"]
