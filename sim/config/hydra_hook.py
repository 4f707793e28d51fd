"""The one private hook into Hydra: every composition passes the guards before it is used.

Hydra instantiates ``hydra.callbacks`` right after composing the primary config and
configures logging from each job's config, before any of its public hooks could look at the
configuration: the callback API of Hydra 1.3 (``hydra.experimental.callback.Callback``) has
``on_run_start``, ``on_multirun_start``, ``on_job_start`` and their ends, all called after
composition and after the callbacks themselves were built. So the check sits in
``ConfigLoaderImpl.load_configuration`` (``hydra._internal``), which every composition goes
through: the application's ``@hydra.main``, ``load_sweep_config`` for each job of a sweep, and
:func:`hydra.compose`. ``tests/test_hydra_hook.py`` pins what this relies on: the method's
signature, that each of those three roads calls it, and the search path it exposes.

The other private pieces Agora uses live here too, each a small function with its reason:
:func:`split_sweep` (the basic sweeper's job order), :func:`apply_overrides` (Hydra's own
override application, for a sweep job's exact path), :func:`spare_second_validation` (the
basic sweeper's second composition of every job) and :func:`hydra_args_parser` (``agora run``'s
command line as Hydra reads it). Nothing else in ``sim/`` imports ``hydra._internal``
(``tests/test_hydra_hook.py`` checks it).

Examples
--------
>>> install_hydra_guard()  # idempotent: installed when sim.config is imported
>>> from hydra._internal.config_loader_impl import ConfigLoaderImpl
>>> ConfigLoaderImpl.load_configuration._agora_guard
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hydra.errors import CompactHydraException
from omegaconf import DictConfig

from sim.config.guards import as_plain, check_composed, first_line, yaml_error
from sim.config.hydra_keys import check_choices
from sim.config.schema import ConfigError

__all__ = [
    "Refused",
    "install_hydra_guard",
    "split_sweep",
    "apply_overrides",
    "spare_second_validation",
    "hydra_args_parser",
]


class Refused(ConfigError, CompactHydraException):
    """A configuration refused while Hydra composed it; Hydra reports it as one line.

    ``reason`` is the message without the prefix.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"Agora: invalid configuration, nothing was run: {reason}")
        self.reason = reason

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return (type(self), (self.reason,))


def _reference(loader: Any, original: Any, cfg: DictConfig, cache: dict) -> Any:
    """Hydra's own configuration for ``cfg``'s group choices, composed with nothing else.

    No primary config and no overrides but the ``hydra/...`` choices: what Hydra and the
    shipped option files set. Cached per search path and choices (one composition, ~50 ms).
    """
    from hydra.types import RunMode

    choices = as_plain(cfg.hydra.runtime.choices)
    hydra_choices = tuple(
        sorted((k, v) for k, v in choices.items() if str(k).startswith("hydra/") and v is not None)
    )
    path = tuple(str(p) for p in loader.get_search_path().get_path())
    key = (path, hydra_choices)
    if key not in cache:
        overrides = [f"{k}={v}" for k, v in hydra_choices]
        ref = original(
            loader, None, overrides, RunMode.RUN, from_shell=False, validate_sweep_overrides=False
        )
        cache[key] = ref.hydra
    return cache[key]


def _group_error(err: BaseException) -> str | None:
    """One line for Hydra's traceback on a group set to null (``hydra/callbacks=null``)."""
    text = str(err)
    if isinstance(err, ValueError) and "Config group override must be" in text:
        return (
            f"{first_line(text)}: to leave a group out, delete it with ~GROUP "
            "(e.g. ~hydra/callbacks) instead of GROUP=null"
        )
    return None


def install_hydra_guard() -> None:
    """Run :func:`~sim.config.guards.check_composed` on every configuration Hydra composes.

    Idempotent. A refused configuration raises :class:`Refused` (a :class:`ConfigError`),
    which Hydra reports as one line and exits non-zero before running anything.
    """
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    original = ConfigLoaderImpl.load_configuration
    if getattr(original, "_agora_guard", False):
        return
    references: dict = {}

    def load_configuration(self: Any, *args: Any, **kwargs: Any) -> DictConfig:
        try:
            cfg = original(self, *args, **kwargs)
        except Exception as err:
            message = yaml_error(err) or _group_error(err)
            if message is not None:
                raise Refused(message) from None
            raise
        try:
            reference = None
            if "hydra" in cfg:
                check_choices(as_plain(cfg.hydra.runtime.choices))
                reference = _reference(self, original, cfg, references)
            check_composed(cfg, reference)
        except ConfigError as err:
            raise Refused(str(err)) from None
        return cfg

    # Marks on the function: installed once, and the method it wraps (tests pin its signature).
    setattr(load_configuration, "_agora_guard", True)  # noqa: B010
    setattr(load_configuration, "__wrapped__", original)  # noqa: B010
    setattr(ConfigLoaderImpl, "load_configuration", load_configuration)  # noqa: B010


# --------------------------------------------------------------------------- other private pieces


def split_sweep(parsed: list) -> list[list[str]]:
    """The job override lists of parsed sweep overrides, in Hydra's job order.

    Hydra's basic sweeper makes the order (``hydra.job.num``) and offers no public function
    for it; ``tests/test_hydra_hook.py`` pins the order on a small sweep.
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    (batch,) = BasicSweeper.split_arguments(parsed, None)
    return batch


def apply_overrides(overrides: list, cfg: DictConfig) -> None:
    """Apply parsed overrides to ``cfg`` in place, exactly as Hydra does when it composes."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    ConfigLoaderImpl._apply_overrides_to_config(overrides, cfg)


def spare_second_validation(validated: set[tuple[str, ...]]) -> None:
    """Let Hydra's basic sweeper skip re-composing the jobs Agora has validated.

    Before launching, ``BasicSweeper`` composes every job once more to catch composition
    errors early (~0.2 s a job: minutes for a sweep of thousands, before the first job
    starts). A batch made only of jobs in ``validated`` is not composed again; any other batch
    is. Patched when called (by the sweep callback), not at import time, because Hydra
    re-imports its plugin modules when it scans them.
    """
    import sys

    module = sys.modules.get("hydra._internal.core_plugins.basic_sweeper")
    sweeper = getattr(module, "BasicSweeper", None)
    if sweeper is None:
        return
    original = getattr(
        sweeper.validate_batch_is_legal, "_agora_original", sweeper.validate_batch_is_legal
    )

    def validate_batch_is_legal(self: Any, batch: Sequence[Sequence[str]]) -> None:
        if not all(tuple(job) in validated for job in batch):
            original(self, batch)

    validate_batch_is_legal._agora_original = original  # type: ignore[attr-defined]
    sweeper.validate_batch_is_legal = validate_batch_is_legal


def hydra_args_parser() -> Any:
    """Hydra's own command-line parser (``-m``, ``--cfg``, overrides...), as ``@hydra.main``
    reads ``agora run``'s arguments."""
    from hydra._internal.utils import get_args_parser

    return get_args_parser()
