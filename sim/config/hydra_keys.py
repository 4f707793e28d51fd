"""What a user may set of Hydra's own configuration: an allow list, not a block list.

Hydra instantiates parts of its configuration (the launcher, the sweeper, callbacks, logging
handlers) and writes files where others point, so a key it has that Agora does not know about
is a way to run code or overwrite files. Every composition is compared with a *reference*:
Hydra's configuration composed with the same group choices and nothing else
(:func:`changed_leaves`). Each key that differs must be in :data:`ALLOWED` (or under a prefix
of :data:`ALLOWED_UNDER`), or a field of the chosen launcher (:data:`LAUNCHER_FIELDS`);
:data:`SETUP_FIELDS` (commands or settings that run on the cluster) only when the user asked
for them with ``agora run --allow-setup`` (environment variable :data:`ALLOW_SETUP_ENV`).
No key called ``_target_`` (or Hydra's other instantiation keys) may be set anywhere, at any
depth. ``hydra.output_subdir`` and ``hydra.sweep.subdir`` stay inside their run folder.

Examples
--------
>>> check_hydra_changes({"launcher.n_jobs": 4}, {"hydra/launcher": "pool"})
>>> check_hydra_changes({"launcher.foo._target_": "builtins.open"},
...                     {"hydra/launcher": "pool"})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sim.config.ConfigError: hydra.launcher.foo._target_: ... nothing may be instantiated ...
>>> check_hydra_changes({"output_subdir": "../../x"}, {})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sim.config.ConfigError: hydra.output_subdir='../../x': ... inside the run folder ...
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

from sim.config.schema import ConfigError

__all__ = [
    "ALLOWED",
    "ALLOWED_UNDER",
    "ALLOWED_CHOICES",
    "ALLOW_SETUP_ENV",
    "INSTANTIATION_KEYS",
    "LAUNCHER_FIELDS",
    "SETUP_FIELDS",
    "allow_setup",
    "changed_leaves",
    "check_choices",
    "check_hydra_changes",
    "find_instantiation_keys",
]

#: Keys of ``hydra.*`` (without the prefix) a user may set, whatever the launcher.
ALLOWED = frozenset(
    {
        "run.dir",
        "sweep.dir",
        "sweep.subdir",
        "output_subdir",
        "job.name",
        "job.chdir",
        "verbose",
        "mode",
        "sweeper.max_batch_size",
    }
)

#: Prefixes under which any key may be set (values are still checked: resolvers, thread-count
#: variables only in ``env_set``): the sweep's parameters, the config search path.
ALLOWED_UNDER = ("sweeper.params.", "searchpath.", "job.env_set.")

#: Group choices a user may make (``hydra/launcher=pool``); None is "no choice" (callbacks).
ALLOWED_CHOICES: dict[str, tuple[Any, ...]] = {
    "hydra/launcher": (
        "basic",
        "pool",
        "ray",
        "slurm",
        "local_parallel",
        "submitit_slurm",
        "submitit_local",
        "joblib",
    ),
    "hydra/sweeper": ("basic",),
    "hydra/callbacks": ("agora", None),
    "hydra/job_logging": ("default", "disabled", "none", "stdout"),
    "hydra/hydra_logging": ("default", "disabled", "none", "stdout"),
    "hydra/env": ("default",),
    "hydra/help": ("default",),
    "hydra/hydra_help": ("default",),
    "hydra/output": ("default",),
}

# Submitit's fields common to its local and SLURM launchers.
_SUBMITIT_FIELDS = frozenset(
    {
        "timeout_min",
        "cpus_per_task",
        "gpus_per_node",
        "tasks_per_node",
        "mem_gb",
        "nodes",
        "name",
    }
)

#: The documented fields of each shipped launcher (``hydra.launcher.<field>``).
LAUNCHER_FIELDS: dict[str, frozenset[str]] = {
    "basic": frozenset(),
    "pool": frozenset({"n_jobs"}),
    "local_parallel": frozenset({"n_jobs", "batch_size", "pre_dispatch", "verbose", "timeout"}),
    "ray": frozenset({"address", "max_retries", "max_in_flight", "num_cpus"}),
    "slurm": _SUBMITIT_FIELDS
    | frozenset(
        {
            "partition",
            "qos",
            "comment",
            "constraint",
            "exclude",
            "gres",
            "cpus_per_gpu",
            "gpus_per_task",
            "mem_per_gpu",
            "mem_per_cpu",
            "account",
            "array_parallelism",
            "max_num_timeout",
            "signal_delay_s",
        }
    ),
}

# The plugins' own names for the launchers Agora's option files extend (same fields).
LAUNCHER_FIELDS["submitit_slurm"] = LAUNCHER_FIELDS["slurm"]
LAUNCHER_FIELDS["joblib"] = LAUNCHER_FIELDS["local_parallel"]
LAUNCHER_FIELDS["submitit_local"] = _SUBMITIT_FIELDS

#: Launcher fields that run commands or set the environment on the cluster: Ray's ``init``
#: (``ray.init`` keyword arguments, e.g. ``runtime_env``) and SLURM's ``setup`` lines.
SETUP_FIELDS: dict[str, str] = {"ray": "init", "slurm": "setup", "submitit_slurm": "setup"}

#: Set to 1 by ``agora run --allow-setup``: setup fields may then be given.
ALLOW_SETUP_ENV = "AGORA_ALLOW_SETUP"

#: Keys with which Hydra's ``instantiate`` builds or calls objects.
INSTANTIATION_KEYS = frozenset({"_target_", "_args_", "_partial_", "_recursive_", "_convert_"})

#: Computed by Hydra while composing (never the user's): not compared.
_COMPUTED = (
    "runtime.",
    "overrides.",
    "job.config_name",
    "job.override_dirname",
    "job.id",
    "job.num",
)


def allow_setup() -> bool:
    """True when the user allowed setup fields (``agora run --allow-setup``)."""
    return os.environ.get(ALLOW_SETUP_ENV, "") not in ("", "0")


def _leaves(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping):
        if not node and prefix:
            yield prefix.rstrip("."), {}
        for key, value in node.items():
            yield from _leaves(value, f"{prefix}{key}.")
    elif isinstance(node, (list, tuple)):
        if not node and prefix:
            yield prefix.rstrip("."), []
        for i, value in enumerate(node):
            yield from _leaves(value, f"{prefix}{i}.")
    else:
        yield prefix.rstrip("."), node


_ABSENT = object()


def changed_leaves(actual: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted key -> value of every leaf of ``actual`` that ``reference`` does not have equal
    (a leaf ``reference`` has and ``actual`` lacks maps to None: it was deleted).

    >>> changed_leaves({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}})
    {'a.c': 2}
    """
    mine, theirs = dict(_leaves(actual)), dict(_leaves(reference))
    out = {k: v for k, v in mine.items() if theirs.get(k, _ABSENT) != v}
    # A reference leaf that is an empty container the user filled is not "deleted".
    filled = {k.rsplit(".", i)[0] for k in mine for i in range(1, k.count(".") + 1)}
    out.update({k: None for k in theirs if k not in mine and k not in filled})
    return {k: v for k, v in out.items() if not k.startswith(_COMPUTED)}


def find_instantiation_keys(node: Any, prefix: str = "") -> str | None:
    """The dotted path of the first ``_target_`` (or other instantiation key) in ``node``."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if str(key) in INSTANTIATION_KEYS:
                return f"{prefix}{key}"
            found = find_instantiation_keys(value, f"{prefix}{key}.")
            if found:
                return found
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            found = find_instantiation_keys(value, f"{prefix}{i}.")
            if found:
                return found
    return None


def check_choices(choices: Mapping[str, Any]) -> None:
    """Refuse a ``hydra/<group>`` choice that is not one of :data:`ALLOWED_CHOICES`."""
    for group, choice in choices.items():
        if not str(group).startswith("hydra/"):
            continue
        allowed = ALLOWED_CHOICES.get(str(group))
        if allowed is None:
            raise ConfigError(
                f"{group}: this Hydra group may not be chosen (allowed groups: "
                f"{', '.join(sorted(ALLOWED_CHOICES))})"
            )
        if choice not in allowed:
            shown = ", ".join("null" if c is None else str(c) for c in allowed)
            raise ConfigError(f"{group}={choice}: not one of the shipped options ({shown})")


def _inside(value: Any) -> bool:
    """A relative path that cannot climb out of its folder (``..`` or absolute)."""
    if value is None:
        return True
    path = PurePosixPath(str(value).replace("\\", "/"))
    return not path.is_absolute() and ".." not in path.parts and not str(value).startswith("~")


def _allowed_key(key: str, launcher: str, setup: bool) -> bool:
    if key in ALLOWED or key.startswith(ALLOWED_UNDER):
        return True
    if key.startswith("launcher."):
        field = key.split(".")[1]
        if "." not in key[len("launcher.") :] and field in LAUNCHER_FIELDS.get(launcher, ()):
            return True
        return setup and SETUP_FIELDS.get(launcher) == field
    return False


def _allowed_list(launcher: str, setup: bool) -> str:
    fields = sorted(LAUNCHER_FIELDS.get(launcher, ()))
    if setup and launcher in SETUP_FIELDS:
        fields.append(SETUP_FIELDS[launcher])
    shown = sorted(ALLOWED) + [f"{p}*" for p in ALLOWED_UNDER]
    shown += [f"launcher.{f}" for f in fields]
    return ", ".join(f"hydra.{k}" for k in shown)


def check_hydra_changes(changed: Mapping[str, Any], choices: Mapping[str, Any]) -> None:
    """Refuse every changed ``hydra.*`` key (dotted, without ``hydra.``) not on the allow list.

    ``changed`` is :func:`changed_leaves` of the composed Hydra configuration against the
    reference; ``choices`` is ``hydra.runtime.choices``.
    """
    launcher = str(choices.get("hydra/launcher") or "basic")
    setup = allow_setup()
    for key, value in changed.items():
        parts = key.split(".")
        bad = next((p for p in parts if p in INSTANTIATION_KEYS), None)
        if bad is not None:
            raise ConfigError(
                f"hydra.{key}: '{bad}' keys are refused: nothing may be instantiated from "
                "a user's configuration (it would run code)"
            )
        if launcher in SETUP_FIELDS and parts[:2] == ["launcher", SETUP_FIELDS[launcher]]:
            if not setup:
                raise ConfigError(
                    f"hydra.{key}: hydra.launcher.{SETUP_FIELDS[launcher]} runs on the cluster "
                    "(commands or environment of every job): refused unless you run "
                    "agora run --allow-setup"
                )
        if not _allowed_key(key, launcher, setup):
            raise ConfigError(
                f"hydra.{key}: this Hydra key may not be set (launcher {launcher}); the keys "
                f"you may set are {_allowed_list(launcher, setup)}"
            )
        if key in ("output_subdir", "sweep.subdir") and not _inside(value):
            raise ConfigError(
                f"hydra.{key}={value!r}: must be a relative folder inside the run folder "
                "(no absolute path, no '..')"
            )
