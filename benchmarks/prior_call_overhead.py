"""One prior call: sandboxed (load_policy) vs the same source run as plain Python.

Both versions of each shipped prior are called on the same real observations, alternating
in rounds; the ratio of the median per-call times is printed. Goal: <= 1.5.

    python benchmarks/prior_call_overhead.py [--calls 20000] [--rounds 7]
"""

import argparse
import statistics
import time
import warnings

import gymnasium as gym
import numpy as np

from camel_gym import load_policy, shipped_prior
from camel_gym.priors import SHIPPED_PRIORS


def observations(env_id: str, n: int = 256) -> list[np.ndarray]:
    env = gym.make(env_id)
    obs, _ = env.reset(seed=0)
    seen = [obs]
    env.action_space.seed(0)
    while len(seen) < n:
        obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
        seen.append(obs)
        if terminated or truncated:
            obs, _ = env.reset()
    return seen


def seconds_per_call(fn, obs: list[np.ndarray], calls: int) -> float:
    start = time.perf_counter()
    for i in range(calls):
        fn(obs[i % len(obs)])
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    for family in SHIPPED_PRIORS:
        env_id = f"{family}-v4"
        path = shipped_prior(env_id)
        sandboxed = load_policy(path, env=gym.make(env_id))
        namespace: dict = {}
        # our own shipped file, trusted here only to time the same code without the sandbox
        exec(compile(path.read_text(), str(path), "exec"), namespace)
        plain = namespace["policy"]
        obs = observations(env_id)
        times: dict[str, list[float]] = {"plain": [], "sandboxed": []}
        for _ in range(args.rounds):
            times["plain"].append(seconds_per_call(plain, obs, args.calls))
            times["sandboxed"].append(seconds_per_call(sandboxed, obs, args.calls))
        p, s = statistics.median(times["plain"]) * 1e6, statistics.median(times["sandboxed"]) * 1e6
        print(f"{path.name:16s} plain {p:6.2f} us   sandboxed {s:6.2f} us   ratio {s / p:5.2f}   (goal <= 1.5)")


if __name__ == "__main__":
    main()
