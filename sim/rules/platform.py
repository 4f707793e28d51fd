"""Platform adoption: who uses the peer platform (posts, replies, votes), and who leaves it.

An enterprise platform is used only by the members who have adopted it. A member off the
platform adopts when what it sees reaches its own threshold (Granovetter 1978: thresholds
differ from person to person, drawn once from a normal distribution): the share of its
neighbours active there last step (Markus 1987: interactive media are worth using only once a
critical mass of one's contacts uses them), its record of having been heard there (Davis 1989:
perceived usefulness), and the share of its leaders seen taking part. An adopter whose posts
are ignored ``patience`` times in a row drops out. Stakeholders are never on the members'
platform and are never filtered (they reach members through their own channel).

:class:`Platform` keeps this state as a component of the model. Under ``rollout=everyone``
(the default) it is inert: every member is on the platform for good, it draws nothing and
filters nothing, so the model's outputs are those of the model before adoption, draw for draw.
Under the other rollouts its draws come from a child of the model's Generator
(``rng.spawn``), so they never shift the model's own stream.

Examples
--------
>>> import numpy as np
>>> initial_adoption("champions", 10, 0.2, 12).astype(int).tolist()
[0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1]
>>> indptr, indices = np.array([0, 2, 3, 4]), np.array([1, 2, 0, 0])
>>> neighbour_share(indptr, indices, np.array([False, True, False])).tolist()
[0.5, 0.0, 0.0]
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "Platform",
    "initial_adoption",
    "neighbour_share",
    "adopt",
    "drop_out",
    "usefulness",
]


def initial_adoption(rollout: str, n: int, champions: float, n_nodes: int) -> np.ndarray:
    """Who is on the platform at the start: every member (``everyone``, ``top_down``) or a
    share ``champions`` of them spread evenly over the members (no draws); stakeholders
    (rows ``n`` and above) always count as on it, since it is not theirs to adopt."""
    on = np.ones(n_nodes, dtype=bool)
    if rollout == "champions":
        idx = np.arange(n)
        on[:n] = np.floor((idx + 1) * champions) > np.floor(idx * champions)
    return on


def neighbour_share(indptr: np.ndarray, indices: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Per node, the share of its neighbours (CSR ``indptr``, ``indices``) that are active;
    0 for a node without neighbours."""
    deg = np.diff(indptr)
    owner = np.repeat(np.arange(deg.size), deg)
    count = np.bincount(owner, weights=active[indices].astype(float), minlength=deg.size)
    return count / np.maximum(deg, 1)


def usefulness(heard: np.ndarray, ignored: np.ndarray) -> np.ndarray:
    """The share of one's platform record (decayed counts) in which one was heard; 0 with no
    record (nothing learned yet about whether it is useful)."""
    record = heard + ignored
    return np.where(record > 1e-9, heard / np.maximum(record, 1e-12), 0.0)


def adopt(
    adopted: np.ndarray, signal: np.ndarray, threshold: np.ndarray, u: np.ndarray, rate: float
) -> np.ndarray:
    """Members off the platform whose ``signal`` reaches their ``threshold`` adopt with chance
    ``rate`` (``u`` uniform draws, one per member); adopters stay.

    >>> adopt(np.array([False, False, True]), np.array([0.5, 0.1, 0.0]),
    ...       np.array([0.3, 0.3, 0.3]), np.array([0.1, 0.1, 0.9]), 0.5).tolist()
    [True, False, True]
    """
    return adopted | ((signal >= threshold) & (u < rate))


def drop_out(adopted: np.ndarray, streak: np.ndarray, patience: int) -> np.ndarray:
    """Adopters ignored ``patience`` times in a row leave the platform.

    >>> drop_out(np.array([True, True]), np.array([3, 2]), 3).tolist()
    [False, True]
    """
    return adopted & (streak < patience)


class Platform:
    """The platform's state: who has adopted it, each member's threshold, and its record.

    Parameters
    ----------
    cfg
        The run's configuration (``platform``, ``mechanisms``, ``leadership``).
    n, n_nodes
        Members, and all nodes (members then stakeholders).
    rng
        The model's Generator: a child is spawned from it only when the platform is live.
    """

    def __init__(self, cfg, n: int, n_nodes: int, rng: np.random.Generator) -> None:
        p = cfg.platform
        self.n = n
        self.live = p.rollout != "everyone"
        self.adopted = initial_adoption(p.rollout, n, p.champions, n_nodes)
        self.active = np.zeros(n_nodes, dtype=bool)  # on the platform last step
        self.streak = np.zeros(n_nodes, dtype=np.int64)
        self.heard = np.zeros(n_nodes)
        self.ignored = np.zeros(n_nodes)
        self.rng: np.random.Generator | None = None  # spawned only while live
        self.threshold = np.zeros(n)
        if self.live:
            self.rng = rng.spawn(1)[0]
            self.threshold = self.rng.normal(p.threshold, p.threshold_sd, n)

    def newcomers(self, cfg, seats: np.ndarray) -> None:
        """Newcomers in ``seats`` (turnover): on the platform only if the rollout gives every
        member an account, with no record there yet."""
        if not self.live:
            return
        self.adopted[seats] = cfg.platform.rollout == "top_down"
        self.streak[seats] = 0
        self.heard[seats] = 0
        self.ignored[seats] = 0

    def filter_posts(self, posters: np.ndarray, readers: np.ndarray):
        """The posts that happen on the platform: both ends have adopted it."""
        if not self.live:
            return posters, readers
        keep = self.adopted[posters] & self.adopted[readers]
        return posters[keep], readers[keep]

    def update(
        self,
        cfg,
        network,
        used: np.ndarray,
        heard: np.ndarray,
        ignored: np.ndarray,
        seen_leaders: float,
        memory: float,
    ) -> None:
        """End of a step: the record of being heard there, drop-outs, then adoptions.

        ``used`` flags who posted, replied or voted on the platform this step, ``heard`` who
        was replied to or voted for by a colleague, ``ignored`` who had a post ignored,
        ``seen_leaders`` the share of leaders seen taking part.
        """
        self.active = used
        if self.rng is None:  # not live
            return
        p, n = cfg.platform, self.n
        self.heard = self.heard * memory + heard
        self.ignored = self.ignored * memory + ignored
        self.streak = np.where(heard, 0, self.streak + ignored)
        u = self.rng.random(n)  # drawn every step the platform is live, used or not
        if not cfg.mechanisms.adoption:
            return
        members = self.adopted[:n]
        members = drop_out(members, self.streak[:n], p.patience)
        signal = neighbour_share(network.indptr, network.indices, used)[:n]
        signal = signal + p.usefulness * usefulness(self.heard[:n], self.ignored[:n])
        if cfg.mechanisms.leader_visibility:
            signal = signal + p.leader_weight * seen_leaders
        dropped = self.adopted[:n] & ~members
        # Who left this step does not rejoin in the same step; who leaves starts afresh.
        now = adopt(members, signal, self.threshold, u, p.rate) & ~dropped
        self.streak[:n][dropped] = 0
        self.adopted[:n] = now

    def adoption(self) -> float:
        """The share of members who have adopted the platform."""
        return float(np.count_nonzero(self.adopted[: self.n])) / self.n if self.n else np.nan
