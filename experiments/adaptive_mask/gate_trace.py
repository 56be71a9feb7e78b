"""What the adaptive mask's gate did in each run, read from td3_camel.py's TensorBoard events.

With `--mask-schedule adaptive`, td3_camel.py logs `charts/mask_gate` (the probability that an
episode runs masked), `charts/mask_verdict` (1 hold, 0 undecided, -1 fade), `charts/mask_probability`
(gate x eps_t: the chance that a step is masked) and the mean returns of the masked and unmasked
episodes the last test compared. This prints, per run, the step at which the gate first reached its
floor and its highest value after that, then per window: the gate's range, the share of logged
steps under each verdict, the highest mask probability, the compared returns at the window's end
and the unmasked evaluation there.

    python experiments/adaptive_mask/gate_trace.py experiments/adaptive_mask/trials > gate_trace.txt
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from camel_gym import records
from q_filter_pilot import print_header, run_dirs  # this folder's readers

TAGS = ("charts/mask_gate", "charts/mask_verdict", "charts/mask_probability", "charts/mask_masked_return", "charts/mask_unmasked_return")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trials_dir", type=Path, help="a folder of trial folders (TRIAL/RUN_DIR/eval.csv)")
    parser.add_argument("--window", type=int, default=20_000, help="steps per row")
    parser.add_argument("--floor", type=float, default=0.1, help="the gate's floor (td3_camel.py --mask-probe)")
    args = parser.parse_args()
    runs = run_dirs(args.trials_dir)
    shown = lambda v: "-" if v is None or not np.isfinite(v) else f"{v:.0f}"
    print_header(runs)
    for run in runs:
        gate, verdict, probability, masked, unmasked = records.read_scalars(run, *TAGS)
        if not gate:
            continue  # a linear-schedule run has no gate
        steps = sorted(gate)
        floor = next((s for s in steps if gate[s] <= args.floor + 1e-6), None)
        after = [s for s in steps if floor is not None and s > floor]
        peak = max(after, key=gate.get) if after else None
        if floor is None:
            print(f"{run.parent.name}: gate never at its floor")
        elif peak is None or gate[peak] <= args.floor + 1e-6:
            print(f"{run.parent.name}: gate at its floor first at step {floor}, and there to the end")
        else:
            print(f"{run.parent.name}: gate at its floor first at step {floor}; highest after that {gate[peak]:.2f} at step {peak}")
        print("steps | gate min-max | hold / undecided / fade | max mask probability | compared masked / unmasked return | unmasked eval")
        evals = {row.global_step: row for row in records.read_eval_csv(run)}
        for start in range(0, steps[-1] + 1, args.window):
            inside = [s for s in steps if start <= s < start + args.window]
            if not inside:
                continue
            v = np.array([verdict.get(s, 0.0) for s in inside])
            last = inside[-1]
            row = evals.get(start + args.window)
            print(f"{start}-{start + args.window} | {min(gate[s] for s in inside):.2f}-{max(gate[s] for s in inside):.2f} | "
                  f"{np.mean(v > 0):.2f} / {np.mean(v == 0):.2f} / {np.mean(v < 0):.2f} | "
                  f"{max(probability.get(s, 0.0) for s in inside):.3f} | {shown(masked.get(last))} / {shown(unmasked.get(last))} | "
                  f"{shown(row and row.return_mean)}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
