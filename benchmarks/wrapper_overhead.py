"""Env steps/s: raw Hopper-v4 vs the same env wrapped by the three CAMEL wrappers.

Both envs step through the same pre-drawn actions; rounds alternate raw/wrapped so that
machine noise hits both alike, and the ratio of the medians is printed. Goal: >= 0.85.

    python benchmarks/wrapper_overhead.py [--env-id Hopper-v4] [--steps 5000] [--rounds 7]
"""

import argparse
import statistics
import time
import warnings

import gymnasium as gym
import numpy as np

from camel_gym import EpsilonMaskWrapper, LLMBoundsWrapper, NormalizedMaskedAction, shipped_prior


def make(env_id: str, wrapped: bool) -> gym.Env:
    env = gym.make(env_id)
    if wrapped:
        env = LLMBoundsWrapper(env, policy=str(shipped_prior(env_id)), bias=0.3)
        env = EpsilonMaskWrapper(env, mask_fraction=0.2, total_timesteps=10**9)  # mask on throughout
        env = NormalizedMaskedAction(env)
    env.reset(seed=0)
    return env


def steps_per_second(env: gym.Env, actions: np.ndarray) -> float:
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    return len(actions) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-id", default="Hopper-v4")
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    envs = {"raw": make(args.env_id, False), "wrapped": make(args.env_id, True)}
    dim = envs["raw"].action_space.shape[0]
    actions = np.random.default_rng(0).uniform(-1, 1, (args.steps, dim)).astype(np.float32)
    rates: dict[str, list[float]] = {"raw": [], "wrapped": []}
    steps_per_second(envs["raw"], actions[:500])  # warm-up
    steps_per_second(envs["wrapped"], actions[:500])
    for _ in range(args.rounds):
        for name, env in envs.items():
            rates[name].append(steps_per_second(env, actions))
    raw, wrapped = statistics.median(rates["raw"]), statistics.median(rates["wrapped"])
    print(f"{args.env_id}: {args.rounds} rounds x {args.steps} steps, medians")
    print(f"  raw                 {raw:9.0f} steps/s")
    print(f"  wrapped (3 wrappers) {wrapped:8.0f} steps/s")
    print(f"  ratio wrapped/raw   {wrapped / raw:9.3f}   (goal >= 0.85)")


if __name__ == "__main__":
    main()
