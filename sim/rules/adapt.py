"""Adaptive practices: each organization moves one practice towards what raised its objective.

With ``org.adapt=on``, every ``org.review`` steps each organization compares its own objective
(``org.objective``: ``engagement``, the mean engagement of its members, or ``value``, the value
it kept, which needs ``value.economy``) over the last review period with the period before, and
moves one of its own practices, in turn ``responsiveness`` then ``broadcast_rate``, by
``org.adapt_step`` plus normal noise of sd ``org.adapt_noise``: in the same direction as that
practice's last move if its objective rose since, the other way if it fell (a stated hill climb
on its own experience, kept inside [0, 1]). It is close to Cyert & March's (1963) problemistic
search (local search when performance falls below an aspiration set by past performance, as
secondary sources summarise it); the step, noise and review period are assumptions (ranges in
``docs/odd.md``).

With several organizations each one has its own practices (its own regime): they adapt
together, each on its own objective, and may drift apart. The model reads each organization's
practice from :meth:`Adaptation.rates`; the configuration's ``regime.responsiveness`` and
``regime.broadcast_rate`` hold their mean (what the metrics ``practice_*`` report). An
intervention that sets a practice sets it for every organization.

While ``org.adapt`` is off (the default) :class:`Adaptation` draws nothing and practices never
change except by interventions. Its noise comes from a child of the model's Generator (one draw
per organization at each review).

Examples
--------
>>> hill_climb(0.5, 1.0, improved=False, step=0.1, noise=0.0)
(0.4, -1.0)
>>> hill_climb(0.95, 1.0, improved=True, step=0.1, noise=0.0)
(1.0, 1.0)
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["Adaptation", "hill_climb", "PRACTICES"]

#: The practices an organization adjusts, in turn.
PRACTICES = ("responsiveness", "broadcast_rate")


def hill_climb(
    value: float, direction: float, *, improved: bool, step: float, noise: float
) -> tuple[float, float]:
    """One move of a practice: keep the direction if the objective improved, else reverse it;
    returns the new value (clipped to [0, 1]) and the direction taken."""
    direction = direction if improved else -direction
    new = float(np.clip(value + direction * step + noise, 0.0, 1.0))
    return round(new, 12), direction


class Adaptation:
    """Each organization's practices, its objective's record and each practice's last
    direction.

    >>> from sim.config import to_config
    >>> cfg = to_config({"org": {"count": 2, "adapt": "on", "review": 1, "adapt_noise": 0.0}})
    >>> a = Adaptation(cfg, np.random.default_rng(0))
    >>> a.step(cfg, [1.0, 1.0]) is None  # the first review sets the baseline
    True
    >>> new = a.step(cfg, [2.0, 0.5])  # the first organization did better, the second worse
    >>> a.rates(new, "responsiveness").round(3).tolist(), round(new.regime.responsiveness, 3)
    ([0.4, 0.2], 0.3)
    """

    def __init__(self, cfg, rng: np.random.Generator) -> None:
        self.rng = rng.spawn(1)[0] if cfg.org.adapt == "on" else None
        n = cfg.org.count
        self.record: list[np.ndarray] = []
        self.previous: np.ndarray | None = None  # each objective's mean over the period before
        self.direction = {p: np.ones(n) for p in PRACTICES}
        self.practice = {p: np.full(n, float(getattr(cfg.regime, p))) for p in PRACTICES}
        # The value each practice had in the configuration when last read or written: a
        # different one was set by an intervention, for every organization.
        self.told = {p: getattr(cfg.regime, p) for p in PRACTICES}
        self.reviews = 0

    def rates(self, cfg, practice: str) -> np.ndarray:
        """Each organization's ``practice`` now (an array over organizations)."""
        value = getattr(cfg.regime, practice)
        if value != self.told[practice]:
            self.practice[practice] = np.full(cfg.org.count, float(value))
            self.told[practice] = value
        return self.practice[practice]

    def step(self, cfg, objective):
        """Record this step's objective (one per organization, or one shared number); at a
        review, the configuration with one practice moved (its mean over organizations) or
        None: nothing changes."""
        if cfg.org.adapt != "on":
            return None
        if self.rng is None:  # switched on by an intervention
            raise RuntimeError("org.adapt is read when the model is built")
        self.record.append(np.broadcast_to(np.asarray(objective, float), (cfg.org.count,)))
        if len(self.record) < cfg.org.review:
            return None
        # One organization at a time, each a contiguous series (the sum's order is kept).
        mean = np.array([float(np.mean(np.ascontiguousarray(x))) for x in np.array(self.record).T])
        self.record = []
        if self.previous is None:
            self.previous = mean
            return None
        practice = PRACTICES[self.reviews % len(PRACTICES)]
        self.reviews += 1
        values = self.rates(cfg, practice).copy()
        sd = cfg.org.adapt_noise
        noise = self.rng.normal(0.0, sd, size=len(values)) if sd > 0 else np.zeros(len(values))
        for o in range(len(values)):  # a loop over organizations (a handful), not agents
            values[o], self.direction[practice][o] = hill_climb(
                values[o],
                self.direction[practice][o],
                improved=bool(mean[o] >= self.previous[o]),
                step=cfg.org.adapt_step,
                noise=float(noise[o]),
            )
        self.previous = mean
        self.practice[practice] = values
        self.told[practice] = float(np.mean(values)) if len(values) > 1 else float(values[0])
        regime = dataclasses.replace(cfg.regime, **{practice: self.told[practice]})
        return dataclasses.replace(cfg, regime=regime)
