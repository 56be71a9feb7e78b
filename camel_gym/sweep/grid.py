"""An experiment grid: which ``td3_camel.py`` trials a sweep runs, checked before any starts.

A grid is the cross product of env ids, variants, extra settings and seeds. A variant is a
masking mode of ``td3_camel.py`` (``none``, ``llm``, ``expert``, ``random``) or a named variant
from a TOML grid file (e.g. ``tuned``: ``llm`` masking with a hand-tuned prior). Each trial gets
a folder whose name is derived from its settings, so a rerun finds it::

    SWEEP/trials/Hopper-v4__llm__bias=0.1__seed3/        # td3_camel.py's --runs-dir for this trial
    SWEEP/trials/Hopper-v4__llm__bias=0.1__seed3/<run>/  # the run directory td3_camel.py made

A grid file holds the same keys as the command line::

    env_ids = ["Hopper-v4", "Ant-v4"]
    masking = ["none", "llm"]
    seeds = [1, 2, 3, 4, 5]
    total_timesteps = 300_000
    [set]                      # extra td3_camel.py options; a list is one trial each
    mask_timesteps = 200_000
    [variants.tuned]           # a named variant: a masking mode plus its own files and settings
    masking = "llm"
    policy = { "Hopper-v4" = "llm_policies/handtuned/hopper_v4.py" }
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, get_args, get_type_hints

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as a package
    import tomli as tomllib

import gymnasium as gym
import numpy as np
import tyro

from camel_gym.priors import shipped_prior_for_plain_make
from camel_gym.sandbox import PolicyRejected, load_policy

__all__ = ["GridError", "Grid", "Trial", "Variant", "parse_env_map", "parse_set", "td3_args_class", "td3_module"]

#: td3_camel.py options a sweep sets itself; ``--set`` may not override them.
MANAGED_OPTIONS = frozenset({"env_id", "masking", "seed", "runs_dir", "resume", "progress", "threads", "policy", "expert_model",
                             "total_timesteps"})


class GridError(ValueError):
    """A grid that cannot run: the message says which input is wrong and how to fix it."""


@cache
def td3_module(script: Path) -> ModuleType:
    """A ``td3_camel.py`` file as a module: its ``Args`` (the options a trial can set) and ``check_args``.

    Importing the script runs nothing: its training sits under ``if __name__ == "__main__"``.

    Raises:
        GridError: the file cannot be imported (torch missing, say) or is not a td3_camel.py.
    """
    spec = importlib.util.spec_from_file_location(f"td3_camel_{abs(hash(str(script)))}", script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        raise GridError(f"cannot import {script} ({exc}); install what it needs: pip install torch==2.13.0 && pip install -e \".[sweep]\"") from None
    if not hasattr(module, "Args") or not hasattr(module, "check_args"):
        raise GridError(f"{script} has no Args dataclass and check_args: pass a td3_camel.py with --td3-script")
    return module


def td3_args_class(script: Path) -> type:
    """The ``Args`` dataclass of a ``td3_camel.py`` file: the options a trial can set."""
    return td3_module(script).Args


@cache
def _spaces(env_id: str) -> tuple[gym.Space, gym.Space]:
    """``gym.make(env_id)``'s observation and action spaces: the env as td3_camel.py makes it."""
    env = gym.make(env_id)
    try:
        return env.observation_space, env.action_space
    finally:
        env.close()


def _action_dim(env_id: str) -> int:
    return int(np.prod(_spaces(env_id)[1].shape))


@cache
def _prior_problem(path: str, env_id: str, mtime_ns: int) -> str | None:
    """Why td3_camel.py would refuse the prior file ``path`` on ``env_id`` (the sandbox's load and
    trial, as the script runs them), or None; once per file version and env."""
    env = gym.make(env_id)
    try:
        load_policy(path, env=env)
    except (PolicyRejected, ValueError, OSError) as exc:  # ValueError: e.g. a file that is not UTF-8
        return str(exc)
    finally:
        env.close()
    return None


@dataclass(frozen=True)
class Variant:
    """What a trial masks with: a masking mode plus per-env prior files and its own settings."""

    name: str
    masking: str
    policy: dict[str, str] = field(default_factory=dict)  # env id -> prior file (masking llm)
    expert_model: dict[str, str] = field(default_factory=dict)  # env id -> saved actor (masking expert)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Trial:
    """One ``td3_camel.py`` run of the grid."""

    env_id: str
    variant: str
    seed: int
    settings: tuple[tuple[str, Any], ...]  # the grid's extra settings for this trial, sorted by key
    options: tuple[tuple[str, Any], ...]  # every td3_camel.py option the sweep passes, sorted by key

    @property
    def name(self) -> str:
        """The trial's folder name, e.g. ``Hopper-v4__llm__bias=0.1__seed3``."""
        parts = [self.env_id, self.variant, *(f"{key}={_text(value)}" for key, value in self.settings), f"seed{self.seed}"]
        return "__".join(parts)

    @property
    def label(self) -> str:
        """The curve a trial belongs to: its variant and extra settings, without env and seed."""
        return " ".join([self.variant, *(f"{key}={_text(value)}" for key, value in self.settings)])

    def command_options(self) -> list[str]:
        """The options as ``td3_camel.py`` reads them (``--mask-timesteps 200000``)."""
        out: list[str] = []
        for key, value in self.options:
            flag = "--" + key.replace("_", "-")
            if isinstance(value, bool):
                out.append(flag if value else "--no-" + key.replace("_", "-"))
            else:
                out += [flag, str(value)]
        return out


def _text(value: Any) -> str:
    return repr(value) if isinstance(value, str) and not value else str(value)


def parse_set(items: list[str]) -> dict[str, list[Any]]:
    """``["bias=0.1,0.3", "mask_timesteps=200000"]`` -> ``{"bias": [0.1, 0.3], "mask_timesteps": [200000]}``.

    Values are read as TOML scalars (numbers, booleans, quoted strings), anything else as a
    string. Dashes in keys become underscores, as in ``td3_camel.py``'s own options.

    Example:
        >>> parse_set(["bias=0.1,0.3", "learning-starts=1000", "policy_noise=0.2"])
        {'bias': [0.1, 0.3], 'learning_starts': [1000], 'policy_noise': [0.2]}
    """
    out: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key or not values:
            raise GridError(f"--set {item!r}: write KEY=VALUE or KEY=V1,V2 (e.g. --set bias=0.1,0.3)")
        out[key.strip().replace("-", "_")] = [_scalar(v.strip()) for v in values.split(",")]
    return out


def _scalar(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


@dataclass
class Grid:
    """The sweep's grid, as given on the command line or in a TOML file."""

    env_ids: list[str]
    masking: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=lambda: [1, 2, 3])
    total_timesteps: int | None = None
    set: dict[str, list[Any]] = field(default_factory=dict)
    policy: dict[str, str] = field(default_factory=dict)
    expert_model: dict[str, str] = field(default_factory=dict)
    variants: dict[str, Variant] = field(default_factory=dict)

    @classmethod
    def from_toml(cls, path: str | Path) -> Grid:
        """Read a grid file (the module docstring shows one)."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise GridError(f"--grid {path}: no such file") from None
        except tomllib.TOMLDecodeError as exc:
            raise GridError(f"--grid {path}: not valid TOML ({exc})") from None
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise GridError(f"--grid {path}: unknown key(s) {', '.join(unknown)}; a grid file may hold {', '.join(sorted(known))}")
        shapes = {"env_ids": (list, str), "masking": (list, str), "seeds": (list, int), "total_timesteps": (int, None),
                  "set": (dict, None), "policy": (dict, str), "expert_model": (dict, str), "variants": (dict, dict)}
        for key, (outer, inner) in shapes.items():
            _check_shape(path, key, data.get(key), outer, inner)
        for name, table in data.get("variants", {}).items():
            for key in ("policy", "expert_model", "set"):
                _check_shape(path, f"variants.{name}.{key}", table.get(key), dict, str if key != "set" else None)
        variants = {}
        for name, table in data.pop("variants", {}).items():
            table = dict(table)
            if "masking" not in table:
                raise GridError(f"--grid {path}: [variants.{name}] needs a masking mode (masking = \"llm\", ...)")
            variants[name] = Variant(
                name=name, masking=table.pop("masking"), policy=table.pop("policy", {}),
                expert_model=table.pop("expert_model", {}), settings=table.pop("set", {}),
            )
            if table:
                raise GridError(f"--grid {path}: [variants.{name}] has unknown key(s) {', '.join(sorted(table))}")
        data["set"] = {key: value if isinstance(value, list) else [value] for key, value in data.get("set", {}).items()}
        return cls(**data, variants=variants)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Grid:
        data = dict(data)
        data["variants"] = {name: Variant(**v) for name, v in data.get("variants", {}).items()}
        return cls(**data)

    def trials(self, script: Path, cpus_per_trial: int = 1, defaults: dict[str, Any] | None = None,
               finished: Callable[[str], bool] | None = None) -> list[Trial]:
        """Every trial of the grid, checked: a bad input raises ``GridError`` before any trial starts.

        ``defaults`` are options every trial gets unless the grid sets them (e.g. the sweep's
        ``--checkpoint-every``). ``finished(name)`` says whether a trial has already run: its
        input files (an expert model, a prior) need not exist any more, since it never reads them
        again; a fresh clone of a sweep folder lacks git-ignored inputs such as saved models.

        Raises:
            GridError: an unknown env id or variant, a ``--set`` key ``td3_camel.py`` does not
                have or the sweep sets itself, a value it would refuse, a file a variant needs
                that is missing, a prior file the sandbox refuses, or an ``llm`` variant without
                a prior on an env whose shipped prior the script cannot use.
        """
        module = td3_module(script)
        args_class = module.Args
        fields = {f.name: f for f in dataclasses.fields(args_class)}
        modes = get_args(get_type_hints(args_class)["masking"])
        if not self.env_ids:
            raise GridError("no env ids: give --env-ids (e.g. --env-ids Hopper-v4 Ant-v4)")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise GridError(f"--seeds must be distinct integers, got {self.seeds}")
        for env_id in self.env_ids:
            try:
                gym.spec(env_id)
            except gym.error.Error as exc:
                raise GridError(f"unknown env id {env_id!r}: {exc}") from None
        variants = self._variants(modes)
        for key in {k for v in variants for k in v.settings} | set(self.set):
            if key not in fields:
                raise GridError(
                    f"--set {key}: td3_camel.py has no option --{key.replace('_', '-')}; "
                    f"see `python {script} --help` for the options a trial can set"
                )
            if key in MANAGED_OPTIONS:
                raise GridError(f"--set {key}: the sweep sets --{key.replace('_', '-')} itself; use the sweep's own option for it")
        out = []
        for env_id, variant, seed in itertools.product(self.env_ids, variants, self.seeds):
            grid_settings = {**self.set, **{k: v if isinstance(v, list) else [v] for k, v in variant.settings.items()}}
            keys = sorted(grid_settings)
            for values in itertools.product(*(grid_settings[k] for k in keys)):
                settings = dict(zip(keys, values))
                options = {**(defaults or {}), **settings, "env_id": env_id, "masking": variant.masking, "seed": seed,
                           "threads": cpus_per_trial, "progress": False}
                # always explicit: progress, ETA and the report's last step need it
                options["total_timesteps"] = fields["total_timesteps"].default if self.total_timesteps is None else self.total_timesteps
                # a trial's name shows what varies; a named variant's fixed settings go by its name
                varying = tuple((k, v) for k, v in settings.items() if len(grid_settings[k]) > 1)
                done = finished is not None and finished(Trial(env_id, variant.name, seed, varying, ()).name)
                options.update(self._files(variant, env_id, must_exist=not done))
                self._check_values(Trial(env_id, variant.name, seed, (), tuple(sorted(options.items()))), module)
                out.append(Trial(env_id, variant.name, seed, varying, tuple(sorted(options.items()))))
        names = [t.name for t in out]
        if len(set(names)) != len(names):
            raise GridError("two trials of this grid would share a folder; give named variants distinct names")
        return out

    def _variants(self, modes: tuple[str, ...]) -> list[Variant]:
        out = []
        for name in self.masking:
            if name in self.variants:
                out.append(self.variants[name])
            elif name in modes:
                out.append(Variant(name, name, self.policy, self.expert_model))
            else:
                named = f" or a named variant ({', '.join(self.variants)})" if self.variants else ""
                raise GridError(f"unknown masking variant {name!r}: choose from {', '.join(modes)}{named}")
        for variant in self.variants.values():  # every named variant is checked, the listed ones run
            if variant.masking not in modes:
                raise GridError(f"variant {variant.name!r}: unknown masking mode {variant.masking!r}; choose from {', '.join(modes)}")
        if not out:
            raise GridError("no variants: give --masking (e.g. --masking none llm)")
        return out

    @staticmethod
    def _files(variant: Variant, env_id: str, must_exist: bool = True) -> dict[str, str]:
        if variant.masking == "expert":
            path = variant.expert_model.get(env_id)
            if path is None:
                raise GridError(
                    f"variant {variant.name!r} on {env_id} needs an expert model: "
                    f"--expert-model {env_id}=PATH (a td3_camel.cleanrl_model saved with --save-model)"
                )
            if must_exist and not Path(path).is_file():
                raise GridError(f"--expert-model {env_id}={path}: no such file")
            return {"expert_model": str(Path(path).resolve())}
        if variant.masking == "llm" and env_id in variant.policy:
            path = variant.policy[env_id]
            if must_exist and not Path(path).is_file():
                raise GridError(f"--policy {env_id}={path}: no such prior file")
            resolved = str(Path(path).resolve())
            if must_exist and (problem := _prior_problem(resolved, env_id, Path(resolved).stat().st_mtime_ns)):
                raise GridError(f"--policy {env_id}={path}: td3_camel.py would refuse this prior: {problem}")
            return {"policy": resolved}
        if variant.masking == "llm" and must_exist:
            # the trial would take the shipped prior; refuse now what td3_camel.py would refuse at
            # each trial's start (no prior for the id, or Ant-v5's observation, which it makes in full)
            fix = f"--policy {env_id}=PATH, or policy = {{ \"{env_id}\" = PATH }} in a grid file's [variants.{variant.name}]"
            try:
                shipped_prior_for_plain_make(env_id, *_spaces(env_id))
            except ValueError as exc:
                raise GridError(f"variant {variant.name!r} on {env_id}: {exc}; give a prior: {fix}") from None
        return {}

    @staticmethod
    def _check_values(trial: Trial, module: ModuleType) -> None:
        """The trial's options as td3_camel.py parses and checks them: what it would refuse, refused now."""
        try:
            args = tyro.cli(module.Args, args=trial.command_options(), console_outputs=False)
        except SystemExit:
            raise GridError(
                f"td3_camel.py cannot parse the options of trial {trial.env_id} {trial.variant} seed {trial.seed}: "
                f"{' '.join(trial.command_options())}; check the types of the --set values"
            ) from None
        try:
            module.check_args(args, _action_dim(trial.env_id))
        except ValueError as exc:
            raise GridError(f"{trial.env_id} {trial.variant}: {exc}") from None


def _check_shape(path: str | Path, key: str, value: Any, outer: type, inner: type | None) -> None:
    """A grid file's value has the TOML type the key needs (``seeds = [1, 2]``, ``policy = { ... }``)."""
    if value is None:
        return
    kind = {list: "a list", dict: "a table", int: "an integer"}[outer]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    if not isinstance(value, outer) or isinstance(value, bool) or (inner is not None and not all(
            isinstance(v, inner) and not isinstance(v, bool) for v in items)):
        of = f" of {'strings' if inner is str else 'integers' if inner is int else 'tables'}" if inner else ""
        raise GridError(f"--grid {path}: {key} must be {kind}{of}, got {value!r}")


def parse_env_map(items: list[str], option: str) -> dict[str, str]:
    """``["Hopper-v4=a.py", "Ant-v4=b.py"]`` -> ``{"Hopper-v4": "a.py", "Ant-v4": "b.py"}``."""
    out = {}
    for item in items:
        env_id, sep, path = item.partition("=")
        if not sep or not env_id or not path:
            raise GridError(f"{option} {item!r}: write ENV_ID=PATH (e.g. {option} Hopper-v4=path)")
        out[env_id] = path
    return out
