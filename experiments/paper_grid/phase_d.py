"""Phase D beside phase A's `llm` runs, on the same seeds: the numbers of the README's phase D section.

Phase D runs seeds 1-3 and phase A's `llm` (the 200k / 0.3 point of both of its lines) seeds
1-5, so the report's `--compare` rows set 3 runs against 5. This prints them again against
`llm`'s seeds 1-3 alone, and the masked evaluation beside the unmasked one. The estimators,
bootstrap seeds included, are the report's own (`camel_gym.sweep.report.read_curves`,
`camel_gym.sweep.stats`), so the 5-seed rows read as in `report/summary.md`. A variant's trials
that have not reached a step are left out there, and `n` says how many are in.

    python experiments/paper_grid/phase_d.py > experiments/paper_grid/phase_d.txt
    python experiments/paper_grid/phase_d.py --variants llm-mask100k llm-mask300k  # one line of it
"""

import argparse
from pathlib import Path

from camel_gym.records import command_header
from camel_gym.sweep import stats
from camel_gym.sweep.report import areas_under_curve, read_curves, returns_at

STEPS = (100_000, 200_000, 300_000)
EVALS = list(range(10_000, 300_001, 10_000))  # the area under the curve: every evaluation, as the report's
VARIANTS = ("llm-mask100k", "llm-mask300k", "llm-bias0.1", "llm-bias0.6")


def _k(step: int) -> str:
    return f"{step // 1000}k"


def _iqm(scores: list[float], seed: int = 0) -> str:
    text = stats.iqm(scores, seed=seed).text(0)
    return text if "(n=" in text else f"{text} (n={len(scores)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", nargs="?", default=Path(__file__).resolve().parent, type=Path)
    parser.add_argument("--env-id", default="Hopper-v4")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), metavar="VARIANT",
                        help="the phase D variants to print (default: all four; a finished line alone: "
                             "--variants llm-mask100k llm-mask300k)")
    sweep = parser.parse_args()
    print(command_header(sweep.env_id))
    unmasked, masked = (read_curves(sweep.sweep_dir, column)[sweep.env_id] for column in ("return_mean", "masked_return_mean"))
    missing = [v for v in sweep.variants if v not in unmasked]
    if missing or "llm" not in unmasked:
        parser.error(f"--variants: {', '.join(missing or ['llm'])} not in {sweep.sweep_dir} on {sweep.env_id} "
                     f"(it has {', '.join(sorted(unmasked))})")
    for curves in (unmasked, masked):
        curves["llm seeds 1-3"] = {seed: curve for seed, curve in curves["llm"].items() if seed <= 3}
    names = ["none", "llm", "llm seeds 1-3", *sweep.variants]

    for title, curves in (("unmasked evaluation (the headline)", unmasked), ("inside the mask", masked)):
        print(f"\n{sweep.env_id}, {title}: IQM [95% CI] (n: runs that reached the step)")
        print("| variant | " + " | ".join(f"at {_k(s)}" for s in STEPS) + " | AUC |")
        print("|---|" + "---|" * (len(STEPS) + 1))
        for name in names:
            if name not in curves or not curves[name]:
                continue
            cells = [_iqm(returns_at(curves[name], s), seed=s) for s in STEPS]
            cells.append(_iqm(areas_under_curve(curves[name], EVALS)))
            print(f"| `{name}` | " + " | ".join(cells) + " |")

    print(f"\n{sweep.env_id}, unmasked evaluation: P(X > Y), a run of X above a run of Y (0.5: no difference)")
    print("| comparison | " + " | ".join(f"at {_k(s)}" for s in STEPS) + " | AUC |")
    print("|---|" + "---|" * (len(STEPS) + 1))
    for name in names[3:]:
        for reference in ("llm", "llm seeds 1-3", "none"):
            x, y = unmasked[name], unmasked[reference]
            cells = [stats.probability_of_improvement(returns_at(x, s), returns_at(y, s), seed=s).text(2) for s in STEPS]
            cells.append(stats.probability_of_improvement(areas_under_curve(x, EVALS), areas_under_curve(y, EVALS)).text(2))
            print(f"| P(`{name}` > `{reference}`) | " + " | ".join(cells) + " |")

    print(f"\n{sweep.env_id}, per seed (unmasked; inside the mask)")
    print("| variant | seeds | " + " | ".join(f"at {_k(s)}" for s in STEPS) + " | AUC |")
    print("|---|---|" + "---|" * (len(STEPS) + 1))
    for name in names[2:]:
        for tag, curves in (("", unmasked), (", inside the mask", masked)):
            seeds = sorted(curves[name])
            cells = [", ".join(f"{curves[name][seed][s]:.0f}" if s in curves[name][seed] else "–" for seed in seeds) for s in STEPS]
            cells.append(", ".join(f"{area:.0f}" for area in areas_under_curve(curves[name], EVALS)) or "–")
            print(f"| `{name}`{tag} | {', '.join(map(str, seeds))} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
