"""Stable-Baselines3 with CAMEL masking: TD3, SAC and PPO act only inside the bounds in force."""

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3 import PPO, SAC, TD3
from stable_baselines3.common.env_util import make_vec_env

from camel_gym import BoundsObservation, EpsilonMaskWrapper, LLMBoundsWrapper, NormalizedMaskedAction, shipped_prior
from camel_gym.sb3 import EpsilonScheduleCallback

TOTAL = 2000


class BoundsChecker(gym.Wrapper):
    """Sits right above the epsilon wrapper: sees each env action and the bounds in force for it."""

    def __init__(self, env):
        super().__init__(env)
        self.checked = self.violations = self.unmasked = 0

    def _keep(self, info):
        self.bounds, self.applied = info["action_bounds"], info["mask_applied"]

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self._keep(info)
        return obs, info

    def step(self, action):
        if self.applied:
            self.checked += 1
            self.violations += int(not (np.all(self.bounds[0] <= action) and np.all(action <= self.bounds[1])))
        else:
            self.unmasked += 1
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._keep(info)
        return obs, reward, terminated, truncated, info


def checked_camel_env():
    env = LLMBoundsWrapper(gym.make("Hopper-v4"), policy=str(shipped_prior("Hopper-v4")), bias=0.3)
    env = BoundsChecker(EpsilonMaskWrapper(env, mask_fraction=0.5, total_timesteps=TOTAL))
    return NormalizedMaskedAction(BoundsObservation(env))


@pytest.mark.parametrize(
    "algo, kwargs",
    [
        (TD3, {"learning_starts": 200, "policy_kwargs": {"net_arch": [64, 64]}}),
        (SAC, {"learning_starts": 200, "policy_kwargs": {"net_arch": [64, 64]}}),
        (PPO, {"n_steps": 300, "batch_size": 100, "n_epochs": 2, "policy_kwargs": {"net_arch": [64, 64]}}),
    ],
    ids=["TD3", "SAC", "PPO"],
)
def test_sb3_agents_stay_inside_the_mask_while_it_applies(algo, kwargs):
    vec = make_vec_env(checked_camel_env, n_envs=2, seed=0)
    model = algo("MlpPolicy", vec, seed=0, device="cpu", **kwargs)
    callback = EpsilonScheduleCallback()
    model.learn(TOTAL, callback=callback)
    checkers = [env.get_wrapper_attr("violations") for env in vec.envs]
    checked = sum(env.get_wrapper_attr("checked") for env in vec.envs)
    unmasked = sum(env.get_wrapper_attr("unmasked") for env in vec.envs)
    assert checkers == [0, 0] and checked > 200 and unmasked > 200
    # the schedule followed the model's global step, not each env's own count
    clocks = vec.env_method("get_wrapper_attr", "timestep")
    assert all(abs(c - model.num_timesteps) <= 2 for c in clocks), (clocks, model.num_timesteps)
    assert vec.env_method("mask_probability") == [0.0, 0.0]


def test_callback_validates_its_argument():
    with pytest.raises(ValueError, match="every must be >= 1"):
        EpsilonScheduleCallback(every=0)


def test_sb3_agent_with_the_adaptive_schedule_lets_go_of_a_harmful_prior():
    """Two envs of one DummyVecEnv share one schedule: it learns from both envs' episodes."""
    from pathlib import Path

    from camel_gym.schedules import AdaptiveSchedule, LinearSchedule

    harmful = Path(__file__).resolve().parents[1] / "llm_policies" / "test_priors" / "hopper_v4_backward.py"
    schedule = AdaptiveSchedule(LinearSchedule(1.0, 10 * TOTAL), fade_steps=500)

    def env_fn():
        env = EpsilonMaskWrapper(LLMBoundsWrapper(gym.make("Hopper-v4"), policy=str(harmful)), schedule=schedule)
        return NormalizedMaskedAction(BoundsObservation(env))

    vec = make_vec_env(env_fn, n_envs=2, seed=0)
    model = SAC("MlpPolicy", vec, seed=0, device="cpu", learning_starts=TOTAL, policy_kwargs={"net_arch": [64, 64]})
    model.learn(TOTAL, callback=EpsilonScheduleCallback())
    signals = schedule.signals()
    finished = sum(len(rewards) for rewards in vec.env_method("get_episode_rewards"))
    assert signals["mask_masked_episodes"] + signals["mask_unmasked_episodes"] == finished > 40
    assert signals["mask_masked_return"] < signals["mask_unmasked_return"]
    assert schedule.episode_probability() == 0.1 and vec.env_method("mask_probability")[0] <= 0.1


def test_the_callback_logs_the_mask_probability_every_1000_calls_whatever_every_is():
    records = []

    class Model:  # what the callback reads of a model: its env and its logger
        num_timesteps = 0

        def get_env(self):
            return Vec()

        logger = type("Logger", (), {"record": lambda self, key, value: records.append((key, value))})()

    class Vec:
        def env_method(self, name, *args, indices=None):
            return [0.5] if name == "mask_probability" else [None]

    callback = EpsilonScheduleCallback(every=3)
    callback.model = Model()
    for n in range(1, 3001):
        callback.n_calls = n
        callback._on_step()
    assert records == [("camel/mask_probability", 0.5)] * 3  # at 1000, 2000, 3000 (it was at 3000 only)
