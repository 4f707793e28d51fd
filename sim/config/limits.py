"""What a run will cost, estimated from its configuration alone, and the limit it must fit.

:func:`estimate` adds up, in bytes, what one replicate keeps alive (the per-node arrays, which
grow with ``environment.dims``; the ties of the communication graph; the messages in flight)
and what the whole job keeps (one metrics row per replicate and step). It only multiplies
configuration values, so a run of 10^8 people is refused in microseconds, before anything is
allocated. The per-item costs were measured as the increase of peak resident memory of a run
(3 steps, 5,000 to 20,000 members: about 1 KB per node plus 28 bytes per node and
dimension, 44 per tie; March's kernel about 46 bytes per replicate, member and dimension;
the NK task's tables from their sizes) and are rounded up here, so the estimate errs high,
within a factor of two of what is measured (``tests/test_hardening.py``).

:func:`check_limits` refuses a configuration whose estimate exceeds ``limits.memory_gb``
(null: :data:`DEFAULT_SHARE` of this machine's memory), naming the keys that drive it. To run
something bigger on a bigger machine, raise the limit on the command line
(``limits.memory_gb=64``) or in a scenario file (``limits: {memory_gb: 64}``); the limit is not
part of a job's identity (``config_hash``), so raising it does not disturb resume.

Examples
--------
>>> from sim.config.schema import AgoraConfig
>>> e = estimate(AgoraConfig())
>>> 1e6 < e.bytes < 1e8, int(e.nodes)
(True, 250)
>>> big = AgoraConfig()
>>> big.org.size = 100_000_000
>>> check_limits(big)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sim.config.ConfigError: this run needs about ... GB of memory, ...org.size=100000000...
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.config.engines import batch_refusals, is_march, worlds_per_batch
from sim.config.schema import AgoraConfig, ConfigError

__all__ = [
    "DEFAULT_SHARE",
    "Estimate",
    "estimate",
    "machine_memory_gb",
    "memory_limit_gb",
    "check_limits",
]

#: Share of the machine's memory one job may plan to use when ``limits.memory_gb`` is null:
#: half, leaving room for the operating system and a second job of a parallel sweep.
DEFAULT_SHARE = 0.5

# Bytes, measured (peak RSS increase of one run, tests/test_hardening.py) and rounded up;
# per node and dimension and per message measured again after the int8 state and the block
# kernels (release 4.1) made a run smaller: 20,000 members peak at 23 MB, 10,000 with 200
# dimensions at 39 MB.
_PER_NODE = 450  # the arrays of one member or stakeholder (agents are made when asked for)
_PER_NODE_DIM = 22  # beliefs, seen, told, actions, needs, float copies: per node and dimension
_PER_TIE = 56  # one tie, both directions, in the edge arrays and the adjacency index
_PER_NODE_REPLICATE = 64  # what each further replicate leaves behind (its rows, a freer heap)
#: March's kernel (sim/march.py) runs up to this many replicates at once ...
_MARCH_CHUNK = 128
#: ... and holds about this many bytes per replicate, member and dimension at its peak: the
#: int8 beliefs and their masks, float32 copies for the products, float64 random draws.
_PER_MARCH_CELL = 56
_PER_MESSAGE_DIM = 4  # a message's values, per dimension, for each message read per step
_PER_MESSAGE = 40  # a message's sender, target, kind and routing state
_PER_METRIC_ROW = 1_500  # one step's metrics: a Python record while running, then a frame row
_PER_METRIC_ROW_JOB = 800
_SMALL_DEGREE = 10.0  # the same row in the job's concatenated frame and its parquet copy


@dataclass
class Estimate:
    """Bytes and work of one job, with the part each group of keys contributes."""

    bytes: float
    work: float  # node-steps summed over replicates
    nodes: float
    parts: dict[str, float] = field(default_factory=dict)  # driving keys -> bytes

    @property
    def gb(self) -> float:
        return self.bytes / 1e9


def machine_memory_gb() -> float:
    """Physical memory of this machine in GB (16 if it cannot be read)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1e9
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 16.0


def memory_limit_gb(cfg: AgoraConfig) -> float:
    """``limits.memory_gb``, or :data:`DEFAULT_SHARE` of this machine's memory when null."""
    limit = getattr(getattr(cfg, "limits", None), "memory_gb", None)
    return float(limit) if limit is not None else DEFAULT_SHARE * machine_memory_gb()


def _members(cfg: AgoraConfig) -> tuple[float, str]:
    """Members per organization and the keys that set it (floats: no huge integers built)."""
    o, h = cfg.org, cfg.hierarchy
    if o.chart is not None:
        return _chart_rows(o.chart), f"org.chart={o.chart}"
    if o.size is not None:
        return float(o.size), f"org.size={o.size}"
    span, depth = float(h.span or 1), int(h.depth)
    # A complete tree: 1 + span + ... + span**(depth-1), in floats (span 1e5, depth 12 is 1e55).
    size = float(depth) if span == 1 else (span**depth - 1) / (span - 1)
    return size, f"hierarchy.span={h.span} and hierarchy.depth={h.depth} (org.size=null)"


def _chart_rows(chart: str) -> float:
    """Rows of a chart file: its lines counted (fast, in C) up to 256 MB; beyond that a bound
    from its size, since a row takes at least ``a,b,c`` and a newline (6 bytes)."""
    try:
        from sim.config.paths import resolve_data_path

        path = Path(resolve_data_path(chart, "org chart"))
        size = path.stat().st_size
        if size > 256 * 2**20:
            return max(size / 6, 1.0)
        lines = 0
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                lines += block.count(b"\n")
        return float(max(lines, 1))
    except Exception:  # a missing chart is reported by the checks, not here
        return 1.0


def estimate(cfg: AgoraConfig) -> Estimate:
    """The memory (bytes) and work (node-steps) of ``cfg``, from its values alone."""
    n = cfg.network
    orgs = float(cfg.org.count)
    members, size_keys = _members(cfg)
    individuals = orgs * members
    stakeholders = orgs * float(cfg.stakeholders.count)
    nodes = individuals + stakeholders
    dims = float(cfg.environment.dims)
    degree = float(n.peer_degree) + float(n.cross_unit_degree) + float(n.inter_org_degree)
    # Attention caps what is read; what is in flight is what was sent: a few posts, replies
    # and ideas per node and step, plus what its neighbours sent it.
    messages = 4.0 + min(float(cfg.population.attention), degree)
    post_dims = float(cfg.population.post_dims)

    parts: dict[str, float] = {}

    def add(keys: str, value: float) -> None:
        parts[keys] = parts.get(keys, 0.0) + value

    add(size_keys, individuals * _PER_NODE)
    if orgs > 1:
        add(f"org.count={cfg.org.count}", 0.0)
    add(f"stakeholders.count={cfg.stakeholders.count}", stakeholders * _PER_NODE)
    add(f"environment.dims={cfg.environment.dims}", nodes * dims * _PER_NODE_DIM)
    if cfg.environment.landscape == "nk":
        add(
            f"environment.landscape=nk, environment.dims={cfg.environment.dims} and "
            f"environment.k={cfg.environment.k}",
            _nk_bytes(dims, float(cfg.environment.k)),
        )
    if cfg.regime.broadcast_rate is not None and is_march(cfg):
        # March's kernel: every replicate of a chunk at once, per member and dimension.
        chunk = min(float(cfg.replicates), _MARCH_CHUNK)
        add(
            f"{size_keys}, environment.dims={cfg.environment.dims} and "
            f"replicates={cfg.replicates} (March's kernel)",
            chunk * individuals * dims * _PER_MARCH_CELL,
        )
    peer = individuals * float(n.peer_degree)
    cross = individuals * float(n.cross_unit_degree)
    inter = individuals * float(n.inter_org_degree)
    external = stakeholders * float(n.external_degree)
    add(f"network.peer_degree={n.peer_degree}", peer * _PER_TIE)
    add(f"network.cross_unit_degree={n.cross_unit_degree}", cross * _PER_TIE)
    add(f"network.inter_org_degree={n.inter_org_degree}", inter * _PER_TIE)
    add(f"network.external_degree={n.external_degree}", external * _PER_TIE)
    add(
        f"population.attention={cfg.population.attention}",
        nodes * messages * (_PER_MESSAGE + post_dims * _PER_MESSAGE_DIM),
    )
    # (Interventions are left out: one that stops the batch only lowers the real peak.)
    worlds = worlds_per_batch(cfg) if not batch_refusals(cfg) else 1
    if worlds > 1:
        # Replicates stepped together (sim.batch) hold every world's arrays at once.
        one = sum(parts.values())
        add(f"replicates={cfg.replicates} ({worlds} stepped together)", (worlds - 1) * one)
    add(f"replicates={cfg.replicates}", float(cfg.replicates) * nodes * _PER_NODE_REPLICATE)
    rows = (float(cfg.steps) + 1) * float(cfg.replicates)
    add(
        f"steps={cfg.steps} and replicates={cfg.replicates}",
        (float(cfg.steps) + 1) * _PER_METRIC_ROW + rows * _PER_METRIC_ROW_JOB,
    )
    total = sum(parts.values())
    work = float(cfg.replicates) * float(cfg.steps) * nodes * (1 + messages + degree)
    return Estimate(total, work, nodes, parts)


def _nk_bytes(dims: float, k: float) -> float:
    """The NK task's memory (sim/rules/landscape.py): its contribution tables, ``dims`` rows
    of ``2**(k+1)`` float64; while the fitness of all ``2**dims`` solutions is tabulated, per
    solution its code, a running total and a gathered contribution (float64 or int64), one
    bit per locus and an index in the narrowest integer holding ``k + 1`` bits; then the
    fitness and score tables (float64)."""
    index_bytes = 1.0 if k < 8 else 2.0 if k < 16 else 4.0
    return dims * 2.0 ** (k + 1) * 8.0 + 2.0**dims * (48.0 + (dims + 2.0) * index_bytes)


def check_degrees(cfg: AgoraConfig) -> None:
    """No one can have more ties than there are people to tie to.

    A mean degree above that is a typo (1e5 cross-unit ties in an organization of 200), and
    the generator would spend minutes drawing ties it must then discard.

    >>> cfg = AgoraConfig()
    >>> cfg.network.cross_unit_degree = 1e5
    >>> check_degrees(cfg)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sim.config.ConfigError: network.cross_unit_degree=100000.0 is out of range: at most 199, ...
    """
    members, keys = _members(cfg)
    everyone = members * float(cfg.org.count)
    n = cfg.network
    checks = [
        ("network.peer_degree", n.peer_degree, members - 1, "the other members of"),
        ("network.cross_unit_degree", n.cross_unit_degree, members - 1, "the other members of"),
        ("network.external_degree", n.external_degree, members, "the members of"),
    ]
    if cfg.org.count > 1:
        checks.append(
            (
                "network.inter_org_degree",
                n.inter_org_degree,
                everyone - members,
                "the members of the other organizations beside",
            )
        )
    for key, value, most, whom in checks:
        # Small degrees in tiny organizations are capped by the generator: only numbers
        # beyond both the people available and a handful are typos.
        if float(value) > max(most, _SMALL_DEGREE):
            raise ConfigError(
                f"{key}={value!r} is out of range: at most {max(most, 0.0):g}, {whom} an "
                f"organization of {keys}"
            )


def check_limits(cfg: AgoraConfig) -> Estimate:
    """Refuse ``cfg`` if its :func:`estimate` exceeds the memory limit; return the estimate.

    Raises
    ------
    ConfigError
        Naming the estimate, the limit and the keys that contribute most, with how to raise it.
    """
    check_degrees(cfg)
    est = estimate(cfg)
    limit = memory_limit_gb(cfg)
    if not math.isfinite(est.bytes) or est.gb > limit:
        top = sorted(est.parts.items(), key=lambda kv: -kv[1])
        top = [(k, v) for k, v in top if v > 0.05 * est.bytes][:3] or top[:1]
        drivers = ", ".join(f"{k} ({_gb(v)})" for k, v in top)
        source = (
            f"limits.memory_gb={cfg.limits.memory_gb:g}"
            if getattr(getattr(cfg, "limits", None), "memory_gb", None) is not None
            else f"limits.memory_gb={limit:.3g} (default: {DEFAULT_SHARE:g} of this machine's "
            f"{machine_memory_gb():.3g} GB)"
        )
        raise ConfigError(
            f"this run needs {_gb(est.bytes)} of memory, more than {source}: driven by "
            f"{drivers}. Lower them, or raise the limit with limits.memory_gb=N (GB) if this "
            "machine really has the memory"
        )
    return est


def _gb(value: Any) -> str:
    value = float(value)
    if not math.isfinite(value) or value > 1e15:
        return "more than a million GB"
    return f"about {value / 1e9:.3g} GB"
