"""cleanrl_scripts/td3_camel.py: the masking-aware target and actor loss, replay transitions, runs, resume."""

import csv
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "cleanrl_scripts" / "td3_camel.py"
sys.path.insert(0, str(SCRIPT.parent))
import td3_camel  # noqa: E402

from camel_gym.masking import prior_bounds  # noqa: E402

SMALL = ["--buffer-size", "2000", "--batch-size", "32", "--no-progress", "--eval-episodes", "1"]


def run_script(*args, tmp_path, env=None, timeout=240, check=True):
    cmd = [sys.executable, str(SCRIPT), "--runs-dir", str(tmp_path / "runs"), *args]
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
    td3_camel.td3_target(
        torch.zeros(64), torch.zeros(64), torch.zeros(64, 5), next_bounds, ConstActor([0.99, -0.99, 0.0]),
        qf, 0.99, policy_noise=0.5, noise_clip=0.5, generator=gen,
    )
    actions = qf.seen[0]
    assert torch.all(actions >= next_bounds[:, 0] - 1e-6) and torch.all(actions <= next_bounds[:, 1] + 1e-6)
    assert actions.std() > 0  # the smoothing noise was applied


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
    assert buffer.shape[0] == 100
    obs, next_obs, action, reward, term = buffer[:, 0:2], buffer[:, 2:4], buffer[:, 4], buffer[:, 5], buffer[:, 6]
    bounds, next_bounds = buffer[:, 7:9], buffer[:, 9:11]
    low, high = np.array([-1.0]), np.array([1.0])
    full = [-1.0, 1.0]

    def bounds_of(o):
        return prior_bounds(np.array([o[1] / 4.0 - 1.0]), low, high, 0.3)[:, 0]

    for i in range(len(buffer)):
        assert next_obs[i, 0] == obs[i, 0] and next_obs[i, 1] == obs[i, 1] + 1  # same episode, next step
        assert reward[i] == next_obs[i, 1]
        assert term[i] == float(obs[i, 0] % 2 == 1 and next_obs[i, 1] == 5)  # truncation at 7 is not termination
        for b, o in ((bounds[i], obs[i]), (next_bounds[i], next_obs[i])):
            assert np.allclose(b, bounds_of(o), atol=1e-6) or np.allclose(b, full)  # the bounds of that observation
        assert bounds[i][0] - 1e-6 <= action[i] <= bounds[i][1] + 1e-6
    ends = np.flatnonzero(next_obs[:, 1] == np.where(obs[:, 0] % 2 == 1, 5, 7))
    assert len(ends) >= 10 and np.all(obs[ends + 1, 1] == 0)  # the next row starts the next episode


@pytest.mark.parametrize("masking", ["none", "llm", "random"])
def test_smoke_run_per_masking_mode(masking, tmp_path):
    run_script(
        "--env-id", "Hopper-v4", "--masking", masking, "--total-timesteps", "400", "--learning-starts", "150",
        "--eval-every", "200", "--checkpoint-every", "0", "--save-model", *SMALL, tmp_path=tmp_path,
    )
    run_dir = only_run_dir(tmp_path)
    assert {"args.json", "eval.csv", "summary.json", "td3_camel.cleanrl_model"} <= {p.name for p in run_dir.iterdir()}
    rows = list(csv.DictReader((run_dir / "eval.csv").open()))
    assert [int(r["global_step"]) for r in rows] == [200, 400]
    assert all(math.isfinite(float(r["return_mean"])) for r in rows)
    tags = scalars(run_dir)
    for tag in ("charts/episodic_return", "losses/qf1_loss", "losses/qf2_loss", "losses/actor_loss", "eval/episodic_return"):
        assert tags[tag] and all(math.isfinite(v) for v in tags[tag]), tag
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["masking"] == masking and summary["learning_steps_per_second"] > 0
    assert 0 < summary["update_share_of_learning_time"] < 1


def test_expert_masking_uses_a_saved_actor(tmp_path):
    run_script("--env-id", "Hopper-v4", "--masking", "none", "--total-timesteps", "200", "--learning-starts", "100",
               "--eval-every", "0", "--checkpoint-every", "0", "--save-model", *SMALL, tmp_path=tmp_path / "a")
    model = only_run_dir(tmp_path / "a") / "td3_camel.cleanrl_model"
    run_script("--env-id", "Hopper-v4", "--masking", "expert", "--expert-model", str(model), "--total-timesteps", "200",
               "--learning-starts", "100", "--eval-every", "0", "--checkpoint-every", "0", *SMALL, tmp_path=tmp_path / "b")
    summary = json.loads((only_run_dir(tmp_path / "b") / "summary.json").read_text())
    assert summary["masking"] == "expert" and summary["prior_errors"] == 0


def test_killed_run_resumes_to_completion(tmp_path):
    args = ["--env-id", "Hopper-v4", "--total-timesteps", "2400", "--learning-starts", "200", "--eval-every", "400",
            "--checkpoint-every", "400", *SMALL]
    proc = subprocess.Popen([sys.executable, str(SCRIPT), "--runs-dir", str(tmp_path / "runs"), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline and not list((tmp_path / "runs").glob("*/checkpoint.pt")):
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)  # kill -9: no chance to clean up
    proc.wait()
    run_dir = only_run_dir(tmp_path)
    assert not (run_dir / "summary.json").exists(), "the run finished before it could be killed"
    saved = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    killed_at = saved["global_step"]
    assert 400 <= killed_at < 2400
    assert saved["replay_buffer"]["data"].untyped_storage().nbytes() == killed_at * 39 * 4  # filled rows only
    done = run_script("--resume", str(run_dir), tmp_path=tmp_path)
    assert f"resumed {run_dir} at step {killed_at}" in done.stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["total_timesteps"] == 2400
    steps = [int(r["global_step"]) for r in csv.DictReader((run_dir / "eval.csv").open())]
    assert steps == list(range(400, 2401, 400))  # no lost or duplicated evaluations
    assert scalars(run_dir)["eval/episodic_return"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--env-id", "NoSuchEnv-v0"], "unknown --env-id 'NoSuchEnv-v0'"),
        (["--policy", "/nonexistent/prior.py"], "--policy /nonexistent/prior.py: no such prior file"),
        (["--masking", "expert"], "--masking expert needs --expert-model"),
        (["--env-id", "Humanoid-v4"], "no shipped prior for env id 'Humanoid-v4'"),
        (["--bias", "1.5"], "--bias must lie in (0, 1]"),
        (["--policy", str(REPO / "tests" / "hostile" / "import_os.py")], "import of 'os' is not allowed"),
    ],
)
def test_clear_errors(args, message, tmp_path):
    done = run_script(*args, "--total-timesteps", "10", tmp_path=tmp_path, check=False, timeout=60)
    assert done.returncode == 2 and message in done.stderr, done.stderr[-2000:]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
