"""Continuous opinions: DeGroot (1974) averaging and Friedkin-Johnsen (1999) stubbornness.

Each agent holds a real opinion ``x_i``. Every step it replaces it by a trust-weighted average
of what it hears, ``x <- W x``, where ``W`` is row-stochastic (row ``i`` says how much ``i``
trusts each source, itself included). Friedkin and Johnsen add stubbornness: agent ``i`` keeps
an anchor to its initial opinion with weight ``1 - a_i``, where ``a_i`` is its susceptibility::

    x_{t+1} = A W x_t + (I - A) x_0,        A = diag(a)

With ``a = 1`` this is DeGroot. When ``W`` has a single closed class that is aperiodic, DeGroot
reaches consensus on ``pi @ x0``, where ``pi`` is the left unit eigenvector of ``W``
(``pi W = pi``, ``sum(pi) = 1``): ``pi_i`` is agent ``i``'s long-run influence. The FJ
equilibrium solves ``(I - A W) x = (I - A) x0``; unless everyone is fully susceptible, it keeps
disagreement alive.

Weight matrices are dense ``numpy`` arrays for small groups and ``scipy.sparse`` CSR matrices
for large ones; every function accepts both.

Agora's continuous-opinion mode (``population.opinion``) uses the last four functions:
:func:`leader_average` (an organization's opinion is the mean of its leadership's),
:func:`heard_weights` (one step's ``W`` from what each node read), :func:`update` (the
synchronous FJ step, kept in [-1, 1]) and :func:`column_influence` (each node's share in the
group's long-run mean opinion, warm-started step after step).

Examples
--------
>>> import numpy as np
>>> W = np.array([[0.5, 0.5, 0.0], [0.25, 0.5, 0.25], [0.0, 0.5, 0.5]])
>>> influence_vector(W).round(6).tolist()
[0.25, 0.5, 0.25]
>>> degroot_limit(W, [1.0, 0.0, 0.0]).round(6).tolist()
[0.25, 0.25, 0.25]
>>> fj_equilibrium(W, [1.0, 0.0, 0.0], susceptibility=0.5).round(4).tolist()
[0.7083, 0.125, 0.0417]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = [
    "row_stochastic",
    "is_row_stochastic",
    "step",
    "iterate",
    "degroot_limit",
    "fj_equilibrium",
    "fj_influence_matrix",
    "influence_vector",
    "hierarchy_weights",
    "network_weights",
    "disagreement",
    "SELF_WEIGHT",
    "PEER_WEIGHT",
    "leader_average",
    "heard_weights",
    "update",
    "column_influence",
]

#: Above this many agents the builders return CSR matrices instead of dense arrays.
DENSE_LIMIT = 2000


def _as_matrix(W):
    """A float CSR matrix or a float dense array, never a numpy.matrix."""
    if sp.issparse(W):
        return sp.csr_matrix(W, dtype=float)
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"a weight matrix must be square, got shape {W.shape}")
    return W


def _susceptibility(susceptibility, n: int) -> np.ndarray:
    a = np.broadcast_to(np.asarray(susceptibility, dtype=float), (n,)).copy()
    if np.any(a < 0) or np.any(a > 1):
        raise ValueError("susceptibility must lie in [0, 1] (1 - stubbornness)")
    return a


def row_stochastic(W):
    """Scale each row to sum to one; a row of zeros becomes a self-loop (the agent ignores all).

    >>> row_stochastic(np.array([[2.0, 2.0], [0.0, 0.0]])).tolist()
    [[0.5, 0.5], [0.0, 1.0]]
    """
    W = _as_matrix(W)
    if (W.data if sp.issparse(W) else W).min(initial=0.0) < 0:
        raise ValueError("trust weights must be non-negative")
    sums = np.asarray(W.sum(axis=1)).ravel()
    empty = sums == 0
    scale = np.where(empty, 0.0, 1.0 / np.where(empty, 1.0, sums))
    if sp.issparse(W):
        out = sp.diags(scale) @ W + sp.diags(empty.astype(float))
        return sp.csr_matrix(out)
    return W * scale[:, None] + np.diag(empty.astype(float))


def is_row_stochastic(W, atol: float = 1e-12) -> bool:
    """True when every weight is non-negative and every row sums to one."""
    W = _as_matrix(W)
    values = W.data if sp.issparse(W) else W
    sums = np.asarray(W.sum(axis=1)).ravel()
    return bool(values.min(initial=0.0) >= 0 and np.allclose(sums, 1.0, rtol=0, atol=atol))


def step(W, x, x0=None, susceptibility=1.0) -> np.ndarray:
    """One Friedkin-Johnsen update ``A W x + (I - A) x0`` (DeGroot when ``susceptibility`` = 1).

    ``x`` may be one opinion per agent (shape ``(n,)``) or several issues at once (``(n, k)``).
    """
    W = _as_matrix(W)
    x = np.asarray(x, dtype=float)
    a = _susceptibility(susceptibility, W.shape[0])
    heard = W @ x
    if x0 is None or np.all(a == 1):
        return heard
    a = a.reshape((-1,) + (1,) * (x.ndim - 1))
    return a * heard + (1 - a) * np.asarray(x0, dtype=float)


def iterate(W, x0, steps: int, susceptibility=1.0, return_path: bool = False) -> np.ndarray:
    """Run ``steps`` updates from ``x0``; the final opinions, or the whole path ``(steps+1, n)``.

    >>> W = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> iterate(W, [1.0, 0.0], 3).tolist()
    [1.0, 0.875]
    """
    W = _as_matrix(W)
    x0 = np.asarray(x0, dtype=float)
    x = x0
    path = [x0]
    for _ in range(steps):
        x = step(W, x, x0, susceptibility)
        if return_path:
            path.append(x)
    return np.stack(path) if return_path else x


def degroot_limit(W, x0, tol: float = 1e-12, max_steps: int = 100_000) -> np.ndarray:
    """The limit of ``W^t x0``.

    When ``W`` has one closed class the limit is consensus on ``pi @ x0`` and is computed
    exactly from the influence vector; otherwise (several closed groups, periodic or not) it
    is found by iterating until successive opinions agree within ``tol``.

    Raises
    ------
    RuntimeError
        If the opinions still move after ``max_steps`` (a periodic ``W``, e.g. two agents
        who only listen to each other).
    """
    W = _as_matrix(W)
    x0 = np.asarray(x0, dtype=float)
    try:
        pi = influence_vector(W)
    except ValueError:
        pi = None
    if pi is not None and _is_aperiodic_on_support(W, pi):
        return np.broadcast_to(pi @ x0, x0.shape).copy()
    x = x0
    for _ in range(max_steps):
        nxt = W @ x
        if np.max(np.abs(nxt - x), initial=0.0) <= tol:
            return nxt
        x = nxt
    raise RuntimeError("DeGroot opinions did not converge (is W periodic?)")


def _is_aperiodic_on_support(W, pi: np.ndarray) -> bool:
    """A closed class with a self-loop is aperiodic, the usual case with self-trust."""
    support = np.flatnonzero(pi > 1e-12)
    diag = W.diagonal() if sp.issparse(W) else np.diag(W)
    return bool(np.any(diag[support] > 0))


def fj_equilibrium(W, x0, susceptibility) -> np.ndarray:
    """The Friedkin-Johnsen fixed point: solve ``(I - A W) x = (I - A) x0``.

    Exists and is unique when every closed group of ``W`` contains someone with
    susceptibility below one (some stubbornness reaches everyone); otherwise raises.

    Raises
    ------
    ValueError
        If ``I - A W`` is singular.
    """
    W = _as_matrix(W)
    n = W.shape[0]
    x0 = np.asarray(x0, dtype=float)
    a = _susceptibility(susceptibility, n)
    rhs = (1 - a).reshape((-1,) + (1,) * (x0.ndim - 1)) * x0
    if sp.issparse(W):
        M = sp.identity(n, format="csc") - sp.diags(a) @ W
        lu = spla.splu(sp.csc_matrix(M))
        if np.any(np.abs(lu.U.diagonal()) < 1e-13):
            raise ValueError("I - A W is singular: a closed group has no stubborn member")
        return lu.solve(rhs)
    M = np.eye(n) - a[:, None] * W
    with warnings.catch_warnings():
        # A singular M is detected below and reported as a ValueError with the reason.
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        lu, piv = scipy.linalg.lu_factor(M, check_finite=True)
    if np.any(np.abs(np.diag(lu)) < 1e-13):
        raise ValueError("I - A W is singular: a closed group has no stubborn member")
    return scipy.linalg.lu_solve((lu, piv), rhs)


def fj_influence_matrix(W, susceptibility) -> np.ndarray:
    """``V = (I - A W)^{-1} (I - A)``: the FJ equilibrium is ``V @ x0`` (dense; small groups).

    Row ``i`` of ``V`` is row-stochastic and says how much of each initial opinion ends up in
    ``i``'s final one.
    """
    W = _as_matrix(W)
    dense = W.toarray() if sp.issparse(W) else W
    n = dense.shape[0]
    a = _susceptibility(susceptibility, n)
    return fj_equilibrium(dense, np.eye(n), a)


def influence_vector(W, tol: float = 1e-13, max_steps: int = 1_000_000) -> np.ndarray:
    """Long-run influence: the left unit eigenvector ``pi`` with ``pi W = pi``, ``sum(pi) = 1``.

    Dense matrices are solved exactly (null space of ``(W - I)^T`` by SVD); sparse ones by
    power iteration on ``pi <- pi W`` (which needs an aperiodic ``W``, e.g. positive
    self-trust).

    Raises
    ------
    ValueError
        If the eigenvalue 1 is not simple (two or more closed groups: no consensus, and the
        influence vector is not unique).
    """
    W = _as_matrix(W)
    n = W.shape[0]
    if not is_row_stochastic(W, atol=1e-9):
        raise ValueError("influence_vector needs a row-stochastic W")
    if not sp.issparse(W):
        # The left null space of (W - I); its dimension is the number of closed classes.
        _, s, vh = np.linalg.svd((W - np.eye(n)).T)
        null = s <= max(n, 1) * np.finfo(float).eps * max(s[0], 1.0) * 10
        if np.count_nonzero(null) != 1:
            raise ValueError(
                f"eigenvalue 1 of W has multiplicity {np.count_nonzero(null)}: "
                "no unique influence vector (several closed groups)"
            )
        pi = vh[-1]
        pi = pi / pi.sum()
        # Clean rounding noise: the exact vector is non-negative.
        pi = np.where(np.abs(pi) < 1e-15, 0.0, pi)
        return pi
    WT = sp.csr_matrix(W.T)
    pi = np.full(n, 1.0 / n)
    for _ in range(max_steps):
        nxt = WT @ pi
        if np.abs(nxt - pi).sum() <= tol:
            return nxt / nxt.sum()
        pi = nxt
    raise ValueError("power iteration did not converge: W may be periodic or reducible")


def hierarchy_weights(
    manager: Sequence[int] | np.ndarray,
    self_weight: float = 0.5,
    trust: np.ndarray | None = None,
    top_weight: float = 1.0,
    dense: bool | None = None,
):
    """Trust weights of a pure top-down hierarchy.

    Each person puts ``self_weight`` on their own view and the rest on their manager; the top
    (``manager == -1``) puts ``top_weight`` on itself and spreads the rest over its direct
    reports (``top_weight = 1``: the top listens to nobody). With ``trust`` (one value in
    [0, 1] per person) the weight on the manager is scaled by the person's trust and the
    remainder goes back to the self. With ``top_weight = 1`` and ``self_weight < 1`` the only
    closed class is the top, so everyone converges to the leader's view.

    >>> hierarchy_weights([-1, 0, 0, 1], self_weight=0.5).tolist()
    [[1.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0], [0.5, 0.0, 0.5, 0.0], [0.0, 0.5, 0.0, 0.5]]
    """
    manager = np.asarray(manager, dtype=np.int64)
    n = manager.size
    if not 0 <= self_weight <= 1 or not 0 <= top_weight <= 1:
        raise ValueError("self_weight and top_weight must lie in [0, 1]")
    tops = manager < 0
    rows = np.flatnonzero(~tops)
    up = np.full(rows.size, 1.0 - self_weight)
    if trust is not None:
        up = up * np.asarray(trust, dtype=float)[rows]
    src = [rows, np.arange(n)]
    dst = [manager[rows], np.arange(n)]
    self_w = np.ones(n)
    self_w[rows] = 1.0 - up
    vals = [up, self_w]
    if top_weight < 1:
        # Tops listen to their direct reports equally with the remaining weight.
        reports = rows[tops[manager[rows]]]
        boss = manager[reports]
        n_rep = np.bincount(boss, minlength=n)
        has = tops & (n_rep > 0)
        self_w[has] = top_weight
        src.append(boss)
        dst.append(reports)
        vals.append((1.0 - top_weight) / n_rep[boss])
    M = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(src), np.concatenate(dst))), shape=(n, n)
    )
    if dense is None:
        dense = n <= DENSE_LIMIT
    return M.toarray() if dense else M


def network_weights(
    n: int,
    u: np.ndarray,
    v: np.ndarray,
    self_weight: float = 0.5,
    trust: np.ndarray | None = None,
    directed: bool = False,
    dense: bool | None = None,
):
    """Trust weights from ties: each agent keeps ``self_weight`` and splits the rest over its ties.

    ``u -> v`` means ``u`` listens to ``v`` (undirected ties listen both ways). ``trust`` is an
    optional weight per tie; agents without ties keep all weight on themselves.

    >>> network_weights(3, np.array([0]), np.array([1])).tolist()
    [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    w = np.ones(u.size) if trust is None else np.asarray(trust, dtype=float)
    if not directed:
        u, v, w = np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([w, w])
    adj = sp.csr_matrix((w, (u, v)), shape=(n, n))
    sums = np.asarray(adj.sum(axis=1)).ravel()
    has = sums > 0
    # Tied agents: self_weight on themselves, the rest over ties in proportion to trust.
    scale = np.where(has, (1.0 - self_weight) / np.where(has, sums, 1.0), 0.0)
    M = sp.diags(scale) @ adj + sp.diags(np.where(has, self_weight, 1.0))
    M = sp.csr_matrix(M)
    if dense is None:
        dense = n <= DENSE_LIMIT
    return M.toarray() if dense else M


def disagreement(x) -> float:
    """Population variance of opinions (0 at consensus).

    >>> disagreement([1.0, 1.0]), disagreement([0.0, 2.0])
    (0.0, 1.0)
    """
    return float(np.var(np.asarray(x, dtype=float)))


# ----------------------------------------------------------------- Agora's opinion mode

#: Weight a node puts on its own current opinion in its row of one step's ``W``, in the units of
#: trust (a sender trusted fully weighs as much as oneself). Assumption, plausible range 0.5-3:
#: DeGroot (1974) and Friedkin & Johnsen (1999) take self-weights from the data, not a value.
SELF_WEIGHT = 1.0

#: Weight on a colleague whose post or reply one read (members hold no trust in colleagues, only
#: in their organization). Assumption, plausible range 0.2-1: the default trust in the
#: organization is 0.6, so a colleague weighs a little less than an answer of the organization.
PEER_WEIGHT = 0.5


def leader_average(org_of_node: np.ndarray, leader: np.ndarray, n_orgs: int) -> sp.csr_matrix:
    """The ``(n_orgs, n)`` matrix whose row ``o`` averages organization ``o``'s leaders.

    An organization's opinion, what its broadcasts and answers carry, is the mean opinion of its
    leadership: ``leader_average(...) @ x``.

    >>> leader_average(np.array([0, 0, 1, 1, 0]), np.array([1, 1, 1, 0, 0], bool), 2).toarray()
    array([[0.5, 0.5, 0. , 0. , 0. ],
           [0. , 0. , 1. , 0. , 0. ]])
    """
    org_of_node = np.asarray(org_of_node, dtype=np.int64)
    who = np.flatnonzero(np.asarray(leader, dtype=bool) & (org_of_node >= 0))
    org = org_of_node[who]
    count = np.bincount(org, minlength=n_orgs)
    if np.any(count == 0):
        raise ValueError(f"organizations without a leader: {np.flatnonzero(count == 0).tolist()}")
    return sp.csr_matrix((1.0 / count[org], (org, who)), shape=(n_orgs, org_of_node.size))


def heard_weights(
    n: int,
    reader: np.ndarray,
    sender: np.ndarray,
    weight,
    *,
    self_weight: float = SELF_WEIGHT,
    org_reader: np.ndarray | None = None,
    org: np.ndarray | None = None,
    org_weight=None,
    leaders: sp.csr_matrix | None = None,
) -> sp.csr_matrix:
    """One step's row-stochastic ``W`` (CSR) from what each node read.

    Row ``i`` puts ``self_weight`` on ``i``, ``weight`` on the sender of each message ``i`` read
    from another node (one entry per message, so a sender read twice counts twice), and
    ``org_weight`` on each organization it read (a broadcast or an answer), spread evenly over
    that organization's leaders (``leaders``, from :func:`leader_average`); then each row is
    scaled to sum to one (:func:`row_stochastic`).

    >>> W = heard_weights(3, np.array([1]), np.array([2]), 0.5, org_reader=np.array([1, 2]),
    ...                   org=np.array([0, 0]), org_weight=np.array([0.5, 1.0]),
    ...                   leaders=leader_average(np.zeros(3, int), np.array([1, 0, 0], bool), 1))
    >>> W.toarray().tolist()
    [[1.0, 0.0, 0.0], [0.25, 0.5, 0.25], [0.5, 0.0, 0.5]]
    """
    reader = np.asarray(reader, dtype=np.int64)
    sender = np.asarray(sender, dtype=np.int64)
    weight = np.broadcast_to(np.asarray(weight, dtype=float), reader.shape)
    nodes = np.arange(n)
    rows, cols, vals = [nodes, reader], [nodes, sender], [np.full(n, float(self_weight)), weight]
    if org_reader is not None and len(org_reader):
        if leaders is None:
            raise ValueError("org_reader needs leaders (leader_average) to share its weight")
        org_reader = np.asarray(org_reader, dtype=np.int64)
        org = np.asarray(org, dtype=np.int64)
        ow = np.broadcast_to(np.asarray(org_weight, dtype=float), org_reader.shape)
        # Each organization read -> one entry per leader of it, the weight split evenly.
        count = np.diff(leaders.indptr)[org]
        start = np.repeat(leaders.indptr[org] - np.cumsum(count) + count, count)
        rows.append(np.repeat(org_reader, count))
        cols.append(leaders.indices[start + np.arange(start.size)])
        vals.append(np.repeat(ow / count, count))
    row, col, val = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    if val.min(initial=0.0) < 0:
        raise ValueError("trust weights must be non-negative")
    # Rows normalised on the triplets (what row_stochastic does, without its sparse products;
    # every row has its self-weight, so none is empty when self_weight > 0). COO -> CSR then
    # sums duplicates: several messages from one sender add up.
    total = np.bincount(row, weights=val, minlength=n)
    if np.any(total <= 0):
        return row_stochastic(sp.csr_matrix((val, (row, col)), shape=(n, n)))
    return sp.csr_matrix((val / total[row], (row, col)), shape=(n, n))


def update(W, x: np.ndarray, x0: np.ndarray, susceptibility=1.0) -> np.ndarray:
    """The synchronous step ``A W x + (I - A) x0``, every row using the same ``x`` (the opinions
    at the start of the step), kept in [-1, 1].

    Each new opinion is a convex combination of opinions in [-1, 1]; the clip only removes
    rounding (a row of ``W`` sums to one within about 1e-16).

    >>> update(np.array([[0.5, 0.5], [0.0, 1.0]]), np.array([1.0, -1.0]), np.zeros(2)).tolist()
    [0.0, -1.0]
    """
    return np.clip(step(W, x, x0, susceptibility), -1.0, 1.0)


def column_influence(
    W,
    susceptibility=1.0,
    state: np.ndarray | None = None,
    tol: float = 1e-13,
    max_iter: int = 1000,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Each node's share in the group's mean long-run opinion: column means of the total effects.

    DeGroot (``susceptibility`` 1 everywhere): ``c = lim_t (1/n) 1^T W^t``, found by the power
    iteration ``c <- W^T c`` from ``state`` (default: uniform). With one closed class this is
    the influence vector ``pi`` of :func:`influence_vector` whatever the start; with several,
    the start decides how the mass splits, as it does for the opinions. Every sweep keeps
    ``sum(c) = 1``.

    Friedkin-Johnsen: ``c = (1/n) 1^T V`` with ``V = (I - A W)^{-1} (I - A)``
    (:func:`fj_influence_matrix`), that is ``c = (1 - a) z`` with ``z = 1/n + W^T (a z)``,
    found by that contraction (rate ``max(a)``) from ``state``.

    Only sparse products: a direct factorisation fills in badly on an organization's W (a
    dense column per leader; 20 s at 10,000 members), and Krylov solvers lean on BLAS dot
    products, which a machine shared by several processes can slow a thousandfold.

    Returns ``(c, state, converged)``: pass ``state`` back to warm-start the next call on a
    slowly changing ``W`` (the model's time-averaged ``W``), so that each step costs a few
    sparse products; ``converged`` says the last sweep moved ``c`` by at most ``tol`` (L1)
    within ``max_iter`` sweeps.

    >>> W = np.array([[0.5, 0.5, 0.0], [0.25, 0.5, 0.25], [0.0, 0.5, 0.5]])
    >>> column_influence(W)[0].round(9).tolist()
    [0.25, 0.5, 0.25]
    >>> c = column_influence(W, 0.5)[0]
    >>> bool(np.allclose(c, fj_influence_matrix(W, 0.5).mean(axis=0)))
    True
    """
    W = _as_matrix(W)
    n = W.shape[0]
    a = _susceptibility(susceptibility, n)
    WT = W.T  # a free view (CSC for a CSR W): its products run as fast
    degroot = bool(np.all(a == 1))
    if state is None or state.shape != (n,):
        state = np.full(n, 1.0 / n)
    b, keep = np.full(n, 1.0 / n), 1 - a
    x = state
    converged = False
    for _ in range(max_iter):
        nxt = WT @ x if degroot else b + WT @ (a * x)
        step = nxt - x
        moved = np.abs(step).sum() if degroot else np.abs(keep * step).sum()
        x = nxt
        if moved <= tol:
            converged = True
            break
    return (x if degroot else keep * x), x, converged
