"""The CAMEL wrappers in 40 lines: a random agent on Hopper-v4, masked by the shipped prior.

    MUJOCO_GL=egl python examples/quickstart.py [--env-id Hopper-v4] [--steps 3000]

Any id with a shipped prior works (v4, as in the paper, or v5: ``--env-id Ant-v5``);
``prior_make_kwargs`` gives the ``gym.make`` kwargs its prior needs.

The agent samples uniformly in [-1, 1]^d; NormalizedMaskedAction maps each sample into
the bounds in force. Early on (eps ~ 1) every action lies near the prior's; by
mask_fraction * total_timesteps the mask is gone and the agent acts in the full space.
"""

import argparse

import gymnasium as gym
import numpy as np

from camel_gym import EpsilonMaskWrapper, LLMBoundsWrapper, NormalizedMaskedAction, shipped_prior
from camel_gym.priors import prior_make_kwargs

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--env-id", default="Hopper-v4")
parser.add_argument("--steps", type=int, default=3000)
args = parser.parse_args()

env = gym.make(args.env_id, **prior_make_kwargs(args.env_id))  # Ant-v5: without contact forces
env = LLMBoundsWrapper(env, policy=str(shipped_prior(args.env_id, env.observation_space)), bias=0.3)
env = EpsilonMaskWrapper(env, mask_fraction=0.5, total_timesteps=args.steps)
env = NormalizedMaskedAction(env)

obs, info = env.reset(seed=0)
env.action_space.seed(0)
episode_return, returns, window = 0.0, [], {"masked": 0, "steps": 0, "dist": 0.0}
for step in range(1, args.steps + 1):
    bounds, prior = info["action_bounds"], info.get("prior_action")
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
    assert np.all(bounds[0] <= info["env_action"]) and np.all(info["env_action"] <= bounds[1])
    episode_return += float(reward)
    window["steps"] += 1
    if prior is not None:
        window["dist"] += float(np.abs(info["env_action"] - prior).mean())
    if terminated or truncated:
        returns.append(episode_return)
        episode_return = 0.0
        obs, info = env.reset()
    window["masked"] += bool(info["mask_applied"])
    if step % (args.steps // 6) == 0:
        print(
            f"step {step:6d}  mask probability {env.get_wrapper_attr('mask_probability')():.2f}  "
            f"masked {window['masked'] / window['steps']:.0%}  "
            f"mean |action - prior| {window['dist'] / window['steps']:.3f}  "
            f"episodes {len(returns)}  last return {returns[-1] if returns else float('nan'):.1f}"
        )
        window = {"masked": 0, "steps": 0, "dist": 0.0}
print(f"prior errors: {env.get_wrapper_attr('prior_errors')}")
