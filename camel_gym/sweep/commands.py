"""The options of ``camel-gym sweep`` and ``camel-gym report`` (tyro reads them from these dataclasses)."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Optional

import tyro

__all__ = ["Report", "Sweep", "run_report", "run_sweep_command"]


def _hint(text: str):
    """tyro's ``(default: ...)`` replaced by a sentence, for options whose default is computed."""
    return tyro.conf.arg(help_behavior_hint=f"(default: {text})")


@dataclass
class Sweep:
    """Run a grid of td3_camel.py trials on Ray (this machine, or a cluster with --address); rerun to resume."""

    sweep_dir: Path
    """the sweep's folder: sweep.json, and trials/<env>__<variant>__...__seed<k>/ per trial"""
    env_ids: Annotated[Optional[list[str]], _hint("from --grid")] = None
    """Gymnasium ids (e.g. Hopper-v4 Ant-v4)"""
    masking: Annotated[Optional[list[str]], _hint("from --grid")] = None
    """variants: td3_camel.py masking modes (none llm expert random) or names of a grid file's [variants.NAME]"""
    seeds: Annotated[Optional[list[int]], _hint("from --grid, else 1 2 3")] = None
    """one trial per seed"""
    total_timesteps: Annotated[Optional[int], _hint("from --grid, else td3_camel.py's own")] = None
    """steps per trial"""
    set: Annotated[list[str], _hint("none")] = field(default_factory=list)
    """extra td3_camel.py options as KEY=VALUE, or KEY=V1,V2 for one trial each (e.g. bias=0.1,0.3 mask_timesteps=200000)"""
    policy: Annotated[list[str], _hint("the shipped prior of each env")] = field(default_factory=list)
    """prior files for `llm` as ENV_ID=PATH"""
    expert_model: Annotated[list[str], _hint("none")] = field(default_factory=list)
    """saved actors for `expert` as ENV_ID=PATH (a td3_camel.cleanrl_model of another seed's run)"""
    grid: Annotated[Optional[Path], _hint("none")] = None
    """a TOML grid file with the same keys (and named variants); options given here override it"""
    address: Annotated[Optional[str], _hint("start Ray on this machine")] = None
    """a running Ray cluster (`auto` or HOST:PORT)"""
    cpus_per_trial: int = 1
    """CPUs Ray reserves per trial; the trial gets as many torch threads (one per trial is fastest on 2 cores)"""
    max_concurrent: Annotated[Optional[int], _hint("as many as the cluster's CPUs fit")] = None
    """trials running at once, the rest held back: e.g. 1 for each of two sweeps that share a 2-core machine"""
    max_failures: int = 3
    """retries of a failing trial (each resumes from its last checkpoint) before it is reported as failed"""
    checkpoint_every: int = 25_000
    """td3_camel.py --checkpoint-every for new trials: killing the sweep loses at most this many steps per trial"""
    td3_script: Annotated[Optional[Path], _hint("the one installed with camel-gym")] = None
    """the td3_camel.py to run"""
    progress: bool = True
    """show a live line: steps, trials done/running/queued/failed, steps/s and ETA"""


@dataclass
class Report:
    """Turn a sweep's trials into a tidy CSV, learning curves (PNG) and IQM / probability-of-improvement tables."""

    sweep_dir: tyro.conf.Positional[Path]
    """a folder made by `camel-gym sweep`"""
    at_steps: Annotated[Optional[list[int]], _hint("100000 and 200000 where reached, and the grid's last step")] = None
    """steps at which to tabulate"""
    baseline: str = "none"
    """the variant the others are compared with"""
    baseline_from: Annotated[Optional[Path], _hint("this sweep")] = None
    """another sweep whose baseline trials (of this sweep's envs) join the comparison, e.g. experiments/paper_grid"""
    variant_from: Annotated[list[str], _hint("none")] = field(default_factory=list)
    """trials of other sweeps that join the report as a variant: SWEEP:VARIANT or SWEEP:VARIANT=NAME, e.g. experiments/paper_grid:llm=llm-linear"""
    ratio: Annotated[list[str], _hint("none")] = field(default_factory=list)
    """IQM(A) / IQM(B) tables with 95% intervals, as A:B pairs of variants, e.g. harmful-adaptive:none llm-adaptive:llm-linear"""
    compare: Annotated[list[str], _hint("none")] = field(default_factory=list)
    """P(A > B) tables (probability of improvement) with 95% intervals, as A:B pairs of variants, e.g. llm:expert llm:random"""
    panel: Annotated[list[str], _hint("one panel of all variants")] = field(default_factory=list)
    """the figure's panels, each a group of variants joined by commas, with the baseline in every panel, e.g. llm-linear,llm-adaptive harmful-linear,harmful-adaptive (a variant in no group is left out of the figure; summary.md names it)"""


def sweep_command(args: Sweep) -> str:
    """The command line that gives ``args``, with only the options that differ from the defaults.

    Example:
        >>> sweep_command(Sweep(Path("runs/grid"), env_ids=["Hopper-v4"], masking=["none", "llm"], set=["bias=0.1,0.3"]))
        'camel-gym sweep --sweep-dir runs/grid --env-ids Hopper-v4 --masking none llm --set bias=0.1,0.3'
    """
    words = ["camel-gym", "sweep"]
    defaults = Sweep(sweep_dir=args.sweep_dir)
    for f in fields(Sweep):
        value = getattr(args, f.name)
        if f.name != "sweep_dir" and value == getattr(defaults, f.name):
            continue
        flag = "--" + f.name.replace("_", "-")
        if isinstance(value, bool):
            words.append(flag if value else "--no-" + f.name.replace("_", "-"))
        elif isinstance(value, list):
            words += [flag, *map(str, value)]
        else:
            words += [flag, str(value)]
    return shlex.join(words)


def _error(command: str, exc: BaseException) -> int:
    print(f"camel-gym {command}: error: {exc}", file=sys.stderr)
    return 2


def run_sweep_command(args: Sweep) -> int:
    from camel_gym.records import RecordError
    from camel_gym.sweep.grid import Grid, GridError, parse_env_map, parse_set
    from camel_gym.sweep.run import run_sweep

    try:
        grid = Grid.from_toml(args.grid) if args.grid else Grid(env_ids=[])
        grid.env_ids = args.env_ids if args.env_ids is not None else grid.env_ids
        grid.masking = args.masking if args.masking is not None else grid.masking
        grid.seeds = args.seeds if args.seeds is not None else grid.seeds
        grid.total_timesteps = args.total_timesteps if args.total_timesteps is not None else grid.total_timesteps
        grid.set = {**grid.set, **parse_set(args.set)}
        grid.policy = {**grid.policy, **parse_env_map(args.policy, "--policy")}
        grid.expert_model = {**grid.expert_model, **parse_env_map(args.expert_model, "--expert-model")}
        script = args.td3_script or _default_td3_script()
        if not Path(script).is_file():
            raise GridError(f"--td3-script {script}: no such file")
        outcome = run_sweep(
            args.sweep_dir, grid, td3_script=Path(script).resolve(), address=args.address,
            cpus_per_trial=args.cpus_per_trial, max_concurrent=args.max_concurrent, max_failures=args.max_failures,
            checkpoint_every=args.checkpoint_every, progress=args.progress,
            command=sweep_command(args),
        )
    except (GridError, RecordError) as exc:
        return _error("sweep", exc)
    print(f"trials finished now {len(outcome.finished)}, finished before {len(outcome.skipped)}, failed {len(outcome.failed)}")
    for name, error in outcome.failed.items():
        print(f"FAILED {name}: {error.splitlines()[0]}")
    print(f"manifest: {outcome.manifest}; report: camel-gym report {args.sweep_dir}")
    return 1 if outcome.failed else 0


def run_report(args: Report) -> int:
    from camel_gym.sweep.report import report

    from camel_gym.records import RecordError

    try:
        outcome = report(
            args.sweep_dir, at_steps=args.at_steps, baseline=args.baseline, baseline_from=args.baseline_from,
            variant_from=args.variant_from, ratios=args.ratio, compares=args.compare, panels=args.panel,
        )
    except (FileNotFoundError, RecordError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
        return _error("report", exc)
    print(outcome.summary.read_text())
    print(f"wrote {outcome.csv}, {', '.join(str(f) for f in outcome.figures)} and {outcome.summary}", file=sys.stderr)
    return 0


def _default_td3_script() -> Path:
    from camel_gym.pipeline.select import default_td3_script

    return default_td3_script()
