"""TD3 speed, measured side by side in one run.

1. The whole script's learning-phase steps/s with `--masking none` and `--masking llm`, run
   alternately as subprocesses (the masking overhead goal: <= 5%). With `--cleanrl-script
   PATH/TO/cleanrl/cleanrl/td3_continuous_action.py` (a checkout of CleanRL; its
   `cleanrl_utils` must sit next to `cleanrl/`), CleanRL's own script runs in the same
   rotation, so the speed-up over it (goal: >= 1.6x) is measured, not assumed. `--masking llm
   --no-fast-update` (the plain autograd update) runs in the rotation too.
2. One update (critics every step, actor and targets every second step), CleanRL-style vs
   td3_camel.py's, interleaved in one process on the same machine state. The CleanRL-style
   reference is our own re-implementation of the update in CleanRL's td3_continuous_action.py
   (two QNetworks with one Adam, the actor loss back-propagating into the critic, a per-tensor
   soft update, an SB3-like NumPy replay buffer); ours imports td3_camel.py's own functions:
   td3_update_fast (hand-written gradients, the script's default) and td3_update (autograd).
   A third contender is td3_camel.py's update with LeanRL's twin critic instead of its own: two
   plain CleanRL QNetworks batched with `torch.func` (`stack_module_state` + `vmap`), against
   td3_camel.py's stacked weights with one `baddbmm` per layer: the measurement behind keeping
   the latter.
3. The floor under td3_camel.py's update (td3_update_fast): every matrix multiplication it makes (shapes
   recorded with torch.profiler) replayed alone on preallocated tensors, and its fused Adam
   steps alone, against the whole update; and the same FLOPs at the rate of one 256x256x256
   matmul in a tight loop (the best this BLAS does on these sizes). Whatever the update costs
   beyond matmuls and Adam is elementwise work, autograd and Python. The matmuls are the same
   in any fp32 implementation of TD3 with these networks, so they bound its steps/s here.

    python benchmarks/td3_speed.py [--env-id Hopper-v4] [--rounds 5] [--script-steps 6000]
        [--cleanrl-script ~/cleanrl/cleanrl/td3_continuous_action.py] [--before-tree DIR]

Both updates run in one process with the same malloc options (td3_camel.keep_freed_memory), so
part 2 isolates what the update code itself changes.
"""

import argparse
import json
import os
import re
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
from sweep_throughput import cpu_model  # noqa: E402


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
                for p, tp in zip(net.parameters(), target.parameters(), strict=True):
                    tp.data.copy_(0.005 * p.data + 0.995 * tp.data)

    return update


class VmapTwinQ(nn.Module):
    """The twin critic LeanRL-style: two CleanRL QNetworks, parameters stacked with
    `torch.func.stack_module_state` and both evaluated in one `torch.func.vmap` call."""

    def __init__(self, obs_dim: int, act_dim: int, n: int = 2):
        super().__init__()
        critics = [CleanRLQNetwork(obs_dim, act_dim) for _ in range(n)]
        stacked, _ = torch.func.stack_module_state(critics)
        self.names = list(stacked)
        for name, value in stacked.items():
            self.register_parameter(name.replace(".", "_"), nn.Parameter(value))
        self._critic = [critics[0].to("meta")]  # the function without weights, kept out of parameters()

    def _params(self, index=None):
        params = {name: getattr(self, name.replace(".", "_")) for name in self.names}
        return params if index is None else {name: p[index].detach() for name, p in params.items()}

    def _q(self, params, obs, action):
        return torch.func.functional_call(self._critic[0], params, (obs, action))[..., 0]

    def forward(self, obs, action):
        return torch.func.vmap(self._q, in_dims=(0, None, None))(self._params(), obs, action)

    def q1(self, obs, action):
        return self._q(self._params(0), obs, action)


def ours(obs_dim, act_dim, data, batch=256, twin_q=td3_camel.TwinQ, update_fn=td3_camel.td3_update_fast):
    args = td3_camel.Args()
    actor, qf = td3_camel.Actor(obs_dim, act_dim), twin_q(obs_dim, act_dim)
    target_actor, qf_target = td3_camel.Actor(obs_dim, act_dim), twin_q(obs_dim, act_dim)
    target_actor.load_state_dict(actor.state_dict())
    qf_target.load_state_dict(qf.state_dict())
    for p in list(target_actor.parameters()) + list(qf_target.parameters()):
        p.requires_grad_(False)
    q_opt = torch.optim.Adam(qf.parameters(), lr=3e-4, fused=True)
    a_opt = torch.optim.Adam(actor.parameters(), lr=3e-4, fused=True)
    rb = td3_camel.ReplayBuffer(len(data[0]), obs_dim, act_dim, torch.device("cpu"))
    full = np.stack([-np.ones(act_dim), np.ones(act_dim)])
    for row in zip(*data, strict=True):
        rb.add(row[0], row[3], row[1], float(row[2][0]), bool(row[4][0]), full, full)
    generator = torch.Generator().manual_seed(0)

    def update(step):
        batch_ = rb.sample(batch, generator)
        update_fn(step, batch_, actor, qf, target_actor, qf_target, q_opt, a_opt, args, generator)

    def adam_only(step):
        q_opt.step()
        if step % args.policy_frequency == 0:
            a_opt.step()

    update.adam_only = adam_only  # the update's optimizer steps alone (part 3)
    return update


MATMULS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"}


def recorded_matmuls(update, step):
    """(op name, input shapes) of every matmul that `update(step)` makes, outermost calls only."""
    from torch.profiler import profile

    with profile(record_shapes=True) as prof:
        update(step)
    calls = []
    for event in prof.events():
        parent, nested = event.cpu_parent, False
        while parent is not None and not nested:
            nested, parent = parent.name in MATMULS, parent.cpu_parent
        if event.name in MATMULS and not nested:
            calls.append((event.name, [tuple(s) for s in event.input_shapes if s]))
    return calls


def matmul_replay(update, period=2):
    """Runs the matmuls that `update(step)` makes, on fresh tensors with preallocated outputs.

    The calls are recorded for one period of steps (a critic-and-actor step, a critic step).
    """
    ops_by_step = []
    for step in range(period):
        ops = []
        for name, shapes in recorded_matmuls(update, step):
            inputs = [torch.randn(shape) for shape in shapes]
            out = torch.empty(*inputs[-2].shape[:-1], inputs[-1].shape[-1])
            ops.append((getattr(torch, name.split("::")[1]), inputs, out))
        ops_by_step.append(ops)

    def replay(step):
        for op, inputs, out in ops_by_step[step % period]:
            op(*inputs, out=out)

    # multiply-adds x 2, per step
    replay.flops = sum(2 * inputs[-2].numel() * inputs[-1].shape[-1] for ops in ops_by_step for _, inputs, _ in ops) / period
    return replay


def peak_matmul_flops(n=256, repeats=500):
    """FLOP/s of one n x n x n matmul in a tight loop: its operands stay in cache."""
    a, b, out = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
    for _ in range(50):
        torch.mm(a, b, out=out)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b, out=out)
    return 2 * n**3 * repeats / (time.perf_counter() - start)


def time_updates(update, n):
    start = time.perf_counter()
    for step in range(n):
        update(step)
    return (time.perf_counter() - start) / n


def script_sps(env_id, masking, steps, learning_starts, tree=None, extra=()):
    """Learning-phase steps/s and update share of td3_camel.py; ``tree``: that of another camel-gym checkout."""
    script = Path(tree) / "cleanrl_scripts" / "td3_camel.py" if tree else SCRIPT
    env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())} if tree else None  # the checkout's own camel_gym
    with tempfile.TemporaryDirectory() as runs:
        cmd = [
            sys.executable, str(script), "--env-id", env_id, "--masking", masking, "--total-timesteps", str(steps),
            "--learning-starts", str(learning_starts), "--eval-every", "0", "--checkpoint-every", "0",
            "--buffer-size", str(steps), "--runs-dir", runs, "--no-progress", *extra,
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        summary = json.loads(out.stdout.strip().splitlines()[-1])
        return summary["learning_steps_per_second"], summary["update_share_of_learning_time"]


def cleanrl_sps(script, env_id, steps, learning_starts):
    """Learning-phase steps/s of CleanRL's own script, from the `SPS: N` it prints every 100 learning steps.

    CleanRL's SPS is global_step / seconds since the start, so the time at a print is step / SPS.
    """
    script = Path(script).expanduser().resolve()
    path = os.pathsep.join(filter(None, [str(script.parent.parent), os.environ.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as cwd:  # it writes runs/ into the working directory
        cmd = [
            sys.executable, str(script), "--env-id", env_id, "--total-timesteps", str(steps),
            "--learning-starts", str(learning_starts), "--buffer-size", str(steps),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env={**os.environ, "PYTHONPATH": path})
    if out.returncode != 0:
        raise SystemExit(f"--cleanrl-script {script} failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    rates = [int(v) for v in re.findall(r"^SPS: (\d+)$", out.stdout, re.MULTILINE)]
    if len(rates) < 2 or 0 in rates:
        raise SystemExit(f"--cleanrl-script {script} printed fewer than two 'SPS: N' lines; pass CleanRL's td3_continuous_action.py")
    first = (learning_starts // 100 + 1) * 100
    last = first + 100 * (len(rates) - 1)
    return (last - first) / (last / rates[-1] - first / rates[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-id", default="Hopper-v4")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--updates", type=int, default=200, help="updates per round in part 2")
    parser.add_argument("--script-steps", type=int, default=6000, help="steps per script run in part 1 (0: skip)")
    parser.add_argument("--cleanrl-script", help="CleanRL's td3_continuous_action.py, to run side by side in part 1")
    parser.add_argument("--before-tree", help="a checkout of an earlier camel-gym (git worktree add DIR COMMIT): its td3_camel.py --masking none joins part 1's rotation")
    parser.add_argument("--target", type=float, default=345.0, help="learning-phase steps/s goal for part 3 (with --cleanrl-script: 1.6x its measured rate)")
    args = parser.parse_args()
    td3_camel.keep_freed_memory()
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; torch {torch.__version__}, {torch.get_num_threads()} threads")
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
    loop, target = None, args.target
    if args.script_steps > 0:
        learning_starts = args.script_steps // 3
        sps, loop = {"none": [], "llm": [], "llm, autograd": [], "llm, 1 thread": []}, []
        if args.cleanrl_script:
            sps = {"cleanrl": [], **sps}
        if args.before_tree:
            sps = {"before": [], **sps}
        for _ in range(max(args.rounds // 2, 2)):
            for name in sps:
                if name == "cleanrl":
                    sps[name].append(cleanrl_sps(args.cleanrl_script, args.env_id, args.script_steps, learning_starts))
                    continue
                if name == "before":
                    sps[name].append(script_sps(args.env_id, "none", args.script_steps, learning_starts, args.before_tree)[0])
                    continue
                if name == "llm, autograd":
                    sps[name].append(script_sps(args.env_id, "llm", args.script_steps, learning_starts, extra=["--no-fast-update"])[0])
                    continue
                if name == "llm, 1 thread":  # the layout a sweep gives each trial
                    sps[name].append(script_sps(args.env_id, "llm", args.script_steps, learning_starts, extra=["--threads", "1"])[0])
                    continue
                rate, update_share = script_sps(args.env_id, name, args.script_steps, learning_starts)
                sps[name].append(rate)
                if name == "llm":
                    loop.append((1.0 - update_share) / rate)
        med = {k: statistics.median(v) for k, v in sps.items()}
        loop = statistics.median(loop)
        print(f"whole script: learning-phase steps/s on {args.env_id} ({args.script_steps - learning_starts} learning steps per run, medians)")
        if "cleanrl" in med:
            print(f"  CleanRL td3    {med['cleanrl']:7.1f}   runs: {', '.join(f'{v:.0f}' for v in sps['cleanrl'])}")
        if "before" in med:
            print(f"  before, none   {med['before']:7.1f}   runs: {', '.join(f'{v:.0f}' for v in sps['before'])}   ({args.before_tree})")
        print(f"  --masking none {med['none']:7.1f}   runs: {', '.join(f'{v:.0f}' for v in sps['none'])}")
        print(f"  --masking llm  {med['llm']:7.1f}   runs: {', '.join(f'{v:.0f}' for v in sps['llm'])}")
        print(f"  --masking llm --no-fast-update {med['llm, autograd']:7.1f}   runs: {', '.join(f'{v:.0f}' for v in sps['llm, autograd'])}")
        print(f"  --masking llm --threads 1 {med['llm, 1 thread']:7.1f}   runs: {', '.join(f'{v:.0f}' for v in sps['llm, 1 thread'])}"
              f"   ({med['llm, 1 thread'] / med['llm']:.2f}x the {torch.get_num_threads()}-thread default)")
        print(f"  llm / none     {med['llm'] / med['none']:7.3f}   (masking overhead goal: >= 0.95)")
        if "before" in med:
            print(f"  none now / before {med['none'] / med['before']:5.3f}")
        if "cleanrl" in med:
            print(f"  vs CleanRL, measured above: none {med['none'] / med['cleanrl']:.2f}x, llm {med['llm'] / med['cleanrl']:.2f}x, "
                  f"llm --no-fast-update {med['llm, autograd'] / med['cleanrl']:.2f}x (goal: >= 1.6x)")
            target = 1.6 * med["cleanrl"]
        else:
            print(f"  vs CleanRL's documented ~215 steps/s (pass --cleanrl-script to measure it here): "
                  f"none {med['none'] / 215:.2f}x, llm {med['llm'] / 215:.2f}x")

    torch.manual_seed(0)
    updates = {
        "cleanrl-style": cleanrl_style(obs_dim, act_dim, data, rng),
        "td3_camel": ours(obs_dim, act_dim, data),
        "td3_camel, autograd": ours(obs_dim, act_dim, data, update_fn=td3_camel.td3_update),
        "td3_camel, vmap twin": ours(obs_dim, act_dim, data, twin_q=VmapTwinQ, update_fn=td3_camel.td3_update),
    }
    times = {k: [] for k in updates}
    for update in updates.values():
        time_updates(update, 30)  # warm-up
    for _ in range(args.rounds):
        for name, update in updates.items():
            times[name].append(time_updates(update, args.updates))
    ref, new = statistics.median(times["cleanrl-style"]), statistics.median(times["td3_camel"])
    vmapped = statistics.median(times["td3_camel, vmap twin"])
    print(f"one update: on {args.env_id} shapes ({torch.get_num_threads()} threads, medians of {args.rounds} rounds)")
    print(f"  cleanrl-style            {ref * 1e3:6.2f} ms   rounds: {', '.join(f'{v * 1e3:.2f}' for v in times['cleanrl-style'])}")
    print(f"  td3_camel                {new * 1e3:6.2f} ms   rounds: {', '.join(f'{v * 1e3:.2f}' for v in times['td3_camel'])}")
    autograd = statistics.median(times["td3_camel, autograd"])
    print(f"  td3_camel, autograd      {autograd * 1e3:6.2f} ms   rounds: {', '.join(f'{v * 1e3:.2f}' for v in times['td3_camel, autograd'])}")
    print(f"  td3_camel, vmap twin     {vmapped * 1e3:6.2f} ms   rounds: {', '.join(f'{v * 1e3:.2f}' for v in times['td3_camel, vmap twin'])}")
    print(f"  speed-up over cleanrl-style: {ref / new:.2f}x (td3_camel), {ref / autograd:.2f}x (its autograd update), "
          f"{ref / vmapped:.2f}x (autograd with the vmap twin)")

    update = updates["td3_camel"]
    replay = matmul_replay(update)
    parts = {"whole update": update, "its matmuls alone": replay, "its Adam steps alone": update.adam_only}
    times, peaks = {k: [] for k in parts}, []
    for _ in range(args.rounds):  # interleaved, like part 2
        for name, part in parts.items():
            times[name].append(time_updates(part, args.updates))
        peaks.append(peak_matmul_flops())
    t = {k: statistics.median(v) for k, v in times.items()}
    peak = statistics.median(peaks)
    ideal = replay.flops / peak
    rest = t["whole update"] - t["its matmuls alone"] - t["its Adam steps alone"]
    print(f"the floor under one td3_camel update (medians of {args.rounds} rounds)")
    for name, value in t.items():
        print(f"  {name:22s} {value * 1e3:6.2f} ms")
    print(f"  {'everything else':22s} {rest * 1e3:6.2f} ms   (elementwise ops, sampling, Python): "
          f"{rest / t['whole update']:.0%} of the update (goal: < 25%)")
    print(f"  its matmuls are {replay.flops / 1e6:.0f} MFLOP a step: {replay.flops / t['its matmuls alone'] / 1e9:.0f} GFLOP/s replayed; "
          f"a lone 256^3 matmul in a loop reaches {peak / 1e9:.0f} GFLOP/s, which would take {ideal * 1e3:.2f} ms")
    print(f"  a learning step at {target:.0f} steps/s (the goal) may take {1e3 / target:.2f} ms")
    if loop is not None:
        print(f"  a --masking llm step outside its update (env, prior, action, replay write): {loop * 1e3:.2f} ms")
        for label, matmuls in (("as replayed", t["its matmuls alone"]), ("at the loop rate", ideal)):
            bound = 1.0 / (matmuls + t["its Adam steps alone"] + loop)
            print(f"  => with matmuls {label} + Adam + that, everything else free: at most {bound:.0f} steps/s (--masking llm)")


if __name__ == "__main__":
    main()
