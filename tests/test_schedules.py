"""camel_gym.schedules: the linear schedule, the adaptive gate on synthetic evidence, and the wrappers that feed it."""

import math

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import mannwhitneyu

from camel_gym import EpsilonMaskWrapper, LLMBoundsWrapper, NormalizedMaskedAction
from camel_gym.schedules import AdaptiveSchedule, LinearSchedule, MaskSchedule, masked_better
from camel_gym.vector import VectorEpsilonMask, VectorNormalizedMaskedAction


def feed(schedule, masked_returns, unmasked_returns, episode_length=100, start=0):
    """Alternate masked and unmasked episodes of `episode_length` steps from step `start`; the last step."""
    t = start
    for m, u in zip(masked_returns, unmasked_returns):
        t += episode_length
        schedule.record_episode(m, True, t)
        t += episode_length
        schedule.record_episode(u, False, t)
    return t


# --- the test statistic ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-3, 3), min_size=2, max_size=25),
    st.lists(st.integers(-3, 3), min_size=2, max_size=25),
)
def test_masked_better_is_scipys_one_sided_mann_whitney(x, y):
    auc, p = masked_better(np.array(x, float), np.array(y, float))
    if len(set(x) | set(y)) == 1:  # every value equal: SciPy divides by zero, we say "no evidence"
        assert (auc, p) == (0.5, 1.0)
        return
    expected = mannwhitneyu(x, y, alternative="greater", method="asymptotic")
    assert auc == pytest.approx(expected.statistic / (len(x) * len(y)), abs=1e-12)
    assert p == pytest.approx(expected.pvalue, abs=1e-9)


# --- the adaptive gate on synthetic evidence ---------------------------------------------------------


def test_a_harmful_priors_evidence_fades_the_gate_to_the_probe_share_at_the_set_rate():
    rng = np.random.default_rng(0)
    schedule = AdaptiveSchedule(LinearSchedule(0.5, 1_000_000), probe=0.1, fade_steps=20_000)
    t = feed(schedule, rng.normal(0, 5, 5), rng.normal(50, 5, 5))
    assert schedule.signals()["mask_verdict"] == 0  # the first masked episode is older than every unmasked one
    t += 100
    schedule.record_episode(float(rng.normal(0, 5)), True, t)  # the first test: 5 of each kind since t = 200
    assert schedule.signals()["mask_verdict"] == -1 and schedule.episode_probability() == pytest.approx(0.9)
    schedule.record_episode(float(rng.normal(50, 5)), False, t + 1000)  # 1000 steps under the "fade" verdict
    assert schedule.episode_probability() == pytest.approx(0.9 - 1000 / 20_000)
    feed(schedule, rng.normal(0, 5, 200), rng.normal(50, 5, 200), start=t + 1000)
    assert schedule.episode_probability() == pytest.approx(0.1)  # the floor: masked episodes keep coming
    assert schedule.mask_probability(100_000) == pytest.approx(0.1 * 0.8)


def test_a_good_priors_evidence_holds_the_gate():
    rng = np.random.default_rng(1)
    schedule = AdaptiveSchedule(LinearSchedule(0.5, 1_000_000), probe=0.1)
    feed(schedule, rng.normal(1000, 100, 300), rng.normal(100, 100, 300))
    s = schedule.signals()
    assert s["mask_verdict"] == 1 and s["mask_p_value"] < 0.05 and s["mask_auc"] > 0.9
    assert schedule.episode_probability() == pytest.approx(0.9)


def test_the_gate_recovers_when_masked_episodes_become_better_again():
    rng = np.random.default_rng(2)
    schedule = AdaptiveSchedule(LinearSchedule(0.5, 1_000_000), probe=0.1, max_episodes=10, fade_steps=10_000)
    t = feed(schedule, rng.normal(0, 1, 60), rng.normal(10, 1, 60))
    assert schedule.episode_probability() == pytest.approx(0.1)
    feed(schedule, rng.normal(10, 1, 80), rng.normal(0, 1, 80), start=t)
    assert schedule.episode_probability() == pytest.approx(0.9)


def test_no_verdict_before_min_episodes_of_each_kind():
    schedule = AdaptiveSchedule(LinearSchedule(0.5, 1000), min_episodes=5)
    t = 0
    for episode in range(9):  # 5 masked and 4 unmasked episodes, interleaved
        t += 10
        schedule.record_episode(0.0 if episode % 2 == 0 else 100.0, episode % 2 == 0, t)
    s = schedule.signals()
    assert s["mask_verdict"] == 0 and math.isnan(s["mask_auc"]) and schedule.episode_probability() == pytest.approx(0.9)
    schedule.record_episode(100.0, False, t + 10)
    assert schedule.signals()["mask_verdict"] == 0  # the masked episode at t = 10 predates every unmasked one
    schedule.record_episode(0.0, True, t + 20)
    assert schedule.signals()["mask_verdict"] == -1


def test_both_kinds_are_compared_over_the_same_stretch_of_training():
    """Masked episodes that ended before every unmasked one kept are not compared with them:
    the agent that made them is gone. Nor are episodes older than window_steps."""
    schedule = AdaptiveSchedule(LinearSchedule(0.5, 10**6), window_steps=20_000)
    for t in range(1000, 6000, 1000):
        schedule.record_episode(100.0, True, t)  # an earlier agent did well inside the mask
    for t in range(6000, 6500, 100):
        schedule.record_episode(10.0, False, t)  # the agent now does worse without it
    assert schedule.signals()["mask_verdict"] == 0 and math.isnan(schedule.signals()["mask_p_value"])
    gate = schedule.episode_probability()
    for t in range(7000, 27_000, 1000):  # then both kinds, alike, but too old after 20k steps
        schedule.record_episode(50.0 + t % 3, t % 2000 == 0, t)
    schedule.record_episode(50.0, True, 50_000)  # all else is older than 20k steps: no test
    assert schedule.signals()["mask_verdict"] == 0 and schedule.episode_probability() <= gate
    assert len(schedule._same_stretch(50_000)[False]) == 0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-1e3, 1e3), st.booleans(), st.integers(1, 3000)), max_size=120),
    st.floats(0.01, 0.5),
)
def test_never_above_the_linear_schedule(episodes, probe):
    base = LinearSchedule(0.4, 100_000)
    schedule = AdaptiveSchedule(base, probe=probe, max_episodes=8, min_episodes=3, fade_steps=500)
    t = 0
    for episode_return, masked, length in episodes:
        t += length
        schedule.record_episode(episode_return, masked, t)
        assert probe - 1e-12 <= schedule.episode_probability() <= 1 - probe + 1e-12
        for step in (0, t, t + 10_000):
            assert schedule.mask_probability(step) <= base.step_probability(step) + 1e-12


def test_state_dict_continues_exactly():
    rng = np.random.default_rng(3)
    first, second = (AdaptiveSchedule(LinearSchedule(0.5, 10**6), max_episodes=10) for _ in range(2))
    t = feed(first, rng.normal(0, 1, 12), rng.normal(1, 1, 12))
    second.load_state_dict(first.state_dict())
    assert second.signals() == pytest.approx(first.signals(), nan_ok=True)
    tail = rng.normal(0, 1, (2, 15))
    feed(first, tail[0], tail[1], start=t)
    feed(second, tail[0], tail[1], start=t)
    assert second.signals() == pytest.approx(first.signals(), nan_ok=True)
    assert second.state_dict() == first.state_dict()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"probe": 0.0}, "probe must lie in \\(0, 0.5\\]"),
        ({"probe": 0.6}, "probe must lie in \\(0, 0.5\\]"),
        ({"min_episodes": 1}, "need 2 <= min_episodes <= max_episodes"),
        ({"max_episodes": 4, "min_episodes": 5}, "need 2 <= min_episodes <= max_episodes"),
        ({"window_steps": 0}, "window_steps must be at least 1"),
        ({"alpha": 1.0}, "alpha must lie in \\(0, 1\\)"),
        ({"fade_steps": 0}, "fade_steps must be at least 1"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AdaptiveSchedule(LinearSchedule(0.2, 1000), **kwargs)


# --- the wrappers feed the schedule ------------------------------------------------------------------


class SignEnv(gym.Env):
    """Reward +1 for a positive action, -1 otherwise; episodes of `length` steps (row i: length + i)."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def __init__(self, length=10):
        self.length, self.t = length, 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.t += 1
        return np.zeros(1, np.float32), 1.0 if float(action[0]) > 0 else -1.0, self.t >= self.length, False, {}


class Recording(MaskSchedule):
    """Every episode masked with probability 1/2, eps_t = 1; records what the wrapper reports."""

    def __init__(self):
        self.episodes = []

    def step_probability(self, timestep):
        return 1.0

    def episode_probability(self):
        return 0.5

    def record_episode(self, episode_return, masked, timestep):
        self.episodes.append((episode_return, masked, timestep))


def run_uniform_agent(env, steps, seed=0):
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(rng.uniform(-1, 1, 1).astype(np.float32))
        if terminated or truncated:
            env.reset()


@pytest.mark.parametrize("prior_action, fades", [(-1.0, True), (1.0, False)], ids=["harmful", "good"])
def test_the_wrapper_feeds_episode_returns_and_the_gate_follows_the_prior(prior_action, fades):
    schedule = AdaptiveSchedule(LinearSchedule(1.0, 100_000), fade_steps=2000)
    env = NormalizedMaskedAction(
        EpsilonMaskWrapper(LLMBoundsWrapper(SignEnv(), policy=lambda obs: [prior_action], bias=0.3), schedule=schedule)
    )
    run_uniform_agent(env, 6000)
    s = schedule.signals()
    # a uniform agent alone scores 0 on average; inside the prior's box it scores the prior's sign
    assert s["mask_masked_return"] == pytest.approx(10 * prior_action, abs=1.0)
    assert abs(s["mask_unmasked_return"]) < 4.0
    assert s["mask_masked_episodes"] + s["mask_unmasked_episodes"] == 600
    assert schedule.episode_probability() == pytest.approx(0.1 if fades else 0.9)


def test_an_unmasked_episode_has_the_full_space_throughout():
    schedule = Recording()
    env = EpsilonMaskWrapper(LLMBoundsWrapper(SignEnv(), policy=lambda obs: [1.0], bias=0.3), schedule=schedule)
    rng = np.random.default_rng(0)
    _, info = env.reset(seed=4)
    flags = [info["mask_applied"]]
    for _ in range(400):
        _, _, terminated, _, info = env.step(rng.uniform(-1, 1, 1).astype(np.float32))
        flags.append(info["mask_applied"])
        # the prior's box around +1 with bias 0.3, or the whole action space
        np.testing.assert_allclose(info["action_bounds"], [[0.7], [1.0]] if info["mask_applied"] else [[-1.0], [1.0]], atol=1e-6)
        if terminated:
            assert set(flags) == {schedule.episodes[-1][1]}  # the whole episode masked, or none of it
            _, info = env.reset()
            flags = [info["mask_applied"]]
    kinds = [masked for _, masked, _ in schedule.episodes]
    assert len(kinds) == 40 and 10 < sum(kinds) < 30


def test_the_linear_schedules_draws_are_those_of_before():
    """The episodes' draws have their own stream: with the linear schedule the steps' draws are
    the ones the wrapper made before schedules could draw episodes."""
    env = EpsilonMaskWrapper(LLMBoundsWrapper(SignEnv(), policy=lambda obs: [1.0]), mask_fraction=1.0, total_timesteps=40)
    _, info = env.reset(seed=5)
    applied = [info["mask_applied"]]
    for _ in range(30):
        _, _, terminated, _, info = env.step(np.zeros(1, np.float32))
        applied.append(info["mask_applied"])
        if terminated:
            _, info = env.reset()
            applied.append(info["mask_applied"])
    draws = np.random.default_rng([5, 0xCA3E1]).random(len(applied))
    steps = [0] + [t for t in range(1, 31) for _ in range(2 if t in (10, 20, 30) else 1)]
    assert applied == [bool(u < 1 - t / 40) for u, t in zip(draws, steps)]


@pytest.mark.parametrize("mode", list(gym.vector.AutoresetMode)[:2], ids=lambda m: m.name)
def test_the_vector_wrapper_reports_each_sub_envs_episodes(mode):
    lengths = [3, 4, 5]
    envs = gym.vector.SyncVectorEnv(
        [lambda n=n: LLMBoundsWrapper(SignEnv(length=n), policy=lambda obs: [1.0]) for n in lengths], autoreset_mode=mode
    )
    schedule = Recording()
    envs = VectorNormalizedMaskedAction(VectorEpsilonMask(envs, schedule=schedule))
    envs.reset(seed=0)
    for _ in range(60):
        envs.step(-np.ones((3, 1), np.float32))
    # every action is -1: the prior's box [0.7, 1] maps it to 0.7, so a masked episode of sub-env i
    # returns +length and an unmasked one -length, and the reported flag must say which it was;
    # next-step autoreset spends one step on each reset, which earns nothing
    assert {abs(r) for r, _, _ in schedule.episodes} == set(lengths)
    assert all(masked == (r > 0) for r, masked, _ in schedule.episodes)
    cycle = {gym.vector.AutoresetMode.NEXT_STEP: 1, gym.vector.AutoresetMode.SAME_STEP: 0}[mode]
    for n in lengths:
        assert sum(abs(r) == n for r, _, _ in schedule.episodes) == (60 + cycle) // (n + cycle)
    masked = [m for _, m, _ in schedule.episodes]
    assert 0 < sum(masked) < len(masked)  # both kinds drawn


def test_one_sub_env_draws_as_the_single_env_wrapper():
    """With next-step autoreset the vector env's reset step is the single env's reset() call."""

    def make():
        return LLMBoundsWrapper(SignEnv(length=7), policy=lambda obs: [1.0])

    single_schedule, vector_schedule = Recording(), Recording()
    single = EpsilonMaskWrapper(make(), schedule=single_schedule)
    vector = VectorEpsilonMask(gym.vector.SyncVectorEnv([make]), schedule=vector_schedule)
    _, info_s = single.reset(seed=9)
    _, info_v = vector.reset(seed=9)
    rng = np.random.default_rng(0)
    for _ in range(300):
        assert info_v["mask_applied"][0] == info_s["mask_applied"] and vector.episode_masked[0] == single.episode_masked
        action = rng.uniform(-1, 1, 1).astype(np.float32)
        _, _, terminated, _, info_s = single.step(action)
        _, _, _, _, info_v = vector.step(action[None])
        if terminated:
            assert info_v["mask_applied"][0] == info_s["mask_applied"]
            _, info_s = single.reset()
            _, _, _, _, info_v = vector.step(action[None])
    assert [e[:2] for e in single_schedule.episodes] == [e[:2] for e in vector_schedule.episodes]
    assert len(single_schedule.episodes) > 20
