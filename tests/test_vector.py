"""Vector envs: per-env bounds stacked right after autoresets, one global epsilon schedule, batch mapping."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from camel_gym import (
    BoundsObservation,
    EpsilonMaskWrapper,
    LLMBoundsWrapper,
    load_policy,
    make_camel_env,
    prior_bounds,
    shipped_prior,
)
from camel_gym.vector import VectorBoundsObservation, VectorEpsilonMask, VectorNormalizedMaskedAction

PRIOR = str(shipped_prior("Hopper-v4"))
OBS_DIM, ACT_DIM = gym.make("Hopper-v4").observation_space.shape[0], gym.make("Hopper-v4").action_space.shape[0]
# the layout VectorBoundsObservation appends: [obs, lower, upper, mask flag]
LOWER_UPPER, FLAG = slice(OBS_DIM, OBS_DIM + 2 * ACT_DIM), OBS_DIM + 2 * ACT_DIM


def camel_vec(num_envs, mode, autoreset, total=10_000, mask_fraction=0.5):
    envs = gym.make_vec(
        "Hopper-v4", num_envs=num_envs, vectorization_mode=mode,
        vector_kwargs={"autoreset_mode": autoreset}, wrappers=[lambda e: LLMBoundsWrapper(e, policy=PRIOR, bias=0.3)],
    )
    envs = VectorEpsilonMask(envs, mask_fraction=mask_fraction, total_timesteps=total)
    return VectorNormalizedMaskedAction(VectorBoundsObservation(envs))


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("autoreset", [gym.vector.AutoresetMode.NEXT_STEP, gym.vector.AutoresetMode.SAME_STEP])
def test_rows_hold_the_bounds_of_their_own_observation(mode, autoreset):
    policy = load_policy(PRIOR, trial=False)
    envs = camel_vec(3, mode, autoreset, total=400)  # the mask fades within the first 67 steps
    low, high = envs.env.env.single_action_space.low, envs.env.env.single_action_space.high
    obs, info = envs.reset(seed=0)
    rng = np.random.default_rng(0)
    done_rows = masked_rows = 0
    for _ in range(200):
        raw_obs = obs[:, :OBS_DIM]
        for i in range(3):
            expected = prior_bounds(np.clip(policy(raw_obs[i]), low, high).astype(np.float32), low, high, np.float32(0.3))
            if info["mask_applied"][i]:
                masked_rows += 1
                np.testing.assert_allclose(info["action_bounds"][i], expected, atol=1e-6)
            else:
                np.testing.assert_array_equal(info["action_bounds"][i], [low, high])
            np.testing.assert_allclose(obs[i, LOWER_UPPER], info["action_bounds"][i].ravel())  # bounds in the observation
            assert obs[i, FLAG] == float(info["mask_applied"][i])
        bounds = info["action_bounds"]
        obs, _, terminated, truncated, info = envs.step(rng.uniform(-1, 1, (3, ACT_DIM)))
        assert np.all(bounds[:, 0] <= info["env_action"]) and np.all(info["env_action"] <= bounds[:, 1])
        done_rows += int(np.sum(terminated | truncated))
    envs.close()
    assert done_rows > 0 and masked_rows > 0


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_same_step_autoreset_gives_the_last_states_their_bounds(p):
    # a learner reads s' of a truncated episode from final_obs: it must have the extended layout,
    # and the bounds in force there, drawn like any state's (never masked with p = 0, always with 1)
    def make(length):
        return lambda: LLMBoundsWrapper(gym.make("Pendulum-v1", max_episode_steps=length), policy=lambda obs: [0.5], bias=0.3)

    envs = gym.vector.SyncVectorEnv([make(3), make(3), make(5)], autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    envs = VectorBoundsObservation(VectorEpsilonMask(envs, schedule=lambda t: p))
    envs.reset(seed=0)
    for _ in range(3):
        obs, _, _, truncated, info = envs.step(np.zeros((3, 1), np.float32))
    assert truncated.tolist() == [True, True, False]
    # final_info says which rows ended, and no wrapper above fills in the others
    for key in ("_final_obs", "_action_bounds", "_mask_applied"):
        assert (info if key == "_final_obs" else info["final_info"])[key].tolist() == [True, True, False], key
    expected = [[-0.1], [1.1]] if p else [[-2.0], [2.0]]  # the box 0.5 +- 0.3 x 2, or the whole space
    for row in range(2):
        final = info["final_obs"][row]
        assert final.shape == obs[row].shape == (6,)
        np.testing.assert_allclose(final[3:5], np.ravel(expected), atol=1e-6)
        assert final[5] == p
        np.testing.assert_allclose(info["final_info"]["action_bounds"][row], expected, atol=1e-6)
        assert info["final_info"]["mask_applied"][row] == bool(p)


def test_a_failed_prior_is_no_mask_in_the_vector_flag_either():
    failing = LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=lambda obs: 1 / 0)
    single = EpsilonMaskWrapper(failing, schedule=lambda t: 1.0)
    envs = VectorEpsilonMask(
        gym.vector.SyncVectorEnv([lambda: LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=lambda obs: 1 / 0)]), schedule=lambda t: 1.0
    )
    with pytest.warns(RuntimeWarning, match="prior policy failed"):
        _, info_s = single.reset(seed=0)
        _, info_v = envs.reset(seed=0)
    assert info_s["mask_applied"] is False and info_v["mask_applied"].tolist() == [False]
    np.testing.assert_array_equal(info_v["action_bounds"][0], [[-2.0], [2.0]])


def test_schedule_runs_on_the_global_step():
    envs = camel_vec(4, "sync", gym.vector.AutoresetMode.NEXT_STEP, total=400, mask_fraction=0.5)
    eps = envs.env.env  # the VectorEpsilonMask
    envs.reset(seed=1)
    for k in range(1, 60):
        _, _, _, _, info = envs.step(np.zeros((4, ACT_DIM)))
        assert eps.timestep == 4 * k
        assert eps.mask_probability() == pytest.approx(max(1 - 4 * k / 200, 0.0))
        if k >= 50:
            assert not info["mask_applied"].any()
    envs.close()


def test_one_sub_env_matches_the_single_env_wrapper():
    # Pendulum-v1 truncated at 20 steps: many episodes while the mask fades over 400 steps
    def make():
        return LLMBoundsWrapper(gym.make("Pendulum-v1", max_episode_steps=20), policy=lambda obs: [0.5])

    single = EpsilonMaskWrapper(make(), mask_fraction=1.0, total_timesteps=400)
    vector = VectorEpsilonMask(gym.vector.SyncVectorEnv([make]), mask_fraction=1.0, total_timesteps=400)
    _, info_s = single.reset(seed=5)
    _, info_v = vector.reset(seed=5)
    flags_s, flags_v = [info_s["mask_applied"]], [bool(info_v["mask_applied"][0])]
    rng = np.random.default_rng(0)
    for _ in range(400):
        action = rng.uniform(-2, 2, (1,)).astype(np.float32)
        _, _, terminated, truncated, info_s = single.step(action)
        _, _, _, _, info_v = vector.step(action[None])
        flags_s.append(info_s["mask_applied"])
        flags_v.append(bool(info_v["mask_applied"][0]))
        np.testing.assert_array_equal(info_s["action_bounds"], info_v["action_bounds"][0])
        if terminated or truncated:  # the vector env's next step is the reset, the single env's reset()
            _, info_s = single.reset()
            _, _, _, _, info_v = vector.step(action[None])
            flags_s.append(info_s["mask_applied"])
            flags_v.append(bool(info_v["mask_applied"][0]))
            np.testing.assert_array_equal(info_s["action_bounds"], info_v["action_bounds"][0])
    # the clocks count the same experience, so the fade (and every draw) agrees episode after episode
    assert single.timestep == vector.timestep == 400
    assert flags_s == flags_v and True in flags_s and False in flags_s


def test_bounds_observation_and_make_camel_env_pass_check_env():
    env = BoundsObservation(EpsilonMaskWrapper(LLMBoundsWrapper(gym.make("Hopper-v4"), policy=PRIOR), total_timesteps=10**6))
    check_env(env, skip_render_check=True)
    obs, info = env.reset(seed=0)
    assert env.observation_space.shape == (FLAG + 1,) and env.observation_space.contains(obs)
    np.testing.assert_array_equal(obs[LOWER_UPPER], info["action_bounds"].ravel())
    camel = make_camel_env("Hopper-v4", total_timesteps=10**6)
    check_env(camel, skip_render_check=True)
    check_env(make_camel_env("Hopper-v4", total_timesteps=10**6, mask_schedule="adaptive"), skip_render_check=True)
    assert camel.action_space == gym.spaces.Box(-1.0, 1.0, (ACT_DIM,), np.float32)


def test_bounds_observation_needs_a_flat_box():
    class DictObs(gym.Env):
        observation_space = gym.spaces.Dict({"a": gym.spaces.Box(-1, 1, (2,))})
        action_space = gym.spaces.Box(-1, 1, (2,))

    with pytest.raises(TypeError, match="flat Box observation space"):
        BoundsObservation(LLMBoundsWrapper(DictObs(), policy=lambda obs: [0.0, 0.0]))


def test_vector_wrappers_need_bounds_beneath():
    envs = gym.make_vec("Pendulum-v1", num_envs=2)
    with pytest.raises(RuntimeError, match="found no info\\['action_bounds'\\]"):
        VectorEpsilonMask(envs, total_timesteps=100).reset(seed=0)


def test_vector_mapping_and_observation_match_the_single_env_wrappers():
    from camel_gym import NormalizedMaskedAction

    def prior(obs):
        return [float(np.tanh(obs[0]))]

    single = NormalizedMaskedAction(BoundsObservation(LLMBoundsWrapper(gym.make("Pendulum-v1"), policy=prior, bias=0.4)))
    envs = gym.make_vec("Pendulum-v1", num_envs=1, wrappers=[lambda e: LLMBoundsWrapper(e, policy=prior, bias=0.4)])
    vector = VectorNormalizedMaskedAction(VectorBoundsObservation(envs))
    obs_s, _ = single.reset(seed=3)
    obs_v, _ = vector.reset(seed=3)
    for x in np.linspace(-1.5, 1.5, 25):
        np.testing.assert_allclose(obs_v[0], obs_s, rtol=1e-6)
        obs_s, _, _, _, info_s = single.step(np.array([x], np.float32))
        obs_v, _, _, _, info_v = vector.step(np.array([[x]], np.float32))
        np.testing.assert_allclose(info_v["env_action"][0], info_s["env_action"], rtol=1e-6)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("with_epsilon", [True, False], ids=["epsilon", "no-epsilon"])
def test_a_partial_reset_leaves_the_other_rows_bounds_alone(mode, with_epsilon):
    policy = load_policy(PRIOR, trial=False)
    envs = gym.make_vec(
        "Hopper-v4", num_envs=3, vectorization_mode=mode,
        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.DISABLED},
        wrappers=[lambda e: LLMBoundsWrapper(e, policy=PRIOR, bias=0.3)],
    )
    low, high = envs.single_action_space.low, envs.single_action_space.high
    if with_epsilon:
        envs = VectorEpsilonMask(envs, schedule=lambda t: 1.0)  # the mask always applies
    envs = VectorNormalizedMaskedAction(VectorBoundsObservation(envs))
    envs.reset(seed=0)
    for _ in range(5):
        obs, _, _, _, info = envs.step(np.zeros((3, ACT_DIM)))
    reset_mask = np.array([True, False, False])
    new_obs, new_info = envs.reset(seed=7, options={"reset_mask": reset_mask})
    kept = ~reset_mask
    np.testing.assert_array_equal(new_info["action_bounds"][kept], info["action_bounds"][kept])
    np.testing.assert_array_equal(new_obs[kept], obs[kept])  # bounds and flag in the observation too
    if with_epsilon:
        assert new_info["mask_applied"].all()
    expected = prior_bounds(np.clip(policy(new_obs[0, :OBS_DIM]), low, high).astype(np.float32), low, high, np.float32(0.3))
    np.testing.assert_allclose(new_info["action_bounds"][0], expected, atol=1e-6)
    # the next actions are mapped into those bounds: x = +1 lands on each row's upper bound
    _, _, _, _, step_info = envs.step(np.ones((3, ACT_DIM)))
    np.testing.assert_allclose(step_info["env_action"], new_info["action_bounds"][:, 1], atol=1e-6)
    envs.close()


@pytest.mark.parametrize("wrapper", [VectorEpsilonMask, VectorBoundsObservation, VectorNormalizedMaskedAction])
def test_vector_wrappers_refuse_infinite_bounds_as_the_single_env_ones(wrapper):
    envs = gym.make_vec("Pendulum-v1", num_envs=2, wrappers=[gym.wrappers.ClipAction])  # -inf..inf
    kwargs = {"total_timesteps": 100} if wrapper is VectorEpsilonMask else {}
    with pytest.raises(ValueError, match=rf"{wrapper.__name__} needs finite action bounds.*ClipAction"):
        wrapper(envs, **kwargs)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_wrappers_refuse_an_action_wrapper_that_changes_the_units(mode):
    def bounds(e):
        return LLMBoundsWrapper(e, policy=lambda obs: [0.0])

    def rescaled(e):
        return gym.wrappers.RescaleAction(e, -0.5, 0.5)

    inside = gym.make_vec("Pendulum-v1", num_envs=2, vectorization_mode=mode, wrappers=[bounds, rescaled])
    with pytest.raises(ValueError, match="sits between LLMBoundsWrapper and VectorEpsilonMask"):
        VectorEpsilonMask(inside, total_timesteps=100)
    inside.close()
    envs = VectorEpsilonMask(
        gym.make_vec("Pendulum-v1", num_envs=2, vectorization_mode=mode, wrappers=[bounds]), total_timesteps=100
    )
    between = gym.wrappers.vector.RescaleAction(envs, -0.5, 0.5)
    with pytest.raises(ValueError, match="sits between LLMBoundsWrapper and VectorNormalizedMaskedAction"):
        VectorNormalizedMaskedAction(between)
    VectorNormalizedMaskedAction(envs).reset(seed=0)  # the async workers survived the question
    envs.close()
