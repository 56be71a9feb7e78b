"""The pipeline's ``select`` stage: choose a prior automatically, optionally probe it with TD3, install it.

The CAMEL paper picked its priors by watching rendered episodes, because episode return alone
misled. This stage automates the choice in two steps:

1. **Static ranking** — the robustness score of ``camel-gym evaluate``
   (:data:`camel_gym.evaluation.SCORE_DEFINITION`): the lower quartile of forward progress over
   seeded episodes, discounted by action saturation and failing prior steps.
2. **Training probes** (``probe_top_k > 0``) — what a prior is for is to speed up learning, so
   the top-k candidates by score each get a short masked TD3 run
   (``cleanrl_scripts/td3_camel.py --masking llm``), and one unmasked run (``--masking none``)
   with the same seed gives the baseline. The mask fades out over the first half of a probe, and
   the probe's value is the mean evaluation return (deterministic actor, no mask, as a real run
   is judged) over the evaluations from that point on: a prior is credited for what the learner
   keeps once the mask is gone, not for what the mask enforces. (The actor of a masked run acts
   in the mask's coordinates, so evaluating it without the mask while the mask is still on
   would penalise every prior.) Short probes are noisy, so a probe overrides the score only when
   it separates clearly: the best probed candidate takes first place from the score's choice
   only if its value is higher by more than twice the standard error of the difference (over
   the evaluation episodes behind both values). Each probed candidate is also compared with the
   baseline the same way (``better`` / ``worse`` / ``within noise``); a prior clearly worse than
   no mask is flagged.

Probe runs live in ``RUN/selection/probes/<name>/`` and write checkpoints, so an interrupted
selection resumes them; finished probes are reused. The choice is written to
``RUN/selection/selection.json`` and ``selection.md``; ``install=True`` copies the chosen
``policy.py`` into ``llm_policies/`` with a provenance header (model, endpoint, prompt hash,
candidate, metrics), keeping any file it replaces in ``RUN/selection/``.
"""

from __future__ import annotations

import importlib.resources
import math
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gymnasium.envs.registration import parse_env_id

from camel_gym.priors import SHIPPED_ENV_IDS, env_family, policy_dir, shipped_prior
from camel_gym.records import (
    OfflineReply,
    TRAINING_SUMMARY_JSON,
    EvaluationSummary,
    ProbeResult,
    ProbeSettings,
    RankingEntry,
    RecordError,
    Selection,
    candidates,
    read_eval_csv,
    read_meta,
    read_run_args,
    read_summary,
    timestamp,
    write_atomic,
)

__all__ = ["clearly_better", "default_td3_script", "install_prior", "probe", "select_run", "selection_table"]


def default_td3_script() -> Path:
    """The ``td3_camel.py`` installed with camel-gym (package ``camel_gym.cleanrl_scripts``).

    In a wheel it is a copy of the repository's ``cleanrl_scripts/td3_camel.py``; in an editable
    install (``pip install -e .``) it is that file itself.
    """
    return Path(str(importlib.resources.files("camel_gym.cleanrl_scripts") / "td3_camel.py"))


#: Share of a probe during which the mask fades out; the probe is judged after it.
PROBE_MASK_FRACTION = 0.5


def _same_settings(run: Path, wanted: dict[str, Any]) -> bool:
    try:
        args = read_run_args(run)
    except (FileNotFoundError, RecordError):  # log.txt, or a run killed before it wrote args.json
        return False
    def same(key: str, value: Any) -> bool:
        if key == "policy" and value is not None and isinstance(args.get(key), str):
            # absolute since probes record it so; an older probe's relative path, from where select ran then
            return Path(args[key]).resolve() == Path(value).resolve()
        return key in args and args[key] == value

    return all(same(key, value) for key, value in wanted.items())


def clearly_better(a: ProbeResult, b: ProbeResult) -> bool:
    """Whether probe ``a``'s value beats ``b``'s by more than twice the standard error of the difference.

    >>> clearly_better(ProbeResult(value=300.0, stderr=20.0), ProbeResult(value=200.0, stderr=30.0))
    True
    >>> clearly_better(ProbeResult(value=230.0, stderr=20.0), ProbeResult(value=200.0, stderr=30.0))
    False
    """
    return a.value - b.value > 2.0 * math.hypot(a.stderr, b.stderr)


def probe(
    env_id: str,
    masking: str,
    out_dir: Path,
    *,
    policy: str | None = None,
    steps: int = 5000,
    seed: int = 1,
    eval_episodes: int = 3,
    td3_script: Path | None = None,
) -> ProbeResult:
    """One short TD3 run (resumed or reused when ``out_dir`` holds one); returns its eval returns.

    Learning starts after a fifth of the steps, the mask (for ``masking="llm"``) fades out over
    the first half, and the actor is evaluated four times (every quarter) on ``eval_episodes``
    seeded episodes. ``value`` is the mean eval return from the half-way evaluation on, once
    the mask is gone. Output of the script goes to ``out_dir/log.txt``.

    Raises:
        FileNotFoundError: ``td3_script`` is not there.
        RuntimeError: the run failed; the message ends with the tail of its log.
    """
    script = Path(td3_script) if td3_script else default_td3_script()
    if not script.is_file():
        raise FileNotFoundError(
            f"probes run td3_camel.py (cleanrl_scripts/ in the camel-gym repository), and {script} is not there; "
            f"pass its path with --td3-script, or select without probes (--probe-top-k 0)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    policy = None if policy is None else str(Path(policy).resolve())  # recorded so: reusable from any directory
    wanted = {"env_id": env_id, "masking": masking, "seed": seed, "total_timesteps": steps,
              "eval_episodes": eval_episodes, "policy": policy}
    # runs of this probe with these settings; runs with other settings are left alone
    runs = [d for d in sorted(out_dir.iterdir()) if _same_settings(d, wanted)]
    finished = [d for d in runs if (d / TRAINING_SUMMARY_JSON).is_file()]
    start = time.perf_counter()
    if finished:
        run = finished[-1]
    else:
        resumable = [d for d in runs if (d / "checkpoint.pt").is_file()]
        for stale in set(runs) - set(resumable[-1:]):  # killed before its first checkpoint: nothing to keep
            shutil.rmtree(stale)
        if resumable:
            command = [sys.executable, str(script), "--resume", str(resumable[-1])]
        else:
            every = max(steps // 4, 1)
            command = [
                sys.executable, str(script), "--env-id", env_id, "--masking", masking, "--seed", str(seed),
                "--total-timesteps", str(steps), "--learning-starts", str(max(steps // 5, 1)),
                "--mask-fraction", str(PROBE_MASK_FRACTION), "--eval-every", str(every), "--eval-episodes", str(eval_episodes),
                "--checkpoint-every", str(every), "--runs-dir", str(out_dir), "--no-progress",
            ]
            if policy is not None:
                command += ["--policy", policy]
        with (out_dir / "log.txt").open("a") as log:
            log.write("$ " + " ".join(command) + "\n")
            log.flush()
            done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            tail = "\n".join((out_dir / "log.txt").read_text(errors="replace").splitlines()[-8:])
            raise RuntimeError(f"the {masking} probe exited with code {done.returncode}; its log ends:\n{tail}")
        run = [d for d in sorted(out_dir.iterdir()) if _same_settings(d, wanted) and (d / TRAINING_SUMMARY_JSON).is_file()][-1]
        (run / "checkpoint.pt").unlink(missing_ok=True)  # only needed to resume; it holds the replay buffer
    evals = read_eval_csv(run)
    summary = read_summary(run)
    judged = [e for e in evals if e.global_step >= PROBE_MASK_FRACTION * summary.total_timesteps]
    value = stderr = None
    if judged:
        # the pooled episodes of the judged evaluations: their mean, and the standard error of that mean
        n = sum(e.episodes for e in judged)
        value = sum(e.return_mean * e.episodes for e in judged) / n
        variance = sum(e.episodes * (e.return_std**2 + (e.return_mean - value) ** 2) for e in judged) / n
        stderr = math.sqrt(variance / max(n - 1, 1))
    return ProbeResult(
        run_dir=str(run), eval_steps=[e.global_step for e in evals], eval_returns=[e.return_mean for e in evals],
        value=value, stderr=stderr, prior_errors=summary.prior_errors, seconds=time.perf_counter() - start,
    )


def _install_target(env_id: str, install_dir: str | Path | None, force: bool, run: Path) -> Path:
    """Where ``install_prior`` writes ``env_id``'s prior.

    Raises:
        FileExistsError: the file exists and ``force`` is False.
    """
    target = Path(install_dir or policy_dir()) / _installed_name(env_id)
    if target.exists() and not force:
        raise FileExistsError(f"{target} exists; pass --force to replace it (the old file is kept in {run / 'selection'})")
    return target


def _installed_name(env_id: str) -> str:
    """The prior file ``install_prior`` writes: the shipped one that serves ``env_id``, else ``<family>_v<N>.py``.

    >>> _installed_name("Hopper-v5"), _installed_name("HalfCheetah-v4"), _installed_name("ALE/Pong-v5")
    ('hopper_v4.py', 'half_cheetah_v4.py', 'pong_v5.py')
    """
    if env_id in SHIPPED_ENV_IDS:
        return shipped_prior(env_id).name  # the v4 and v5 ids of an env share one shipped file
    version = parse_env_id(env_id)[2]
    return env_family(env_id) + ("" if version is None else f"_v{version}") + ".py"


def install_prior(
    run_dir: str | Path,
    name: str,
    install_dir: str | Path | None = None,
    force: bool = False,
    chosen_by: str = "selected by hand",
) -> Path:
    """Copy candidate ``name``'s ``policy.py`` into ``install_dir`` (default: the package's ``llm_policies/``).

    The file gets a header saying how it was made: model, endpoint host, temperature, prompt
    hash, run directory, candidate and repair attempts, its evaluation metrics and the selection.
    A file it replaces is kept as ``RUN/selection/replaced_<file>`` (``replaced_<stem>.1.py`` and on
    when that exists already, so the original survives repeated installs).

    Raises:
        FileExistsError: the target exists and ``force`` is False.
        ValueError: ``name`` is not a valid candidate of the run.
    """
    run = Path(run_dir)
    meta = read_meta(run)
    found = {c.name: c for c in candidates(run)}
    if name not in found or found[name].status != "valid":
        raise ValueError(f"{name!r} is not a valid candidate of {run} (valid: {[c.name for c in found.values() if c.status == 'valid']})")
    target = _install_target(meta.env_id, install_dir, force, run)
    (run / "selection").mkdir(exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        # never over an earlier backup: a second --force would replace the original with the first install
        backup = run / "selection" / f"replaced_{target.name}"
        k = 1
        while backup.exists():
            backup, k = run / "selection" / f"replaced_{target.stem}.{k}{target.suffix}", k + 1
        shutil.copy2(target, backup)
    summary_file = run / "evaluation" / "summary.json"
    rows = EvaluationSummary.read(summary_file).candidates if summary_file.is_file() else []
    row = next((r for r in rows if r.name == name and r.status == "valid"), None)

    def fmt(key: str) -> str:
        value = None if row is None else getattr(row, key)
        return "n/a" if value is None else f"{value:.3f}"

    if meta.replies_dir is None:
        source = f"model {meta.model!r} at {meta.endpoint_host} (temperature {meta.temperature})"
    else:
        replies = [OfflineReply.read(run / "candidates" / name / f"attempt{k}.json") for k in range(found[name].attempts)]
        source = (f"model {meta.model!r}, replies read from files (`camel-gym generate --replies-dir`): "
                  + ", ".join(f"{_shown(r.reply_file)} (sha256 {r.sha256})" for r in replies))
    lines = [
        f"Prior policy for {meta.env_id}, from the reply of model {meta.model!r} to `camel-gym generate`.",
        *([f"How the replies were made: {meta.note}"] if meta.note else []),
        "",
        f"Provenance: {source}, prompt sha256 {meta.prompt_sha256}, run created {meta.created};",
        f"candidate {name}, valid after {found[name].attempts} attempt(s), of the run in {_shown(run)}.",
        f"Evaluation ({'n/a' if row is None else row.episodes} seeded episodes): score {fmt('score')}, return "
        f"{fmt('return_mean')} ± {fmt('return_std')}, forward {fmt('forward_mean')} m, failure rate "
        f"{fmt('failure_rate')}, saturation {fmt('saturation')}.",
        f"{chosen_by[:1].upper() + chosen_by[1:]}; installed {timestamp()}.",
        "The code below is the model's, unchanged; it runs only inside camel-gym's sandbox.",
    ]
    # comments, not a docstring: a model name or path can hold any characters, quotes included
    header = "".join("# " + " ".join(line.splitlines()) + "\n" if line else "#\n" for line in lines) + "\n"
    write_atomic(target, header + Path(found[name].policy).read_text(encoding="utf-8"))
    return target


def _shown(path: str | Path) -> str:
    """``path`` relative to the working directory when it lies below it (a repository's header stays portable)."""
    path = Path(path).resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def select_run(
    run_dir: str | Path,
    *,
    probe_top_k: int = 0,
    probe_steps: int = 5000,
    probe_seed: int = 1,
    probe_eval_episodes: int = 5,
    td3_script: str | Path | None = None,
    install: bool = False,
    install_dir: str | Path | None = None,
    force: bool = False,
    log: Callable[[str], Any] = print,
) -> Selection:
    """The ``select`` stage (see the module docstring); returns what it wrote to ``selection.json``.

    Raises:
        FileNotFoundError: the run has no evaluation yet, or a probe's script is missing.
        ValueError: no valid candidate, or the evaluation is older than the candidates.
    """
    run = Path(run_dir)
    meta = read_meta(run)
    summary_file = run / "evaluation" / "summary.json"
    if not summary_file.is_file():
        raise FileNotFoundError(f"{run} has no evaluation yet; run `camel-gym evaluate --run-dir {run}` first")
    summary = EvaluationSummary.read(summary_file)
    now_valid = {c.name for c in candidates(run) if c.status == "valid"}
    evaluated = {r.name for r in summary.ranked}
    if not now_valid <= {r.name for r in summary.candidates} or not evaluated <= now_valid:
        raise ValueError(f"the evaluation in {summary_file} is older than the run's candidates; re-run `camel-gym evaluate`")
    ranked = summary.ranked
    if not ranked:
        raise ValueError(f"{run} has no valid candidate to select; generate more (`camel-gym generate --n ...`)")
    if probe_top_k < 0 or probe_steps < 100:
        raise ValueError(f"need probe_top_k >= 0 and probe_steps >= 100, got {probe_top_k} and {probe_steps}")
    if probe_top_k and meta.env_kwargs:
        raise ValueError(f"probes run td3_camel.py, which takes no env kwargs, and this run uses {meta.env_kwargs}")
    if install:
        _install_target(meta.env_id, install_dir, force, run)  # refused now, not after hours of probes
    folder = run / "selection"
    folder.mkdir(exist_ok=True)
    probes: dict[str, ProbeResult] = {}
    top = [r.name for r in ranked[:probe_top_k]]
    script = Path(td3_script) if td3_script else default_td3_script()
    if top:
        for label, masking, policy in [("baseline (no mask)", "none", None)] + [
            (name, "llm", run / "candidates" / name / "policy.py") for name in top
        ]:
            key = "_none" if masking == "none" else label
            log(f"probe {label}: {probe_steps} TD3 steps ...")
            try:
                probes[key] = probe(
                    meta.env_id, masking, folder / "probes" / key, policy=policy, steps=probe_steps, seed=probe_seed,
                    eval_episodes=probe_eval_episodes, td3_script=script,
                )
            except RuntimeError as exc:
                probes[key] = ProbeResult(value=None, error=str(exc))
            value = probes[key].value
            log(f"probe {label}: " + ("failed" if value is None else f"mean eval return after the mask {value:.1f}"))
    baseline = probes["_none"] if "_none" in probes and probes["_none"].value is not None else None
    order = [r.name for r in ranked]
    probed = [n for n in top if probes[n].value is not None]
    how = "score"
    if probed:
        best = max(probed, key=lambda n: probes[n].value)
        if best != order[0] and (order[0] not in probed or clearly_better(probes[best], probes[order[0]])):
            order.remove(best)
            order.insert(0, best)
            how = "probe"
    by_name = {r.name: r for r in ranked}
    ranking = []
    for position, name in enumerate(order, 1):
        entry = RankingEntry(position=position, name=name, score=by_name[name].score, score_rank=by_name[name].rank)
        if name in probes:
            p = probes[name]
            entry.probe_value, entry.probe_stderr, entry.probe_error = p.value, p.stderr, p.error
            if baseline is not None and p.value is not None:
                entry.vs_baseline = (
                    "better" if clearly_better(p, baseline) else "worse" if clearly_better(baseline, p) else "within noise"
                )
        ranking.append(entry)
    chosen = order[0]
    result = Selection(
        env_id=meta.env_id, chosen=chosen, chosen_by=how, ranking=ranking,
        probe_settings=ProbeSettings(
            steps=probe_steps, seed=probe_seed, eval_episodes=probe_eval_episodes, td3_script=str(script), top_k=probe_top_k,
        ) if top else None,
        baseline_probe_value=baseline.value if baseline else None, probes=probes,
        score_definition=summary.score_definition, time=timestamp(),
    )
    worse = [e.name for e in ranking if e.vs_baseline == "worse"]
    if worse:
        result.warning = (
            f"clearly worse than no mask after {probe_steps} probe steps: {', '.join(worse)}; such a prior may hurt "
            f"early learning, or the probe may be too short for the learner to recover from the mask (try --probe-steps)"
        )
        log(f"warning: {result.warning}")
    result.write(folder / "selection.json")  # the decision is kept even if the install below fails
    write_atomic(folder / "selection.md", selection_table(result) + "\n")
    if install:
        target = install_prior(run, chosen, install_dir, force, chosen_by=f"chosen by `camel-gym select` ({how})")
        result.installed = str(target)
        log(f"installed {chosen} as {target}")
        result.write(folder / "selection.json")
        write_atomic(folder / "selection.md", selection_table(result) + "\n")
    return result


def selection_table(result: Selection) -> str:
    """``selection.json`` as Markdown: the final order, and what decided it."""
    lines = ["| position | candidate | score (rank) | probe: eval return after the mask | vs no-mask baseline |", "|---|---|---|---|---|"]
    for e in result.ranking:
        if e.probe_error is not None:
            probe_cell = "failed"
        elif e.probe_value is not None:
            probe_cell = f"{e.probe_value:.1f} ± {e.probe_stderr:.1f}"
        else:  # not probed, or a probe without an evaluation after the mask
            probe_cell = "-"
        lines.append(f"| {e.position} | {e.name} | {e.score:.2f} ({e.score_rank}) | {probe_cell} | {e.vs_baseline or '-'} |")
    base = result.baseline_probe_value
    lines.append("")
    lines.append(f"Chosen: **{result.chosen}**, by {result.chosen_by}." + (f" No-mask baseline probe: {base:.1f}." if base is not None else ""))
    if result.warning:
        lines.append(f"\nWarning: {result.warning}.")
    return "\n".join(lines)
