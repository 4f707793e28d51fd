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

import functools
from dataclasses import dataclass
from typing import overload

import numpy as np

__all__ = [
    "KINDS",
    "Group",
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


_KIND_BOUNDS = np.arange(len(KINDS) + 1)

#: Messages of one kind about to be sent: ``(kind, sender, target, values)``.
Group = tuple[int, np.ndarray, np.ndarray, np.ndarray]


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@overload
def org_node(org: int) -> int: ...
@overload
def org_node(org: np.ndarray) -> np.ndarray: ...
def org_node(org: int | np.ndarray) -> int | np.ndarray:
    """The (negative) node id that addresses organization ``org``."""
    return -(np.asarray(org) + 1) if isinstance(org, np.ndarray) else -(org + 1)


def node_org(node: np.ndarray) -> np.ndarray:
    """Inverse of :func:`org_node` for negative ids."""
    return -np.asarray(node) - 1


@dataclass
class Messages:
    """A batch of messages (struct of arrays, all of the same length).

    Arrays are never modified in place (a step builds new batches), so batches may share them.
    """

    sender: np.ndarray
    target: np.ndarray
    holder: np.ndarray
    kind: np.ndarray
    origin: np.ndarray
    sent: np.ndarray
    values: np.ndarray

    @staticmethod
    @functools.lru_cache(maxsize=16)
    def empty(dims: int) -> Messages:
        """No messages (one shared, read-only batch per ``dims``)."""
        z = _frozen(np.empty(0, dtype=np.int64))
        return Messages(
            z, z, z, _frozen(np.empty(0, np.int8)), z, z, _frozen(np.empty((0, dims), np.int8))
        )

    @classmethod
    def create(cls, sender, target, kind, values, step, origin=None) -> Messages:
        """New messages held by their sender (``origin`` defaults to the sender).

        ``kind`` is one code for the whole batch or one per message.
        """
        sender = np.asarray(sender, dtype=np.int64)
        n = sender.size
        kinds = np.empty(n, dtype=np.int8)
        kinds[:] = kind
        sent = np.empty(n, dtype=np.int64)
        sent.fill(step)
        return cls(
            sender=sender,
            target=np.asarray(target, dtype=np.int64),
            holder=sender,
            kind=kinds,
            origin=sender if origin is None else np.asarray(origin, dtype=np.int64),
            sent=sent,
            values=np.asarray(values, dtype=np.int8),
        )

    @staticmethod
    def assemble(step: int, groups: list[Group]) -> Messages:
        """New messages sent at ``step``, from groups ``(kind, sender, target, values)`` in the
        order given; each is held by its sender and originates there.

        One array operation per field, however many groups: cheaper than creating each group
        and concatenating.

        >>> out = Messages.assemble(3, [(POST, np.array([1, 2]), np.array([0, 0]), np.ones((2, 1))),
        ...                             (VOICE, np.array([4]), np.array([-1]), np.ones((1, 1)))])
        >>> out.kind_names(), out.sent.tolist(), out.target.tolist()
        (['post', 'post', 'voice'], [3, 3, 3], [0, 0, -1])
        """
        kinds, senders, targets, values = zip(*groups, strict=True)
        sender = np.concatenate(senders).astype(np.int64, copy=False)
        kind = np.empty(sender.size, dtype=np.int8)
        start = 0
        for k, who in zip(kinds, senders, strict=True):
            kind[start : start + who.size] = k
            start += who.size
        sent = np.empty(sender.size, dtype=np.int64)
        sent.fill(step)
        return Messages(
            sender,
            np.concatenate(targets).astype(np.int64, copy=False),
            sender,
            kind,
            sender,
            sent,
            np.concatenate(values).astype(np.int8, copy=False),
        )

    def __len__(self) -> int:
        return self.sender.size

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The fields, in order."""
        return (
            self.sender,
            self.target,
            self.holder,
            self.kind,
            self.origin,
            self.sent,
            self.values,
        )

    def take(self, index: np.ndarray | slice) -> Messages:
        """The messages selected by a boolean mask, an index array or a slice.

        >>> m = Messages.create([1, 2, 3], [0, 0, 0], [POST, POST, VOICE], np.eye(3), 0)
        >>> m.take(np.array([True, False, True])).values.tolist()
        [[1, 0, 0], [0, 0, 1]]
        >>> m.take(np.array([2, 0])).sender.tolist(), m.take(slice(1, 2)).sender.tolist()
        ([3, 1], [2])
        """
        if isinstance(index, slice):  # views: nothing copied
            return Messages(*(a[index] for a in self.arrays()))
        index = np.asarray(index)
        if index.dtype == bool:
            # A mask's rows found once, then gathered by ``take``: several times faster than
            # masking each field (2-D int8 rows especially), with the same result.
            index = index.nonzero()[0]
        return Messages(*(a.take(index, axis=0) for a in self.arrays()))

    def replace(self, **arrays: np.ndarray) -> Messages:
        """The same messages with some fields replaced (e.g. ``holder=...``)."""
        return Messages(**{**self.__dict__, **arrays})

    @staticmethod
    def concat(batches: list[Messages]) -> Messages:
        batches = [b for b in batches if b.sender.size] or batches[:1]
        if len(batches) == 1:
            return batches[0]
        columns = zip(*[b.arrays() for b in batches], strict=True)
        return Messages(*map(np.concatenate, columns))

    def by_kind(self, in_kind_order: bool = False) -> dict[int, Messages]:
        """The batch split by kind, each part in its original order.

        ``in_kind_order`` says the batch is already grouped by kind (as an outbox is), so the
        parts are views and nothing is sorted.

        >>> m = Messages.create([1, 2, 3], [0, 0, 0], [POST, BROADCAST, POST], np.ones((3, 1)), 0)
        >>> {KINDS[k]: part.sender.tolist() for k, part in m.by_kind().items() if len(part)}
        {'broadcast': [2], 'post': [1, 3]}
        """
        grouped = self if in_kind_order else self.take(np.argsort(self.kind, kind="stable"))
        bounds = np.searchsorted(grouped.kind, _KIND_BOUNDS).tolist()
        return {k: grouped.take(slice(bounds[k], bounds[k + 1])) for k in range(len(KINDS))}

    def kind_names(self) -> list[str]:
        return [KINDS[k] for k in self.kind]
