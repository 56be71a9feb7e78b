"""The three wrappers: bounds in info, the epsilon schedule, the action mapping, Gymnasium citizenship."""

import os
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from camel_gym import (
    BoundsObservation,
    EpsilonMaskWrapper,
    LLMBoundsWrapper,
    NormalizedMaskedAction,
    load_policy,
    prior_bounds,
    shipped_prior,
)
from camel_gym.priors import SHIPPED_ENV_IDS
from camel_gym.vector import VectorEpsilonMask, VectorNormalizedMaskedAction


def pendulum_prior(obs):
    return np.array([-2.0 * obs[2]])


def full_stack(env_id, total=1_000_000, **make_kwargs):
    env = gym.make(env_id, **make_kwargs)
    env = LLMBoundsWrapper(env, policy=str(shipped_prior(env_id, env.observation_space)), bias=0.3)
    env = EpsilonMaskWrapper(env, mask_fraction=0.2, total_timesteps=total)
    return NormalizedMaskedAction(env)


class TestLLMBoundsWrapper:
    def test_bounds_in_reset_and_step_info_are_the_priors(self):
        env = LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=pendulum_prior, bias=0.3)
        obs, info = env.reset(seed=0)
        low, high = env.action_space.low, env.action_space.high
        for _ in range(20):
            p = np.clip(pendulum_prior(obs), low, high).astype(np.float32)
            assert info["action_bounds"].shape == (2, 1) and info["action_bounds"].dtype == np.float32
            np.testing.assert_allclose(info["action_bounds"], prior_bounds(p, low, high, np.float32(0.3)))
            np.testing.assert_allclose(info["prior_action"], p)
            np.testing.assert_array_equal(env.action_bounds(), info["action_bounds"])
            obs, _, _, _, info = env.step(env.action_space.sample())

    def test_fresh_arrays_every_call(self):
        env = LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=lambda obs: [0.0])
        _, info = env.reset(seed=0)
        info["action_bounds"][:] = 123.0
        assert env.action_bounds().max() < 123.0
        _, _, _, _, info2 = env.step(np.zeros(1, np.float32))
        assert info2["action_bounds"] is not info["action_bounds"]

    @pytest.mark.parametrize(
        "prior, reason",
        [
            (lambda obs: 1 / 0, "ZeroDivisionError"),
            (lambda obs: [np.nan], "non-finite"),
            (lambda obs: [0.0, 1.0], "shape"),
            (lambda obs: "left", "not numbers"),
        ],
    )
    def test_failing_prior_gives_full_bounds(self, prior, reason):
        env = LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=prior)
        with pytest.warns(RuntimeWarning, match="prior policy failed"):
            _, info = env.reset(seed=0)
        for _ in range(3):
            assert reason in info["prior_error"]
            np.testing.assert_array_equal(info["action_bounds"], [[-2.0], [2.0]])
            _, _, _, _, info = env.step(np.zeros(1, np.float32))
        assert env.prior_errors == 4 and reason in env.last_prior_error

    def test_an_env_that_reuses_its_info_dict_gets_no_stale_keys(self):
        class SameDict(gym.Wrapper):  # some envs hand back one dict, updated in place
            def __init__(self, env):
                super().__init__(env)
                self.info = {}

            def reset(self, **kwargs):
                return self.env.reset(**kwargs)[0], self.info

            def step(self, action):
                obs, reward, terminated, truncated, _ = self.env.step(action)
                return obs, reward, terminated, truncated, self.info

        calls = iter([0.5, "fails", 0.5])
        env = LLMBoundsWrapper(SameDict(gym.make("Pendulum-v1")), policy=lambda obs: [float(next(calls))])
        assert "prior_action" in env.reset(seed=0)[1]
        with pytest.warns(RuntimeWarning, match="prior policy failed"):
            info = env.step(np.zeros(1, np.float32))[4]
        assert "prior_error" in info and "prior_action" not in info
        info = env.step(np.zeros(1, np.float32))[4]
        assert "prior_action" in info and "prior_error" not in info

    def test_prior_over_budget_gives_full_bounds(self):
        policy = load_policy("def policy(obs):\n    while True:\n        pass\n", trial=False, max_iterations=200)
        env = LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=policy)
        with pytest.warns(RuntimeWarning):
            _, info = env.reset(seed=0)
        assert "BudgetExceeded" in info["prior_error"]

    def test_plain_callable_cannot_change_the_agents_observation(self):
        def meddling(obs):
            obs[:] = 0.0
            return [0.0]

        env = LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=meddling)
        obs, _ = env.reset(seed=0)
        assert np.abs(obs).sum() > 0

    def test_wrong_action_space_is_a_type_error(self):
        with pytest.raises(TypeError, match="continuous Box action space, got Discrete"):
            LLMBoundsWrapper(gym.make("CartPole-v1"), policy=lambda obs: 0)

    def test_a_matrix_action_space_is_refused_with_a_hint_that_works(self):
        class Grid(gym.Env):
            observation_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
            action_space = gym.spaces.Box(-1.0, 1.0, (2, 2), np.float32)

            def reset(self, *, seed=None, options=None):
                super().reset(seed=seed)
                return np.zeros(3, np.float32), {}

            def step(self, action):
                assert action.shape == (2, 2)
                return np.zeros(3, np.float32), 0.0, False, False, {}

        with pytest.raises(ValueError, match=r"flat \(1-D\) Box action space, got shape \(2, 2\)") as refused:
            LLMBoundsWrapper(Grid(), policy=lambda obs: np.zeros(4))
        assert "TransformAction(env, lambda a: a.reshape((2, 2))" in str(refused.value)
        low, high = Grid.action_space.low, Grid.action_space.high
        flat = gym.wrappers.TransformAction(Grid(), lambda a: a.reshape((2, 2)), gym.spaces.Box(low.ravel(), high.ravel(), dtype=np.float32))
        env = NormalizedMaskedAction(LLMBoundsWrapper(flat, policy=lambda obs: np.full(4, 0.5), bias=0.2))
        _, info = env.reset(seed=0)
        assert info["action_bounds"].shape == (2, 4)
        np.testing.assert_allclose(env.step(np.ones(4, np.float32))[4]["env_action"], np.full(4, 0.7), rtol=1e-6)

    @pytest.mark.parametrize("bias", [0.0, 1.2, -0.3, float("inf")])
    def test_bias_out_of_range(self, bias):
        with pytest.raises(ValueError, match=r"bias must lie in \(0, 1\]"):
            LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=pendulum_prior, bias=bias)

    def test_infinite_action_bounds_are_refused_with_a_hint_that_works(self):
        class Unbounded(gym.Env):
            observation_space = gym.spaces.Box(-1, 1, (2,))
            action_space = gym.spaces.Box(-np.inf, np.inf, (2,))

            def reset(self, *, seed=None, options=None):
                super().reset(seed=seed)
                return np.zeros(2, np.float32), {}

            def step(self, action):
                return np.zeros(2, np.float32), 0.0, False, False, {}

        with pytest.raises(ValueError, match="finite action bounds") as refused:
            LLMBoundsWrapper(Unbounded(), policy=lambda obs: [0.0, 0.0])
        # the hint's recipe: declare the limits the env accepts with TransformAction
        assert "TransformAction(env, lambda a: np.clip(a, low, high)" in str(refused.value)
        low, high = -np.ones(2, np.float32), np.ones(2, np.float32)
        declared = gym.wrappers.TransformAction(Unbounded(), lambda a: np.clip(a, low, high), gym.spaces.Box(low, high))
        env = NormalizedMaskedAction(LLMBoundsWrapper(declared, policy=lambda obs: [0.5, 0.5], bias=0.2))
        env.reset(seed=0)
        np.testing.assert_allclose(env.step(np.ones(2, np.float32))[4]["env_action"], [0.7, 0.7], rtol=1e-6)

    def test_clip_action_beneath_is_named_as_the_cause(self):
        # Gymnasium 1.x's ClipAction declares -inf..inf, so suggesting it for finite limits was wrong
        with pytest.raises(ValueError, match=r"ClipAction is beneath LLMBoundsWrapper, it is the cause") as refused:
            LLMBoundsWrapper(gym.wrappers.ClipAction(gym.make("Pendulum-v1")), policy=pendulum_prior)
        assert "wrap the env in gymnasium.wrappers.ClipAction" not in str(refused.value)
        # what the hint says instead works: ClipAction above the CAMEL wrappers
        env = gym.wrappers.ClipAction(NormalizedMaskedAction(LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=pendulum_prior)))
        _, info = env.reset(seed=0)
        # ClipAction (Box(-1, 1) above NormalizedMaskedAction) turns 5 into 1: the top of the box in force
        info_after = env.step(np.array([5.0], np.float32))[4]
        np.testing.assert_allclose(info_after["env_action"], info["action_bounds"][1], rtol=1e-6)

    def test_policy_of_the_wrong_type(self):
        with pytest.raises(TypeError, match="callable obs -> action or the path"):
            LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=3)


class TestEpsilonMaskWrapper:
    def test_above_the_action_mapping_is_refused(self):
        # on a [-1, 1] action space the units check passes, and the mask would silently never fade
        mapped = NormalizedMaskedAction(LLMBoundsWrapper(gym.make("Hopper-v4"), policy=lambda obs: np.zeros(3)))
        with pytest.raises(ValueError, match="EpsilonMaskWrapper is above NormalizedMaskedAction"):
            EpsilonMaskWrapper(mapped, total_timesteps=100)
        envs = VectorNormalizedMaskedAction(
            gym.make_vec("Hopper-v4", num_envs=2, wrappers=[lambda e: LLMBoundsWrapper(e, policy=lambda obs: np.zeros(3))])
        )
        with pytest.raises(ValueError, match="VectorEpsilonMask is above VectorNormalizedMaskedAction"):
            VectorEpsilonMask(envs, total_timesteps=100)

    def test_a_failed_prior_is_no_mask_in_the_flag_either(self):
        # the bounds are the full space where the prior failed, so the flag says no mask (test_vector checks the twin)
        env = EpsilonMaskWrapper(LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=lambda obs: 1 / 0), schedule=lambda t: 1.0)
        with pytest.warns(RuntimeWarning, match="prior policy failed"):
            _, info = env.reset(seed=0)
        assert info["mask_applied"] is False and "prior_error" in info
        np.testing.assert_array_equal(info["action_bounds"], [[-2.0], [2.0]])

    def make(self, total=1000, seed=0, **kwargs):
        env = LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=lambda obs: [1.0], bias=0.1)
        env = EpsilonMaskWrapper(env, total_timesteps=total, **kwargs)
        env.reset(seed=seed)
        return env

    def test_mask_always_on_at_start_and_off_after_the_fraction(self):
        env = self.make(total=1000, mask_fraction=0.2)
        applied = []
        for _ in range(260):
            _, _, _, _, info = env.step(np.zeros(1, np.float32))
            applied.append(info["mask_applied"])
            if not info["mask_applied"]:
                np.testing.assert_array_equal(info["action_bounds"], [[-2.0], [2.0]])
            else:
                np.testing.assert_allclose(info["action_bounds"], [[0.8], [1.2]], rtol=1e-6)
        assert all(applied[:2]) and not any(applied[200:])
        assert env.mask_probability() == 0.0

    def test_frequency_follows_eps(self):
        env = self.make(total=100_000, mask_fraction=1.0)
        env.set_timestep(50_000)  # eps = 0.5 for the next few hundred steps
        hits = 0
        for _ in range(2000):
            _, _, terminated, truncated, info = env.step(np.zeros(1, np.float32))
            hits += info["mask_applied"]
            if terminated or truncated:
                env.reset()
        assert 0.45 < hits / 2000 < 0.55

    def test_seeded_draws_repeat(self):
        def draws(seed):
            env = self.make(total=100, mask_fraction=1.0, seed=seed)
            return [env.step(np.zeros(1, np.float32))[4]["mask_applied"] for _ in range(60)]

        assert draws(3) == draws(3)
        assert draws(3) != draws(4)

    def test_clock_can_be_set_from_outside(self):
        env = self.make(total=1000)
        env.set_timestep(199)
        assert env.mask_probability() == pytest.approx(1 / 200)
        env.step(np.zeros(1, np.float32))
        assert env.timestep == 200 and env.mask_probability() == 0.0

    def test_custom_schedule(self):
        env = self.make(total=None, schedule=lambda t: 1.0 if t < 5 else 0.0)
        flags = [env.step(np.zeros(1, np.float32))[4]["mask_applied"] for _ in range(10)]
        assert flags == [True] * 4 + [False] * 6
        with pytest.raises(ValueError, match="not a probability"):
            self.make(total=None, schedule=lambda t: 1.5)

    def test_argument_errors(self):
        with pytest.raises(ValueError, match="needs total_timesteps"):
            self.make(total=None)
        for bad in (1.5, float("nan"), True, "0.2"):
            with pytest.raises(ValueError, match="mask_fraction must be"):
                self.make(total=1000, mask_fraction=bad)
        assert self.make(total=1000, mask_fraction=np.float32(0.5)).mask_probability() == 1.0  # numpy scalars are numbers
        with pytest.raises(ValueError, match="total_timesteps must be a positive integer"):
            self.make(total=0)

    def test_needs_bounds_beneath(self):
        env = EpsilonMaskWrapper(gym.make("Pendulum-v1"), total_timesteps=100)
        with pytest.raises(RuntimeError, match="put an LLMBoundsWrapper beneath it"):
            env.reset(seed=0)

    def test_action_bounds_method_reaches_through_wrappers(self):
        env = NormalizedMaskedAction(self.make(total=1000))
        _, info = env.reset(seed=0)
        np.testing.assert_array_equal(env.get_wrapper_attr("action_bounds")(), info["action_bounds"])


class TestNormalizedMaskedAction:
    def test_maps_into_the_bounds(self):
        env = NormalizedMaskedAction(LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=lambda o: [1.0], bias=0.25))
        assert env.action_space == gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        _, info = env.reset(seed=0)
        for x, expected in [(-1.0, 0.5), (0.0, 1.0), (1.0, 1.5), (7.0, 1.5), (-7.0, 0.5)]:
            _, _, _, _, info = env.step(np.array([x], np.float32))
            assert info["env_action"].dtype == np.float32
            np.testing.assert_allclose(info["env_action"], [expected], rtol=1e-6)

    def test_every_env_action_lies_in_the_bounds_in_force(self):
        env = full_stack("Hopper-v4", total=2000)
        _, info = env.reset(seed=0)
        rng = np.random.default_rng(0)
        for _ in range(300):
            bounds = info["action_bounds"]
            _, _, terminated, truncated, info = env.step(rng.uniform(-1.5, 1.5, 3))
            assert np.all(bounds[0] <= info["env_action"]) and np.all(info["env_action"] <= bounds[1])
            if terminated or truncated:
                _, info = env.reset()

    def test_needs_bounds_beneath(self):
        env = NormalizedMaskedAction(gym.make("Pendulum-v1"))
        with pytest.raises(RuntimeError, match="found no info\\['action_bounds'\\]"):
            env.reset(seed=0)


@pytest.mark.parametrize("env_id", list(SHIPPED_ENV_IDS))
def test_check_env_passes_on_the_full_stack(env_id):
    env = full_stack(env_id, **SHIPPED_ENV_IDS[env_id])
    check_env(env, skip_render_check=True)  # the wrappers don't render; "human" needs a display
    _, info = env.reset(seed=0)
    assert info["action_bounds"].shape == (2, env.action_space.shape[0])


def test_ant_v5_with_contact_forces_is_refused_clearly():
    env = gym.make("Ant-v5")
    with pytest.raises(ValueError, match="include_cfrc_ext_in_observation=False"):
        shipped_prior("Ant-v5", env.observation_space)


def test_unknown_env_family_has_no_shipped_prior():
    with pytest.raises(ValueError, match="no shipped prior for env id 'Humanoid-v4'"):
        shipped_prior("Humanoid-v4")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_env_rows_are_right_after_autoresets(mode):
    prior_path = str(shipped_prior("Hopper-v4"))
    policy = load_policy(prior_path, trial=False)
    envs = gym.make_vec(
        "Hopper-v4",
        num_envs=3,
        vectorization_mode=mode,
        wrappers=[lambda e: LLMBoundsWrapper(e, policy=prior_path, bias=0.3)],
    )
    low, high = envs.single_action_space.low, envs.single_action_space.high
    obs, info = envs.reset(seed=0)
    rng = np.random.default_rng(0)
    resets = 0
    for _ in range(150):
        assert info["action_bounds"].shape == (3, 2, 3)
        for i in range(3):
            p = np.clip(policy(obs[i]), low, high).astype(np.float32)
            np.testing.assert_allclose(info["action_bounds"][i], prior_bounds(p, low, high, np.float32(0.3)), atol=1e-6)
        obs, _, terminated, truncated, info = envs.step(rng.uniform(-1, 1, (3, 3)).astype(np.float32))
        resets += int(np.sum(terminated | truncated))
    envs.close()
    assert resets > 0  # the check above covered observations right after autoresets


def test_constructor_args_are_recorded_and_the_stack_can_be_remade():
    env = full_stack("Hopper-v4", total=5000)
    names = [w.name for w in env.spec.additional_wrappers]
    assert names[-3:] == ["LLMBoundsWrapper", "EpsilonMaskWrapper", "NormalizedMaskedAction"]
    assert env.spec.additional_wrappers[-2].kwargs["total_timesteps"] == 5000
    remade = gym.make(env.spec)
    _, info = remade.reset(seed=1)
    assert isinstance(remade, NormalizedMaskedAction) and info["action_bounds"].shape == (2, 3)


def test_recorded_prior_path_is_absolute_so_the_spec_remakes_from_anywhere(tmp_path, monkeypatch):
    prior = shipped_prior("Hopper-v4")
    monkeypatch.chdir(prior.parent.parent)
    relative = f"{prior.parent.name}/{prior.name}"  # as the README writes it
    env = NormalizedMaskedAction(LLMBoundsWrapper(gym.make("Hopper-v4"), policy=relative))
    recorded = env.spec.additional_wrappers[-2].kwargs["policy"]
    assert os.path.isabs(recorded) and Path(recorded).samefile(prior)
    monkeypatch.chdir(tmp_path)
    _, info = gym.make(env.spec).reset(seed=0)
    assert "prior_error" not in info
    source = prior.read_text()  # source code is recorded as it is
    assert LLMBoundsWrapper(gym.make("Hopper-v4"), policy=source).spec.additional_wrappers[-1].kwargs["policy"] == source


class _Rescale(gym.wrappers.RescaleAction):
    """RescaleAction onto [-0.5, 0.5]: other units than the bounds beneath it."""

    def __init__(self, env):
        super().__init__(env, -0.5, 0.5)


@pytest.mark.parametrize("upper", [EpsilonMaskWrapper, BoundsObservation, NormalizedMaskedAction])
def test_an_action_wrapper_that_changes_the_units_between_is_refused(upper):
    kwargs = {"total_timesteps": 1000} if upper is EpsilonMaskWrapper else {}
    env = LLMBoundsWrapper(gym.make("Hopper-v4"), policy=str(shipped_prior("Hopper-v4")))
    if upper is NormalizedMaskedAction:
        env = EpsilonMaskWrapper(env, total_timesteps=1000)
    with pytest.raises(ValueError, match=rf"sits between LLMBoundsWrapper and {upper.__name__}.*Move that wrapper"):
        upper(_Rescale(env), **kwargs)


def test_an_action_wrapper_beneath_or_above_is_accepted_and_the_mask_holds():
    env = LLMBoundsWrapper(_Rescale(gym.make("Hopper-v4")), policy=lambda obs: np.zeros(3), bias=0.3)
    env = _Rescale(NormalizedMaskedAction(EpsilonMaskWrapper(env, mask_fraction=1.0, total_timesteps=10**6)))
    _, info = env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(100):
        bounds = info["action_bounds"]
        _, _, terminated, truncated, info = env.step(rng.uniform(-0.5, 0.5, 3).astype(np.float32))
        assert np.all(bounds[0] <= info["env_action"]) and np.all(info["env_action"] <= bounds[1])
        if terminated or truncated:
            _, info = env.reset()
