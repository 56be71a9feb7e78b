# Masking-aware TD3 (CAMEL, arXiv 2502.11896) in one CleanRL-style file.
# Method: the paper's masking-aware TD3; layout and defaults: CleanRL's td3_continuous_action.py.
"""Masking-aware TD3: the actor acts in [-1, 1]^d and every action is mapped into the bounds
that come with the observation (``info["action_bounds"]`` from camel_gym's wrappers). The
bounds of s and s' ride in the replay buffer as extras, so the critic target maps the target
actor's action into the *next* state's bounds and the actor's gradient flows through the
mapping. ``--masking none`` gives vanilla TD3 from the same code.

Every line or block that differs from CleanRL's ``td3_continuous_action.py`` is marked
``# CAMEL:``: the masking itself, and what this script adds around it (seeded evaluations,
resumable checkpoints, a preallocated replay buffer and a batched twin critic for speed).

    python cleanrl_scripts/td3_camel.py --env-id Ant-v4
    python cleanrl_scripts/td3_camel.py --env-id Hopper-v4 --masking none --seed 2
    python cleanrl_scripts/td3_camel.py --env-id Hopper-v4 --total-timesteps 300000 --mask-timesteps 200000
    python cleanrl_scripts/td3_camel.py --resume runs/Hopper-v4__td3_camel__llm__1__1763933000
    python cleanrl_scripts/td3_camel.py --resume runs/Hopper-v4__td3_camel__llm__1__1763933000 --total-timesteps 2000000
"""

import os
import pickle
import random
import sys
import time
import zipfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Literal, NoReturn, Optional

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import tyro
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

# CAMEL: the wrappers, the masking math, and the run directory's records (args.json, eval.csv, summary.json)
from camel_gym import EpsilonMaskWrapper, LLMBoundsWrapper, PolicyRejected, load_policy, records
from camel_gym.masking import action_mapping, check_bias, full_bounds, map_into_bounds
from camel_gym.priors import shipped_prior_for_plain_make
from camel_gym.sandbox import as_action
from camel_gym.schedules import AdaptiveSchedule, LinearSchedule


@dataclass
class Args:
    exp_name: str = os.path.basename(__file__)[: -len(".py")]
    """the name of this experiment"""
    seed: int = 1
    """seed of the experiment"""
    torch_deterministic: bool = True
    """if toggled, `torch.backends.cudnn.deterministic=True`"""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """where the networks live; `auto` picks cuda when available"""
    threads: int = 0
    """torch intra-op threads (0: torch's default, one per core)"""
    track: bool = False
    """if toggled, this experiment will be tracked with Weights and Biases"""
    wandb_project_name: str = "camel-gym"
    """the wandb's project name"""
    wandb_entity: Optional[str] = None
    """the entity (team) of wandb's project"""
    capture_video: bool = False
    """record the first episode of every evaluation to `RUN_DIR/videos` (needs MUJOCO_GL=egl headless)"""
    save_model: bool = False
    """save the final actor and critics to `RUN_DIR/td3_camel.cleanrl_model` (usable as `--expert-model`)"""
    runs_dir: str = "runs"
    """the folder that holds run directories"""
    progress: bool = True
    """show a progress bar"""

    # Algorithm specific arguments
    env_id: str = "Hopper-v4"
    """the id of the environment"""
    total_timesteps: int = 1_000_000
    """total timesteps of the experiments"""
    learning_rate: float = 3e-4
    """the learning rate of the optimizer"""
    buffer_size: int = 1_000_000
    """the replay memory buffer size"""
    gamma: float = 0.99
    """the discount factor gamma"""
    tau: float = 0.005
    """target smoothing coefficient"""
    batch_size: int = 256
    """the batch size of sample from the replay memory"""
    policy_noise: float = 0.2
    """the scale of policy noise (target policy smoothing), in the normalized action space"""
    exploration_noise: float = 0.1
    """the scale of exploration noise, in the normalized action space"""
    learning_starts: int = 25_000
    """timestep to start learning; before it, actions are uniform inside the bounds in force"""
    policy_frequency: int = 2
    """the frequency of training policy (delayed)"""
    noise_clip: float = 0.5
    """noise clip parameter of the Target Policy Smoothing Regularization"""

    # CAMEL: the mask
    masking: Literal["none", "llm", "expert", "random"] = "llm"
    """the prior that masks actions: none (vanilla TD3), llm (a prior file), expert (a saved actor), random"""
    policy: Optional[str] = None
    """the prior file for `--masking llm` (default: the shipped prior for the env id)"""
    expert_model: Optional[str] = None
    """a `td3_camel.cleanrl_model` saved by this script, the prior for `--masking expert`"""
    bias: float = 0.3
    """the mask's half-width as a fraction of each action dimension's half-range, in (0, 1]"""
    mask_fraction: Optional[float] = None
    """share of training over which the mask fades out, eps_t = max(1 - t / (f * T), 0) (0.2 when neither this nor --mask-timesteps is given)"""
    mask_timesteps: Optional[int] = None
    """steps over which the mask fades out, eps_t = max(1 - t / N, 0): the absolute form of --mask-fraction (give one of the two)"""
    mask_schedule: Literal["linear", "adaptive"] = "linear"
    """linear: the paper's eps_t; adaptive: eps_t within masked episodes, and the share of masked episodes fades to --mask-probe when they stop returning more than unmasked ones (camel_gym.schedules.AdaptiveSchedule)"""
    mask_probe: float = 0.1
    """with --mask-schedule adaptive: the least share of episodes run with the mask and run without it, in (0, 0.5]"""
    log_q_filter: bool = True
    """while the mask is on, log every 1000 steps what a critic-gated mask would decide (charts/q_filter_*, see q_filter): 256 prior calls and two critic passes per 1000 steps; it changes nothing in training"""

    # CAMEL: evaluation, checkpoints, resume
    eval_every: int = 10_000
    """evaluate the deterministic actor (no mask, no noise) every this many steps (0: never)"""
    eval_episodes: int = 10
    """episodes per evaluation"""
    eval_masked: bool = True
    """also evaluate the deterministic actor inside the prior's mask (always on, no noise) at each evaluation (not with --masking none)"""
    checkpoint_every: int = 50_000
    """write a resumable checkpoint every this many steps and at the last step (0: never)"""
    resume: Optional[str] = None
    """a run directory to continue from its last checkpoint, with its own arguments; only --total-timesteps (to extend the run), --progress, --eval-every, --checkpoint-every and --log-q-filter may be given beside it"""

    # CAMEL: speed
    fast_update: bool = True
    """compute the update's gradients by hand (td3_update_fast: the same losses and gradients without autograd's bookkeeping; 1-9% less time per update on an AMD EPYC); --no-fast-update runs the plain autograd td3_update"""


# CAMEL: what --resume lets a user change; every other flag would change the run it continues
RESUME_MAY_CHANGE = ("total_timesteps", "progress", "eval_every", "checkpoint_every", "log_q_filter")
DEFAULT_MASK_FRACTION = 0.2  # the paper's f_m


def make_env(args: Args, prior) -> gym.Env:
    """The training env: CleanRL's, plus the CAMEL wrappers unless `--masking none`."""
    env = gym.make(args.env_id)
    env = gym.wrappers.RecordEpisodeStatistics(env)
    if prior is not None:  # CAMEL: the prior's bounds, applied with probability eps_t
        env = LLMBoundsWrapper(env, policy=prior, bias=args.bias)
        if args.mask_timesteps is not None:
            mask_fraction = args.mask_timesteps / args.total_timesteps
        else:
            mask_fraction = args.mask_fraction
        schedule = LinearSchedule(mask_fraction, args.total_timesteps)
        if args.mask_schedule == "adaptive":  # the mask lets go of a prior whose episodes return less
            schedule = AdaptiveSchedule(schedule, probe=args.mask_probe)
        env = EpsilonMaskWrapper(env, schedule=schedule)
    return env


# CAMEL: the evaluation env: unmasked (the paper's headline), or always inside the prior's mask
def make_eval_env(args: Args, prior, run_dir: Path) -> gym.Env:
    record = args.capture_video and prior is None
    env = gym.make(args.env_id, **({"render_mode": "rgb_array"} if record else {}))
    if record:
        every = max(args.eval_episodes, 1)
        env = gym.wrappers.RecordVideo(env, str(run_dir / "videos"), episode_trigger=lambda ep: ep % every == 0)
    if prior is not None:
        env = LLMBoundsWrapper(env, policy=prior, bias=args.bias)
    return env


# ALGO LOGIC: initialize agent here:
# CAMEL: CleanRL's two QNetworks as one module whose layers are each one batched matmul for both
# (measured faster on CPU than the plain QNetwork batched with torch.func.vmap: benchmarks/td3_speed.py)
class TwinQ(nn.Module):
    """TD3's two critics as one batched network: each layer is one batched matmul for both.

    Each critic is initialized like its own `nn.Linear` stack (CleanRL's QNetwork), so this is
    the same function class, only evaluated in fewer, larger operations.
    """

    def __init__(self, obs_dim: int, act_dim: int, n: int = 2):
        super().__init__()
        sizes = [(obs_dim + act_dim, 256), (256, 256), (256, 1)]
        for i, (fan_in, fan_out) in enumerate(sizes, start=1):
            layers = [nn.Linear(fan_in, fan_out) for _ in range(n)]
            self.register_parameter(f"w{i}", nn.Parameter(torch.stack([l.weight.detach().T for l in layers])))
            self.register_parameter(f"b{i}", nn.Parameter(torch.stack([l.bias.detach()[None] for l in layers])))

    def forward(self, obs, action):
        """Q-values of all critics, shape (n, batch)."""
        x = torch.cat([obs, action], dim=-1).expand(self.w1.shape[0], -1, -1)
        x = F.relu(torch.baddbmm(self.b1, x, self.w1))
        x = F.relu(torch.baddbmm(self.b2, x, self.w2))
        # the 256 -> 1 layer as multiply-and-sum: a matrix-vector product is slow as a matmul
        return (x * self.w3.transpose(1, 2)).sum(-1) + self.b3[:, :, 0]

    def q1(self, obs, action):
        """Q_1 only, with the weights detached: the actor's loss moves the actor, not the critic."""
        x = torch.cat([obs, action], dim=-1)
        x = F.relu(torch.addmm(self.b1[0].detach(), x, self.w1[0].detach()))
        x = F.relu(torch.addmm(self.b2[0].detach(), x, self.w2[0].detach()))
        return (x * self.w3[0, :, 0].detach()).sum(-1) + self.b3[0, 0, 0].detach()


class Actor(nn.Module):
    """mu(s) in [-1, 1]^d: the normalized action that the bounds in force turn into an env action."""

    def __init__(self, obs_dim: int, act_dim: int):
        super().__init__()
        self.fc1 = nn.Linear(obs_dim, 256)
        self.fc2 = nn.Linear(256, 256)
        self.fc_mu = nn.Linear(256, act_dim)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return torch.tanh(self.fc_mu(x))  # CAMEL: no rescaling; action_mapping puts x into the bounds


# CAMEL: the replay buffer keeps bounds(s) and bounds(s') beside each transition
class ReplayBuffer:
    """(s, a, r, s', terminated, bounds(s), bounds(s')) in one preallocated tensor, one row each.

    One row per transition makes sampling a single gather; on the CPU rows are written
    through a NumPy view of the same memory, which costs about a microsecond. `columns`
    names the slice of a row each field occupies.
    """

    def __init__(self, size: int, obs_dim: int, act_dim: int, device: torch.device):
        self.size, self.obs_dim, self.act_dim = size, obs_dim, act_dim
        widths = {"obs": obs_dim, "next_obs": obs_dim, "action": act_dim, "reward": 1, "terminated": 1,
                  "bounds": 2 * act_dim, "next_bounds": 2 * act_dim}
        self.columns, start = {}, 0
        for name, width in widths.items():
            self.columns[name] = slice(start, start + width)
            start += width
        self.row_width = start
        self.data = torch.zeros((size, start), dtype=torch.float32, device=device)
        self.host = self.data.numpy() if device.type == "cpu" else None
        self.pos, self.full = 0, False

    @property
    def nbytes(self) -> int:
        return self.data.element_size() * self.data.nelement()

    def __len__(self) -> int:
        return self.size if self.full else self.pos

    def add(self, obs, next_obs, action, reward, terminated, bounds, next_bounds):
        row = np.concatenate(
            [obs, next_obs, action, [reward, float(terminated)], np.ravel(bounds), np.ravel(next_bounds)]
        )
        if self.host is not None:
            self.host[self.pos] = row
        else:
            self.data[self.pos] = torch.as_tensor(row, dtype=torch.float32, device=self.data.device)
        self.pos = (self.pos + 1) % self.size
        self.full = self.full or self.pos == 0

    def sample(self, batch_size: int, generator: torch.Generator):
        idx = torch.randint(0, len(self), (batch_size,), device=self.data.device, generator=generator)
        rows = torch.index_select(self.data, 0, idx)  # the same rows as self.data[idx], ~3x faster on CPU
        obs, next_obs, actions, rewards, terms, bounds, next_bounds = (rows[:, s] for s in self.columns.values())
        shape = (batch_size, 2, self.act_dim)
        return obs, actions, rewards[:, 0], next_obs, terms[:, 0], bounds.reshape(shape), next_bounds.reshape(shape)

    def state(self) -> dict:
        # a copy of the filled rows only: saving a slice would save the whole preallocated storage
        return {"data": self.data[: len(self)].to("cpu", copy=True), "pos": self.pos, "full": self.full}

    def load(self, state: dict) -> None:
        n = state["data"].shape[0]
        self.data[:n] = state["data"].to(self.data.device)
        self.pos, self.full = state["pos"], state["full"]


def td3_target(rewards, terminations, next_obs, next_bounds, target_actor, qf_target, gamma, policy_noise, noise_clip, generator=None):
    """y = r + gamma (1 - terminated) min_i Q'_i(s', MAP(clip(mu'(s') + clip(eps, -c, c), -1, 1), bounds(s')))."""
    with torch.no_grad():
        x = target_actor(next_obs)
        noise = torch.randn(x.shape, device=x.device, generator=generator).mul_(policy_noise).clamp_(-noise_clip, noise_clip)
        next_actions = action_mapping((x + noise).clamp_(-1.0, 1.0), next_bounds)  # CAMEL: into bounds(s')
        q_next = qf_target(next_obs, next_actions).min(dim=0).values
        return rewards + gamma * (1.0 - terminations) * q_next


def td3_actor_loss(obs, bounds, actor, qf):
    """-Q_1(s, MAP(mu(s), bounds(s))): the gradient reaches the actor through the mapping."""
    return -qf.q1(obs, action_mapping(actor(obs), bounds)).mean()  # CAMEL: through the mapping


def td3_update(global_step, batch, actor, qf, target_actor, qf_target, q_optimizer, actor_optimizer, args, generator):
    """One TD3 update: the critics every step, the actor and the targets every `policy_frequency`.

    Returns (Q-values of both critics, their losses, the actor loss or None) for logging.
    """
    obs, actions, rewards, next_obs, terminations, bounds, next_bounds = batch
    y = td3_target(
        rewards, terminations, next_obs, next_bounds, target_actor, qf_target,
        args.gamma, args.policy_noise, args.noise_clip, generator,
    )
    q_values = qf(obs, actions)  # the critics score the environment action a
    qf_losses = ((q_values - y) ** 2).mean(dim=1)
    q_optimizer.zero_grad(set_to_none=True)
    qf_losses.sum().backward()
    q_optimizer.step()
    if global_step % args.policy_frequency != 0:
        return q_values, qf_losses, None
    actor_loss = td3_actor_loss(obs, bounds, actor, qf)
    actor_optimizer.zero_grad(set_to_none=True)
    actor_loss.backward()
    actor_optimizer.step()
    with torch.no_grad():  # CAMEL: p' <- p' + tau (p - p'), every target tensor in one call
        online = list(actor.parameters()) + list(qf.parameters())
        torch._foreach_lerp_(list(target_actor.parameters()) + list(qf_target.parameters()), online, args.tau)
    return q_values, qf_losses, actor_loss


# ---- CAMEL: speed: the same update with hand-written gradients (--fast-update, the default) ----
# td3_update above is the reference: these functions compute the same losses and gradients for
# exactly the Actor and TwinQ defined here (tests/test_td3.py checks them against autograd and
# fails if either network changes). Every backward step is the op autograd itself would run
# (threshold_backward for a ReLU, tanh_backward for tanh), so only the order of some sums
# differs. What they save is autograd's graph bookkeeping and a few copies and elementwise ops
# per layer; the matmuls are the same ones. Edit td3_update and run with --no-fast-update
# when you change the networks or the losses.
_relu_backward = torch.ops.aten.threshold_backward
_tanh_backward = torch.ops.aten.tanh_backward


def critic_grads(qf: TwinQ, obs, actions, y):
    """Set the .grad of qf's parameters to those of sum_i mean((Q_i(s, a) - y)^2); returns (Q-values, per-critic losses)."""
    w1, b1, w2, b2, w3, b3 = qf.w1, qf.b1, qf.w2, qf.b2, qf.w3, qf.b3
    with torch.no_grad():
        x = torch.cat([obs, actions], dim=-1).expand(w1.shape[0], -1, -1)
        h1 = F.relu(torch.baddbmm(b1, x, w1))
        h2 = F.relu(torch.baddbmm(b2, h1, w2))
        q = (h2 * w3.transpose(1, 2)).sum(-1) + b3[:, :, 0]
        diff = q - y
        losses = diff.square().mean(dim=1)
        dq = diff.mul_(2.0 / obs.shape[0]).unsqueeze(-1)  # d loss / d q, (n, batch, 1)
        w3.grad, b3.grad = torch.bmm(h2.transpose(1, 2), dq), dq.sum(1, keepdim=True)
        d2 = _relu_backward(dq * w3.transpose(1, 2), h2, 0)
        w2.grad, b2.grad = torch.bmm(h1.transpose(1, 2), d2), d2.sum(1, keepdim=True)
        d1 = _relu_backward(torch.bmm(d2, w2.transpose(1, 2)), h1, 0)
        w1.grad, b1.grad = torch.bmm(x.transpose(1, 2), d1), d1.sum(1, keepdim=True)
    return q, losses


def actor_grads(actor: Actor, qf: TwinQ, obs, bounds):
    """Set the .grad of the actor's parameters to those of td3_actor_loss; returns that loss."""
    fc1, fc2, fc_mu = actor.fc1, actor.fc2, actor.fc_mu
    batch, obs_dim = obs.shape
    with torch.no_grad():
        a1 = F.relu(torch.addmm(fc1.bias, obs, fc1.weight.t()))
        a2 = F.relu(torch.addmm(fc2.bias, a1, fc2.weight.t()))
        x = torch.tanh(torch.addmm(fc_mu.bias, a2, fc_mu.weight.t()))
        lower, upper = bounds[:, 0], bounds[:, 1]
        half_width = (upper - lower) / 2
        h1 = F.relu(torch.addmm(qf.b1[0], torch.cat([obs, lower + (x + 1) * half_width], dim=-1), qf.w1[0]))
        h2 = F.relu(torch.addmm(qf.b2[0], h1, qf.w2[0]))
        w3 = qf.w3[0, :, 0]
        loss = -((h2 * w3).sum(-1) + qf.b3[0, 0, 0]).mean()
        # back through Q_1 to its action input only (the critic does not move), then MAP and tanh
        d2 = _relu_backward((w3 * (-1.0 / batch)).expand(batch, -1), h2, 0)
        d1 = _relu_backward(torch.mm(d2, qf.w2[0].t()), h1, 0)
        dx = torch.mm(d1, qf.w1[0, obs_dim:].t()).mul_(half_width)
        d_mu = _tanh_backward(dx, x)
        fc_mu.weight.grad, fc_mu.bias.grad = torch.mm(d_mu.t(), a2), d_mu.sum(0)
        d_a2 = _relu_backward(torch.mm(d_mu, fc_mu.weight), a2, 0)
        fc2.weight.grad, fc2.bias.grad = torch.mm(d_a2.t(), a1), d_a2.sum(0)
        d_a1 = _relu_backward(torch.mm(d_a2, fc2.weight), a1, 0)
        fc1.weight.grad, fc1.bias.grad = torch.mm(d_a1.t(), obs), d_a1.sum(0)
    return loss


def td3_update_fast(global_step, batch, actor, qf, target_actor, qf_target, q_optimizer, actor_optimizer, args, generator):
    """td3_update with critic_grads and actor_grads in place of autograd: same arguments, same results."""
    obs, actions, rewards, next_obs, terminations, bounds, next_bounds = batch
    y = td3_target(
        rewards, terminations, next_obs, next_bounds, target_actor, qf_target,
        args.gamma, args.policy_noise, args.noise_clip, generator,
    )
    q_values, qf_losses = critic_grads(qf, obs, actions, y)
    q_optimizer.step()
    if global_step % args.policy_frequency != 0:
        return q_values, qf_losses, None
    actor_loss = actor_grads(actor, qf, obs, bounds)
    actor_optimizer.step()
    with torch.no_grad():
        online = list(actor.parameters()) + list(qf.parameters())
        torch._foreach_lerp_(list(target_actor.parameters()) + list(qf_target.parameters()), online, args.tau)
    return q_values, qf_losses, actor_loss


# CAMEL: the priors: random masking, and a saved actor as the expert
def random_prior(space: gym.spaces.Box, seed: int):
    """CAMEL's random masking: the prior's action is uniform in the action space at every step."""
    # a stream of its own: on default_rng(seed), exploration's, each warm-up draw equalled the
    # prior's own draw, so the action was a function of the box's centre, not uniform inside it
    rng = np.random.default_rng([seed, 0x9A4D0])
    return lambda obs: rng.uniform(space.low, space.high)


def is_checkpoint(path: str) -> bool:
    """Whether ``path`` is a checkpoint.pt of this script: a torch archive whose pickle names the replay buffer."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith("data.pkl") and b"replay_buffer" in archive.read(name) for name in archive.namelist())


def expert_prior(path: str, env_id: str, space: gym.spaces.Box, obs_dim: int):
    """A saved actor of this script as the prior, evaluated in NumPy (no torch call per env step).

    Raises:
        ValueError: ``path`` is not a model saved by ``--save-model``, or one of another env.
    """
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # torch's advice to unpickle it anyway is not ours
        what = ("it is a checkpoint.pt, which is for --resume; the actor to mask with is a run's td3_camel.cleanrl_model"
                if is_checkpoint(path) else "not a torch file of tensors")
        raise ValueError(f"--expert-model {path} is not a model saved by td3_camel.py --save-model ({what})") from None
    except (RuntimeError, EOFError, OSError) as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ValueError(f"--expert-model {path} is not a model saved by td3_camel.py --save-model ({first_line})") from None
    if not isinstance(saved, dict) or "actor" not in saved:
        raise ValueError(f"--expert-model {path} is not a model saved by td3_camel.py --save-model")
    if saved.get("env_id") != env_id:
        raise ValueError(
            f"--expert-model {path} was trained on {saved.get('env_id')}, not on --env-id {env_id}; "
            f"pass the actor of a {env_id} run saved with --save-model"
        )
    weights = {k: v.numpy().astype(np.float64) for k, v in saved["actor"].items()}
    if weights["fc1.weight"].shape[1] != obs_dim or weights["fc_mu.weight"].shape[0] != space.shape[0]:
        raise ValueError(f"--expert-model {path} has other observation or action sizes than {env_id}")
    full = full_bounds(space.low, space.high).astype(np.float64)

    def policy(obs):
        h = np.maximum(weights["fc1.weight"] @ obs + weights["fc1.bias"], 0.0)
        h = np.maximum(weights["fc2.weight"] @ h + weights["fc2.bias"], 0.0)
        return map_into_bounds(np.tanh(weights["fc_mu.weight"] @ h + weights["fc_mu.bias"]), full)

    return policy


def make_prior(args: Args, env: gym.Env, obs_dim: int, for_eval: bool = False):
    """The prior `--masking` names, or None for `none`; each call gives its own instance, so the
    masked evaluation's (`for_eval`) never moves the training prior's state.

    Raises:
        PolicyRejected: the llm prior failed the sandbox's checks or its trial (run once, for training).
        ValueError: the expert model is unusable here.
    """
    if args.masking == "llm":
        return load_policy(args.policy, env=env, trial=not for_eval)
    if args.masking == "expert":
        return expert_prior(args.expert_model, args.env_id, env.action_space, obs_dim)
    if args.masking == "random":
        return random_prior(env.action_space, args.seed + (10_000 if for_eval else 0))
    return None


# CAMEL: the critic-gated alternative to the adaptive schedule, measured beside it (README "A mask that lets go of a bad prior")
def q_filter(obs, prior, actor: Actor, qf: TwinQ, full: torch.Tensor) -> dict:
    """What a Q-filter (Nair et al. 2018) says about the prior on a batch of states `obs`.

    It compares the prior's action, clipped into the action space as the bounds wrapper clips
    it, with the actor's own unmasked one, MAP(mu(s), full), by TD3's estimate min(Q_1, Q_2).
    A per-state critic gate would keep the mask where the prior's action rates at least as
    high. Returns `q_filter_share` (the share of states where it does), `q_filter_gap` (the
    mean of Q(s, prior(s)) - Q(s, MAP(mu(s), full))) and `q_filter_states` (how many states
    the prior answered with an action the bounds wrapper accepts, by its check `as_action`;
    where it fails the state is skipped, as the wrapper skips the mask there).
    """
    low, high = full.cpu().numpy()
    states, actions = [], []
    for i, o in enumerate(obs.cpu().numpy()):
        try:
            action = as_action(prior(o), low.shape, np.float32)
        except Exception:  # an untrusted prior may fail in any way; the measurement goes on
            continue
        states.append(i)
        actions.append(np.clip(action, low, high))
    if not states:
        return {"q_filter_states": 0.0}
    with torch.no_grad():
        obs = obs[torch.as_tensor(states, device=obs.device)]
        prior_q = qf(obs, torch.as_tensor(np.stack(actions), device=obs.device)).min(dim=0).values
        own_q = qf(obs, action_mapping(actor(obs), full)).min(dim=0).values
        gap = prior_q - own_q
    return {"q_filter_share": (gap >= 0).float().mean().item(), "q_filter_gap": gap.mean().item(),
            "q_filter_states": float(len(states))}


# CAMEL: seeded evaluations of the deterministic actor, inside the bounds the env reports
def evaluate(env: gym.Env, actor: Actor, episodes: int, seed: int, device: torch.device) -> tuple[list, list]:
    """Deterministic mu(s), no noise, mapped into `info["action_bounds"]` where the env reports it
    (the masked evaluation env) and into the full action space otherwise."""
    full = full_bounds(env.action_space.low, env.action_space.high)
    returns, lengths = [], []
    for episode in range(episodes):
        obs, info = env.reset(seed=seed + episode)
        done, total, steps = False, 0.0, 0
        while not done:
            with torch.no_grad():
                x = actor(torch.as_tensor(obs, dtype=torch.float32, device=device)).cpu().numpy()
            action = map_into_bounds(x, info.get("action_bounds", full)).astype(env.action_space.dtype)
            obs, reward, terminated, truncated, info = env.step(action)
            total, steps, done = total + float(reward), steps + 1, terminated or truncated
        returns.append(total)
        lengths.append(steps)
    return returns, lengths


# CAMEL: checkpoints, and --resume from them
def save_atomically(obj, path: Path) -> None:
    """Write, then rename: a run killed mid-write keeps its previous file intact."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_checkpoint(path: Path, counters: dict, modules: dict, rb: ReplayBuffer, rng: np.random.Generator, generator: torch.Generator) -> None:
    """Everything a run needs to continue: `counters` (global_step, episodes, prior_errors,
    wall_seconds, mask_schedule), the state of each network and optimizer in `modules`, the replay buffer and
    the agent's random number generators. A resumed run is the same process, not the same numbers: it
    starts a fresh episode, and the env, the mask's draws and a random prior are seeded anew."""
    save_atomically(
        {
            **counters,
            **{name: module.state_dict() for name, module in modules.items()},
            "replay_buffer": rb.state(),
            "rng": {
                "python": random.getstate(),
                "numpy": np.random.get_state(),
                "torch": torch.get_rng_state(),
                "exploration": rng.bit_generator.state,
                "generator": generator.get_state(),
            },
        },
        path,
    )


def restore_checkpoint(checkpoint: dict, modules: dict, rb: ReplayBuffer, rng: np.random.Generator, generator: torch.Generator) -> dict:
    """Load what `save_checkpoint` wrote into the run's objects; returns its counters.

    `wall_seconds` and `mask_schedule` are None in checkpoints written before they were recorded.
    """
    for name, module in modules.items():
        module.load_state_dict(checkpoint[name])
    rb.load(checkpoint["replay_buffer"])
    random.setstate(checkpoint["rng"]["python"])
    np.random.set_state(checkpoint["rng"]["numpy"])
    torch.set_rng_state(checkpoint["rng"]["torch"])
    rng.bit_generator.state = checkpoint["rng"]["exploration"]
    generator.set_state(checkpoint["rng"]["generator"])
    return {key: checkpoint.get(key) for key in ("global_step", "episodes", "prior_errors", "wall_seconds", "mask_schedule")}


def resume(run_dir: Path, cli: Args, given: set) -> tuple[Args, dict, bool]:
    """The run's own arguments from `run_dir/args.json` with the flags given beside --resume
    that may change applied (see RESUME_MAY_CHANGE), its last checkpoint, and whether the
    arguments changed (args.json is rewritten once they are checked)."""
    try:
        saved = records.read_run_args(run_dir)
        args = Args(**{**saved, "resume": str(run_dir)})
    except (FileNotFoundError, ValueError, TypeError) as exc:
        fail(f"--resume {run_dir}: {exc}; pass a run directory written by this script")
    refused = sorted(given - set(RESUME_MAY_CHANGE) - {"resume"})
    if refused:
        fail(
            f"--resume continues {run_dir} with its own arguments, so {', '.join(flag(n) for n in refused)} "
            f"cannot be given beside it; only {', '.join(flag(n) for n in RESUME_MAY_CHANGE)} may change. "
            f"Start a new run to change the others"
        )
    summary_path = run_dir / records.TRAINING_SUMMARY_JSON
    try:
        finished_at = records.read_summary(run_dir).total_timesteps if summary_path.is_file() else None
    except records.RecordError as exc:
        fail(f"--resume {run_dir}: {exc}; remove the unreadable summary.json to resume the run")
    if not (run_dir / "checkpoint.pt").is_file():
        if finished_at is not None:
            fail(f"--resume {run_dir}: the run finished and left no checkpoint.pt (--checkpoint-every 0, a script older "
                 "than the checkpoint of the last step, or removed), so it cannot be extended; start a new run")
        fail(f"--resume {run_dir}: no checkpoint.pt yet (the run stopped before its first checkpoint); start it anew")
    checkpoint = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    changed = {name: getattr(cli, name) for name in RESUME_MAY_CHANGE if name in given}
    target, at = changed.get("total_timesteps", args.total_timesteps), checkpoint["global_step"]
    if target < at or (target == at and target != args.total_timesteps):
        fail(f"--total-timesteps {target}: the run is at step {at} already; give more steps to extend it")
    if finished_at is not None and finished_at >= target:  # summary.json is written last: the run ended there
        fail(f"--resume {run_dir}: the run is finished ({finished_at} steps, summary.json); give --total-timesteps "
             f"beyond it to extend the run")
    # target == at without a summary of it: killed after its last checkpoint; the resume writes what it lacks
    if changed.get("total_timesteps", args.total_timesteps) != args.total_timesteps and args.mask_timesteps is None:
        # the mask keeps fading over the steps it was set to; --mask-fraction would stretch it
        changed["mask_timesteps"] = round(args.mask_fraction * args.total_timesteps)
        changed["mask_fraction"] = None
    return replace(args, **changed), checkpoint, bool(changed)


def flags_given(argv: list) -> set:
    """The Args fields named on the command line, as `--total-timesteps 5`, `--x=5` or `--no-progress`."""
    names = {f.name for f in fields(Args)}
    given = set()
    for token in argv:
        if token.startswith("--"):
            name = token[2:].split("=", 1)[0].replace("-", "_")
            given.add(name[3:] if name.startswith("no_") and name[3:] in names else name)
    return given & names


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def check_args(args: Args, act_dim: int) -> None:
    """Raise ValueError, saying which option is wrong and why, on values no run can use.

    `camel-gym sweep` calls it too, so a grid is refused before any of its trials starts.
    """
    for name in ("total_timesteps", "buffer_size", "batch_size", "policy_frequency", "eval_episodes"):
        if getattr(args, name) < 1:
            raise ValueError(f"{flag(name)} must be at least 1, got {getattr(args, name)}")
    for name in ("learning_starts", "eval_every", "checkpoint_every", "threads"):
        if getattr(args, name) < 0:
            raise ValueError(f"{flag(name)} must be 0 or more, got {getattr(args, name)}")
    try:
        check_bias(args.bias, act_dim)
    except ValueError as exc:
        raise ValueError(f"--bias {args.bias}: {exc}") from None
    if args.mask_fraction is not None and args.mask_timesteps is not None:
        raise ValueError("--mask-fraction and --mask-timesteps both set how long the mask fades out; give one of them")
    if args.mask_fraction is not None and not 0 <= args.mask_fraction <= 1:
        raise ValueError(f"--mask-fraction must lie in [0, 1] (the share of training the mask fades over), got {args.mask_fraction}")
    if args.mask_timesteps is not None and not 0 <= args.mask_timesteps <= args.total_timesteps:
        raise ValueError(f"--mask-timesteps must lie in [0, --total-timesteps {args.total_timesteps}], got {args.mask_timesteps}")
    if args.mask_schedule != "linear" and args.masking == "none":
        raise ValueError(f"--mask-schedule {args.mask_schedule} schedules a mask, and --masking none has none; drop it or pick a prior with --masking")
    if not 0 < args.mask_probe <= 0.5:
        raise ValueError(f"--mask-probe must lie in (0, 0.5] (the least share of masked and of unmasked episodes), got {args.mask_probe}")


class TimedCalls:
    """`fn` with the wall time spent inside it summed up (`seconds`, from the `first_call` on)."""

    def __init__(self, fn):
        self.fn, self.seconds, self.first_call = fn, 0.0, None

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        if self.first_call is None:
            self.first_call = start
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def keep_freed_memory() -> None:
    """Ask glibc to keep freed memory instead of returning it to the OS and faulting it back in.

    An update allocates and frees dozens of 0.5 MB activations; with glibc's defaults many of
    them come back as fresh pages (~40 page faults per update here). No-op off glibc.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(-3, 32 * 1024 * 1024)  # M_MMAP_THRESHOLD: serve blocks up to 32 MB from the heap
    libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: don't give the heap's top back to the OS


def fail(message: str) -> NoReturn:
    """A usage error, in argparse's (and tyro's) style: a message on stderr, exit status 2."""
    print(f"td3_camel.py: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def shown(value) -> str:
    return "-" if value is None else f"{value:.0f}"


if __name__ == "__main__":
    args = tyro.cli(Args)
    # CAMEL: --resume continues a run directory from its last checkpoint
    checkpoint, resumed_with_changes = None, False
    if args.resume:
        run_dir = Path(args.resume)
        args, checkpoint, resumed_with_changes = resume(run_dir, args, flags_given(sys.argv[1:]))

    # CAMEL: fail early and clearly on bad input, before anything is written
    try:
        probe_env = gym.make(args.env_id)
    except (gym.error.Error, ModuleNotFoundError) as exc:
        fail(f"unknown --env-id {args.env_id!r}: {exc}")
    if not isinstance(probe_env.action_space, gym.spaces.Box):
        fail(f"{args.env_id} has a {type(probe_env.action_space).__name__} action space; TD3 needs a Box")
    obs_space, act_space = probe_env.observation_space, probe_env.action_space
    obs_dim, act_dim = int(np.prod(obs_space.shape)), int(np.prod(act_space.shape))
    try:
        check_args(args, act_dim)
    except ValueError as exc:
        fail(str(exc))
    if args.mask_fraction is None and args.mask_timesteps is None:
        args.mask_fraction = DEFAULT_MASK_FRACTION
    if args.masking == "expert" and not args.expert_model:
        fail("--masking expert needs --expert-model PATH (a td3_camel.cleanrl_model saved with --save-model)")
    if args.masking == "expert" and not Path(args.expert_model).is_file():
        fail(f"--expert-model {args.expert_model}: no such file")
    if args.masking == "llm":
        if args.policy is None:
            try:
                args.policy = str(shipped_prior_for_plain_make(args.env_id, obs_space, act_space))
            except ValueError as exc:  # no prior for the id, or Ant-v5 (its prior reads no contact forces)
                fail(f"{exc}: give --policy PRIOR.py")
        elif not Path(args.policy).is_file():
            fail(f"--policy {args.policy}: no such prior file")
    if args.device == "cuda" and not torch.cuda.is_available():
        fail("--device cuda, but torch sees no CUDA device")
    # the prior, loaded (and for llm priors tried in the sandbox) before anything is written
    try:
        prior = make_prior(args, probe_env, obs_dim)
        eval_prior = make_prior(args, probe_env, obs_dim, for_eval=True) if args.eval_masked and args.eval_every > 0 else None
        # its own instance: a random prior's draws for the measurement must not move training's
        q_filter_prior = make_prior(args, probe_env, obs_dim, for_eval=True) if args.log_q_filter else None
    except (PolicyRejected, ValueError) as exc:
        fail(str(exc))
    probe_env.close()

    if checkpoint is None:
        run_name = f"{args.env_id}__{args.exp_name}__{args.masking}__{args.seed}__{int(time.time())}"
        run_dir = Path(args.runs_dir) / run_name
        run_dir.mkdir(parents=True, exist_ok=False)
        records.write_json(run_dir / records.TRAINING_ARGS_JSON, asdict(args))
        print(f"run directory: {run_dir}", file=sys.stderr)
    elif resumed_with_changes:  # CAMEL: a later --resume continues with them
        records.write_json(run_dir / records.TRAINING_ARGS_JSON, {**asdict(args), "resume": None})
    run_name = run_dir.name

    if args.track:
        import wandb

        wandb.init(
            project=args.wandb_project_name, entity=args.wandb_entity, sync_tensorboard=True, config=vars(args),
            name=run_name, monitor_gym=True, save_code=True, id=run_name, resume="allow",
        )
    # CAMEL: purge_step drops the events a killed run logged after its last checkpoint
    writer = SummaryWriter(str(run_dir), purge_step=checkpoint["global_step"] if checkpoint else None)
    if checkpoint is None:
        writer.add_text(
            "hyperparameters",
            "|param|value|\n|-|-|\n%s" % ("\n".join([f"|{key}|{value}|" for key, value in vars(args).items()])),
        )

    keep_freed_memory()  # CAMEL: speed
    # TRY NOT TO MODIFY: seeding
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.deterministic = args.torch_deterministic
    if args.threads > 0:  # CAMEL: one thread per trial is fastest when trials share a machine
        torch.set_num_threads(args.threads)
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if use_cuda else "cpu")
    rng = np.random.default_rng(args.seed)  # CAMEL: exploration: warm-up actions and action noise
    # CAMEL: replay sampling, target noise; a seed of its own, or it would replay the numbers
    # torch.manual_seed(args.seed) gave the networks' initial weights
    generator = torch.Generator(device=device).manual_seed(int(np.random.SeedSequence([args.seed, 0x5A3B1]).generate_state(1)[0]))

    # env setup
    env = make_env(args, prior)
    eval_env = make_eval_env(args, None, run_dir) if args.eval_every > 0 else None  # CAMEL:
    masked_eval_env = make_eval_env(args, eval_prior, run_dir) if eval_prior is not None else None  # CAMEL:
    full = full_bounds(act_space.low, act_space.high)  # CAMEL: the bounds of an unmasked step
    full_t = torch.as_tensor(full, dtype=torch.float32, device=device)  # CAMEL:

    actor = Actor(obs_dim, act_dim).to(device)
    qf = TwinQ(obs_dim, act_dim).to(device)
    target_actor = Actor(obs_dim, act_dim).to(device)
    qf_target = TwinQ(obs_dim, act_dim).to(device)
    target_actor.load_state_dict(actor.state_dict())
    qf_target.load_state_dict(qf.state_dict())
    for p in list(target_actor.parameters()) + list(qf_target.parameters()):  # CAMEL: targets move by lerp only
        p.requires_grad_(False)
    # CAMEL: fused Adam: one kernel per step for all parameters instead of a dozen small ops each
    q_optimizer = torch.optim.Adam(qf.parameters(), lr=args.learning_rate, fused=True)
    actor_optimizer = torch.optim.Adam(actor.parameters(), lr=args.learning_rate, fused=True)

    rb = ReplayBuffer(args.buffer_size, obs_dim, act_dim, device)
    # CAMEL: what a checkpoint holds, and the counters it restores
    modules = {"actor": actor, "qf": qf, "target_actor": target_actor, "qf_target": qf_target,
               "q_optimizer": q_optimizer, "actor_optimizer": actor_optimizer}
    start_step, episodes, wall_offset = 0, 0, 0.0
    if checkpoint is not None:  # CAMEL:
        counters = restore_checkpoint(checkpoint, modules, rb, rng, generator)
        start_step, episodes = counters["global_step"], counters["episodes"]
        if prior is not None:  # the schedule's clock and what it learned; the reset below reseeds its draws
            env.get_wrapper_attr("set_timestep")(start_step)
            env.set_wrapper_attr("prior_errors", counters["prior_errors"])
            if counters["mask_schedule"] is not None:
                env.get_wrapper_attr("schedule").load_state_dict(counters["mask_schedule"])
        # eval rows logged after the checkpoint are dropped: those steps will be run again
        kept = [row for row in records.read_eval_csv(run_dir) if row.global_step <= start_step]
        if (run_dir / records.TRAINING_EVAL_CSV).is_file():
            records.write_eval_csv(run_dir, kept)  # also brings an older file's columns up to date
        # a checkpoint from before wall_seconds was recorded: the clock of its last evaluation
        wall_offset = counters["wall_seconds"] if counters["wall_seconds"] is not None else (kept[-1].wall_seconds if kept else 0.0)
        print(f"resumed {run_dir} at step {start_step}", file=sys.stderr)

    # TRY NOT TO MODIFY: start the game; CAMEL: a resumed run starts a fresh episode
    obs, info = env.reset(seed=args.seed + start_step)
    bounds = info.get("action_bounds", full)  # CAMEL:
    progress = tqdm(total=args.total_timesteps, initial=start_step, disable=not args.progress, unit="step", smoothing=0.05)
    start_time = time.time()
    window_time, window_step = start_time, start_step
    last_return = last_eval = last_masked_eval = None
    if checkpoint is not None and kept:  # CAMEL: a resume that evaluates no more still reports its last evaluation
        last_eval, last_masked_eval = kept[-1].return_mean, kept[-1].masked_return_mean
    update = TimedCalls(td3_update_fast if args.fast_update else td3_update)  # CAMEL: its time goes to summary.json, for benchmarks/td3_speed.py
    actor_loss = None
    for global_step in range(start_step, args.total_timesteps):
        # ALGO LOGIC: put action logic here; CAMEL: x is the normalized action, mapped into the bounds in force
        if global_step < args.learning_starts:
            x = rng.uniform(-1.0, 1.0, act_dim)
        else:
            with torch.no_grad():
                x = actor(torch.as_tensor(obs, dtype=torch.float32, device=device)).cpu().numpy()
            x = np.clip(x + rng.normal(0.0, args.exploration_noise, act_dim), -1.0, 1.0)
        action = map_into_bounds(x, bounds).astype(act_space.dtype)  # CAMEL:

        # TRY NOT TO MODIFY: execute the game and log data.
        next_obs, reward, terminated, truncated, info = env.step(action)
        next_bounds = info.get("action_bounds", full)  # CAMEL:
        if "episode" in info:
            episodes += 1
            last_return = float(info["episode"]["r"])
            writer.add_scalar("charts/episodic_return", last_return, global_step)
            writer.add_scalar("charts/episodic_length", int(info["episode"]["l"]), global_step)

        # CAMEL: one env, reset here: the transition keeps s' = the episode's final observation with
        # its own bounds, and only termination stops bootstrapping (a time-limit truncation does not)
        rb.add(obs, next_obs, action, reward, terminated, bounds, next_bounds)
        if terminated or truncated:
            obs, info = env.reset()
            bounds = info.get("action_bounds", full)
        else:
            obs, bounds = next_obs, next_bounds

        # ALGO LOGIC: training.
        if global_step > args.learning_starts:
            batch = rb.sample(args.batch_size, generator)
            q_values, qf_losses, new_actor_loss = update(
                global_step, batch, actor, qf, target_actor, qf_target, q_optimizer, actor_optimizer, args, generator,
            )
            actor_loss = actor_loss if new_actor_loss is None else new_actor_loss

            if global_step % 100 == 0:
                writer.add_scalar("losses/qf1_values", q_values[0].mean().item(), global_step)
                writer.add_scalar("losses/qf2_values", q_values[1].mean().item(), global_step)
                writer.add_scalar("losses/qf1_loss", qf_losses[0].item(), global_step)
                writer.add_scalar("losses/qf2_loss", qf_losses[1].item(), global_step)
                writer.add_scalar("losses/qf_loss", qf_losses.sum().item() / 2.0, global_step)
                if actor_loss is not None:
                    writer.add_scalar("losses/actor_loss", actor_loss.item(), global_step)

        step = global_step + 1
        progress.update(1)
        if step % 1000 == 0:  # CAMEL: SPS over the last 1000 steps, not since the start
            now = time.time()
            sps = (step - window_step) / (now - window_time)
            window_time, window_step = now, step
            writer.add_scalar("charts/SPS", sps, global_step)
            if prior is not None:
                writer.add_scalar("charts/mask_probability", env.get_wrapper_attr("mask_probability")(), global_step)
                writer.add_scalar("charts/prior_errors", env.get_wrapper_attr("prior_errors"), global_step)
                schedule = env.get_wrapper_attr("schedule")
                signals = schedule.signals()  # the adaptive gate's
                if q_filter_prior is not None and global_step > args.learning_starts and schedule.step_probability(global_step) > 0:
                    signals.update(q_filter(batch[0], q_filter_prior, actor, qf, full_t))  # on this step's replay batch
                for name, value in signals.items():
                    if np.isfinite(value):
                        writer.add_scalar(f"charts/{name}", value, global_step)

        # CAMEL: seeded evaluations, unmasked (the headline) and inside the prior's mask
        if eval_env is not None and step % args.eval_every == 0:
            returns, lengths = evaluate(eval_env, actor, args.eval_episodes, args.seed + 10_000, device)
            last_eval = float(np.mean(returns))
            writer.add_scalar("eval/episodic_return", last_eval, global_step)
            writer.add_scalar("eval/episodic_length", float(np.mean(lengths)), global_step)
            if masked_eval_env is not None:
                masked_returns, _ = evaluate(masked_eval_env, actor, args.eval_episodes, args.seed + 10_000, device)
                last_masked_eval = float(np.mean(masked_returns))
                writer.add_scalar("eval/masked_episodic_return", last_masked_eval, global_step)
            records.append_eval_row(run_dir, records.TrainingEvalRow(
                global_step=step, return_mean=last_eval, return_std=float(np.std(returns)),
                length_mean=float(np.mean(lengths)), episodes=len(returns),
                wall_seconds=wall_offset + time.time() - start_time, masked_return_mean=last_masked_eval,
            ))
        if step % 1000 == 0:  # after this step's evaluation, so the bar never shows the one before
            progress.set_postfix(sps=f"{sps:.0f}", ret=shown(last_return), eval=shown(last_eval), refresh=False)

        # CAMEL: checkpoints, the last step's too, so that --resume --total-timesteps extends a finished run from its end
        if args.checkpoint_every > 0 and (step % args.checkpoint_every == 0 or step == args.total_timesteps):
            counters = {"global_step": step, "episodes": episodes, "wall_seconds": wall_offset + time.time() - start_time,
                        "prior_errors": env.get_wrapper_attr("prior_errors") if prior is not None else 0,
                        "mask_schedule": env.get_wrapper_attr("schedule").state_dict() if prior is not None else None}
            save_checkpoint(run_dir / "checkpoint.pt", counters, modules, rb, rng, generator)

    progress.close()
    # CAMEL: summary.json, the run's outcome in one record
    end = time.perf_counter()
    learning = end - update.first_call if update.first_call is not None else None
    summary = records.TrainingSummary(
        env_id=args.env_id,
        masking=args.masking,
        seed=args.seed,
        total_timesteps=args.total_timesteps,
        last_eval_return=last_eval,
        last_masked_eval_return=last_masked_eval,
        episodes=episodes,
        prior_errors=env.get_wrapper_attr("prior_errors") if prior is not None else 0,
        wall_seconds=wall_offset + time.time() - start_time,
        learning_steps_per_second=(args.total_timesteps - max(start_step, args.learning_starts + 1)) / learning if learning else None,
        update_share_of_learning_time=update.seconds / learning if learning else None,
        replay_buffer_bytes=rb.nbytes,
        device=str(device),
        torch_threads=torch.get_num_threads(),
    )
    if args.save_model:  # before summary.json, which marks the run finished
        model_path = run_dir / f"{args.exp_name}.cleanrl_model"
        save_atomically(  # CAMEL: one file with the env it was trained on (checked by --expert-model)
            {"actor": actor.state_dict(), "qf": qf.state_dict(), "env_id": args.env_id, "obs_dim": obs_dim, "act_dim": act_dim},
            model_path,
        )
        print(f"model saved to {model_path}", file=sys.stderr)
    summary.write(run_dir / records.TRAINING_SUMMARY_JSON)
    env.close()
    for e in (eval_env, masked_eval_env):
        if e is not None:
            e.close()
    writer.close()
    print(records.read_summary(run_dir).to_json(indent=None))  # CAMEL: summary.json on one line, for scripts
