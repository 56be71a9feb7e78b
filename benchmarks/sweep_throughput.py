"""A sweep's layout on this machine: N trials with one torch thread each vs one trial with N threads,
and, where torch sees a GPU, the same trials on the GPU.

Every layout runs ``cleanrl_scripts/td3_camel.py`` for the same steps; each round runs every
layout in turn, so that slow drifts of the machine hit them alike. The measure is the aggregate learning-phase
steps/s (``summary.json``'s ``learning_steps_per_second``, summed over the trials that ran at
once), and each layout's per-trial rate. ``camel-gym sweep --cpus-per-trial`` should default to
the faster CPU layout. With a GPU two more layouts run: N trials at once on it (``--device
cuda``, one CPU thread each, as ``td3_camel.py``'s ``--device auto`` would run them) and one
trial alone on it; that says whether a sweep there should put its trials on the GPU
(``--set device=cuda``) or keep its default, ``--device cpu``.
Stop other work first (a running sweep: ``pkill -STOP -f td3_camel``, then ``pkill -CONT``).

    python benchmarks/sweep_throughput.py [--env-id Hopper-v4] [--masking none] [--steps 6000]
        [--rounds 3] [--cores N] [--no-gpu]
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


def gpu_model() -> str | None:
    """The first GPU torch sees, or None."""
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def run_together(n: int, threads: int, device: str, args: argparse.Namespace, out: Path) -> list[float]:
    """Start ``n`` trials at once with ``threads`` threads each on ``device``; return each one's learning steps/s.

    ``out`` must be new for each call: each trial's rate is read from the one run in its folder.
    """
    processes = []
    for k in range(n):
        runs = out / f"trial{k}"
        command = [
            sys.executable, str(SCRIPT), "--env-id", args.env_id, "--masking", args.masking, "--seed", str(k + 1),
            "--total-timesteps", str(args.steps), "--learning-starts", str(args.learning_starts),
            "--eval-every", "0", "--checkpoint-every", "0", "--threads", str(threads), "--device", device,
            "--no-progress", "--runs-dir", str(runs),
        ]
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        processes.append((runs, subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)))
    rates = []
    for runs, process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"td3_camel.py failed ({n} x {threads} thread(s) on {device}):\n{err[-2000:]}")
        summary = json.loads(next(runs.glob("*/summary.json")).read_text())
        rates.append(summary["learning_steps_per_second"])
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-id", default="Hopper-v4")
    parser.add_argument("--masking", default="none", help="td3_camel.py --masking (llm uses the shipped prior)")
    parser.add_argument("--steps", type=int, default=6000, help="steps per trial")
    parser.add_argument("--learning-starts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cores", type=int, default=os.cpu_count(), help="N: trials (or threads) per layout")
    parser.add_argument("--no-gpu", action="store_true", help="skip the GPU layouts even where torch sees a GPU")
    args = parser.parse_args()
    for name in ("cores", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    if not 0 <= args.learning_starts < args.steps:
        parser.error(f"--learning-starts must lie in [0, --steps {args.steps}), got {args.learning_starts}")
    n = args.cores
    gpu = None if args.no_gpu else gpu_model()
    # (label, trials, threads each, device)
    layouts = [(f"{n} trials x 1 thread, CPU", n, 1, "cpu"), (f"1 trial x {n} threads, CPU", 1, n, "cpu")]
    if gpu:
        layouts += [(f"{n} trials x 1 thread, GPU", n, 1, "cuda"), ("1 trial x 1 thread, GPU", 1, 1, "cuda")]
    if n == 1:  # one core: "N trials" and "one trial with N threads" are the same layout
        layouts = layouts[::2]
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; GPU: {gpu or 'none'}; {args.env_id} "
          f"--masking {args.masking}, {args.steps} steps per trial ({args.steps - args.learning_starts} learning), "
          f"{args.rounds} rounds")
    totals: dict[str, list[float]] = {label: [] for label, *_ in layouts}
    each: dict[str, list[float]] = {label: [] for label, *_ in layouts}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            line = []
            for i, (label, trials, threads, device) in enumerate(layouts):
                rates = run_together(trials, threads, device, args, Path(tmp) / f"round{r}" / f"layout{i}")
                totals[label].append(sum(rates))
                each[label].extend(rates)
                line.append(f"{label}: {sum(rates):.0f}")
            print(f"round {r + 1}, learning steps/s in all: " + "; ".join(line))
    base = layouts[0][0]
    print("median learning steps/s (in all; per trial), ratio of the totals to the first layout:")
    for label, *_ in layouts:
        total = statistics.median(totals[label])
        print(f"  {label}: {total:.0f} in all; {statistics.median(each[label]):.0f} per trial; "
              f"{total / statistics.median(totals[base]):.2f}x")
    on_cpus = [layout for layout in layouts if layout[3] == "cpu"]
    cpu_best = max(on_cpus, key=lambda layout: statistics.median(totals[layout[0]]))
    if len(on_cpus) > 1:
        print(f"faster CPU layout: --cpus-per-trial {cpu_best[2]}")
    if gpu:
        on_gpu = statistics.median(totals[layouts[len(on_cpus)][0]])
        on_cpu = statistics.median(totals[cpu_best[0]])
        print(f"{n} trials at once: {'GPU' if on_gpu > on_cpu else 'CPU'} faster, {max(on_gpu, on_cpu) / min(on_gpu, on_cpu):.2f}x "
              f"({'camel-gym sweep --set device=cuda' if on_gpu > on_cpu else 'camel-gym sweep keeps its default, --device cpu'})")


if __name__ == "__main__":
    main()
