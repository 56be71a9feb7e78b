"""The adaptive gate during TD3's warm-up, per prior: what it decides before any learning.

td3_camel.py's first 25k steps (--learning-starts) act uniformly at random in [-1, 1], mapped
into the bounds in force: exactly this script's agent. So the gate's trace here is the trace of
every td3_camel.py --mask-schedule adaptive run on Hopper-v4 (300k steps, mask over 200k) up to
25k steps, at a few seconds per prior instead of minutes.

    python experiments/adaptive_mask/warmup_gate.py > experiments/adaptive_mask/warmup_gate.txt
"""

import numpy as np
import gymnasium as gym

from camel_gym import EpsilonMaskWrapper, LLMBoundsWrapper, NormalizedMaskedAction
from camel_gym.schedules import AdaptiveSchedule, LinearSchedule

PRIORS = {
    "harmful": "llm_policies/test_priors/hopper_v4_backward.py",
    "llm": "llm_policies/hopper_v4.py",
    "tuned": "llm_policies/handtuned/hopper_v4.py",
    "random": None,  # CAMEL's random masking: a uniform prior action each step
}
WARMUP, EVERY = 25_000, 5_000

print("prior | step | gate | verdict | P(masked > unmasked) | masked return | unmasked return | episodes masked/unmasked")
for name, path in PRIORS.items():
    prior_rng = np.random.default_rng(1)
    prior = path if path is not None else (lambda obs: prior_rng.uniform(-1.0, 1.0, 3))
    schedule = AdaptiveSchedule(LinearSchedule(mask_fraction=200_000 / 300_000, total_timesteps=300_000))
    env = LLMBoundsWrapper(gym.make("Hopper-v4"), policy=prior, bias=0.3)
    env = NormalizedMaskedAction(EpsilonMaskWrapper(env, schedule=schedule))
    agent_rng = np.random.default_rng(0)
    env.reset(seed=1)
    for step in range(1, WARMUP + 1):
        _, _, terminated, truncated, _ = env.step(agent_rng.uniform(-1.0, 1.0, 3))
        if terminated or truncated:
            env.reset()
        if step % EVERY == 0:
            s = schedule.signals()
            print(f"{name} | {step} | {s['mask_gate']:.2f} | {s['mask_verdict']:+.0f} | {s['mask_auc']:.2f} | "
                  f"{s['mask_masked_return']:.0f} | {s['mask_unmasked_return']:.0f} | "
                  f"{s['mask_masked_episodes']:.0f}/{s['mask_unmasked_episodes']:.0f}", flush=True)
