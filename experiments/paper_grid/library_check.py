"""Does the frozen script compute the same with this checkout's camel_gym as with its own?

The grid's trials ran ``--td3-script`` from a frozen checkout (48b0480), and the script imports
the ``camel_gym`` of the interpreter that runs it: trials started from the main checkout's
environment imported main's library, not the frozen one (see the README, "The library beside
the frozen script"). For each variant this runs the frozen script twice, short runs with the
same seed and one thread, once with this checkout's library and once with the frozen checkout's
(``PYTHONPATH=FROZEN``), and compares ``eval.csv``, ``summary.json`` and every TensorBoard
scalar exactly, but wall time and speed. One variant also runs twice with the same library: the
runs must be deterministic here for a difference to mean anything.

    python experiments/paper_grid/library_check.py --frozen /work/grid > experiments/paper_grid/library_check.txt
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from camel_gym.records import command_header

# short runs in which the updates, the mask's fade and two evaluations all happen
COMMON = ["--seed", "3", "--threads", "1", "--total-timesteps", "4000", "--learning-starts", "1000",
          "--eval-every", "2000", "--eval-episodes", "2", "--checkpoint-every", "0", "--mask-timesteps", "3000",
          "--no-progress"]
TIMING = ("wall_seconds", "learning_steps_per_second", "update_share_of_learning_time")


def variants(frozen: Path, expert: Path) -> dict[str, list[str]]:
    priors = frozen / "llm_policies"
    return {
        "Hopper-v4 none": ["--env-id", "Hopper-v4", "--masking", "none"],
        "Ant-v4 none": ["--env-id", "Ant-v4", "--masking", "none"],
        "Hopper-v4 llm": ["--env-id", "Hopper-v4", "--masking", "llm", "--policy", str(priors / "hopper_v4.py")],
        "Walker2d-v4 llm": ["--env-id", "Walker2d-v4", "--masking", "llm", "--policy", str(priors / "walker2d_v4.py")],
        "Hopper-v4 tuned": ["--env-id", "Hopper-v4", "--masking", "llm", "--policy", str(priors / "handtuned" / "hopper_v4.py")],
        "Ant-v4 tuned": ["--env-id", "Ant-v4", "--masking", "llm", "--policy", str(priors / "handtuned" / "ant_v4.py")],
        "Hopper-v4 random": ["--env-id", "Hopper-v4", "--masking", "random"],
        "Hopper-v4 expert": ["--env-id", "Hopper-v4", "--masking", "expert", "--expert-model", str(expert)],
    }


def run(frozen: Path, library: str, options: list[str], runs: Path) -> Path:
    """One run of the frozen script with ``library`` ("frozen" or "this"); its run directory."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.pop("PYTHONPATH", None)
    if library == "frozen":
        env["PYTHONPATH"] = str(frozen)
    where = subprocess.run([sys.executable, "-c", "import camel_gym; print(camel_gym.__file__)"], env=env,
                           capture_output=True, text=True, check=True, cwd=runs.parent).stdout.strip()
    expected = frozen if library == "frozen" else Path(__file__).resolve().parents[2]
    if not Path(where).is_relative_to(expected):
        raise SystemExit(f"the {library} library should come from {expected}, but camel_gym is {where}")
    done = subprocess.run([sys.executable, str(frozen / "cleanrl_scripts" / "td3_camel.py"), *COMMON, *options,
                           "--runs-dir", str(runs)], env=env, capture_output=True, text=True, cwd=runs.parent)
    if done.returncode != 0:
        raise SystemExit(f"td3_camel.py {' '.join(options)} failed with the {library} library:\n{done.stderr[-2000:]}")
    (run_dir,) = [d for d in runs.iterdir() if d.is_dir()]
    return run_dir


def scalars(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"] if tag != "charts/SPS"}


def differences(a: Path, b: Path) -> tuple[list[str], str]:
    """What differs between two run directories (empty: identical), and what was compared."""
    out = []
    # every column but the wall time
    rows_a, rows_b = ([{k: v for k, v in r.items() if k != "wall_seconds"} for r in csv.DictReader((d / "eval.csv").open())]
                      for d in (a, b))
    if rows_a != rows_b:
        first = next((i for i, (x, y) in enumerate(zip(rows_a, rows_b)) if x != y), min(len(rows_a), len(rows_b)))
        out.append(f"eval.csv row {first}: {rows_a[first:first + 1]} vs {rows_b[first:first + 1]}")
    sum_a, sum_b = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    for key in sorted((set(sum_a) | set(sum_b)) - set(TIMING)):
        if sum_a.get(key) != sum_b.get(key):
            out.append(f"summary.json {key}: {sum_a.get(key)!r} vs {sum_b.get(key)!r}")
    tb_a, tb_b = scalars(a), scalars(b)
    for tag in sorted(set(tb_a) | set(tb_b)):
        if tb_a.get(tag) != tb_b.get(tag):
            pairs = zip(tb_a.get(tag, []), tb_b.get(tag, []))
            first = next(((p, q) for p, q in pairs if p != q), None)
            out.append(f"TensorBoard {tag}: first (step, value) that differs {first}, lengths {len(tb_a.get(tag, []))} vs {len(tb_b.get(tag, []))}")
    points = sum(len(v) for v in tb_a.values())
    return out, f"{len(rows_a)} eval rows, {len(set(sum_a) - set(TIMING))} summary fields, {len(tb_a)} scalar tags ({points} values)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frozen", type=Path, required=True, help="the frozen checkout (git checkout of 48b0480)")
    args = parser.parse_args()
    frozen = args.frozen.resolve()
    if not (frozen / "cleanrl_scripts" / "td3_camel.py").is_file() or not (frozen / "camel_gym").is_dir():
        raise SystemExit(f"--frozen {frozen}: no cleanrl_scripts/td3_camel.py and camel_gym/ there")
    commit = subprocess.run(["git", "-C", str(frozen), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    this = subprocess.run(["git", "-C", str(Path(__file__).parent), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(command_header(f"frozen script and library at {commit or '?'}; this library at {this or '?'}"))
    print(f"# every run: td3_camel.py {' '.join(COMMON)} (one thread each)")
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        expert_dir = run(frozen, "frozen", ["--env-id", "Hopper-v4", "--masking", "none", "--save-model"], tmp / "expert")
        cases = [("determinism: Hopper-v4 llm, this library twice", "this", "this", "Hopper-v4 llm")]
        cases += [(f"{name}: this library vs the frozen one", "this", "frozen", name) for name in variants(frozen, expert_dir)]
        for k, (label, first, second, name) in enumerate(cases):
            options = variants(frozen, expert_dir / "td3_camel.cleanrl_model")[name]
            a = run(frozen, first, options, tmp / f"{k}a")
            b = run(frozen, second, options, tmp / f"{k}b")
            diffs, compared = differences(a, b)
            failed += bool(diffs)
            print(f"{label}: {'identical' if not diffs else 'DIFFERENT'} ({compared})", flush=True)
            for line in diffs:
                print(f"    {line}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
