"""A sweep's layout on this machine: N trials with one torch thread each vs one trial with N threads.

Both layouts run ``cleanrl_scripts/td3_camel.py --masking none`` for the same steps; rounds
alternate the layouts so that machine noise hits both alike. The measure is the aggregate
learning-phase steps/s (``summary.json``'s ``learning_steps_per_second``, summed over the
trials that ran at once). ``camel-gym sweep --cpus-per-trial`` should default to the faster one.
Stop other work first (a running sweep: ``pkill -STOP -f td3_camel``, then ``pkill -CONT``).

    python benchmarks/sweep_throughput.py [--env-id Hopper-v4] [--steps 6000] [--rounds 3]
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "cleanrl_scripts" / "td3_camel.py"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def run_together(n: int, threads: int, args: argparse.Namespace, out: Path) -> float:
    """Start ``n`` trials at once with ``threads`` threads each; return their summed learning steps/s."""
    processes = []
    for k in range(n):
        runs = out / f"{n}x{threads}_{k}"
        command = [
            sys.executable, str(SCRIPT), "--env-id", args.env_id, "--masking", "none", "--seed", str(k + 1),
            "--total-timesteps", str(args.steps), "--learning-starts", str(args.learning_starts),
            "--eval-every", "0", "--checkpoint-every", "0", "--threads", str(threads), "--no-progress",
            "--runs-dir", str(runs),
        ]
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        processes.append((runs, subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)))
    total = 0.0
    for runs, process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"td3_camel.py failed:\n{err[-2000:]}")
        summary = json.loads(next(runs.glob("*/summary.json")).read_text())
        total += summary["learning_steps_per_second"]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-id", default="Hopper-v4")
    parser.add_argument("--steps", type=int, default=6000, help="steps per trial")
    parser.add_argument("--learning-starts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cores", type=int, default=os.cpu_count(), help="N: trials (or threads) per layout")
    args = parser.parse_args()
    n = args.cores
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; {args.env_id}, {args.steps} steps per trial "
          f"({args.steps - args.learning_starts} learning), {args.rounds} rounds")
    parallel, single = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            parallel.append(run_together(n, 1, args, Path(tmp) / f"r{r}"))
            single.append(run_together(1, n, args, Path(tmp) / f"r{r}"))
            print(f"round {r + 1}: {n} trials x 1 thread {parallel[-1]:.0f} steps/s in all; 1 trial x {n} threads {single[-1]:.0f}")
    p, s = statistics.median(parallel), statistics.median(single)
    print(f"median aggregate learning steps/s: {n} x 1 thread {p:.0f}, 1 x {n} threads {s:.0f}; ratio {p / s:.2f}x")
    print(f"faster layout: {'--cpus-per-trial 1' if p >= s else f'--cpus-per-trial {n}'}")


if __name__ == "__main__":
    main()
