"""Adaptive practices: the organization moves one practice towards what raised its objective.

With ``org.adapt=on``, every ``org.review`` steps the organization compares its objective
(``org.objective``: ``engagement``, the members' mean engagement, or ``value``, the value it
kept, which needs ``value.economy``) over the last review period with the period before, and
moves one practice, in turn ``regime.responsiveness`` then ``regime.broadcast_rate``, by
``org.adapt_step`` plus normal noise of sd ``org.adapt_noise``: in the same direction as that
practice's last move if the objective rose since, the other way if it fell (a stated hill climb
on its own experience, kept inside [0, 1]). It is close to Cyert & March's (1963) problemistic
search (local search when performance falls below an aspiration set by past performance, as
secondary sources summarise it); the step, noise and review period are assumptions (ranges in
``docs/odd.md``).
With several organizations the practices are shared (one regime), so they adapt together on the
mean of their objectives.

While ``org.adapt`` is off (the default) :class:`Adaptation` draws nothing and practices never
change except by interventions. Its noise comes from a child of the model's Generator.

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

#: The practices the organization adjusts, in turn.
PRACTICES = ("responsiveness", "broadcast_rate")


def hill_climb(value: float, direction: float, *, improved: bool, step: float,
               noise: float) -> tuple[float, float]:
    """One move of a practice: keep the direction if the objective improved, else reverse it;
    returns the new value (clipped to [0, 1]) and the direction taken."""
    direction = direction if improved else -direction
    new = float(np.clip(value + direction * step + noise, 0.0, 1.0))
    return round(new, 12), direction


class Adaptation:
    """The objective's record and each practice's last direction."""

    def __init__(self, cfg, rng: np.random.Generator) -> None:
        self.rng = rng.spawn(1)[0] if cfg.org.adapt == "on" else None
        self.record: list[float] = []
        self.previous = None  # the objective's mean over the period before
        self.direction = {p: 1.0 for p in PRACTICES}
        self.reviews = 0

    def step(self, cfg, objective: float):
        """Record this step's objective; at a review, the configuration with one practice
        moved (or None: nothing changes)."""
        if cfg.org.adapt != "on":
            return None
        if self.rng is None:  # switched on by an intervention
            raise RuntimeError("org.adapt is read when the model is built")
        self.record.append(objective)
        if len(self.record) < cfg.org.review:
            return None
        mean, self.record = float(np.mean(self.record)), []
        if self.previous is None:
            self.previous = mean
            return None
        practice = PRACTICES[self.reviews % len(PRACTICES)]
        self.reviews += 1
        noise = self.rng.normal(0.0, cfg.org.adapt_noise) if cfg.org.adapt_noise > 0 else 0.0
        value, self.direction[practice] = hill_climb(
            getattr(cfg.regime, practice), self.direction[practice],
            improved=mean >= self.previous, step=cfg.org.adapt_step, noise=noise)
        self.previous = mean
        return dataclasses.replace(cfg, regime=dataclasses.replace(cfg.regime, **{practice: value}))
