"""Messages as a struct of arrays: one row per message, never one Python object per message.

A message carries its sender, its final receiver (``target``), its kind, the dimensions it
speaks about and their values (``values``; 0 means "says nothing about this dimension"), the
step it was sent and its origin (who first said it). The organization is addressed by a
negative node id, ``org_node(o) = -(o + 1)``, so one integer array holds every address.

Examples
--------
>>> import numpy as np
>>> m = Messages.create(sender=[1, 2], target=[3, org_node(0)], kind=[POST, VOICE],
...                     values=np.array([[1, 0], [0, -1]]), step=4)
>>> len(m), m.origin.tolist(), m.kind_names()
(2, [1, 2], ['post', 'voice'])
>>> len(Messages.concat([m, m.take(np.array([True, False]))]))
3
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

__all__ = [
    "KINDS",
    "BROADCAST",
    "POST",
    "REPLY",
    "VOTE",
    "VOICE",
    "Messages",
    "org_node",
    "node_org",
]

#: Message kinds, in the order of their integer codes (DESIGN section 3).
KINDS = ("broadcast", "post", "reply", "vote", "voice")
BROADCAST, POST, REPLY, VOTE, VOICE = range(5)


def org_node(org: int | np.ndarray) -> int | np.ndarray:
    """The (negative) node id that addresses organization ``org``."""
    return -(np.asarray(org) + 1) if isinstance(org, np.ndarray) else -(org + 1)


def node_org(node: np.ndarray) -> np.ndarray:
    """Inverse of :func:`org_node` for negative ids."""
    return -np.asarray(node) - 1


@dataclass
class Messages:
    """A batch of messages (struct of arrays, all of the same length)."""

    sender: np.ndarray
    target: np.ndarray
    holder: np.ndarray
    kind: np.ndarray
    origin: np.ndarray
    sent: np.ndarray
    values: np.ndarray

    @classmethod
    def empty(cls, dims: int) -> Messages:
        z = np.empty(0, dtype=np.int64)
        return cls(z, z, z, np.empty(0, np.int8), z, z, np.empty((0, dims), np.int8))

    @classmethod
    def create(cls, sender, target, kind, values, step, origin=None) -> Messages:
        """New messages held by their sender (``origin`` defaults to the sender)."""
        sender = np.asarray(sender, dtype=np.int64)
        n = sender.size
        if np.ndim(kind) == 0:
            kind = np.full(n, kind, dtype=np.int8)
        else:
            kind = np.asarray(kind, dtype=np.int8)
        # Arrays are never modified in place, so sender, holder and origin may share memory.
        return cls(
            sender=sender,
            target=np.asarray(target, dtype=np.int64),
            holder=sender,
            kind=kind,
            origin=sender if origin is None else np.asarray(origin, dtype=np.int64),
            sent=np.full(n, step, dtype=np.int64),
            values=np.atleast_2d(np.asarray(values, dtype=np.int8)),
        )

    def __len__(self) -> int:
        return int(self.sender.size)

    def take(self, index: np.ndarray) -> Messages:
        """The messages selected by a boolean mask or an index array."""
        return Messages(*(getattr(self, name)[index] for name in _FIELDS))

    @staticmethod
    def concat(batches: list[Messages]) -> Messages:
        batches = [b for b in batches if len(b)] or batches[:1]
        if len(batches) == 1:
            return batches[0]
        return Messages(*(np.concatenate([getattr(b, name) for b in batches]) for name in _FIELDS))

    def kind_names(self) -> list[str]:
        return [KINDS[k] for k in self.kind]


_FIELDS = tuple(f.name for f in fields(Messages))
