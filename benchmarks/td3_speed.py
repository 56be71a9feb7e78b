"""TD3 speed, measured side by side in one run.

1. The whole script's learning-phase steps/s with `--masking none` and `--masking llm`, run
   alternately as subprocesses (the masking overhead goal: <= 5%).
2. One update (critics every step, actor and targets every second step), CleanRL-style vs
   td3_camel.py's, interleaved in one process on the same machine state. The CleanRL-style
   reference is our own re-implementation of the update in CleanRL's td3_continuous_action.py
   (two QNetworks with one Adam, the actor loss back-propagating into the critic, a per-tensor
   soft update, an SB3-like NumPy replay buffer); ours imports td3_camel.py's own functions.

    python benchmarks/td3_speed.py [--env-id Hopper-v4] [--rounds 5] [--script-steps 6000]

Both updates run in one process with the same malloc options (td3_camel.keep_freed_memory), so
part 2 isolates what the update code itself changes.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SCRIPT = Path(__file__).resolve().parent.parent / "cleanrl_scripts" / "td3_camel.py"
sys.path.insert(0, str(SCRIPT.parent))
import td3_camel  # noqa: E402


class CleanRLQNetwork(nn.Module):
    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.fc1 = nn.Linear(obs_dim + act_dim, 256)
        self.fc2 = nn.Linear(256, 256)
        self.fc3 = nn.Linear(256, 1)

    def forward(self, x, a):
        x = torch.cat([x, a], 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def cleanrl_style(obs_dim, act_dim, data, rng, batch=256):
    actor, qf1, qf2 = td3_camel.Actor(obs_dim, act_dim), CleanRLQNetwork(obs_dim, act_dim), CleanRLQNetwork(obs_dim, act_dim)
    target_actor, qf1_t, qf2_t = td3_camel.Actor(obs_dim, act_dim), CleanRLQNetwork(obs_dim, act_dim), CleanRLQNetwork(obs_dim, act_dim)
    target_actor.load_state_dict(actor.state_dict())
    qf1_t.load_state_dict(qf1.state_dict())
    qf2_t.load_state_dict(qf2.state_dict())
    q_opt = torch.optim.Adam(list(qf1.parameters()) + list(qf2.parameters()), lr=3e-4)
    a_opt = torch.optim.Adam(actor.parameters(), lr=3e-4)
    obs, act, rew, nobs, done = data

    def update(step):
        idx = rng.integers(0, len(obs), batch)
        o, a, r, no, d = (torch.tensor(x[idx]) for x in (obs, act, rew, nobs, done))
        with torch.no_grad():
            noise = (torch.randn_like(a) * 0.2).clamp(-0.5, 0.5)
            na = (target_actor(no) + noise).clamp(-1, 1)
            q_next = torch.min(qf1_t(no, na), qf2_t(no, na))
            y = r.flatten() + (1 - d.flatten()) * 0.99 * q_next.view(-1)
        loss = F.mse_loss(qf1(o, a).view(-1), y) + F.mse_loss(qf2(o, a).view(-1), y)
        q_opt.zero_grad()
        loss.backward()
        q_opt.step()
        if step % 2 == 0:
            actor_loss = -qf1(o, actor(o)).mean()
            a_opt.zero_grad()
            actor_loss.backward()
            a_opt.step()
            for net, target in ((actor, target_actor), (qf1, qf1_t), (qf2, qf2_t)):
                for p, tp in zip(net.parameters(), target.parameters()):
                    tp.data.copy_(0.005 * p.data + 0.995 * tp.data)

    return update


def ours(obs_dim, act_dim, data, batch=256):
    args = td3_camel.Args()
    actor, qf = td3_camel.Actor(obs_dim, act_dim), td3_camel.TwinQ(obs_dim, act_dim)
    target_actor, qf_target = td3_camel.Actor(obs_dim, act_dim), td3_camel.TwinQ(obs_dim, act_dim)
    target_actor.load_state_dict(actor.state_dict())
    qf_target.load_state_dict(qf.state_dict())
    for p in list(target_actor.parameters()) + list(qf_target.parameters()):
        p.requires_grad_(False)
    q_opt = torch.optim.Adam(qf.parameters(), lr=3e-4, fused=True)
    a_opt = torch.optim.Adam(actor.parameters(), lr=3e-4, fused=True)
    rb = td3_camel.ReplayBuffer(len(data[0]), obs_dim, act_dim, torch.device("cpu"))
    full = np.stack([-np.ones(act_dim), np.ones(act_dim)])
    for row in zip(*data):
        rb.add(row[0], row[3], row[1], float(row[2][0]), bool(row[4][0]), full, full)
    generator = torch.Generator().manual_seed(0)

    def update(step):
        batch_ = rb.sample(batch, generator)
        td3_camel.td3_update(step, batch_, actor, qf, target_actor, qf_target, q_opt, a_opt, args, generator)

    return update


def time_updates(update, n):
    start = time.perf_counter()
    for step in range(n):
        update(step)
    return (time.perf_counter() - start) / n


def script_sps(env_id, masking, steps, learning_starts):
    with tempfile.TemporaryDirectory() as runs:
        cmd = [
            sys.executable, str(SCRIPT), "--env-id", env_id, "--masking", masking, "--total-timesteps", str(steps),
            "--learning-starts", str(learning_starts), "--eval-every", "0", "--checkpoint-every", "0",
            "--buffer-size", str(steps), "--runs-dir", runs, "--no-progress",
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])["learning_steps_per_second"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-id", default="Hopper-v4")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--updates", type=int, default=200, help="updates per round in part 2")
    parser.add_argument("--script-steps", type=int, default=6000, help="steps per script run in part 1 (0: skip)")
    args = parser.parse_args()
    td3_camel.keep_freed_memory()
    env = gym.make(args.env_id)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    rng = np.random.default_rng(0)
    n = 20_000
    data = (
        rng.normal(size=(n, obs_dim)).astype(np.float32), rng.uniform(-1, 1, (n, act_dim)).astype(np.float32),
        rng.normal(size=(n, 1)).astype(np.float32), rng.normal(size=(n, obs_dim)).astype(np.float32),
        np.zeros((n, 1), np.float32),
    )
    # part 1 first: a process that has run torch keeps OpenMP workers that could compete with
    # the scripts it starts
    if args.script_steps > 0:
        learning_starts = args.script_steps // 3
        sps = {"none": [], "llm": []}
        for _ in range(max(args.rounds // 2, 2)):
            for masking in sps:
                sps[masking].append(script_sps(args.env_id, masking, args.script_steps, learning_starts))
        none, llm = statistics.median(sps["none"]), statistics.median(sps["llm"])
        print(f"whole script: td3_camel.py learning-phase steps/s on {args.env_id} ({args.script_steps - learning_starts} learning steps per run, medians)")
        print(f"  --masking none {none:7.1f}   runs: {', '.join(f'{v:.0f}' for v in sps['none'])}")
        print(f"  --masking llm  {llm:7.1f}   runs: {', '.join(f'{v:.0f}' for v in sps['llm'])}")
        print(f"  llm / none     {llm / none:7.3f}   (masking overhead goal: >= 0.95)")
        print(f"  vs CleanRL's documented ~215 steps/s on this machine class: none {none / 215:.2f}x, llm {llm / 215:.2f}x")

    torch.manual_seed(0)
    updates = {"cleanrl-style": cleanrl_style(obs_dim, act_dim, data, rng), "td3_camel": ours(obs_dim, act_dim, data)}
    times = {k: [] for k in updates}
    for update in updates.values():
        time_updates(update, 30)  # warm-up
    for _ in range(args.rounds):
        for name, update in updates.items():
            times[name].append(time_updates(update, args.updates))
    ref, new = statistics.median(times["cleanrl-style"]), statistics.median(times["td3_camel"])
    print(f"one update: on {args.env_id} shapes ({torch.get_num_threads()} threads, medians of {args.rounds} rounds)")
    print(f"  cleanrl-style  {ref * 1e3:6.2f} ms")
    print(f"  td3_camel      {new * 1e3:6.2f} ms")
    print(f"  speed-up       {ref / new:6.2f}x")


if __name__ == "__main__":
    main()
