"""Value at the economic level: value created with stakeholders, and its negotiated split.

Each step a stakeholder creates value with its organization: its fit (the share of its needs
the code gets right, its satisfaction) plus ``value.idea_value`` for each of its ideas adopted
into the code this step. The organization keeps a share and the stakeholder receives the rest,
so value created = value kept + value received, every step. Each organization's stakeholder
share ``s`` moves at rate ``value.bargaining`` towards ``share + (share_max - share) x h``,
where ``h`` is the share of its stakeholders' ideas answered or acted on (their benevolence
record): stakeholders who are heard negotiate a better split. This is an assumption (ranges in
``docs/odd.md``), in the spirit of bargaining power in a Nash bargaining split (Nash 1950)
growing with a party's voice. With several organizations, stakeholders who switch choose the
organization offering them the most value (fit times its stakeholder share).

While ``value.economy`` is off (the default) :class:`Economy` returns the satisfaction as the
value of the step (what the model did before) and draws nothing.

Examples
--------
>>> import numpy as np
>>> created, kept, received = split(np.array([0.5, 1.0]), np.array([0, 2]), 0.5,
...                                 np.array([0.3]), np.array([0, 0]), 1)
>>> created.tolist(), kept.tolist(), received.tolist()
([0.5, 2.0], [1.75], [0.15, 0.6])
"""

from __future__ import annotations

import numpy as np

__all__ = ["Economy", "split", "negotiate"]


def split(fit, ideas_adopted, idea_value, share, org, n_orgs):
    """Value created per stakeholder, kept per organization, received per stakeholder."""
    created = fit + idea_value * ideas_adopted
    received = share[org] * created
    kept = np.bincount(org, weights=created - received, minlength=n_orgs)
    return created, kept, received


def negotiate(share, heard_share, base, top, rate):
    """Each organization's stakeholder share moves towards ``base + (top - base) x heard``.

    >>> negotiate(np.array([0.3]), np.array([1.0]), 0.3, 0.7, 0.5).tolist()
    [0.5]
    """
    return share + rate * (base + (top - base) * heard_share - share)


def heard_by_org(heard, ignored, org, n_orgs):
    """Per organization, the share of its stakeholders' ideas answered or acted on (0: none)."""
    h = np.bincount(org, weights=heard, minlength=n_orgs)
    i = np.bincount(org, weights=ignored, minlength=n_orgs)
    return np.where(h + i > 1e-9, h / np.maximum(h + i, 1e-12), 0.0)


class Economy:
    """The split of value between each organization and its stakeholders, and this step's
    value created, kept and received."""

    def __init__(self, cfg, k: int) -> None:
        n_orgs = cfg.org.count
        self.on = cfg.value.economy
        self.share = np.full(n_orgs, cfg.value.share)
        self.created = np.zeros(k)
        self.received = np.zeros(k)
        self.kept = np.zeros(n_orgs)

    def step(self, cfg, satisfaction, adopted_origins, n, org, heard, ignored):
        """This step's value received per stakeholder (the satisfaction while off)."""
        self.on = cfg.value.economy  # an intervention may switch it on
        if not self.on:
            return satisfaction
        k, v = satisfaction.size, cfg.value
        from_stakeholders = adopted_origins[adopted_origins >= n] - n
        ideas = np.bincount(from_stakeholders, minlength=k)
        self.created, self.kept, self.received = split(
            satisfaction, ideas, v.idea_value, self.share, org, cfg.org.count
        )
        if cfg.mechanisms.bargaining:
            h = heard_by_org(heard, ignored, org, cfg.org.count)
            self.share = negotiate(self.share, h, v.share, v.share_max, v.bargaining)
        return self.received

    def offers(self, fits: np.ndarray) -> np.ndarray:
        """What each organization offers each stakeholder: its fit times the share it gives
        (the fits themselves while off)."""
        return fits * self.share[None, :] if self.on else fits

    def metric(self, name: str) -> float:
        if not self.on:
            return float("nan")
        created = float(self.created.sum())
        if name == "value_created":
            return created
        if name == "org_value":
            return float(self.kept.sum())
        return float(self.received.sum()) / created if created else float("nan")
