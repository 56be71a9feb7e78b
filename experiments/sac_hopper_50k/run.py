"""Stable-Baselines3 SAC on Hopper-v4 for 50k steps, with and without CAMEL masking (one seed).

    python experiments/sac_hopper_50k/run.py --masking camel   # and: --masking none

SAC keeps SB3's defaults. With CAMEL the env is `make_camel_env` (the hand-tuned prior, which was
the shipped default when this ran; bias 0.3, mask
fraction 0.2: the mask fades over the first 10k steps) and the schedule follows the model's
global step. Every 5k steps, 10 seeded evaluation episodes of the deterministic policy without a
mask (the same stack with mask_fraction=0) are appended to `<masking>_eval.csv` here.
"""

import argparse
import csv
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import SAC
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.env_util import make_vec_env

from camel_gym import make_camel_env
from camel_gym.priors import handtuned_prior
from camel_gym.sb3 import EpsilonScheduleCallback

HERE = Path(__file__).resolve().parent


class EvalToCSV(BaseCallback):
    def __init__(self, env, path, every, episodes, seed):
        super().__init__()
        self.env, self.path, self.every, self.episodes, self.seed = env, path, every, episodes, seed
        self.start = time.time()
        with open(path, "w", newline="") as f:
            csv.writer(f).writerow(["global_step", "return_mean", "return_std", "length_mean", "wall_seconds"])

    def _on_step(self) -> bool:
        if self.num_timesteps % self.every:
            return True
        returns, lengths = [], []
        for episode in range(self.episodes):
            obs, _ = self.env.reset(seed=self.seed + episode)
            done, total, steps = False, 0.0, 0
            while not done:
                action, _ = self.model.predict(obs, deterministic=True)
                obs, reward, terminated, truncated, _ = self.env.step(action)
                total, steps, done = total + float(reward), steps + 1, terminated or truncated
            returns.append(total)
            lengths.append(steps)
        with open(self.path, "a", newline="") as f:
            csv.writer(f).writerow([self.num_timesteps, f"{np.mean(returns):.3f}", f"{np.std(returns):.3f}",
                                    f"{np.mean(lengths):.1f}", f"{time.time() - self.start:.0f}"])
        return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masking", choices=["camel", "none"], required=True)
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.masking == "camel":
        prior = handtuned_prior("Hopper-v4")  # the default prior on 2026-11-23; the LLM-written one is since 7be59ee
        env = make_vec_env(lambda: make_camel_env("Hopper-v4", total_timesteps=args.steps, policy=prior), n_envs=1, seed=args.seed)
        eval_env = make_camel_env("Hopper-v4", total_timesteps=args.steps, policy=prior, mask_fraction=0.0)
        callbacks = [EpsilonScheduleCallback()]
    else:
        env = make_vec_env("Hopper-v4", n_envs=1, seed=args.seed)
        eval_env = gym.make("Hopper-v4")
        callbacks = []
    callbacks.append(EvalToCSV(eval_env, HERE / f"{args.masking}_eval.csv", every=5000, episodes=10, seed=10_000))
    model = SAC("MlpPolicy", env, seed=args.seed, verbose=0)
    model.learn(args.steps, callback=CallbackList(callbacks))


if __name__ == "__main__":
    main()
