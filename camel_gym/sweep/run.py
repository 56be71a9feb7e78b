"""Running a grid's trials on Ray: this machine by default, a Ray cluster with ``address``.

Each trial is one ``td3_camel.py`` process, started by a Ray task that asks for
``cpus_per_trial`` CPUs and gives the script as many torch threads, on the CPU unless the grid
sets ``device`` (many trials sharing one GPU ran slower than on the CPU cores). Nothing is lost:

- a trial that finished (its run directory has ``summary.json``) is never run again;
- an unfinished one continues from its last checkpoint (``td3_camel.py --resume``);
- a trial process that dies (``kill -9``, out of memory) fails its task, which Ray retries up to
  ``max_failures`` times, and the retry resumes from the checkpoint;
- a trial that fails every time is recorded with its error in ``sweep.json`` while the others
  go on;
- when the driver dies, Ray ends its tasks and their trial processes (each dies with the
  worker that started it); the same command resumes each from its last checkpoint.

On a cluster the sweep directory must be on a file system every node sees at the same path
(as Ray Tune's storage), and so must ``td3_camel.py`` and the prior files.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import logging
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from camel_gym.priors import shipped_prior
from camel_gym.records import (
    TRAINING_ARGS_JSON,
    TRAINING_SUMMARY_JSON,
    read_eval_csv,
    read_run_args,
    read_summary,
    write_json,
)
from camel_gym.sweep.grid import Grid, GridError, Trial

__all__ = ["SweepOutcome", "manifest_commands", "run_sweep", "trial_finished", "trial_run_dir", "trial_steps"]

MANIFEST = "sweep.json"


def manifest_commands(manifest: dict[str, Any]) -> list[str]:
    """The sweep commands that ran trials in a sweep folder, in the order first run; a manifest
    written before ``commands`` existed gives its one ``command``."""
    return list(manifest.get("commands") or ([manifest["command"]] if manifest.get("command") else []))


def trial_run_dir(trial_dir: Path) -> Path | None:
    """The run directory ``td3_camel.py`` made inside a trial's folder (None before it started)."""
    runs = sorted(d for d in trial_dir.glob("*/") if (d / TRAINING_ARGS_JSON).is_file())
    return runs[-1] if runs else None


def trial_finished(trial_dir: Path) -> bool:
    """Whether the trial's run wrote its ``summary.json`` (td3_camel.py does that last)."""
    run = trial_run_dir(trial_dir)
    return run is not None and (run / TRAINING_SUMMARY_JSON).is_file()


def trial_steps(trial_dir: Path) -> int:
    """Environment steps a trial has completed, as far as its files show (its last evaluation)."""
    run = trial_run_dir(trial_dir)
    if run is None:
        return 0
    if trial_finished(trial_dir):
        return read_summary(run).total_timesteps
    rows = read_eval_csv(run)
    return rows[-1].global_step if rows else 0


def _die_with_parent() -> None:
    # PR_SET_PDEATHSIG: the trial dies with the Ray worker that started it, so killing the
    # driver (which ends its workers) never leaves a trial running unsupervised.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def _code_version(path: Path, top: Path | None = None) -> dict[str, Any]:
    """The commit of the git checkout holding ``path`` (a file or a folder), and whether ``path``
    itself differs from it; with ``top``, only if that checkout's top is ``top``, else none (with
    the installed version)."""
    where = path if path.is_dir() else path.parent

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True, check=True).stdout.strip()

    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        if top is None or Path(git("rev-parse", "--show-toplevel")).resolve() == top:
            # only the code that runs: a sweep writes its trials' files into the same checkout,
            # which would mark every later start dirty
            dirty = git("status", "--porcelain", "--untracked-files=no", "--", str(path.resolve()))
            return {"git_commit": git("rev-parse", "HEAD"), "git_dirty": bool(dirty)}
    from camel_gym import __version__

    return {"git_commit": None, "git_dirty": None, "camel_gym_version": __version__}


def _library_version() -> dict[str, Any]:
    """Where the trial's ``camel_gym`` comes from and its commit: the one this interpreter imports,
    which ``td3_camel.py`` imports too (the script's folder holds no ``camel_gym``). It can be
    another checkout than the script's, e.g. a frozen ``--td3-script`` run from a newer venv."""
    import camel_gym

    package = Path(camel_gym.__file__).resolve().parent
    # a non-editable install inside some repository (a venv in a checkout) would name that
    # repository's commit: only a checkout whose top holds the package is the package's own
    return {"path": str(package), **_code_version(package, top=package.parent)}


def _hardware() -> dict[str, Any]:
    cpu = platform.processor() or None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    gpus = None
    if shutil.which("nvidia-smi"):
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True, check=True)
            gpus = [name.strip() for name in out.stdout.splitlines() if name.strip()] or None
    return {"host": platform.node(), "cpu": cpu, "cpu_count": os.cpu_count(), "gpus": gpus}


class TrialFailed(RuntimeError):
    """A trial's process exited with an error; the message ends with the tail of its log.

    Ray retries a task that raised it: the retry resumes from the trial's last checkpoint.
    """


class TrialRefused(RuntimeError):
    """td3_camel.py refused the trial's options (exit code 2): retrying cannot help, so Ray does not."""


#: options td3_camel.py --resume applies (the others a run keeps from its args.json)
RESUME_OPTIONS = ("total_timesteps", "eval_every", "checkpoint_every")


def execute_trial(trial_dir: str, script: str, options: list[str], resume_options: list[str], threads: int) -> dict[str, Any]:
    """Run (or resume) one trial to the end and return its ``summary.json``; the body of a Ray task.

    Raises:
        TrialFailed: the script exited non-zero (Ray retries the task; the retry resumes).
    """
    folder = Path(trial_dir)
    folder.mkdir(parents=True, exist_ok=True)
    record_path = folder / "trial.json"
    record = json.loads(record_path.read_text()) if record_path.is_file() else {"attempts": 0}
    run = trial_run_dir(folder)
    if trial_finished(folder):
        return read_summary(run).to_dict()
    if run is not None and (run / "checkpoint.pt").is_file():
        command = [sys.executable, script, "--resume", str(run), *resume_options]
    else:
        if run is not None:  # killed before its first checkpoint: nothing in it can be resumed
            shutil.rmtree(run)
        command = [sys.executable, script, *options, "--runs-dir", str(folder)]
    record["attempts"] += 1
    record.setdefault("starts", []).append(
        {"time": time.time(), "command": command, **_code_version(Path(script)), "library": _library_version(), **_hardware()}
    )
    write_json(record_path, record)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    log_path = folder / "log.txt"
    with log_path.open("a") as log:
        log.write(f"\n=== attempt {record['attempts']}: {' '.join(command)}\n")
        log.flush()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent)
        write_json(folder / "running.json", {"pid": process.pid, "host": platform.node(), "since": time.time()})
        try:
            code = process.wait()
        finally:
            (folder / "running.json").unlink(missing_ok=True)
    if code != 0 or not trial_finished(folder):
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
        if code == 2:
            raise TrialRefused(f"{folder.name}: td3_camel.py refused the trial (exit 2); log {log_path}:\n{tail}")
        raise TrialFailed(f"{folder.name}: td3_camel.py exited with {code} (attempt {record['attempts']}); log {log_path}:\n{tail}")
    return read_summary(trial_run_dir(folder)).to_dict()


@dataclass
class SweepOutcome:
    """What a sweep did: finished, failed (with errors) and the manifest's path."""

    finished: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # finished before this run of the sweep
    manifest: Path | None = None


@contextlib.contextmanager
def _locked(sweep_dir: Path):
    sweep_dir.mkdir(parents=True, exist_ok=True)
    with (sweep_dir / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GridError(f"another `camel-gym sweep` is running on {sweep_dir}; wait for it or stop it first") from None
        yield


def _check_existing(trial: Trial, folder: Path) -> None:
    """A trial folder from an earlier run must hold a run with this trial's settings."""
    run = trial_run_dir(folder)
    if run is None:
        return
    args = read_run_args(run)
    # what td3_camel.py --resume applies may change, and so may the sweep's thread count and
    # device (where a trial runs is not a setting it tests; a resumed run keeps its own)
    resumable = {"threads", "device", "progress", *RESUME_OPTIONS}
    differ = {k: (args.get(k), v) for k, v in trial.options if k not in resumable and args.get(k) != v}
    if differ:
        shown = ", ".join(f"{k}: {old!r} there, {new!r} now" for k, (old, new) in sorted(differ.items()))
        if set(differ) <= {"expert_model", "policy"}:
            raise GridError(
                f"{run} was started with other input files ({shown}). Relative paths in a grid resolve against "
                f"the current directory: run the sweep from the directory it first ran in. If the trial should use "
                f"the new file, remove {run.parent} and it starts again"
            )
        raise GridError(f"{run} was started with other settings ({shown}); use another --sweep-dir, or remove that trial folder")
    options = dict(trial.options)
    if options.get("masking") == "llm" and "policy" not in options and args.get("policy"):
        # a trial given no prior takes the shipped one, which the options above do not show;
        # td3_camel.py records the prior it took, so a run with another prior is found here
        # (by folder and file name: the checkout a shipped prior was read from may have moved)
        recorded = Path(args["policy"])
        try:
            shipped = shipped_prior(trial.env_id)
        except ValueError:  # none ships for this id, so the recorded prior was the user's
            shipped = None
        if shipped is None or (recorded.parent.name, recorded.name) != (shipped.parent.name, shipped.name):
            raise GridError(
                f"{run} was started with the prior {recorded}, and the grid now gives variant {trial.variant!r} on "
                f"{trial.env_id} no prior file. To keep the trial, give its prior again (--policy "
                f"{trial.env_id}=PATH, or policy in the grid file); for a trial with the shipped prior, remove "
                f"{run.parent} or use another --sweep-dir"
            )
    total = options["total_timesteps"]
    if trial_finished(folder) and args.get("total_timesteps") != total:
        raise GridError(
            f"{run} finished at {args.get('total_timesteps')} steps and cannot be extended to {total} "
            f"(a sweep does not extend finished trials); use another --sweep-dir for longer runs"
        )


def run_sweep(
    sweep_dir: str | Path,
    grid: Grid,
    *,
    td3_script: Path,
    address: str | None = None,
    cpus_per_trial: int = 1,
    max_concurrent: int | None = None,
    max_failures: int = 3,
    checkpoint_every: int = 25_000,
    progress: bool = True,
    command: str | None = None,
    poll_seconds: float = 2.0,
) -> SweepOutcome:
    """Run every trial of ``grid`` that has not finished; return when all have ended.

    Raises:
        GridError: bad input (checked before any trial starts), or another sweep holds the folder.
    """
    sweep_dir = Path(sweep_dir).resolve()
    if cpus_per_trial < 1:
        raise GridError(f"--cpus-per-trial must be at least 1, got {cpus_per_trial}")
    if max_concurrent is not None and max_concurrent < 1:
        raise GridError(f"--max-concurrent must be at least 1, got {max_concurrent}")
    if max_failures < 0:
        raise GridError(f"--max-failures must be at least 0, got {max_failures}")
    # On the CPU unless the grid sets device: td3_camel.py's --device auto would put every trial on
    # one GPU, and 16 trials sharing an H100 ran 1.6-1.7x slower in all than the same 16 on its
    # CPU cores (benchmarks/sweep_throughput.py); Ray reserves CPUs for trials, not GPUs.
    trials = grid.trials(td3_script, cpus_per_trial, defaults={"checkpoint_every": checkpoint_every, "device": "cpu"},
                         finished=lambda name: trial_finished(sweep_dir / "trials" / name))
    outcome = SweepOutcome(manifest=sweep_dir / MANIFEST)
    with _locked(sweep_dir):
        folders = {t.name: sweep_dir / "trials" / t.name for t in trials}
        for trial in trials:
            _check_existing(trial, folders[trial.name])
            (folders[trial.name] / "running.json").unlink(missing_ok=True)  # left by a killed driver
        manifest = _manifest(sweep_dir, grid, trials, td3_script, cpus_per_trial, max_failures, command)
        todo = []
        for trial in trials:
            if trial_finished(folders[trial.name]):
                outcome.skipped.append(trial.name)
                manifest["trials"][trial.name].update(status="finished", run_dir=str(trial_run_dir(folders[trial.name])), error=None)
            else:
                todo.append(trial)
        write_json(outcome.manifest, manifest)
        if todo:
            _run_on_ray(todo, folders, manifest, outcome, td3_script, address, cpus_per_trial, max_concurrent, max_failures, progress, poll_seconds)
    return outcome


def _manifest(sweep_dir, grid, trials, td3_script, cpus_per_trial, max_failures, command) -> dict[str, Any]:
    path = sweep_dir / MANIFEST
    old = json.loads(path.read_text()) if path.is_file() else {}
    entries = old.get("trials", {})
    for trial in trials:  # a grid can grow (more seeds, more variants); earlier trials are kept
        entries.setdefault(trial.name, {"status": "pending", "error": None, "run_dir": None})
        entries[trial.name].update(
            env_id=trial.env_id, variant=trial.variant, label=trial.label, seed=trial.seed,
            settings=dict(trial.settings), options=dict(trial.options), folder=f"trials/{trial.name}",
        )
    # a grid grown by several commands (a grid file per phase) keeps each one, in the order first run
    commands = manifest_commands(old)
    if command and command not in commands:
        commands.append(command)
    return {
        "command": command,
        "commands": commands,
        "grid": grid.to_json(),
        "td3_script": str(td3_script),
        "cpus_per_trial": cpus_per_trial,
        "max_failures": max_failures,
        "created": old.get("created", time.time()),
        "updated": time.time(),
        "trials": entries,
    }


def _resume_options(trial: Trial) -> list[str]:
    """The trial's options that td3_camel.py --resume applies, as flags: a rerun with a new value changes the run."""
    options = dict(trial.options)
    return [word for key in RESUME_OPTIONS if key in options for word in ("--" + key.replace("_", "-"), str(options[key]))]


def _run_on_ray(todo, folders, manifest, outcome, td3_script, address, cpus_per_trial, max_concurrent, max_failures, progress, poll_seconds) -> None:
    try:
        import ray
    except ImportError:
        raise GridError('camel-gym sweep runs trials on Ray: pip install -e ".[sweep]"') from None
    from tqdm.auto import tqdm

    # locally, a small object store: trials exchange only their summaries through it
    local = {"object_store_memory": 100 * 1024**2} if address is None else {}
    try:
        # "local": a Ray of its own even where `ray start` left a cluster that address=None would join
        ray.init(address=address or "local", include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING, **local)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise GridError(f"cannot start or reach Ray{f' at --address {address}' if address else ''}: {exc}") from None
    try:
        available = int(ray.cluster_resources().get("CPU", 0))
        if available < cpus_per_trial:
            raise GridError(f"--cpus-per-trial {cpus_per_trial}, but the Ray cluster has {available} CPU(s)")
        task = ray.remote(execute_trial).options(num_cpus=cpus_per_trial, max_retries=max_failures, retry_exceptions=[TrialFailed])
        # Ray queues what the cluster cannot fit yet; --max-concurrent holds the rest back here, so that
        # another sweep on the same machine or cluster keeps its share
        waiting = list(todo)
        pending = {}

        def submit() -> None:
            while waiting and (max_concurrent is None or len(pending) < max_concurrent):
                t = waiting.pop(0)
                pending[task.remote(str(folders[t.name]), str(td3_script), t.command_options(), _resume_options(t), cpus_per_trial)] = t

        for t in todo:
            manifest["trials"][t.name]["status"] = "queued"
        total = sum(dict(t.options).get("total_timesteps", 0) for t in todo)
        bar = tqdm(total=total, initial=sum(trial_steps(folders[t.name]) for t in todo), unit="step",
                   disable=not progress, smoothing=0.1, dynamic_ncols=True, desc="sweep")
        ended_steps: dict[str, int] = {}  # a trial that ended is read once, not at every poll
        while pending or waiting:
            submit()  # a slot freed by a trial that finished or failed goes to the next one
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=poll_seconds)
            for ref in ready:
                trial = pending.pop(ref)
                entry = manifest["trials"][trial.name]
                ended_steps[trial.name] = trial_steps(folders[trial.name])
                try:
                    ray.get(ref)
                except ray.exceptions.RayError as exc:  # a failed task, a crashed worker, out of memory, a lost node
                    cause = exc.cause if isinstance(exc, ray.exceptions.RayTaskError) and exc.cause is not None else exc
                    entry.update(status="failed", error=str(cause))
                    outcome.failed[trial.name] = str(cause)
                    tqdm.write(f"FAILED: {cause}")
                else:
                    entry.update(status="finished", run_dir=str(trial_run_dir(folders[trial.name])), error=None)
                    outcome.finished.append(trial.name)
            running = {t.name for t in pending.values() if (folders[t.name] / "running.json").is_file()}
            for t in pending.values():
                manifest["trials"][t.name]["status"] = "running" if t.name in running else "queued"
            manifest["updated"] = time.time()
            write_json(outcome.manifest, manifest)
            steps = sum(ended_steps.values()) + sum(trial_steps(folders[t.name]) for t in [*pending.values(), *waiting])
            bar.update(max(steps - bar.n, 0))
            bar.set_postfix_str(
                f"trials done {len(outcome.finished) + len(outcome.skipped)} running {len(running)} "
                f"queued {len(pending) + len(waiting) - len(running)} failed {len(outcome.failed)}", refresh=True,
            )
        bar.close()
    finally:
        ray.shutdown()
