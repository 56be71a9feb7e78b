"""The minimum a new algorithm needs to use CAMEL's masks: a plain loop, no framework.

    MUJOCO_GL=egl python examples/custom_loop.py [--env-id Hopper-v4] [--num-envs 4] [--steps 2000]

Four things, marked (1)-(4) below: build the vector env with the prior's bounds, map the
agent's [-1, 1] action into the bounds in force, store the bounds of s and s' beside each
transition, and skip the step on which gymnasium 1.x auto-resets a sub-env. A random "actor"
stands in for yours; an off-policy learner would sample the arrays at the end.
"""

import argparse

import gymnasium as gym
import numpy as np

from camel_gym import LLMBoundsWrapper, shipped_prior
from camel_gym.masking import map_into_bounds
from camel_gym.priors import prior_make_kwargs
from camel_gym.vector import VectorEpsilonMask

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--env-id", default="Hopper-v4")
parser.add_argument("--num-envs", type=int, default=4)
parser.add_argument("--steps", type=int, default=2000, help="vector steps")
args = parser.parse_args()

# (1) the prior runs in each sub-env; the schedule runs once, on the global step
prior = str(shipped_prior(args.env_id))
envs = gym.make_vec(
    args.env_id, num_envs=args.num_envs, wrappers=[lambda env: LLMBoundsWrapper(env, policy=prior)],
    **prior_make_kwargs(args.env_id),  # Ant-v5: without contact forces
)
envs = VectorEpsilonMask(envs, mask_fraction=0.5, total_timesteps=args.steps * args.num_envs)

n, obs_dim, act_dim = args.steps * args.num_envs, envs.single_observation_space.shape[0], envs.single_action_space.shape[0]
buffer = {
    "obs": np.zeros((n, obs_dim), np.float32), "next_obs": np.zeros((n, obs_dim), np.float32),
    "action": np.zeros((n, act_dim), np.float32), "reward": np.zeros(n, np.float32),
    "terminated": np.zeros(n, bool), "bounds": np.zeros((n, 2, act_dim), np.float32),
    "next_bounds": np.zeros((n, 2, act_dim), np.float32),
}
size = 0
rng = np.random.default_rng(0)
obs, info = envs.reset(seed=0)
bounds = info["action_bounds"]  # (num_envs, 2, act_dim): [lower; upper] per sub-env
autoreset = np.zeros(args.num_envs, bool)
for _ in range(args.steps):
    x = rng.uniform(-1.0, 1.0, (args.num_envs, act_dim))  # your actor's output, in [-1, 1]
    action = map_into_bounds(x, bounds)  # (2) into the bounds in force (mapped, then clipped there)
    next_obs, reward, terminated, truncated, info = envs.step(action)
    next_bounds = info["action_bounds"]
    keep = ~autoreset  # (4) on an autoreset step the sub-env only reset: no transition
    k = int(keep.sum())
    for key, value in (("obs", obs), ("next_obs", next_obs), ("action", action), ("reward", reward),
                       ("terminated", terminated), ("bounds", bounds), ("next_bounds", next_bounds)):
        buffer[key][size:size + k] = value[keep]  # (3) the bounds of s and s' ride along
    size += k
    obs, bounds, autoreset = next_obs, next_bounds, terminated | truncated
envs.close()

inside = np.all((buffer["bounds"][:size, 0] <= buffer["action"][:size]) & (buffer["action"][:size] <= buffer["bounds"][:size, 1]))
widths = (buffer["bounds"][:size, 1] - buffer["bounds"][:size, 0]).mean(axis=1)
print(f"stored {size} transitions from {args.steps} steps x {args.num_envs} envs; every action inside its bounds: {inside}")
print(f"mean mask width (full space = {float(np.mean(envs.single_action_space.high - envs.single_action_space.low)):.2f}): "
      f"first quarter {widths[: size // 4].mean():.2f}, last quarter {widths[-size // 4:].mean():.2f}")
