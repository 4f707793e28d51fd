"""Per-person traces of a model run, for dockings that need more than the aggregate metrics.

:func:`trace` steps an :class:`sim.model.AgoraModel` built from a named scenario (the same
configuration ``agora run scenario=...`` would run) and records, for each
member and step, what the validation modules compare (read from the model's state,
``model.state``): engagement, messages received, posts and ideas delivered, replies and
endorsements received, and whether each belief is right.

Examples
--------
>>> t = trace(["scenario=bavelas_leavitt", "steps=3"], seed=1)
>>> t["engagement"].shape, t["posts"].shape
((3, 5), (3, 5))
"""

from __future__ import annotations

import numpy as np

__all__ = ["trace", "seeds"]


def seeds(seed: int, replicates: int) -> list[int]:
    """The replicate seeds ``simulate`` would use for ``seed`` (so runs can be re-done alone)."""
    from sim.util.seeding import replicate_seeds

    return [int(s) for s in replicate_seeds(seed, replicates)]


def trace(config, seed: int) -> dict[str, np.ndarray]:
    """Run one replicate of ``config`` with ``seed``, recording per member.

    ``config`` is a list of overrides for :func:`sim.config.load_config` or a loaded config
    (load once, then trace many seeds).

    Arrays have shape ``(steps, members)``: ``engagement`` (after the step), ``received``
    (messages that reached the member), ``posts`` and ``ideas`` (delivered, by sender or
    origin), ``replies`` and ``votes`` (received), ``right`` and ``wrong`` (share of the
    member's beliefs equal to, or opposite to, reality); ``knowledge_code`` has shape
    ``(steps,)``.
    """
    from sim.config import load_config
    from sim.model import AgoraModel
    from sim.rules.messages import POST, REPLY, VOICE

    cfg = load_config(list(config)) if isinstance(config, (list, tuple)) else config
    model = AgoraModel(cfg, seed=seed)
    state = model.state  # what the model carries, read after each step
    n = state.n_individuals
    keys = ("engagement", "received", "posts", "ideas", "replies", "votes", "right", "wrong")
    out: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    code: list[float] = []
    for _ in range(cfg.steps):
        model.step()
        parts = state.parts
        out["engagement"].append(state.engagement[:n].copy())
        out["received"].append(state.tally.received[:n].copy())
        out["posts"].append(_count(parts[POST].sender, n))
        out["ideas"].append(_count(parts[VOICE].origin, n))
        out["replies"].append(_count(parts[REPLY].target, n))
        out["votes"].append(np.asarray(state.votes[:n]).copy())
        b = state.beliefs[:n]
        out["right"].append((b == state.reality).mean(axis=1))
        out["wrong"].append((b == -state.reality).mean(axis=1))
        code.append(float(np.mean(state.code[0] * state.reality)))
    res = {k: np.array(v) for k, v in out.items()}
    res["knowledge_code"] = np.array(code)
    return res


def _count(who: np.ndarray, n: int) -> np.ndarray:
    who = np.asarray(who)
    who = who[(who >= 0) & (who < n)]
    return np.bincount(who, minlength=n)
