"""Hierarchy rules: where a message goes next, relays and distortion, and the attention cap.

Broadcasts: ``direct`` routing delivers them in the step they are sent; ``chain`` routing
cascades them down the tree one level per step. Ideas (voice) sent up the chain of command move
one hop per step up ``reports_to`` (the top hands them to the organization), whatever the
broadcast routing; ideas sent through a direct voice channel reach the organization at once. At
every hop after the first the relaying manager passes a message on with probability ``relay``
and loses each dimension with probability ``distortion``. Peer messages (posts, replies) cross
one edge and so arrive at once.

Every receiver reads at most its attention per step; the rest are dropped and counted as
overload. Random draws happen only where they can matter (a relay below 1, a receiver over
its cap), so a run that never needs them consumes no random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.rules.messages import BROADCAST, KINDS, POST, VOICE, Messages, org_node

__all__ = ["RouteResult", "attention_filter", "first_hop", "relay", "cascade", "route"]
__all__ += ["reading_order", "read_first"]


def attention_filter(
    receiver: np.ndarray,
    capacity: np.ndarray,
    rng: np.random.Generator,
    priority: np.ndarray | None = None,
    draw_always: bool = False,
) -> np.ndarray:
    """Which arrivals are read: at most ``capacity[receiver]`` per receiver.

    Ties in ``priority`` (default: none, all equal) are broken uniformly at random; higher
    priority is read first. Draws nothing when no receiver is over its cap, unless
    ``draw_always``: then one uniform per arrival is drawn whatever the caps, so a model whose
    caps move with a switch (time budgets) keeps the same random stream either way.

    Parameters
    ----------
    receiver
        Index of each arrival's receiver into ``capacity`` (non-negative).
    capacity
        Messages each receiver can read this step.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> keep = attention_filter(np.array([0, 0, 0, 1]), np.array([2, 5]), rng)
    >>> int(keep[:3].sum()), bool(keep[3])
    (2, True)
    """
    n = receiver.size
    if n == 0:
        return np.ones(0, dtype=bool)
    load = np.bincount(receiver, minlength=capacity.size)
    tiebreak = rng.random(n) if draw_always else None
    over_cap = load > capacity
    if not over_cap.any():
        return np.ones(n, dtype=bool)
    if tiebreak is None:
        tiebreak = rng.random(n)
    # Only arrivals at a receiver over its cap are ranked: the others are all read.
    idx = over_cap[receiver].nonzero()[0]
    within = reading_order(tiebreak[idx], None if priority is None else priority[idx])
    return read_first(receiver, capacity, load, idx, within)


def reading_order(tiebreak: np.ndarray, priority: np.ndarray | None = None) -> np.ndarray:
    """Each arrival's place in its receiver's reading order, a fraction in [0, 1): smaller is
    read first; higher ``priority`` first, random (``tiebreak``, uniforms) among equals.

    >>> reading_order(np.array([0.5, 0.5]), np.array([0.0, 3.0])).round(3).tolist()
    [0.8, 0.235]
    """
    if priority is None:
        return tiebreak
    return 0.999999 / (1.0 + np.maximum(priority, 0) + 0.5 * tiebreak)


def read_first(
    receiver: np.ndarray, capacity: np.ndarray, load: np.ndarray, idx: np.ndarray, within
) -> np.ndarray:
    """Which arrivals are read: of the arrivals ``idx`` at receivers over their cap (``load``
    arrivals against ``capacity``), each receiver reads its ``capacity`` first in the order
    ``within`` (:func:`reading_order`, one per arrival of ``idx``); the rest are all read."""
    # One float sort key: the receiver plus its place in [0, 1); argsort of one array beats
    # a lexsort of two. Ranking the subset alone (stable, by the same key) orders it as a
    # sort of every arrival would.
    sub = receiver[idx]
    order = _argsort_stable(sub + within)
    rec_sorted = sub[order]
    # Where each receiver's arrivals start in the sorted subset (receivers under their cap
    # have none there).
    starts = np.cumsum(np.where(load > capacity, load, 0)) - load
    rank = np.arange(idx.size) - starts[rec_sorted]
    keep = np.ones(receiver.size, dtype=bool)
    keep[idx[order]] = rank < capacity[rec_sorted]
    return keep


def _argsort_stable(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")``, twice as fast where no two keys are equal.

    Without ties every sort orders the keys the same way, so the default (introsort, SIMD
    where the machine has it) gives the stable order; with a tie (or NaN, sorted last), the
    stable sort decides.

    >>> _argsort_stable(np.array([0.5, 0.2, 0.5, 0.1])).tolist()
    [3, 1, 0, 2]
    """
    order = np.argsort(key)
    ranked = key.take(order)
    if ranked.size and (np.isnan(ranked[-1]) or np.any(ranked[1:] == ranked[:-1])):
        return np.argsort(key, kind="stable")
    return order


def first_hop(
    msgs: Messages, manager: np.ndarray, org_of: np.ndarray, up_chain: np.ndarray | None
) -> np.ndarray:
    """Where each new message arrives this step.

    Posts, replies and votes go to their target; broadcasts are created addressed to the node
    they arrive at; voice goes to the organization, or, from senders marked in ``up_chain``
    (one flag per node), to the sender's manager (the top of the tree hands it straight to the
    organization).

    >>> m = Messages.create([2, 2], [org_node(0), 1], [VOICE, 1], np.ones((2, 1)), 0)
    >>> first_hop(m, np.array([-1, 0, 1]), np.zeros(3, int), np.ones(3, bool)).tolist()
    [1, 1]
    >>> first_hop(m, np.array([-1, 0, 1]), np.zeros(3, int), None).tolist()
    [-1, 1]
    """
    if up_chain is None:
        return msgs.target
    arrive = msgs.target.copy()
    is_voice = msgs.kind == VOICE
    is_voice[is_voice] = up_chain[msgs.holder[is_voice]]
    if is_voice.any():
        arrive[is_voice] = up_one(msgs.holder[is_voice], manager, org_of)
    return arrive


def up_one(holder: np.ndarray, manager: np.ndarray, org_of: np.ndarray) -> np.ndarray:
    """The next node up the tree from each holder (its organization's node from the top).

    Holders beyond the tree (stakeholders) hand voice to their organization directly.
    """
    holder = np.asarray(holder)
    inside = holder < manager.size
    nxt = np.empty_like(holder)
    m = np.where(inside, manager[np.minimum(holder, manager.size - 1)], -1)
    nxt[:] = np.where(m >= 0, m, org_node(org_of[holder]))
    return nxt


def relay(
    msgs: Messages, p_relay: float, distortion: float, rng: np.random.Generator
) -> tuple[np.ndarray, Messages]:
    """Relaying managers pass each message on with ``p_relay``, losing dimensions by ``distortion``.

    Returns the mask of messages passed on and the batch with distorted values.

    >>> rng = np.random.default_rng(1)
    >>> m = Messages.create([0, 1], [-1, -1], 4, np.ones((2, 3)), 0)
    >>> ok, out = relay(m, 1.0, 0.0, rng)
    >>> ok.tolist(), out.values.sum()
    ([True, True], np.int64(6))
    """
    n = len(msgs)
    ok = np.ones(n, dtype=bool) if p_relay >= 1 or n == 0 else rng.random(n) < p_relay
    if distortion > 0 and ok.any():
        lost = rng.random((int(ok.sum()), msgs.values.shape[1])) < distortion
        values = msgs.values.copy()
        values[ok] *= ~lost
        msgs = msgs.replace(values=values)
    return ok, msgs


def cascade(
    readers: Messages,
    children_indptr: np.ndarray,
    children: np.ndarray,
    p_relay: float,
    distortion: float,
    step: int,
    rng: np.random.Generator,
) -> tuple[Messages, int]:
    """Managers who read a broadcast pass it on to their direct reports (chain routing).

    One relay decision and one distortion per manager and broadcast, shared by the copies it
    sends down. Returns the copies passed on and the number held back (filtered).
    """
    n_children = np.diff(children_indptr)[readers.holder]
    has = n_children > 0
    readers = readers.take(has)
    n_children = n_children[has]
    if len(readers) == 0:
        return Messages.empty(readers.values.shape[1]), 0
    ok, readers = relay(readers, p_relay, distortion, rng)
    filtered = int(n_children[~ok].sum())
    readers, n_children = readers.take(ok), n_children[ok]
    parent = np.repeat(np.arange(len(readers)), n_children)
    offset = np.arange(parent.size) - np.repeat(np.cumsum(n_children) - n_children, n_children)
    child = children[children_indptr[readers.holder[parent]] + offset]
    copies = Messages.create(
        sender=readers.holder[parent],
        target=child,
        kind=BROADCAST,
        values=readers.values[parent],
        step=step,
        origin=readers.origin[parent],
    )
    return copies, filtered


@dataclass
class RouteResult:
    """What one step of routing did.

    ``delivered`` reached their final receiver and were read; ``forward`` were read by an
    intermediate manager and travel on next step; ``relay_broadcasts`` are broadcasts read by a
    manager who will pass them down next step; ``lost_voice`` the origins of ideas that ended
    their journey unread (held back by a relay or over someone's attention). ``sent_by_kind``
    counts the messages sent this step by kind (new ones plus the broadcast copies managers
    create); ``lost_posts`` the writers of posts dropped unread and ``overloaded`` flags who
    had more arriving than it could read. Counts are of messages this step.
    """

    delivered: Messages
    forward: Messages
    relay_broadcasts: Messages
    sent: int
    dropped: int
    filtered: int
    relayed: int
    lost_voice: np.ndarray
    sent_by_kind: np.ndarray
    lost_posts: np.ndarray
    overloaded: np.ndarray


def route(
    new: Messages,
    in_flight: Messages,
    pending_broadcasts: Messages,
    *,
    chain: bool,
    up_chain: np.ndarray | None,
    manager: np.ndarray,
    org_of: np.ndarray,
    children_indptr: np.ndarray,
    children: np.ndarray,
    capacity: np.ndarray,
    org_priority: np.ndarray | None,
    p_relay: float,
    distortion: float,
    step: int,
    rng: np.random.Generator,
    draw_always: bool = False,
) -> RouteResult:
    """Move every message one hop, cap each receiver's reading, and sort what arrived.

    ``chain`` cascades broadcasts down the tree; ``up_chain`` (one flag per node, or None for
    nobody) marks whose ideas go up the chain of command rather than straight to the
    organization. ``capacity`` holds what each node reads per step (individuals then
    stakeholders, as in ``org_of``) followed by what each organization reads; ``org_priority``
    (per node, e.g. votes) orders what organizations read first. ``sent`` counts ``new`` plus
    the broadcast copies managers create now. ``draw_always`` is passed to
    :func:`attention_filter`.
    """
    hop = _hop(
        new,
        in_flight,
        pending_broadcasts,
        up_chain=up_chain,
        manager=manager,
        org_of=org_of,
        children_indptr=children_indptr,
        children=children,
        p_relay=p_relay,
        distortion=distortion,
        step=step,
        rng=rng,
    )
    msgs, lost, copies, held = hop.msgs, hop.lost, hop.copies, hop.held
    read = _read(msgs, org_of, capacity, org_priority, rng, draw_always)
    dropped, lost_posts, overloaded = read.dropped, read.lost_posts, read.overloaded
    if dropped:
        lost.append(read.lost_voice)
        msgs = read.msgs
    empty = Messages.empty(new.values.shape[1])
    if not chain and hop.batches == 1 and up_chain is None:  # each arrives in one hop
        delivered, forward, relay_broadcasts = msgs, empty, empty
    else:
        final = msgs.holder == msgs.target
        delivered, forward = msgs.take(final), msgs.take(~final)
        relay_broadcasts = empty
        if chain:
            is_b = (delivered.kind == BROADCAST) & (delivered.holder < manager.size)
            relay_broadcasts = delivered.take(is_b)
    return RouteResult(
        delivered=delivered,
        forward=forward,
        relay_broadcasts=relay_broadcasts,
        # Copies a manager held back count as sent and filtered, so every message is accounted.
        sent=len(new) + len(copies) + held,
        dropped=dropped,
        filtered=hop.filtered,
        relayed=hop.relayed,
        lost_voice=lost[0] if len(lost) == 1 else np.concatenate(lost),
        sent_by_kind=_count_kinds(new.kind, len(copies) + held),
        lost_posts=lost_posts,
        overloaded=overloaded,
    )


@dataclass
class _Hop:
    """Every message after its hop (``holder`` where it is now), and what the hop cost."""

    msgs: Messages
    batches: int  # new messages, relayed ones, broadcast copies: how many of them moved
    copies: Messages
    held: int
    relayed: int
    filtered: int
    lost: list[np.ndarray]  # origins of the voice lost so far, one array per source


def _hop(
    new: Messages,
    in_flight: Messages,
    pending_broadcasts: Messages,
    *,
    up_chain: np.ndarray | None,
    manager: np.ndarray,
    org_of: np.ndarray,
    children_indptr: np.ndarray,
    children: np.ndarray,
    p_relay: float,
    distortion: float,
    step: int,
    rng: np.random.Generator,
) -> _Hop:
    """New messages take their first hop, relayed ones the next (or are filtered), and
    managers copy the broadcasts they pass on (drawing from ``rng`` in that order)."""
    filtered = 0
    relayed = 0
    held = 0
    lost = [_NONE]
    moving = [new]
    arrive = [first_hop(new, manager, org_of, up_chain)]
    if len(in_flight):
        ok, passed = relay(in_flight, p_relay, distortion, rng)
        relayed += len(in_flight)
        filtered += len(in_flight) - int(np.count_nonzero(ok))
        lost.append(in_flight.origin[~ok & (in_flight.kind == VOICE)])
        passed = passed.take(ok)
        moving.append(passed)
        arrive.append(up_one(passed.holder, manager, org_of))
    copies = Messages.empty(new.values.shape[1])
    if len(pending_broadcasts):
        copies, held = cascade(
            pending_broadcasts, children_indptr, children, p_relay, distortion, step, rng
        )
        relayed += len(copies) + held
        filtered += held
        moving.append(copies)
        arrive.append(copies.target)
    at = arrive[0] if len(arrive) == 1 else np.concatenate(arrive)
    msgs = Messages.concat(moving).replace(holder=at)
    return _Hop(msgs, len(moving), copies, held, relayed, filtered, lost)


@dataclass
class _Read:
    """What each receiver read of what arrived, and what the caps cost."""

    msgs: Messages  # only those read (all of them when nothing was dropped)
    dropped: int
    lost_voice: np.ndarray  # origins of the voice dropped unread
    lost_posts: np.ndarray  # senders of the posts dropped unread
    overloaded: np.ndarray  # per node: did it drop anything


def _read(
    msgs: Messages,
    org_of: np.ndarray,
    capacity: np.ndarray,
    org_priority: np.ndarray | None,
    rng: np.random.Generator,
    draw_always: bool,
) -> _Read:
    """Cap each receiver's reading at its capacity (:func:`attention_filter`)."""
    # Organizations read in the slots after the nodes: organization o in slot n_nodes + o.
    n_nodes = org_of.size
    at = msgs.holder
    to_org = at < 0
    slot = np.where(to_org, n_nodes - 1 - at, at)
    prio = None
    if org_priority is not None and to_org.any():
        prio = np.where(to_org, org_priority[np.maximum(msgs.origin, 0)], 0.0)
    read = attention_filter(slot, capacity, rng, prio, draw_always)
    dropped = len(msgs) - int(np.count_nonzero(read))
    if not dropped:
        return _Read(msgs, 0, _NONE, _NONE, np.zeros(n_nodes, dtype=bool))
    unread = ~read
    return _Read(
        msgs.take(read),
        dropped,
        msgs.origin[unread & (msgs.kind == VOICE)],
        msgs.sender[unread & (msgs.kind == POST)],
        np.bincount(slot[unread], minlength=capacity.size)[:n_nodes] > 0,
    )


_NONE = np.zeros(0, dtype=np.int64)


def _count_kinds(kinds: np.ndarray, broadcast_copies: int) -> np.ndarray:
    counts = np.bincount(kinds, minlength=len(KINDS))
    counts[BROADCAST] += broadcast_copies
    return counts
