# Masking-aware TD3 (CAMEL, arXiv 2502.11896) in one CleanRL-style file.
# Method: shared/CAMEL_METHOD.md §5; layout and defaults: CleanRL's td3_continuous_action.py.
"""Masking-aware TD3: the actor acts in [-1, 1]^d and every action is mapped into the bounds
that come with the observation (``info["action_bounds"]`` from camel_gym's wrappers). The
bounds of s and s' ride in the replay buffer as extras, so the critic target maps the target
actor's action into the *next* state's bounds and the actor's gradient flows through the
mapping. ``--masking none`` gives vanilla TD3 from the same code.

    python cleanrl_scripts/td3_camel.py --env-id Ant-v4
    python cleanrl_scripts/td3_camel.py --env-id Hopper-v4 --masking none --seed 2
    python cleanrl_scripts/td3_camel.py --resume runs/Hopper-v4__td3_camel__llm__1__1763933000
"""

import csv
import json
import os
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, Optional

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import tyro
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from camel_gym import EpsilonMaskWrapper, LLMBoundsWrapper, PolicyRejected, load_policy, shipped_prior
from camel_gym.masking import action_mapping, full_bounds


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
    """the batch size of sample from the reply memory"""
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

    # CAMEL
    masking: Literal["none", "llm", "expert", "random"] = "llm"
    """the prior that masks actions: none (vanilla TD3), llm (a prior file), expert (a saved actor), random"""
    policy: Optional[str] = None
    """the prior file for `--masking llm` (default: the shipped prior for the env id)"""
    expert_model: Optional[str] = None
    """a `td3_camel.cleanrl_model` saved by this script, the prior for `--masking expert`"""
    bias: float = 0.3
    """the mask's half-width as a fraction of each action dimension's half-range, in (0, 1]"""
    mask_fraction: float = 0.2
    """share of training over which the mask fades out (eps_t = max(1 - t / (f * T), 0))"""

    # Evaluation, checkpoints
    eval_every: int = 10_000
    """evaluate the deterministic actor (no mask, no noise) every this many steps (0: never)"""
    eval_episodes: int = 10
    """episodes per evaluation"""
    checkpoint_every: int = 50_000
    """write a resumable checkpoint every this many steps (0: never)"""
    resume: Optional[str] = None
    """a run directory to continue from its last checkpoint (its other arguments are reused)"""


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
        return torch.tanh(self.fc_mu(x))


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


class ReplayBuffer:
    """(s, a, r, s', terminated, bounds(s), bounds(s')) in one preallocated tensor, one row each.

    One row per transition makes sampling a single gather; on the CPU rows are written
    through a NumPy view of the same memory, which costs about a microsecond.
    """

    def __init__(self, size: int, obs_dim: int, act_dim: int, device: torch.device):
        self.size, self.obs_dim, self.act_dim = size, obs_dim, act_dim
        cols = [obs_dim, obs_dim, act_dim, 1, 1, 2 * act_dim, 2 * act_dim]
        self.slices, start = [], 0
        for c in cols:
            self.slices.append(slice(start, start + c))
            start += c
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
        rows = self.data[idx]
        obs, next_obs, actions, rewards, terms, bounds, next_bounds = (rows[:, s] for s in self.slices)
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
        next_actions = action_mapping((x + noise).clamp_(-1.0, 1.0), next_bounds)
        q_next = qf_target(next_obs, next_actions).min(dim=0).values
        return rewards + gamma * (1.0 - terminations) * q_next


def td3_actor_loss(obs, bounds, actor, qf):
    """-Q_1(s, MAP(mu(s), bounds(s))): the gradient reaches the actor through the mapping."""
    return -qf.q1(obs, action_mapping(actor(obs), bounds)).mean()


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
    with torch.no_grad():  # p' <- p' + tau (p - p'), every target tensor in one call
        online = list(actor.parameters()) + list(qf.parameters())
        torch._foreach_lerp_(list(target_actor.parameters()) + list(qf_target.parameters()), online, args.tau)
    return q_values, qf_losses, actor_loss


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


def make_env(args: Args, prior, run_dir: Path, evaluation: bool = False) -> gym.Env:
    """The training env (with the CAMEL wrappers unless `--masking none`) or the unmasked eval env."""
    record = evaluation and args.capture_video
    env = gym.make(args.env_id, **({"render_mode": "rgb_array"} if record else {}))
    if record:
        every = max(args.eval_episodes, 1)
        env = gym.wrappers.RecordVideo(env, str(run_dir / "videos"), episode_trigger=lambda ep: ep % every == 0)
    env = gym.wrappers.RecordEpisodeStatistics(env)
    if prior is not None and not evaluation:
        env = LLMBoundsWrapper(env, policy=prior, bias=args.bias)
        env = EpsilonMaskWrapper(env, mask_fraction=args.mask_fraction, total_timesteps=args.total_timesteps)
    return env


def random_prior(space: gym.spaces.Box, seed: int):
    """CAMEL's random masking: the prior's action is uniform in the action space at every step."""
    rng = np.random.default_rng(seed)
    return lambda obs: rng.uniform(space.low, space.high)


def expert_prior(path: str, space: gym.spaces.Box, obs_dim: int):
    """A saved actor of this script as the prior, evaluated in NumPy (no torch call per env step)."""
    saved = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(saved, dict) or "actor" not in saved:
        raise SystemExit(f"--expert-model {path} is not a model saved by td3_camel.py --save-model")
    weights = {k: v.numpy().astype(np.float64) for k, v in saved["actor"].items()}
    if weights["fc1.weight"].shape[1] != obs_dim or weights["fc_mu.weight"].shape[0] != space.shape[0]:
        raise SystemExit(f"--expert-model {path} was trained for {saved.get('env_id')}, whose spaces differ")
    full = full_bounds(space.low, space.high).astype(np.float64)

    def policy(obs):
        h = np.maximum(weights["fc1.weight"] @ obs + weights["fc1.bias"], 0.0)
        h = np.maximum(weights["fc2.weight"] @ h + weights["fc2.bias"], 0.0)
        return action_mapping(np.tanh(weights["fc_mu.weight"] @ h + weights["fc_mu.bias"]), full)

    return policy


def evaluate(env: gym.Env, actor: Actor, episodes: int, seed: int, device: torch.device) -> tuple[list, list]:
    """Deterministic mu(s) mapped into the full action space: no mask, no noise."""
    full = full_bounds(env.action_space.low, env.action_space.high)
    returns, lengths = [], []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        done, total, steps = False, 0.0, 0
        while not done:
            with torch.no_grad():
                x = actor(torch.as_tensor(obs, dtype=torch.float32, device=device)).cpu().numpy()
            obs, reward, terminated, truncated, _ = env.step(action_mapping(x, full).astype(env.action_space.dtype))
            total, steps, done = total + float(reward), steps + 1, terminated or truncated
        returns.append(total)
        lengths.append(steps)
    return returns, lengths


def save_atomically(obj, path: Path) -> None:
    """Write, then rename: a run killed mid-write keeps its previous file intact."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def fail(message: str) -> None:
    print(f"td3_camel.py: error: {message}", file=sys.stderr)
    raise SystemExit(2)


if __name__ == "__main__":
    args = tyro.cli(Args)
    checkpoint = None
    if args.resume:
        run_dir = Path(args.resume)
        if not (run_dir / "args.json").is_file():
            fail(f"--resume {run_dir}: no args.json there; pass a run directory written by this script")
        if not (run_dir / "checkpoint.pt").is_file():
            fail(f"--resume {run_dir}: no checkpoint.pt yet (the run stopped before its first checkpoint); start it anew")
        args = Args(**{**json.loads((run_dir / "args.json").read_text()), "resume": str(run_dir)})
        checkpoint = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)

    # fail early and clearly on bad input, before anything is written
    try:
        probe_env = gym.make(args.env_id)
    except (gym.error.Error, ModuleNotFoundError) as exc:
        fail(f"unknown --env-id {args.env_id!r}: {exc}")
    if not isinstance(probe_env.action_space, gym.spaces.Box):
        fail(f"{args.env_id} has a {type(probe_env.action_space).__name__} action space; TD3 needs a Box")
    obs_space, act_space = probe_env.observation_space, probe_env.action_space
    obs_dim, act_dim = int(np.prod(obs_space.shape)), int(np.prod(act_space.shape))
    if args.masking == "expert" and not args.expert_model:
        fail("--masking expert needs --expert-model PATH (a td3_camel.cleanrl_model saved with --save-model)")
    if args.masking == "expert" and not Path(args.expert_model).is_file():
        fail(f"--expert-model {args.expert_model}: no such file")
    if args.masking == "llm":
        if args.policy is None:
            try:
                args.policy = str(shipped_prior(args.env_id, obs_space, act_space))
            except ValueError as exc:
                fail(f"{exc} (with --policy)")
        elif not Path(args.policy).is_file():
            fail(f"--policy {args.policy}: no such prior file")
    if not 0 < args.bias <= 1:
        fail(f"--bias must lie in (0, 1], got {args.bias}")
    if args.device == "cuda" and not torch.cuda.is_available():
        fail("--device cuda, but torch sees no CUDA device")
    # the prior, loaded (and for llm priors tried in the sandbox) before anything is written
    try:
        if args.masking == "llm":
            prior = load_policy(args.policy, env=probe_env)
        elif args.masking == "expert":
            prior = expert_prior(args.expert_model, act_space, obs_dim)
        elif args.masking == "random":
            prior = random_prior(act_space, args.seed)
        else:
            prior = None
    except PolicyRejected as exc:
        fail(str(exc))
    probe_env.close()

    if checkpoint is None:
        run_name = f"{args.env_id}__{args.exp_name}__{args.masking}__{args.seed}__{int(time.time())}"
        run_dir = Path(args.runs_dir) / run_name
        run_dir.mkdir(parents=True, exist_ok=False)
        (run_dir / "args.json").write_text(json.dumps(asdict(args), indent=2))
    run_name = run_dir.name

    if args.track:
        import wandb

        wandb.init(
            project=args.wandb_project_name, entity=args.wandb_entity, sync_tensorboard=True, config=vars(args),
            name=run_name, monitor_gym=True, save_code=True, id=run_name, resume="allow",
        )
    # purge_step drops the events a killed run logged after its last checkpoint
    writer = SummaryWriter(str(run_dir), purge_step=checkpoint["global_step"] if checkpoint else None)
    if checkpoint is None:
        writer.add_text(
            "hyperparameters",
            "|param|value|\n|-|-|\n%s" % ("\n".join([f"|{key}|{value}|" for key, value in vars(args).items()])),
        )

    keep_freed_memory()
    # TRY NOT TO MODIFY: seeding
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.deterministic = args.torch_deterministic
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if use_cuda else "cpu")
    rng = np.random.default_rng(args.seed)  # exploration: warm-up actions and action noise
    generator = torch.Generator(device=device).manual_seed(args.seed)  # replay sampling, target noise

    env = make_env(args, prior, run_dir)
    eval_env = make_env(args, None, run_dir, evaluation=True) if args.eval_every > 0 else None
    full = full_bounds(act_space.low, act_space.high)

    actor = Actor(obs_dim, act_dim).to(device)
    qf = TwinQ(obs_dim, act_dim).to(device)
    target_actor = Actor(obs_dim, act_dim).to(device)
    qf_target = TwinQ(obs_dim, act_dim).to(device)
    target_actor.load_state_dict(actor.state_dict())
    qf_target.load_state_dict(qf.state_dict())
    for p in list(target_actor.parameters()) + list(qf_target.parameters()):
        p.requires_grad_(False)
    # fused Adam: one kernel per step for all parameters instead of a dozen small ops each
    q_optimizer = torch.optim.Adam(qf.parameters(), lr=args.learning_rate, fused=True)
    actor_optimizer = torch.optim.Adam(actor.parameters(), lr=args.learning_rate, fused=True)

    rb = ReplayBuffer(args.buffer_size, obs_dim, act_dim, device)
    start_step, episodes = 0, 0
    if checkpoint is not None:
        actor.load_state_dict(checkpoint["actor"])
        qf.load_state_dict(checkpoint["qf"])
        target_actor.load_state_dict(checkpoint["target_actor"])
        qf_target.load_state_dict(checkpoint["qf_target"])
        q_optimizer.load_state_dict(checkpoint["q_optimizer"])
        actor_optimizer.load_state_dict(checkpoint["actor_optimizer"])
        rb.load(checkpoint["replay_buffer"])
        random.setstate(checkpoint["rng"]["python"])
        np.random.set_state(checkpoint["rng"]["numpy"])
        torch.set_rng_state(checkpoint["rng"]["torch"])
        rng.bit_generator.state = checkpoint["rng"]["exploration"]
        generator.set_state(checkpoint["rng"]["generator"])
        start_step, episodes = checkpoint["global_step"], checkpoint["episodes"]
        if prior is not None:  # the schedule's clock; the reset below reseeds its draws
            env.get_wrapper_attr("set_timestep")(start_step)
            env.set_wrapper_attr("prior_errors", checkpoint["prior_errors"])
        # eval rows logged after the checkpoint are dropped: those steps will be run again
        eval_csv = run_dir / "eval.csv"
        if eval_csv.is_file():
            rows = list(csv.DictReader(eval_csv.open()))
            kept = [r for r in rows if int(r["global_step"]) <= start_step]
            with eval_csv.open("w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else ["global_step"])
                w.writeheader()
                w.writerows(kept)
        print(f"resumed {run_dir} at step {start_step}", file=sys.stderr)

    # TRY NOT TO MODIFY: start the game; a resumed run starts a fresh episode
    obs, info = env.reset(seed=args.seed + start_step)
    bounds = info.get("action_bounds", full)
    progress = tqdm(total=args.total_timesteps, initial=start_step, disable=not args.progress, unit="step", smoothing=0.05)
    start_time = time.time()
    learn_start_step = max(start_step, args.learning_starts + 1)
    learn_start_time = start_time if start_step >= learn_start_step else None
    window_time, window_step = start_time, start_step
    last_return, last_eval = float("nan"), float("nan")
    actor_loss, update_seconds = None, 0.0
    for global_step in range(start_step, args.total_timesteps):
        # ALGO LOGIC: put action logic here; x is the normalized action, mapped into the bounds in force
        if global_step < args.learning_starts:
            x = rng.uniform(-1.0, 1.0, act_dim)
        else:
            with torch.no_grad():
                x = actor(torch.as_tensor(obs, dtype=torch.float32, device=device)).cpu().numpy()
            x = np.clip(x + rng.normal(0.0, args.exploration_noise, act_dim), -1.0, 1.0)
        action = np.minimum(np.maximum(action_mapping(x, bounds), bounds[0]), bounds[1]).astype(act_space.dtype)

        # TRY NOT TO MODIFY: execute the game and log data.
        next_obs, reward, terminated, truncated, info = env.step(action)
        next_bounds = info.get("action_bounds", full)
        if "episode" in info:
            episodes += 1
            last_return = float(info["episode"]["r"])
            writer.add_scalar("charts/episodic_return", last_return, global_step)
            writer.add_scalar("charts/episodic_length", int(info["episode"]["l"]), global_step)

        # the transition keeps s' = the episode's final observation with its own bounds, and only
        # termination stops bootstrapping (a time-limit truncation does not)
        rb.add(obs, next_obs, action, reward, terminated, bounds, next_bounds)
        if terminated or truncated:
            obs, info = env.reset()
            bounds = info.get("action_bounds", full)
        else:
            obs, bounds = next_obs, next_bounds

        # ALGO LOGIC: training.
        if global_step > args.learning_starts:
            if learn_start_time is None:
                learn_start_time = time.time()
            update_start = time.perf_counter()
            q_values, qf_losses, new_actor_loss = td3_update(
                global_step, rb.sample(args.batch_size, generator), actor, qf, target_actor, qf_target,
                q_optimizer, actor_optimizer, args, generator,
            )
            update_seconds += time.perf_counter() - update_start
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
        if step % 1000 == 0:
            now = time.time()
            sps = (step - window_step) / (now - window_time)
            window_time, window_step = now, step
            writer.add_scalar("charts/SPS", sps, global_step)
            if prior is not None:
                writer.add_scalar("charts/mask_probability", env.get_wrapper_attr("mask_probability")(), global_step)
                writer.add_scalar("charts/prior_errors", env.get_wrapper_attr("prior_errors"), global_step)
            progress.set_postfix(sps=f"{sps:.0f}", ret=f"{last_return:.0f}", eval=f"{last_eval:.0f}", refresh=False)

        if eval_env is not None and step % args.eval_every == 0:
            returns, lengths = evaluate(eval_env, actor, args.eval_episodes, args.seed + 10_000, device)
            last_eval = float(np.mean(returns))
            writer.add_scalar("eval/episodic_return", last_eval, global_step)
            writer.add_scalar("eval/episodic_length", float(np.mean(lengths)), global_step)
            eval_csv = run_dir / "eval.csv"
            new_file = not eval_csv.is_file()
            with eval_csv.open("a", newline="") as f:
                w = csv.writer(f)
                if new_file:
                    w.writerow(["global_step", "return_mean", "return_std", "length_mean", "episodes", "wall_seconds"])
                w.writerow([step, f"{last_eval:.3f}", f"{np.std(returns):.3f}", f"{np.mean(lengths):.1f}", len(returns), f"{time.time() - start_time:.1f}"])

        if args.checkpoint_every > 0 and step % args.checkpoint_every == 0 and step < args.total_timesteps:
            save_atomically(
                {
                    "global_step": step,
                    "episodes": episodes,
                    "prior_errors": env.get_wrapper_attr("prior_errors") if prior is not None else 0,
                    "actor": actor.state_dict(),
                    "qf": qf.state_dict(),
                    "target_actor": target_actor.state_dict(),
                    "qf_target": qf_target.state_dict(),
                    "q_optimizer": q_optimizer.state_dict(),
                    "actor_optimizer": actor_optimizer.state_dict(),
                    "replay_buffer": rb.state(),
                    "rng": {
                        "python": random.getstate(),
                        "numpy": np.random.get_state(),
                        "torch": torch.get_rng_state(),
                        "exploration": rng.bit_generator.state,
                        "generator": generator.get_state(),
                    },
                },
                run_dir / "checkpoint.pt",
            )

    progress.close()
    end_time = time.time()
    summary = {
        "env_id": args.env_id,
        "masking": args.masking,
        "seed": args.seed,
        "total_timesteps": args.total_timesteps,
        "last_eval_return": last_eval,
        "episodes": episodes,
        "prior_errors": env.get_wrapper_attr("prior_errors") if prior is not None else 0,
        "learning_steps_per_second": (
            (args.total_timesteps - learn_start_step) / (end_time - learn_start_time)
            if learn_start_time is not None and args.total_timesteps > learn_start_step
            else None
        ),
        # this process's learning time inside updates; the rest is env, prior, action, replay write, logging, eval
        "update_share_of_learning_time": (
            update_seconds / (end_time - learn_start_time) if learn_start_time is not None and end_time > learn_start_time else None
        ),
        "replay_buffer_bytes": rb.nbytes,
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    if args.save_model:
        model_path = run_dir / f"{args.exp_name}.cleanrl_model"
        save_atomically(
            {"actor": actor.state_dict(), "qf": qf.state_dict(), "env_id": args.env_id, "obs_dim": obs_dim, "act_dim": act_dim},
            model_path,
        )
        print(f"model saved to {model_path}", file=sys.stderr)
    env.close()
    if eval_env is not None:
        eval_env.close()
    writer.close()
    print(json.dumps(summary))
