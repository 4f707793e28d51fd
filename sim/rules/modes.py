"""The model's modes as components: the task, the peer rule and the opinion mode.

Each mode is an object with its own state and the hooks the model's phases call, so a phase
calls one hook instead of branching on the mode:

- the **task** (``environment.landscape``) says what a solution, a belief vector, is worth and
  what a newcomer believes: :class:`AdditiveTask` (March's reality, each dimension alone) or
  :class:`NKTask` (Kauffman's NK landscape, :mod:`sim.rules.landscape`);
- the **peer rule** (``population.peer_rule``) says what a member learns by exploring, what it
  says to colleagues and what it does with what they said: :class:`MajorityRule` (March's
  exploration and the peer majority of :mod:`sim.rules.influence`), :class:`ImitationRule`
  (Lazer & Friedman's local search and imitation, :mod:`sim.rules.imitation`) or
  :class:`LearnSuperiorRule` (Fang, Lee & Schilling's learning from superior contacts,
  :mod:`sim.rules.superior`);
- the **opinion mode** (``population.opinion``) is :class:`Opinions`, inert (nothing drawn, no
  arrays) while off.

The draws each hook makes are the ones the model made in its phases before these components
existed, in the same order, so a seed gives the same run.

Examples
--------
>>> import numpy as np
>>> task = AdditiveTask()
>>> task.score_of(np.array([[1, 1, -1]], dtype=np.int8), np.array([1, 1, 1])).tolist()
[0.6666666666666666]
>>> task.fresh_beliefs(np.array([[0.1, 0.5, 0.9]])).tolist()
[[-1, 0, 1]]
>>> PEER_RULES["imitate"] is ImitationRule
True
>>> PEER_RULES["learn_superior"] is LearnSuperiorRule
True
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.rules.imitation import imitate, improving_trials
from sim.rules.influence import follow_peers
from sim.rules.landscape import NKLandscape, additive_scores
from sim.rules.learning import random_beliefs
from sim.rules.messages import BROADCAST, POST, REPLY
from sim.rules.opinion import PEER_WEIGHT, column_influence, heard_weights, leader_average
from sim.rules.opinion import update as update_opinions
from sim.rules.superior import learn_superior

__all__ = [
    "AdditiveTask",
    "NKTask",
    "make_task",
    "MajorityRule",
    "words",
    "ImitationRule",
    "LearnSuperiorRule",
    "PEER_RULES",
    "Opinions",
    "INFLUENCE_ITERATIONS",
]

#: Sweeps per step of the opinion mode's influence shares (sim.rules.opinion.column_influence),
#: warm-started from the last step's: the iteration carries on from step to step while the
#: time-averaged W changes by O(1/t), so a slow-mixing W is followed over several steps
#: rather than solved anew every step (``influence_converged`` says when it is).
INFLUENCE_ITERATIONS = 25


# ------------------------------------------------------------------ the task


class AdditiveTask:
    """March's reality: a solution is worth the share of dimensions it has right."""

    landscape = None

    def score_of(self, solutions: np.ndarray, reality: np.ndarray) -> np.ndarray:
        """What each row of ``solutions`` is worth: the share of dimensions right."""
        return additive_scores(solutions, reality)

    def fresh_beliefs(self, u: np.ndarray) -> np.ndarray:
        """A newcomer's beliefs from uniforms: -1, 0 or +1 (March)."""
        return random_beliefs(u)

    def performance(self, beliefs: np.ndarray) -> np.ndarray | None:
        """Members' scores for the ``performance`` metric: none on the additive task, where
        the score is ``knowledge_individuals``."""
        return None


class NKTask:
    """Kauffman's NK landscape (``environment.landscape=nk``), tabulated once when drawn."""

    def __init__(self, dims: int, k: int, rng: np.random.Generator) -> None:
        self.landscape = NKLandscape(dims, k, rng)
        _ = self.landscape.scores  # tabulated now: every score is then a lookup

    def score_of(self, solutions: np.ndarray, reality: np.ndarray) -> np.ndarray:
        """Each row's normalised NK score (reality plays no part)."""
        return self.landscape.score_beliefs(solutions)

    def fresh_beliefs(self, u: np.ndarray) -> np.ndarray:
        """A newcomer's complete solution, -1 or +1, from the same uniforms."""
        return np.where(u < 0.5, -1, 1).astype(np.int8)

    def performance(self, beliefs: np.ndarray) -> np.ndarray:
        return self.landscape.score_beliefs(beliefs)


def make_task(cfg, rng: np.random.Generator) -> AdditiveTask | NKTask:
    """The task of ``cfg.environment`` (an NK landscape is drawn from ``rng`` only then)."""
    env = cfg.environment
    return NKTask(env.dims, env.k, rng) if env.landscape == "nk" else AdditiveTask()


# ------------------------------------------------------------------ the peer rule


def see_first_hand(state, rows: np.ndarray, dims: np.ndarray) -> None:
    """Exploring as March's members do: member ``rows[i]`` sees reality on dimension
    ``dims[i]`` and believes it."""
    state.beliefs[rows, dims] = state.reality[dims]
    state.seen[rows, dims] = state.reality[dims]


def words(
    beliefs: np.ndarray,
    who: np.ndarray,
    u: np.ndarray,
    stakeholder: np.ndarray,
    need_count: np.ndarray,
    need_order: np.ndarray,
) -> np.ndarray:
    """What each speaker ``who[i]`` says: its beliefs on the dimensions its uniforms
    ``u[i]`` pick (one per word), zeros elsewhere. A stakeholder (``stakeholder[i] >= 0``,
    its row of ``need_count`` and ``need_order``) picks among the dimensions it needs.

    >>> b = np.array([[1, -1, 1], [-1, -1, 1]], dtype=np.int8)
    >>> needs = np.array([[False, False, True]])
    >>> words(b, np.array([0, 1]), np.array([[0.5], [0.9]]), np.array([-1, 0]),
    ...       np.array([1]), np.argsort(~needs, axis=1, kind="stable")).tolist()
    [[0, -1, 0], [0, 0, 1]]
    """
    m = beliefs.shape[1]
    dims = (u * m).astype(np.int64)
    rows = (stakeholder >= 0).nonzero()[0]
    if rows.size:
        # The same draws pick among the stakeholder's needs instead of all dimensions.
        s = stakeholder[rows]
        pick = (u[rows] * need_count[s, None]).astype(np.int64)
        # The pick-th needed dimension of each, by flat index into the (k, m) order.
        dims[rows] = need_order.reshape(-1)[(s * m)[:, None] + pick]
    # Flat indices (row * m + dimension): much faster than 2-D fancy indexing.
    values = np.zeros((who.size, m), dtype=np.int8)
    values.reshape(-1)[(np.arange(0, who.size * m, m)[:, None] + dims).reshape(-1)] = (
        beliefs.reshape(-1)[((who * m)[:, None] + dims).reshape(-1)]
    )
    return values


class MajorityRule:
    """March's members: exploring shows reality first hand on the dimension tried; one says
    ``post_dims`` random dimensions of what one believes (a stakeholder: dimensions it needs);
    a colleague's word is one vote in the peer majority (sim.rules.influence)."""

    def explore(self, state, rows: np.ndarray, dims: np.ndarray) -> None:
        see_first_hand(state, rows, dims)

    def say(self, state, who: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each speaker's beliefs on ``post_dims`` random dimensions, zeros elsewhere."""
        u = rng.random((who.size, state.cfg.population.post_dims))
        n = state.n_individuals
        stakeholder = np.where(who >= n, who - n, -1)
        return words(state.beliefs, who, u, stakeholder, state.need_count, state.need_order)

    def listen(self, state, parts, rng: np.random.Generator) -> None:
        """Peers' posts and replies, each one vote in the majority (the organization's
        answers are not peer talk)."""
        post, reply = parts[POST], parts[REPLY]
        influence = state.cfg.population.peer_influence
        if not (len(post) + len(reply) and influence > 0):
            return
        peer = reply.sender >= 0
        state.beliefs = follow_peers(
            state.beliefs,
            np.concatenate([post.target, reply.target[peer]]),
            np.concatenate([post.values, reply.values[peer]]),
            influence,
            rng,
        )


class ImitationRule:
    """Lazer & Friedman's (2007) members: exploring is local search (one flipped dimension,
    kept if it scores higher), one says one's whole solution, and one copies the best-scoring
    solution read if it beats one's own; otherwise the local search's result stands.

    ``trials`` holds what local search found in the experience phase until listening."""

    def __init__(self) -> None:
        self.trials: tuple[np.ndarray, np.ndarray] | None = None

    def explore(self, state, rows: np.ndarray, dims: np.ndarray) -> None:
        self.trials = improving_trials(state.beliefs, state.scores(), rows, dims, state.score_of)

    def say(self, state, who: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return state.beliefs[who]  # fancy indexing: a copy; no draws

    def listen(self, state, parts, rng: np.random.Generator) -> None:
        post = parts[POST]
        state.beliefs, copied = imitate(
            state.beliefs,
            state.scores(),
            post.target,
            post.values,
            state.score_of(post.values),
            state.cfg.population.peer_influence,
            rng.random,
        )
        if self.trials is not None:
            rows, trial = self.trials
            keep = ~copied[rows]
            state.beliefs[rows[keep]] = trial[keep]
            self.trials = None


class LearnSuperiorRule:
    """Fang, Lee & Schilling's (2010) members: exploring shows reality first hand (March's,
    as under ``majority``); one says one's whole solution (as under ``imitate``); on each
    dimension one takes, with chance ``population.peer_influence``, the value held by the
    majority of the contacts read this step who score higher than oneself
    (:func:`sim.rules.superior.learn_superior`)."""

    def explore(self, state, rows: np.ndarray, dims: np.ndarray) -> None:
        see_first_hand(state, rows, dims)

    def say(self, state, who: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return state.beliefs[who]  # fancy indexing: a copy; no draws

    def listen(self, state, parts, rng: np.random.Generator) -> None:
        """Colleagues' posts only, each scored on the task: replies are not read by the rule
        (as under ``imitate``), and the organization's answers are not peer talk."""
        post = parts[POST]
        if not len(post):
            return
        state.beliefs = learn_superior(
            state.beliefs,
            state.scores(),
            post.target,
            post.values,
            state.score_of(post.values),
            state.cfg.population.peer_influence,
            rng.random,
        )


#: A peer rule's component.
PeerRule = MajorityRule | ImitationRule | LearnSuperiorRule

#: ``population.peer_rule`` -> its component.
PEER_RULES: dict[str, type[PeerRule]] = {
    "majority": MajorityRule,
    "imitate": ImitationRule,
    "learn_superior": LearnSuperiorRule,
}


# ------------------------------------------------------------------ the opinion mode


class Opinions:
    """Continuous opinions in [-1, 1] (``population.opinion``: DeGroot 1974, Friedkin &
    Johnsen 1999), the time-averaged trust weights and the influence shares they give.

    While the mode is off ``opinion`` is None and nothing is drawn. Its draws (initial
    opinions, newcomers') come from a child of the model's Generator (``rng.spawn``, which
    does not advance the model's own stream): opinions feed back on nothing else, so switching
    the mode on leaves every other metric draw for draw as it was.
    """

    def __init__(self) -> None:
        self.opinion: np.ndarray | None = None
        self.opinion0: np.ndarray | None = None
        self.rng: np.random.Generator | None = None
        self.w_sum: sp.csr_matrix | None = None
        self.w_steps = 0
        self.influence_state: np.ndarray | None = None

    @property
    def on(self) -> bool:
        return self.opinion is not None

    def configure(
        self, cfg, rng: np.random.Generator, is_leader: np.ndarray, node_org: np.ndarray
    ) -> None:
        """Follow the configuration (at setup, after an intervention, when stakeholders
        switch): start (opinions uniform in [-1, 1]), stop, and who leads each organization."""
        if cfg.population.opinion == "off":
            self.opinion = self.opinion0 = None  # switched off by an intervention: none
            return
        n = is_leader.size
        if self.opinion is None:
            self.rng = own = rng.spawn(1)[0]
            self.opinion = own.uniform(-1, 1, n)
            self.opinion0 = self.opinion.copy()
            # The time average of the W used so far (none yet: the influence shares stay
            # uniform until the first update), warm-started from then on.
            self.w_sum, self.w_steps = None, 0
            self.influence = np.full(n, 1.0 / n)
            self.influence_state, self.influence_converged = None, True
        self.leaders = np.flatnonzero(is_leader)
        self.leader_average = leader_average(node_org, is_leader, cfg.org.count)
        self.susceptibility = (
            1.0 - cfg.population.stubbornness if (cfg.population.opinion == "fj") else 1.0
        )

    def newcomers(self, leave: np.ndarray) -> None:
        """A newcomer's opinion, from the mode's own stream (nothing while off)."""
        opinion, opinion0, rng = self.opinion, self.opinion0, self.rng
        if opinion is not None and opinion0 is not None and rng is not None:  # set together
            new = rng.uniform(-1, 1, leave.size)
            opinion[leave] = opinion0[leave] = new

    def heard_weights(self, parts, trust: np.ndarray) -> sp.csr_matrix:
        """This step's row-stochastic W from what each node read: colleagues' posts and
        replies (weight ``PEER_WEIGHT`` each), the organization's broadcasts and answers
        (weight: the reader's trust in it, on the organization's opinion, the mean of its
        leadership's), and oneself. Ideas are read by the organization, not by a node."""
        if self.opinion is None:
            raise RuntimeError("the opinion mode is off: there are no weights to hear")
        post, reply, b = parts[POST], parts[REPLY], parts[BROADCAST]
        peer = reply.sender >= 0
        # A broadcast passed down the chain still carries the organization's opinion: its
        # origin, not the manager who relayed it.
        org_reader = np.concatenate([b.target, reply.target[~peer]])
        org = -np.concatenate([b.origin, reply.sender[~peer]]) - 1
        return heard_weights(
            self.opinion.size,
            np.concatenate([post.target, reply.target[peer]]),
            np.concatenate([post.sender, reply.sender[peer]]),
            PEER_WEIGHT,
            org_reader=org_reader,
            org=org,
            org_weight=trust[org_reader],
            leaders=self.leader_average,
        )

    def update(self, W) -> None:
        """``x <- A W x + (I - A) x0`` with everyone's opinion at the start of the step; then
        the time-averaged W and its influence shares (warm-started: a few sparse products)."""
        if self.opinion is None or self.opinion0 is None:
            raise RuntimeError("the opinion mode is off: there are no opinions to update")
        W = sp.csr_matrix(W, dtype=float)
        self.opinion = update_opinions(W, self.opinion, self.opinion0, self.susceptibility)
        self.w_sum = W if self.w_sum is None else self.w_sum + W
        self.w_steps += 1
        self.influence, self.influence_state, self.influence_converged = column_influence(
            self.w_sum / self.w_steps,
            self.susceptibility,
            self.influence_state,
            max_iter=INFLUENCE_ITERATIONS,
        )

    def leader_influence(self) -> float:
        """The leadership's share of the influence (NaN while off)."""
        if self.opinion is None:
            return float("nan")
        return float(np.add.reduce(self.influence[self.leaders]))
