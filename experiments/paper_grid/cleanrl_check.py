"""CleanRL's own TD3 script beside the grid's plain TD3, at the same steps: is the baseline CleanRL's TD3?

`td3_camel.py --masking none` is meant to be CleanRL's `td3_continuous_action.py` with the same
defaults. CleanRL's script logs no evaluation of the deterministic actor, only its training
episodes (with exploration noise), so this compares those: the mean return of the training
episodes that ended in each window of steps (`charts/episodic_return`, which both scripts
log), per run, for CleanRL's runs and for the grid's trials of one env and variant.

CleanRL's script needs the gymnasium it was written for (it reads `final_observation`, which
gymnasium 1.x dropped), so it runs from its own virtual environment. The check in
`cleanrl_check.txt` ran CleanRL's main branch at fe8d8a03 (`td3_continuous_action.py` last
changed in 004f8a08), gymnasium 0.29.1 and MuJoCo 4.0.0, the grid's MuJoCo:

    python3 -m venv /tmp/crl && /tmp/crl/bin/pip install torch==2.13.0 "gymnasium[mujoco]==0.29.1" "numpy<2" tyro tensorboard
    git clone https://github.com/vwxyzjn/cleanrl /tmp/cleanrl && cd /tmp/cleanrl
    OMP_NUM_THREADS=1 PYTHONPATH=. /tmp/crl/bin/python cleanrl/td3_continuous_action.py \
        --env-id Walker2d-v4 --seed 1 --total-timesteps 300000 --no-cuda
    cd -  # back in this repository
    python experiments/paper_grid/cleanrl_check.py /tmp/cleanrl/runs/Walker2d-v4__td3_continuous_action__1__* \
        --env-id Walker2d-v4 > experiments/paper_grid/cleanrl_check.txt
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from camel_gym import records


def training_returns(run_dir: Path) -> dict[int, float]:
    """step -> return of every training episode a run logged as `charts/episodic_return`."""
    (returns,) = records.read_scalars(run_dir, "charts/episodic_return")
    if not returns:
        sys.exit(f"{run_dir}: no charts/episodic_return in its TensorBoard events (is it a run folder?)")
    return returns


def window_means(returns: dict[int, float], window: int, until: int) -> list[str]:
    """The mean return of the episodes that ended in each window [end - window, end), '-' where none did."""
    cells = []
    for end in range(window, until + 1, window):
        inside = [r for step, r in returns.items() if end - window <= step < end]
        cells.append(f"{np.mean(inside):.0f}" if inside else "-")
    return cells


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cleanrl_runs", type=Path, nargs="+", help="run folders of CleanRL's td3_continuous_action.py (runs/<run name>)")
    parser.add_argument("--env-id", required=True, help="the env both ran, e.g. Walker2d-v4")
    parser.add_argument("--sweep-dir", type=Path, default=Path("experiments/paper_grid"), help="the grid's sweep folder")
    parser.add_argument("--variant", default="none", help="the grid's variant to compare (plain TD3: none)")
    parser.add_argument("--window", type=int, default=20_000, help="steps per window")
    parser.add_argument("--until", type=int, default=300_000, help="the last step tabulated")
    args = parser.parse_args()
    grid_runs = sorted(p.parent for p in (args.sweep_dir / "trials").glob(f"{args.env_id}__{args.variant}__seed*/*/eval.csv"))
    if not grid_runs:
        sys.exit(f"no trials {args.env_id}__{args.variant}__seed* with an eval.csv under {args.sweep_dir / 'trials'}")
    print(records.command_header(f"mean return of the training episodes (with exploration noise) that ended in each "
                                 f"{args.window // 1000}k-step window; the column names the window's end"))
    print(" | ".join(["run", *(f"{end // 1000}k" for end in range(args.window, args.until + 1, args.window))]))
    for run in args.cleanrl_runs:
        print(" | ".join([f"CleanRL {run.name}", *window_means(training_returns(run), args.window, args.until)]))
    for run in grid_runs:
        finished = "" if (run / "summary.json").is_file() else " (not finished)"
        print(" | ".join([f"grid {run.parent.name}{finished}", *window_means(training_returns(run), args.window, args.until)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
