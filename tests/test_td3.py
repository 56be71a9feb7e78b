"""cleanrl_scripts/td3_camel.py: the masking-aware target and actor loss, replay transitions, runs, resume, errors."""

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "cleanrl_scripts" / "td3_camel.py"
sys.path.insert(0, str(SCRIPT.parent))
import td3_camel  # noqa: E402

from camel_gym import load_policy, records  # noqa: E402
from camel_gym.masking import prior_bounds  # noqa: E402

SMALL = ["--buffer-size", "2000", "--batch-size", "32", "--no-progress", "--eval-episodes", "1"]


def run_script(*args, tmp_path, env=None, timeout=240, check=True):
    runs_dir = [] if "--resume" in args else ["--runs-dir", str(tmp_path / "runs")]  # a resumed run has its own
    cmd = [sys.executable, str(SCRIPT), *runs_dir, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return done


def only_run_dir(tmp_path) -> Path:
    (run_dir,) = (tmp_path / "runs").iterdir()
    return run_dir


def scalars(run_dir: Path) -> dict:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir))
    acc.Reload()
    return {tag: [e.value for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


# --- the masking-aware learner on hand-made tensors ---------------------------------------------


class ConstActor(torch.nn.Module):
    def __init__(self, x):
        super().__init__()
        self.x = torch.as_tensor(x, dtype=torch.float32)

    def forward(self, obs):
        return self.x.expand(obs.shape[0], -1).clone()


class LinearTwinQ(torch.nn.Module):
    """Q_i(s, a) = k_i * sum(a): easy to compute by hand, and it records the actions it saw."""

    def __init__(self, ks):
        super().__init__()
        self.ks = torch.tensor(ks, dtype=torch.float32)
        self.seen = []

    def forward(self, obs, action):
        self.seen.append(action.clone())
        return self.ks[:, None] * action.sum(-1)[None, :]


def test_target_maps_the_target_action_into_the_next_states_bounds():
    next_bounds = torch.tensor([[[0.0, -1.0], [0.5, -0.5]], [[0.2, 0.2], [0.2, 0.2]]])
    qf = LinearTwinQ([1.0, 2.0])
    y = td3_camel.td3_target(
        rewards=torch.tensor([1.0, 1.0]), terminations=torch.tensor([0.0, 1.0]), next_obs=torch.zeros(2, 3),
        next_bounds=next_bounds, target_actor=ConstActor([1.0, -1.0]), qf_target=qf,
        gamma=0.9, policy_noise=0.0, noise_clip=0.5,
    )
    # x = (1, -1) maps to (upper_0, lower_1): (0.5, -1.0) and (0.2, 0.2); the min over k = 1, 2
    # of k * sum is 1 * -0.5 for the first, and the second transition is terminal
    np.testing.assert_allclose(y.numpy(), [1.0 + 0.9 * -1.0, 1.0], rtol=1e-6)


def test_target_actions_lie_inside_the_next_bounds_with_noise():
    gen = torch.Generator().manual_seed(0)
    lower = torch.rand(64, 3) - 0.5
    next_bounds = torch.stack([lower, lower + 0.3 * torch.rand(64, 3)], dim=1)
    qf = LinearTwinQ([1.0, 1.0])
    for noise in (0.5, 0.0):
        td3_camel.td3_target(
            torch.zeros(64), torch.zeros(64), torch.zeros(64, 5), next_bounds, ConstActor([0.99, -0.99, 0.0]),
            qf, 0.99, policy_noise=noise, noise_clip=0.5, generator=gen,
        )
    noisy, noiseless = qf.seen
    assert torch.all(noisy >= next_bounds[:, 0] - 1e-6) and torch.all(noisy <= next_bounds[:, 1] + 1e-6)
    # the smoothing noise was applied: most target actions moved
    moved = (noisy - noiseless).abs() > 1e-6
    assert moved.float().mean() > 0.5


def test_actor_gradient_flows_through_the_mapping_and_not_into_the_critic():
    torch.manual_seed(0)
    actor, qf = td3_camel.Actor(4, 2), td3_camel.TwinQ(4, 2)
    obs = torch.randn(16, 4)
    wide = torch.tensor([[-1.0, -1.0], [1.0, 1.0]]).expand(16, 2, 2)
    td3_camel.td3_actor_loss(obs, wide, actor, qf).backward()
    assert actor.fc_mu.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in qf.parameters())
    # a zero-width mask pins the action: no gradient can reach the actor through it
    actor.zero_grad()
    pinned = torch.tensor([[0.3, -0.2], [0.3, -0.2]]).expand(16, 2, 2)
    td3_camel.td3_actor_loss(obs, pinned, actor, qf).backward()
    assert actor.fc_mu.weight.grad.abs().sum() == 0
    # and half the width halves the gradient: d MAP / dx = (upper - lower) / 2
    actor.zero_grad()
    td3_camel.td3_actor_loss(obs, wide, actor, qf).backward()
    g_wide = actor.fc_mu.weight.grad.clone()
    actor.zero_grad()
    mid = torch.tensor([[-0.5, -0.5], [0.5, 0.5]]).expand(16, 2, 2)
    qf_scaled = td3_camel.TwinQ(4, 2)
    qf_scaled.load_state_dict(qf.state_dict())
    with torch.no_grad():  # compensate: Q(s, a/2) with first-layer action weights doubled == Q(s, a)
        qf_scaled.w1[:, 4:, :] *= 2
    td3_camel.td3_actor_loss(obs, mid, actor, qf_scaled).backward()
    torch.testing.assert_close(actor.fc_mu.weight.grad, g_wide, rtol=1e-4, atol=1e-6)


def test_twin_critics_are_two_independent_networks():
    qf = td3_camel.TwinQ(3, 2)
    assert not torch.equal(qf.w2[0], qf.w2[1])
    obs, act = torch.randn(5, 3), torch.randn(5, 2)
    q = qf(obs, act)
    assert q.shape == (2, 5)
    torch.testing.assert_close(qf.q1(obs, act), q[0])


def _learner(obs_dim, act_dim, seed):
    torch.manual_seed(seed)
    actor, qf = td3_camel.Actor(obs_dim, act_dim), td3_camel.TwinQ(obs_dim, act_dim)
    target_actor, qf_target = td3_camel.Actor(obs_dim, act_dim), td3_camel.TwinQ(obs_dim, act_dim)
    target_actor.load_state_dict(actor.state_dict())
    qf_target.load_state_dict(qf.state_dict())
    for p in list(target_actor.parameters()) + list(qf_target.parameters()):
        p.requires_grad_(False)
    q_optimizer = torch.optim.Adam(qf.parameters(), lr=3e-4, fused=True)
    actor_optimizer = torch.optim.Adam(actor.parameters(), lr=3e-4, fused=True)
    return actor, qf, target_actor, qf_target, q_optimizer, actor_optimizer


def test_q_filter_rates_the_prior_against_the_actors_unmasked_action_by_the_lower_critic():
    full = torch.tensor([[-2.0, -2.0], [2.0, 2.0]])
    actor = ConstActor([0.5, 0.5])  # unmasked, MAP(0.5, [-2, 2]) = 1 per dimension: sum 2
    qf = LinearTwinQ([1.0, -1.0])  # min(Q_1, Q_2) = -|sum(a)|; Q_1 alone, Q_2 alone or the mean give other gaps
    obs = torch.arange(12, dtype=torch.float32).reshape(6, 2)  # first coordinates 0, 2, 4, 6, 8, 10

    def prior(o):
        if o[0] == 8:
            raise ZeroDivisionError("an untrusted prior fails on this state")
        if o[0] == 10:
            return np.zeros(3)  # not an action of this space
        return {0: [9.0, 1.0], 2: [9.0, 1.0], 4: [-0.5, 0.0], 6: [0.5, 0.0]}[int(o[0])]  # the first clipped to [2, 1]

    signals = td3_camel.q_filter(obs, prior, actor, qf, full)
    assert signals["q_filter_states"] == 4  # the failing state and the misshapen answer are skipped
    # min(Q_1, Q_2) of the prior's actions -3, -3, -0.5, -0.5 against the actor's -2
    assert signals["q_filter_share"] == pytest.approx(0.5)
    assert signals["q_filter_gap"] == pytest.approx((-1 - 1 + 1.5 + 1.5) / 4)
    torch.testing.assert_close(qf.seen[0][0], torch.tensor([2.0, 1.0]))  # clipped into the space
    torch.testing.assert_close(qf.seen[1], torch.ones(4, 2))  # the actor's action, mapped into the space
    assert td3_camel.q_filter(obs, lambda o: 1 / 0, actor, qf, full) == {"q_filter_states": 0.0}


def test_q_filter_is_logged_while_the_mask_is_on_and_changes_nothing(tmp_path):
    flags = ["--env-id", "Hopper-v4", "--total-timesteps", "2100", "--learning-starts", "500", "--mask-timesteps", "1500",
             "--eval-every", "0", "--checkpoint-every", "0", "--masking", "random", *SMALL]
    run_script(*flags, tmp_path=tmp_path / "logged")
    run_script(*flags, "--no-log-q-filter", tmp_path=tmp_path / "plain")
    logged, plain = scalars(only_run_dir(tmp_path / "logged")), scalars(only_run_dir(tmp_path / "plain"))
    assert logged["charts/q_filter_states"] == [32.0]  # one replay batch at step 999; none once the mask is off at 1500
    assert 0 <= logged["charts/q_filter_share"][0] <= 1 and math.isfinite(logged["charts/q_filter_gap"][0])
    assert not any(tag.startswith("charts/q_filter") for tag in plain)
    # the measurement draws nothing from training's random streams: the same run, step for step
    assert logged["losses/qf1_loss"] == plain["losses/qf1_loss"] and len(plain["losses/qf1_loss"]) == 15
    assert logged["losses/actor_loss"] == plain["losses/actor_loss"]
    assert logged["charts/episodic_return"] == plain["charts/episodic_return"]


def test_fast_update_computes_the_same_losses_gradients_and_parameters_as_autograd():
    obs_dim, act_dim, n = 11, 3, 512
    args = td3_camel.Args()
    rb = td3_camel.ReplayBuffer(n, obs_dim, act_dim, torch.device("cpu"))
    rng = np.random.default_rng(0)
    for _ in range(n):  # narrow masks at random places, some terminal transitions
        lows = [rng.uniform(-1, 0.6, act_dim) for _ in range(2)]
        bounds, next_bounds = ([low, low + rng.uniform(0.05, 0.4, act_dim)] for low in lows)
        rb.add(rng.normal(size=obs_dim), rng.normal(size=obs_dim), rng.uniform(-1, 1, act_dim), rng.normal(),
               rng.random() < 0.1, bounds, next_bounds)
    plain, fast = _learner(obs_dim, act_dim, seed=3), _learner(obs_dim, act_dim, seed=3)
    gen_plain, gen_fast = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    close = {"rtol": 1e-6, "atol": 1e-6}
    for step in range(1, 7):  # critic-only and critic-and-actor steps alike
        out_plain = td3_camel.td3_update(step, rb.sample(64, gen_plain), *plain, args, gen_plain)
        out_fast = td3_camel.td3_update_fast(step, rb.sample(64, gen_fast), *fast, args, gen_fast)
        torch.testing.assert_close(out_fast[0], out_plain[0], **close)  # Q-values
        torch.testing.assert_close(out_fast[1], out_plain[1], **close)  # critic losses
        assert (out_fast[2] is None) == (out_plain[2] is None) == (step % args.policy_frequency != 0)
        if out_plain[2] is not None:
            torch.testing.assert_close(out_fast[2], out_plain[2], **close)  # actor loss
        for module_plain, module_fast in zip(plain[:4], fast[:4], strict=True):
            for (name, p_plain), p_fast in zip(module_plain.named_parameters(), module_fast.parameters(), strict=True):
                assert (p_fast.grad is None) == (p_plain.grad is None), name
                if p_plain.grad is not None:
                    assert p_plain.grad.abs().max() > 0, name  # a gradient that could be wrong
                    torch.testing.assert_close(p_fast.grad, p_plain.grad, **close, msg=f"d/d {name}, step {step}")
                torch.testing.assert_close(p_fast, p_plain, **close, msg=f"{name} after step {step}")


def test_replay_buffer_memory_for_ant_at_one_million():
    rb = td3_camel.ReplayBuffer(1_000_000, obs_dim=27, act_dim=8, device=torch.device("cpu"))
    assert rb.nbytes <= 0.6 * 1024**3, rb.nbytes


# --- whole runs --------------------------------------------------------------------------------


COUNTER_ENV = textwrap.dedent(
    '''
    """A tiny env whose observations say where they come from: [episode, t]."""
    import gymnasium as gym
    import numpy as np


    class CounterEnv(gym.Env):
        observation_space = gym.spaces.Box(-1e6, 1e6, (2,), np.float32)
        action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

        def __init__(self):
            self.episode, self.t = -1, 0

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            self.episode, self.t = self.episode + 1, 0
            return np.array([self.episode, 0], np.float32), {}

        def step(self, action):
            self.t += 1
            terminated = self.episode % 2 == 1 and self.t == 5  # odd episodes end at t = 5
            return np.array([self.episode, self.t], np.float32), float(self.t), terminated, False, {}


    gym.register("CounterEnv-v0", entry_point=CounterEnv, max_episode_steps=7)  # even episodes: truncated at 7
    '''
)
COUNTER_PRIOR = "def policy(obs):\n    return [obs[1] / 4.0 - 1.0]\n"


def test_no_stored_transition_crosses_an_episode_boundary(tmp_path):
    (tmp_path / "counter_env.py").write_text(COUNTER_ENV)
    (tmp_path / "prior.py").write_text(COUNTER_PRIOR)
    run_script(
        "--env-id", "counter_env:CounterEnv-v0", "--policy", str(tmp_path / "prior.py"), "--total-timesteps", "150",
        "--learning-starts", "1000", "--checkpoint-every", "100", "--eval-every", "0", "--mask-fraction", "1.0", *SMALL,
        tmp_path=tmp_path, env={"PYTHONPATH": str(tmp_path)},
    )
    buffer = torch.load(only_run_dir(tmp_path) / "checkpoint.pt", weights_only=False)["replay_buffer"]["data"].numpy()
    assert buffer.shape[0] == 150  # the checkpoint of the last step
    columns = td3_camel.ReplayBuffer(1, obs_dim=2, act_dim=1, device=torch.device("cpu")).columns
    obs, next_obs, action, reward, term, bounds, next_bounds = (buffer[:, columns[name]] for name in columns)
    action, reward, term = action[:, 0], reward[:, 0], term[:, 0]
    bounds, next_bounds = bounds.reshape(-1, 2, 1), next_bounds.reshape(-1, 2, 1)

    # the bounds each observation must carry: the same wrappers with the same seed draw the same
    # masks, and the prior's box (or, where the draw dropped the mask, the full space) follows
    sys.path.insert(0, str(tmp_path))
    try:
        import counter_env  # noqa: F401  (registers CounterEnv-v0)
    finally:
        sys.path.remove(str(tmp_path))
    replica = td3_camel.make_env(
        td3_camel.Args(env_id="CounterEnv-v0", total_timesteps=150, mask_fraction=1.0),
        prior=load_policy(str(tmp_path / "prior.py"), trial=False),
    )
    low, high = np.array([-1.0]), np.array([1.0])

    def expected(o, info):
        if info["mask_applied"]:
            want = prior_bounds(np.array([o[1] / 4.0 - 1.0]), low, high, 0.3)
        else:
            want = np.array([low, high])
        np.testing.assert_allclose(info["action_bounds"], want, atol=1e-6)  # the replica's bounds are as documented
        return info["action_bounds"].astype(np.float32), info["mask_applied"]

    o, info = replica.reset(seed=1)  # the script resets with --seed (1) at step 0
    want_bounds, applied = expected(o, info)
    masked = 0
    for i in range(len(buffer)):
        np.testing.assert_array_equal(obs[i], o)
        np.testing.assert_array_equal(bounds[i], want_bounds, err_msg=f"bounds(s) of transition {i}")
        masked += applied
        o, r, terminated, truncated, info = replica.step(action[i : i + 1])
        want_next, _ = expected(o, info)
        np.testing.assert_array_equal(next_obs[i], o)  # same episode, next step: never a reset observation
        np.testing.assert_array_equal(next_bounds[i], want_next, err_msg=f"bounds(s') of transition {i}")
        assert reward[i] == r == next_obs[i, 1]
        assert term[i] == float(terminated) == float(obs[i, 0] % 2 == 1 and next_obs[i, 1] == 5)  # truncation at 7 is not termination
        assert bounds[i, 0, 0] <= action[i] <= bounds[i, 1, 0]
        if terminated or truncated:
            o, info = replica.reset()
            want_bounds, applied = expected(o, info)
            assert o[1] == 0  # the next row starts the next episode
        else:
            want_bounds = want_next
            applied = info["mask_applied"]
    # eps_t falls from 1 to 1/3 over these 100 steps: most observations carry the prior's box, some do not
    assert 50 <= masked < 100
    ends = np.flatnonzero(next_obs[:, 1] == np.where(obs[:, 0] % 2 == 1, 5, 7))
    assert len(ends) >= 10


def test_mask_timesteps_fades_the_mask_over_that_many_steps():
    env = td3_camel.make_env(
        td3_camel.Args(env_id="Pendulum-v1", total_timesteps=300_000, mask_timesteps=200_000), prior=lambda obs: [0.0],
    )
    clock = env.get_wrapper_attr("set_timestep")
    for step, probability in ((0, 1.0), (100_000, 0.5), (200_000, 0.0), (250_000, 0.0)):
        clock(step)
        assert env.get_wrapper_attr("mask_probability")() == pytest.approx(probability, abs=1e-12)


def test_flags_given_names_the_fields_on_the_command_line():
    given = td3_camel.flags_given(["--resume", "runs/x", "--total-timesteps=5", "--no-progress", "--eval_every", "3", "--help"])
    assert given == {"resume", "total_timesteps", "progress", "eval_every"}


def test_the_bar_shows_a_dash_before_the_first_evaluation(tmp_path):
    (tmp_path / "counter_env.py").write_text(COUNTER_ENV)
    done = run_script(
        "--env-id", "counter_env:CounterEnv-v0", "--masking", "none", "--total-timesteps", "1000", "--learning-starts",
        "1000", "--eval-every", "0", "--checkpoint-every", "0", "--buffer-size", "1000",
        tmp_path=tmp_path, env={"PYTHONPATH": str(tmp_path)},
    )
    assert "eval=-" in done.stderr and "nan" not in done.stderr, done.stderr[-2000:]


@pytest.mark.parametrize("masking", ["none", "llm", "random"])
def test_smoke_run_per_masking_mode(masking, tmp_path):
    done = run_script(
        "--env-id", "Hopper-v4", "--masking", masking, "--total-timesteps", "400", "--learning-starts", "150",
        "--eval-every", "200", "--checkpoint-every", "0", "--save-model", *SMALL, tmp_path=tmp_path,
    )
    run_dir = only_run_dir(tmp_path)
    assert {"args.json", "eval.csv", "summary.json", "td3_camel.cleanrl_model"} <= {p.name for p in run_dir.iterdir()}
    # the run directory is announced before training, even without the progress bar
    assert done.stderr.index(f"run directory: {run_dir}") < done.stderr.index("model saved to")
    assert (run_dir / "eval.csv").read_text().splitlines()[0] == ",".join(records.TRAINING_EVAL_COLUMNS)
    rows = records.read_eval_csv(run_dir)
    assert [r.global_step for r in rows] == [200, 400]
    assert all(math.isfinite(r.return_mean) for r in rows)
    tags = scalars(run_dir)
    for tag in ("charts/episodic_return", "losses/qf1_loss", "losses/qf2_loss", "losses/actor_loss", "eval/episodic_return"):
        assert tags[tag] and all(math.isfinite(v) for v in tags[tag]), tag
    summary = records.read_summary(run_dir)
    assert summary.masking == masking and summary.learning_steps_per_second > 0
    assert 0 < summary.update_share_of_learning_time < 1
    # the masked evaluation runs beside the unmasked one, except for plain TD3
    if masking == "none":
        assert all(r.masked_return_mean is None for r in rows) and "eval/masked_episodic_return" not in tags
        assert summary.last_masked_eval_return is None
    else:
        assert all(math.isfinite(r.masked_return_mean) for r in rows)
        assert len(tags["eval/masked_episodic_return"]) == 2
        assert summary.last_masked_eval_return == pytest.approx(rows[-1].masked_return_mean, abs=1e-3)


def test_the_random_prior_draws_apart_from_exploration():
    # exploration's warm-up draws come from default_rng(seed): on the same stream, every draw of the
    # first episode equalled the random prior's own, so actions were a function of the mask's centre
    space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    prior, exploration = td3_camel.random_prior(space, 1), np.random.default_rng(1)
    draws = np.array([prior(None) for _ in range(200)])
    assert not np.allclose(draws[:50], exploration.uniform(-1.0, 1.0, (50, 3)))
    assert np.all(np.abs(draws) <= 1.0) and abs(draws.mean()) < 0.1 and draws.std() > 0.5  # uniform in the box


def test_expert_masking_uses_a_saved_actor(tmp_path):
    run_script("--env-id", "Hopper-v4", "--masking", "none", "--total-timesteps", "200", "--learning-starts", "100",
               "--eval-every", "0", "--checkpoint-every", "200", "--save-model", *SMALL, tmp_path=tmp_path / "a")
    model = only_run_dir(tmp_path / "a") / "td3_camel.cleanrl_model"
    space = gym.make("Hopper-v4").action_space
    # the checkpoint holds the actor too, but it is not what --expert-model takes: say which file is
    with pytest.raises(ValueError, match=r"it is a checkpoint\.pt, which is for --resume; the actor to mask with is a run's td3"):
        td3_camel.expert_prior(str(model.with_name("checkpoint.pt")), "Hopper-v4", space, 11)
    (tmp_path / "garbage").write_bytes(b"not a saved model")
    with pytest.raises(ValueError, match=r"--save-model \(not a torch file of tensors\)"):
        td3_camel.expert_prior(str(tmp_path / "garbage"), "Hopper-v4", space, 11)
    # the prior is the saved actor's action, put into the env's action space, computed in NumPy
    prior = td3_camel.expert_prior(str(model), "Hopper-v4", space, 11)
    actor = td3_camel.Actor(11, 3)
    actor.load_state_dict(torch.load(model, weights_only=True)["actor"])
    obs = np.random.default_rng(0).normal(size=(5, 11))
    with torch.no_grad():
        expected = actor(torch.as_tensor(obs, dtype=torch.float32)).numpy() * space.high  # Hopper's box is [-1, 1]^3
    np.testing.assert_allclose([prior(o) for o in obs], expected, atol=1e-5)
    assert np.abs(expected).max() > 1e-3  # a zero actor would not show a wrong mapping
    run_script("--env-id", "Hopper-v4", "--masking", "expert", "--expert-model", str(model), "--total-timesteps", "200",
               "--learning-starts", "100", "--eval-every", "0", "--checkpoint-every", "0", *SMALL, tmp_path=tmp_path / "b")
    text = (only_run_dir(tmp_path / "b") / "summary.json").read_text()

    def refuse(token):
        raise AssertionError(f"summary.json is not strict JSON: it holds {token}")

    summary = json.loads(text, parse_constant=refuse)  # --eval-every 0: no eval return, written as null
    assert summary["masking"] == "expert" and summary["prior_errors"] == 0
    assert summary["last_eval_return"] is None and summary["last_masked_eval_return"] is None
    # an actor trained on another env is refused before anything is written
    done = run_script("--env-id", "Walker2d-v4", "--masking", "expert", "--expert-model", str(model),
                      "--total-timesteps", "10", tmp_path=tmp_path / "c", check=False, timeout=60)
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"td3_camel.py: error: --expert-model {model} was trained on Hopper-v4, not on --env-id Walker2d-v4" in done.stderr
    assert not (tmp_path / "c" / "runs").exists()


def test_killed_run_resumes_to_completion(tmp_path):
    args = ["--env-id", "Hopper-v4", "--total-timesteps", "2400", "--learning-starts", "200", "--eval-every", "200",
            "--checkpoint-every", "400", *SMALL]
    proc = subprocess.Popen([sys.executable, str(SCRIPT), "--runs-dir", str(tmp_path / "runs"), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # kill once there is a checkpoint and an evaluation logged after it, which the resume must drop
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        checkpoints = list((tmp_path / "runs").glob("*/checkpoint.pt"))
        try:
            rows = records.read_eval_csv(checkpoints[0].parent) if checkpoints else []
        except records.RecordError:  # a row caught half-written
            rows = []
        if rows and rows[-1].global_step > torch.load(checkpoints[0], weights_only=False)["global_step"]:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # kill -9: no chance to clean up
    proc.wait()
    run_dir = only_run_dir(tmp_path)
    assert not (run_dir / "summary.json").exists(), "the run finished before it could be killed"
    saved = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    killed_at = saved["global_step"]
    assert 400 <= killed_at < 2400
    row_bytes = td3_camel.ReplayBuffer(1, obs_dim=11, act_dim=3, device=torch.device("cpu")).nbytes  # Hopper-v4
    assert saved["replay_buffer"]["data"].untyped_storage().nbytes() == killed_at * row_bytes  # filled rows only
    before = [r for r in records.read_eval_csv(run_dir) if r.global_step <= killed_at]
    done = run_script("--resume", str(run_dir), tmp_path=tmp_path)
    assert f"resumed {run_dir} at step {killed_at}" in done.stderr
    assert records.read_summary(run_dir).total_timesteps == 2400
    rows = records.read_eval_csv(run_dir)
    assert [r.global_step for r in rows] == list(range(200, 2401, 200))  # no lost or duplicated evaluations
    assert rows[: len(before)] == before
    clock = [r.wall_seconds for r in rows]
    assert clock == sorted(clock) and clock[len(before)] >= saved["wall_seconds"]  # the clock goes on across the resume
    assert scalars(run_dir)["eval/episodic_return"]


def test_resume_of_a_run_from_before_the_new_fields(tmp_path):
    """A run of an older td3_camel.py: args.json without --mask-timesteps/--eval-masked, eval.csv
    without masked_return_mean, a checkpoint without wall_seconds. It resumes, extended, and the
    mask keeps fading over the steps it was set to."""
    # an older script's run of 600 steps, killed after its evaluation at 600: its last checkpoint
    # is the one at 400 (made here by a run of 400 steps, whose args.json then says 600)
    run_script("--env-id", "Hopper-v4", "--total-timesteps", "400", "--learning-starts", "200", "--eval-every", "200",
               "--checkpoint-every", "400", "--mask-fraction", "0.3", *SMALL, tmp_path=tmp_path)
    run_dir = only_run_dir(tmp_path)
    args = json.loads((run_dir / "args.json").read_text())
    for new_field in ("mask_timesteps", "eval_masked"):
        del args[new_field]
    args["total_timesteps"], args["mask_fraction"] = 600, 0.2  # the mask of 0.2 x 600 = 120 steps, as the 400-step run had
    (run_dir / "args.json").write_text(json.dumps(args))
    old_columns = ["global_step", "return_mean", "return_std", "length_mean", "episodes", "wall_seconds"]
    with (run_dir / "eval.csv").open("w", newline="") as f:
        f.write(",".join(old_columns) + "\n200,5.000,0.000,9.0,1,1000.0\n400,6.000,0.000,9.0,1,1001.0\n600,7.000,0.000,9.0,1,1002.0\n")
    checkpoint = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    del checkpoint["wall_seconds"]
    torch.save(checkpoint, run_dir / "checkpoint.pt")
    (run_dir / "summary.json").unlink()

    # flags that would change the run are refused, by name, and nothing changes
    refused = run_script("--resume", str(run_dir), "--seed", "2", "--bias", "0.5", "--total-timesteps", "800",
                         tmp_path=tmp_path, check=False, timeout=60)
    assert refused.returncode == 2
    assert f"td3_camel.py: error: --resume continues {run_dir} with its own arguments, so --bias, --seed cannot" in refused.stderr
    assert json.loads((run_dir / "args.json").read_text()) == args

    done = run_script("--resume", str(run_dir), "--total-timesteps", "800", tmp_path=tmp_path)
    assert f"resumed {run_dir} at step 400" in done.stderr
    resumed = records.read_run_args(run_dir)
    assert resumed["total_timesteps"] == 800
    assert resumed["mask_timesteps"] == 120 and resumed["mask_fraction"] is None  # 0.2 of the 600 steps it began with
    rows = records.read_eval_csv(run_dir)
    assert [r.global_step for r in rows] == [200, 400, 600, 800]  # the killed run's 600 dropped, run again
    assert [r.masked_return_mean is None for r in rows] == [True, True, False, False]
    assert rows[2].wall_seconds > 1001.0  # counted on from the last evaluation before the checkpoint
    assert records.read_summary(run_dir).total_timesteps == 800


def test_a_finished_run_extends_from_its_last_step(tmp_path):
    """--resume --total-timesteps on a finished run neither redoes steps nor rewrites evaluations."""
    run_script("--env-id", "Hopper-v4", "--total-timesteps", "600", "--learning-starts", "200", "--eval-every", "300",
               "--checkpoint-every", "400", *SMALL, tmp_path=tmp_path / "a")
    run_dir = only_run_dir(tmp_path / "a")
    finished = records.read_eval_csv(run_dir)
    done = run_script("--resume", str(run_dir), "--total-timesteps", "900", tmp_path=tmp_path)
    assert f"resumed {run_dir} at step 600" in done.stderr
    rows = records.read_eval_csv(run_dir)
    assert rows[:2] == finished and [r.global_step for r in rows] == [300, 600, 900]
    assert records.read_summary(run_dir).total_timesteps == 900
    # a run that wrote no checkpoint cannot be extended, and says why
    run_script("--env-id", "Hopper-v4", "--total-timesteps", "300", "--learning-starts", "200", "--eval-every", "0",
               "--checkpoint-every", "0", *SMALL, tmp_path=tmp_path / "b")
    refused = run_script("--resume", str(only_run_dir(tmp_path / "b")), "--total-timesteps", "600", tmp_path=tmp_path,
                         check=False, timeout=60)
    assert refused.returncode == 2 and "the run finished and left no checkpoint.pt (--checkpoint-every 0" in refused.stderr
    again = run_script("--resume", str(run_dir), tmp_path=tmp_path, check=False, timeout=60)  # finished, not extended
    assert again.returncode == 2 and "the run is finished (900 steps, summary.json); give --total-timesteps beyond it" in again.stderr
    # killed after its last checkpoint, before its summary (a sweep resumes with the same --total-timesteps)
    (run_dir / "summary.json").unlink()
    run_script("--resume", str(run_dir), "--total-timesteps", "900", tmp_path=tmp_path)
    summary = records.read_summary(run_dir)
    assert summary.total_timesteps == 900 and records.read_eval_csv(run_dir) == rows
    assert summary.last_eval_return == rows[-1].return_mean  # from eval.csv: this resume evaluated nothing


def test_adaptive_schedule_logs_its_gate_and_resumes_with_what_it_learned(tmp_path):
    harmful = REPO / "llm_policies" / "test_priors" / "hopper_v4_backward.py"
    common = ["--env-id", "Hopper-v4", "--policy", str(harmful), "--mask-schedule", "adaptive", "--mask-timesteps", "600",
              "--learning-starts", "1100", "--eval-every", "0", *SMALL]
    run_script(*common, "--total-timesteps", "1200", "--checkpoint-every", "0", tmp_path=tmp_path / "whole")
    tags = scalars(only_run_dir(tmp_path / "whole"))
    for tag in ("charts/mask_probability", "charts/mask_gate", "charts/mask_verdict", "charts/mask_masked_episodes"):
        assert len(tags[tag]) == 1, tag  # logged at step 999
    uninterrupted = tags["charts/mask_masked_episodes"][0]
    # the same run in two parts: 600 steps (its checkpoint at the last step), then extended to 1200
    run_script(*common, "--total-timesteps", "600", "--checkpoint-every", "600", tmp_path=tmp_path / "parts")
    run_dir = only_run_dir(tmp_path / "parts")
    state = torch.load(run_dir / "checkpoint.pt", weights_only=False)["mask_schedule"]
    assert state["masked_episodes"] > 5 and state["unmasked_episodes"] > 0
    # 3 unmasked episodes by step 600 are too few for a verdict, and without one the gate stays put
    assert state["verdict"] == 0 and state["gate"] == pytest.approx(0.9)
    run_script("--resume", str(run_dir), "--total-timesteps", "1200", tmp_path=tmp_path)
    # the resumed run counts on from the checkpoint's episodes (about as many again in steps 600..999)
    resumed = scalars(run_dir)["charts/mask_masked_episodes"][0]
    assert resumed > state["masked_episodes"] and resumed == pytest.approx(uninterrupted, rel=0.35)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--masking", "none", "--mask-schedule", "adaptive"], "--mask-schedule adaptive schedules a mask, and --masking none"),
        (["--mask-schedule", "adaptive", "--mask-probe", "0.7"], "--mask-probe must lie in (0, 0.5]"),
        (["--env-id", "NoSuchEnv-v0"], "unknown --env-id 'NoSuchEnv-v0'"),
        (["--policy", "/nonexistent/prior.py"], "--policy /nonexistent/prior.py: no such prior file"),
        (["--masking", "expert"], "--masking expert needs --expert-model"),
        (["--env-id", "Humanoid-v4"], "no shipped prior for env id 'Humanoid-v4' (shipped: Hopper-v4, Hopper-v5, "),
        (["--env-id", "Humanoid-v4"], "): give --policy PRIOR.py"),
        (["--env-id", "Ant-v5"], "expects an observation of shape (27,), but Ant-v5 made with gym.make('Ant-v5') alone "
                                 "has (105,): give --policy PRIOR.py"),
        (["--bias", "1.5"], "--bias 1.5: bias must lie in (0, 1]"),
        (["--mask-fraction", "0.5", "--mask-timesteps", "10"], "--mask-fraction and --mask-timesteps both set"),
        (["--mask-timesteps", "20"], "--mask-timesteps must lie in [0, --total-timesteps 10], got 20"),
        (["--eval-every", "-1"], "--eval-every must be 0 or more, got -1"),
        (["--resume", "/nonexistent/run"], "--resume /nonexistent/run: /nonexistent/run has no args.json"),
        (["--policy", str(REPO / "tests" / "hostile" / "import_os.py")], "import of 'os' is not allowed"),
    ],
)
def test_clear_errors(args, message, tmp_path):
    done = run_script(*args, "--total-timesteps", "10", tmp_path=tmp_path, check=False, timeout=60)
    errors = [line for line in done.stderr.splitlines() if line.startswith("td3_camel.py: error: ")]
    assert done.returncode == 2 and len(errors) == 1 and message in errors[0], done.stderr[-2000:]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
