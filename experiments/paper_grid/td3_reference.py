"""The grid's plain TD3 against the TD3 authors' published learning curves, at the same steps.

Fujimoto et al. (2018) publish the learning curves of the TD3 paper in their repository
(github.com/sfujim/TD3, folder `learning_curves/`): 10 seeds per env, one NumPy array of 201
evaluations each, each the mean return of 10 episodes of the deterministic actor without
exploration noise (the grid's evaluation), taken at the first episode end after every 5000
steps from 0 to 1M. The grid evaluates every 10k steps; this takes every other one. It prints,
per env, the IQM with 95% intervals at 100k, 200k and 300k steps and of the area under the curve
over 10k-300k, for those curves and for the grid's trials (`none` and `llm` by default) that
have reached 300k, and the probability that a run of the grid's scores higher than a run of the
paper's (0.5 = no difference). The estimators, bootstrap seeds included, are the report's own,
so the grid's rows read as in `report/summary.md`.

It checks whether the baseline is a TD3 of the expected strength, not that it is the same TD3.
The curves come from the code at bc98e62 ("Camera-ready cleanup", the last commit to change
them): gym's v1 envs, networks of 400-300 units, batch 100, Adam's default rate 1e-3, updates at
each episode's end (once per step of that episode, from the first episode on), and random
actions for the first 1000 steps on Hopper and Walker2d and 10000 on Ant. Ant-v1 also observes
its contact forces and subtracts a contact cost that Ant-v4 omits by default. The grid runs
CleanRL's defaults (the repository's later defaults too): v4 envs, 256-256 units, batch 256,
rate 3e-4, one update per step after 25000 random steps.

    git clone https://github.com/sfujim/TD3 /tmp/TD3
    python experiments/paper_grid/td3_reference.py /tmp/TD3/learning_curves > experiments/paper_grid/td3_reference.txt
"""

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

from camel_gym import records
from camel_gym.sweep import stats
from camel_gym.sweep.report import areas_under_curve, read_curves, returns_at

# the grid's env -> the paper's env and its files under learning_curves/
PAPER_FILES = {
    "Hopper-v4": ("Hopper-v1", "Hopper/TD3_Hopper-v1_*.npy"),
    "Walker2d-v4": ("Walker2d-v1", "Walker/TD3_Walker2d-v1_*.npy"),
    "Ant-v4": ("Ant-v1", "Ant/TD3_Ant-v1_*.npy"),
}
PAPER_EVAL_EVERY = 5000
STEPS = (100_000, 200_000, 300_000)
GRID_STEPS = list(range(10_000, STEPS[-1] + 1, 10_000))  # the grid's evaluations up to 300k


def paper_curves(curves_dir: Path, pattern: str) -> dict[int, dict[int, float]]:
    """seed -> step -> return of the paper's runs, at the grid's evaluation steps (10k, 20k, ... 300k)."""
    files = sorted(curves_dir.glob(pattern))
    if not files:
        sys.exit(f"no {pattern} under {curves_dir}: pass the learning_curves folder of a github.com/sfujim/TD3 checkout")
    by_seed = {}
    for seed, path in enumerate(files):
        curve = np.load(path)
        if curve.shape != (201,):
            sys.exit(f"{path}: expected 201 evaluations (0 to 1M every 5000 steps), found shape {curve.shape}")
        by_seed[seed] = {step: float(curve[step // PAPER_EVAL_EVERY]) for step in GRID_STEPS}
    return by_seed


def last_change(folder: Path) -> str:
    """The commit that last changed ``folder`` in its git checkout, or a phrase saying it is unknown."""
    try:
        out = subprocess.run(["git", "-C", str(folder), "log", "-1", "--format=%H", "--", "."], capture_output=True, text=True)
    except OSError:
        return "an unknown commit (git not found)"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "an unknown commit (not a git checkout)"


def cells(by_seed: dict[int, dict[int, float]]) -> list[str]:
    """IQM [95% CI] at STEPS and of the AUC over GRID_STEPS, seeded as the report seeds them."""
    return [stats.iqm(returns_at(by_seed, s), seed=s).text() for s in STEPS] + [stats.iqm(areas_under_curve(by_seed, GRID_STEPS)).text()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("curves_dir", type=Path, help="the learning_curves folder of a github.com/sfujim/TD3 checkout")
    parser.add_argument("--sweep-dir", type=Path, default=Path("experiments/paper_grid"), help="the grid's sweep folder")
    parser.add_argument("--variants", nargs="+", default=["none", "llm"], help="the grid's variants to set beside the paper's runs")
    args = parser.parse_args()
    try:
        grid = read_curves(args.sweep_dir)
    except FileNotFoundError as error:
        sys.exit(str(error))
    print(records.command_header("unmasked evaluation return, IQM [95% CI]; P(> paper): the probability that a run of "
                                 "the variant scores higher than a paper run [95% CI]"))
    print(f"# curves: github.com/sfujim/TD3, learning_curves/ last changed at {last_change(args.curves_dir)}")
    print("env | runs | seeds | at 100k | at 200k | at 300k | AUC 10k-300k")
    for env_id, (paper_env, pattern) in PAPER_FILES.items():
        paper = paper_curves(args.curves_dir, pattern)
        print(f"{env_id} | TD3 paper ({paper_env}) | {len(paper)} | " + " | ".join(cells(paper)))
        curves = grid.get(env_id, {})
        for variant in args.variants:
            if variant not in curves:
                print(f"{env_id} | grid `{variant}` | 0 | no evaluation of this variant on this env in {args.sweep_dir} yet")
                continue
            ours = {seed: curve for seed, curve in curves[variant].items() if set(GRID_STEPS) <= set(curve)}
            if not ours:
                print(f"{env_id} | grid `{variant}` | 0 | no trial has an evaluation at every 10k step up to {STEPS[-1] // 1000}k yet")
                continue
            print(f"{env_id} | grid `{variant}` | {len(ours)} | " + " | ".join(cells(ours)))
            chances = [stats.probability_of_improvement(returns_at(ours, s), returns_at(paper, s)).text(2) for s in STEPS]
            areas = areas_under_curve(ours, GRID_STEPS), areas_under_curve(paper, GRID_STEPS)
            chances.append(stats.probability_of_improvement(*areas).text(2))
            print(f"{env_id} | P(`{variant}` > paper) | | " + " | ".join(chances))
    return 0


if __name__ == "__main__":
    sys.exit(main())
