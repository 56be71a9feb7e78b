"""What a critic-gated mask would have decided, read from runs that logged td3_camel.py's Q-filter.

td3_camel.py logs, every 1000 steps while the mask is on, on the update's replay batch of 256
states: `charts/q_filter_share`, the share of states where TD3's min(Q_1, Q_2) rates the prior's
action at least as high as the actor's own unmasked action, and `charts/q_filter_gap`, the mean
difference. A per-state critic gate (the Q-filter of Nair et al. 2018) keeps the mask on the
share's states; a gate on the batch's majority holds while the share is at least 1/2. This
prints, per run and per 10k-step window (the first holds only the steps after learning starts),
the mean share and gap and the majority gate's verdict, beside the run's unmasked and masked
evaluation at the window's end.

    python experiments/adaptive_mask/q_filter_pilot.py experiments/adaptive_mask/pilot/q_filter > q_filter_pilot.txt
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from camel_gym import records


def run_dirs(folder: Path) -> list[Path]:
    """The run folders under ``folder`` (NAME/RUN_DIR/eval.csv), sorted; exits with a message if none."""
    runs = sorted(p.parent for p in folder.glob("*/*/eval.csv"))
    if not runs:
        sys.exit(f"no runs under {folder} (expected NAME/RUN_DIR/eval.csv)")
    return runs


def print_header(runs: list[Path]) -> None:
    """Print the command that made this output and when, naming runs without a summary.json (running, or stopped early)."""
    running = [r.parent.name for r in runs if not (r / "summary.json").is_file()]
    print(records.command_header(f"not finished: {', '.join(running)}" if running else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pilot_dir", type=Path, help="a folder of run folders, one per prior (NAME/RUN_DIR/)")
    parser.add_argument("--window", type=int, default=10_000, help="steps per row")
    parser.add_argument("--until", type=int, default=90_000, help="the last step tabulated")
    args = parser.parse_args()
    runs = run_dirs(args.pilot_dir)
    print_header(runs)
    print("prior | steps | Q-filter share | Q gap | critic gate | unmasked eval | masked eval")
    for run in runs:
        share, gap = records.read_scalars(run, "charts/q_filter_share", "charts/q_filter_gap")
        evals = {row.global_step: row for row in records.read_eval_csv(run)}
        for end in range(args.window, args.until + 1, args.window):
            steps = [s for s in share if end - args.window <= s < end]
            if not steps:
                continue
            mean_share = float(np.mean([share[s] for s in steps]))
            row = evals.get(end)
            shown = lambda v: "-" if v is None else f"{v:.0f}"
            print(f"{run.parent.name} | {end - args.window}-{end} | {mean_share:.2f} | {np.mean([gap[s] for s in steps]):+.1f} | "
                  f"{'hold' if mean_share >= 0.5 else 'fade'} | {shown(row and row.return_mean)} | {shown(row and row.masked_return_mean)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
