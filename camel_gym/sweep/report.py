"""``camel-gym report SWEEP``: a sweep's evaluations as a tidy CSV, learning curves and tables.

Everything is read from the trials' own files (``eval.csv`` of each run directory) through the
sweep's manifest, and written to ``SWEEP/report/``:

- ``evals.csv``: one row per evaluation of every trial (env, variant, settings, seed, step,
  return mean and std, and the masked evaluation's return where the run made one);
- ``curves_<env>.png``: per variant the mean evaluation return over seeds with a 95 %
  bootstrap band, over the seeds that have run as far as the furthest one (in one panel, or
  one per group of variants asked for, each with the baseline);
- ``summary.md``: per env a table at fixed steps and for the area under the curve (the mean
  return over evaluations): interquartile mean with a 95 % bootstrap interval and the
  probability of improvement over the baseline variant (``camel_gym.sweep.stats``), ratios of
  IQMs and probabilities of improvement for the pairs of variants asked for, the sweep command,
  and every trial that is missing, unfinished or failed (with how far it was evaluated). Two
  variants' areas are compared over the steps both have run.
"""

from __future__ import annotations

import csv
import json
import shlex
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.integrate import trapezoid

from camel_gym.records import read_eval_csv, write_atomic
from camel_gym.sweep.run import MANIFEST, manifest_commands, trial_finished, trial_run_dir
from camel_gym.sweep.stats import iqm, iqm_ratio, mean_with_ci, probability_of_improvement

__all__ = ["ReportOutcome", "areas_under_curve", "read_curves", "report", "returns_at"]

TIDY_COLUMNS = ["env_id", "variant", "settings", "label", "seed", "step", "return_mean", "return_std", "masked_return_mean", "trial"]


@dataclass
class ReportOutcome:
    """Where the report's files are, and what it could not include."""

    out_dir: Path
    csv: Path
    figures: list[Path] = field(default_factory=list)
    summary: Path | None = None
    incomplete: list[str] = field(default_factory=list)


def _version(name: str, record: dict[str, Any]) -> str:
    if not record.get("git_commit"):
        return f"`{name}` outside a git checkout (camel_gym {record.get('camel_gym_version', 'of unknown version')})"
    changed = " (its checkout had uncommitted changes)" if record.get("git_dirty") else ""
    return f"`{name}` at commit `{record['git_commit'][:7]}`{changed}"


def _code_of(trial_dir: Path, started: bool) -> set[tuple[str, str]] | None:
    """The script and library versions a trial started with, over all its starts, as its
    ``trial.json`` records them: ``(what, version)`` pairs (None for a trial that ran without
    one, outside ``camel-gym sweep``)."""
    record = trial_dir / "trial.json"
    if not record.is_file():
        return None if started else set()  # a queued trial ran nothing
    code = set()
    for start in json.loads(record.read_text()).get("starts", []):
        code.add(("script", _version(Path(start["command"][1]).name, start)))
        library = start.get("library")  # none in a start from before trial.json named the library
        code.add(("library", _version("camel_gym", library) if library else "not recorded"))
    return code


def _code_lines(trials: dict[str, dict[str, Any]]) -> list[str]:
    """How many trials started with each version of the script and of the library: the local
    paths in the commands above say nothing to a reader of another machine, the commits do."""
    counts = Counter(line for t in trials.values() for line in t["code"] or [])
    unrecorded = sum(t["code"] is None for t in trials.values())
    if not counts and not unrecorded:
        return []
    def plural(n: int) -> str:
        return f"{n} trial{'s' if n != 1 else ''}"
    lines = ["The code the trials ran, from their `trial.json` (a resumed trial counts once for each version it ran with):", ""]
    order = {"script": 0, "library": 1}
    lines += [f"- the {what}: {text}: {plural(n)}"
              for (what, text), n in sorted(counts.items(), key=lambda item: (order[item[0][0]], -item[1], item[0][1]))]
    lines += [f"- no `trial.json` (run outside `camel-gym sweep`): {plural(unrecorded)}"] if unrecorded else []
    return [*lines, ""]


def _collect(sweep_dir: Path, manifest: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    rows, trials = [], {}
    for name, entry in sorted(manifest["trials"].items()):
        folder = sweep_dir / entry["folder"]
        run = trial_run_dir(folder)
        trials[name] = {**entry, "finished": trial_finished(folder), "code": _code_of(folder, started=run is not None)}
        for r in read_eval_csv(run) if run is not None else []:
            rows.append({
                "env_id": entry["env_id"], "variant": entry["variant"],
                "settings": ";".join(f"{k}={v}" for k, v in sorted(entry["settings"].items())),
                "label": entry["label"], "seed": entry["seed"], "step": r.global_step,
                "return_mean": r.return_mean, "return_std": r.return_std,
                "masked_return_mean": r.masked_return_mean, "trial": name,
            })
    return rows, trials


def _curves(rows: list[dict[str, Any]], column: str = "return_mean") -> dict[str, dict[int, dict[int, float]]]:
    """label -> seed -> step -> eval return (unmasked; ``masked_return_mean``: inside the mask)."""
    out: dict[str, dict[int, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        if r[column] is not None and r[column] != "":
            out[r["label"]][r["seed"]][r["step"]] = r[column]
    return out


def _complete(by_seed: dict[int, dict[int, float]]) -> tuple[list[int], list[int]]:
    """The steps of the furthest-reaching seeds, and the seeds that have all of them.

    Curves and areas are drawn over these seeds only, so an unfinished seed never pulls a
    mean down (or a curve short); the table says how many seeds that is.
    """
    if not by_seed:
        return [], []
    steps = max((sorted(curve) for curve in by_seed.values()), key=len)
    seeds = [seed for seed, curve in sorted(by_seed.items()) if set(steps) <= set(curve)]
    return steps, seeds


def _auc(curve: dict[int, float], steps: list[int]) -> float:
    """The mean return over the evaluations at ``steps`` (the area under the curve per step)."""
    if len(steps) < 2:
        return float(curve[steps[0]]) if steps else float("nan")
    return float(trapezoid([curve[s] for s in steps], steps) / (steps[-1] - steps[0]))


def read_curves(sweep_dir: str | Path, column: str = "return_mean") -> dict[str, dict[str, dict[int, dict[int, float]]]]:
    """env id -> variant label -> seed -> step -> evaluation return of every trial of a sweep, read
    as the report reads them: for your own estimators, or to set other runs beside the sweep's.

    ``column`` is ``return_mean`` (the unmasked evaluation) or ``masked_return_mean`` (inside
    the mask, where the run made one). Trials still running give the evaluations they have.
    With :func:`returns_at` and :func:`areas_under_curve` and ``camel_gym.sweep.stats`` this
    gives the report's numbers (``iqm(returns_at(curve, step), seed=step)`` at a step,
    ``iqm(areas_under_curve(curve))`` for the AUC)::

        from camel_gym.sweep import stats

        curves = read_curves("experiments/paper_grid")
        hopper_llm = curves["Hopper-v4"]["llm"]
        print(stats.iqm(returns_at(hopper_llm, 300_000), seed=300_000).text())

    Raises:
        FileNotFoundError: ``sweep_dir`` holds no ``sweep.json``.
        ValueError: ``column`` is not one of the two above.
    """
    if column not in ("return_mean", "masked_return_mean"):
        raise ValueError(f"column {column!r}: expected 'return_mean' (unmasked evaluation) or 'masked_return_mean'")
    sweep_dir = Path(sweep_dir)
    rows, _ = _collect(sweep_dir, _manifest_of(sweep_dir))
    return {env_id: dict(_curves([r for r in rows if r["env_id"] == env_id], column)) for env_id in sorted({r["env_id"] for r in rows})}


def returns_at(by_seed: dict[int, dict[int, float]], step: int) -> list[float]:
    """The seeds' returns at ``step``, for the seeds that have reached it (in seed order).

    Example:
        >>> returns_at({1: {10_000: 50.0, 20_000: 80.0}, 2: {10_000: 70.0}}, 20_000)
        [80.0]
    """
    return [by_seed[seed][step] for seed in sorted(by_seed) if step in by_seed[seed]]


def areas_under_curve(by_seed: dict[int, dict[int, float]], steps: list[int] | None = None) -> list[float]:
    """Each seed's area under the curve over ``steps`` (default: the furthest-reaching seed's),
    for the seeds that have all of them, per step of training: the mean return over training.

    Example:
        >>> areas_under_curve({1: {0: 0.0, 10_000: 100.0, 20_000: 100.0}, 2: {0: 0.0, 10_000: 40.0}})
        [75.0]
    """
    steps = _complete(by_seed)[0] if steps is None else steps
    return [_auc(curve, steps) for _, curve in sorted(by_seed.items()) if steps and set(steps) <= set(curve)]


def _paired_aucs(
    a: dict[int, dict[int, float]], b: dict[int, dict[int, float]], names: tuple[str, str], notes: list[str]
) -> tuple[list[float], list[float]]:
    """Both variants' areas over the steps both have run, so an unfinished variant is compared
    with the other over the same stretch of training; a note says so where that is not both
    variants' whole curves."""
    steps_a, steps_b = _complete(a)[0], _complete(b)[0]
    common = sorted(set(steps_a) & set(steps_b))
    areas_a, areas_b = areas_under_curve(a, common), areas_under_curve(b, common)
    if common and (common != steps_a or common != steps_b or len(areas_a) < len(a) or len(areas_b) < len(b)):
        notes.append(
            f"`{names[0]}` against `{names[1]}`, AUC: compared over {_k(common[0])}-{_k(common[-1])}, the steps both "
            f"have run ({len(areas_a)} of {len(a)} and {len(areas_b)} of {len(b)} seeds)"
        )
    return areas_a, areas_b


def _panel_layout(labels: list[str], panels: list[list[str]] | None, baseline: str) -> tuple[list[list[str]], dict[str, Any]]:
    """The figure's groups of variants (the baseline first in each, every name once) and one
    colour per variant, the same in every panel and env, distinct for up to 20 variants.

    >>> _panel_layout(["b", "none", "a"], [["a", "none", "a"], ["b"]], "none")[0]
    [['none', 'a'], ['none', 'b']]
    """
    import matplotlib

    order = sorted(labels, key=lambda label: (label != baseline, label))
    # tab10 as matplotlib's default cycle has it; more variants than that need tab20's 20 hues
    palette = matplotlib.colormaps["tab10" if len(order) <= 10 else "tab20"].colors
    colours = {label: palette[i % len(palette)] for i, label in enumerate(order)}
    if not panels:
        return [order], colours
    lead = [baseline] if baseline in labels else []
    return [lead + [v for v in dict.fromkeys(group) if v != baseline] for group in panels], colours


def _env_panels(groups: list[list[str]], curves: dict[str, Any], baseline: str) -> list[list[str]]:
    """The panels of one env's figure: the groups it has curves for, less those that lost their own
    variants on this env and would draw only curves an earlier panel draws (the paper grid's
    Ant-v4 has none of phase D's variants: ``llm,llm-mask100k`` there is ``llm`` again).

    >>> _env_panels([["none", "llm"], ["none", "x"], ["none", "llm", "y"]], {"none": 1, "llm": 1}, "none")
    [['none', 'llm']]
    >>> _env_panels([["none", "llm"], ["none", "llm", "y"]], {"none": 1, "llm": 1, "y": 1}, "none")
    [['none', 'llm'], ['none', 'llm', 'y']]
    """
    kept: list[list[str]] = []
    for group in groups:
        drawn = {label for label in group if label in curves}
        if not drawn - {baseline}:
            continue  # the baseline alone
        if drawn != set(group) and any(drawn <= {label for label in k if label in curves} for k in kept):
            continue
        kept.append(group)
    return kept or groups


def _plot(
    env_id: str, curves: dict[str, dict[int, dict[int, float]]], path: Path, layout: tuple[list[list[str]], dict[str, Any]],
    masked: dict[str, dict[int, dict[int, float]]] | None = None,
) -> None:
    """Draw one env's curves, one panel per group of ``layout`` (:func:`_panel_layout`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups, colours = layout
    several = len(groups) > 1
    # at most three panels to a row (4 -> 2x2, 5 -> 3 + 2), so a figure of many panels stays as
    # wide as a README shows it
    rows = -(-len(groups) // 3)
    cols = -(-len(groups) // rows)
    panel_width, alone_width, legend_size = 4.4, 6.4, 7 if several else 8
    fig, axes = plt.subplots(rows, cols, figsize=(panel_width * cols if several else alone_width, 4.0 * rows),
                             dpi=120, sharey=True, squeeze=False)
    for ax in axes.flat[len(groups):]:
        ax.set_visible(False)
    for ax, group in zip(axes.flat, groups):
        for label in group:
            steps, seeds = _complete(curves.get(label, {}))
            if not steps:
                continue
            by_seed = curves[label]
            estimates = [mean_with_ci([by_seed[seed][s] for seed in seeds], seed=s) for s in steps]
            ax.plot(steps, [e.value for e in estimates], color=colours[label], label=f"{label} (n={len(seeds)})")
            low, high = np.array([e.low for e in estimates]), np.array([e.high for e in estimates])
            # no band where it cannot be estimated (one seed, or all seeds equal)
            ax.fill_between(steps, low, high, where=np.isfinite(low), color=colours[label], alpha=0.2, linewidth=0)
            inside = (masked or {}).get(label)
            if inside:  # the same actor inside the prior's mask: what it does with the prior's help
                m_steps, m_seeds = _complete(inside)
                if m_steps:
                    m_mean = [mean_with_ci([inside[seed][s] for seed in m_seeds], seed=s).value for s in m_steps]
                    ax.plot(m_steps, m_mean, linestyle="--", color=colours[label], alpha=0.8, label=f"{label}, inside the mask")
        if several:
            ax.set_title(", ".join(group), fontsize=8)
        ax.set_xlabel("environment steps")
        ax.grid(alpha=0.3)
        if ax.get_lines():
            ax.legend(title="mean over seeds, 95% bootstrap CI", fontsize=legend_size, title_fontsize=legend_size)
        else:
            ax.text(0.5, 0.5, "no evaluations yet", transform=ax.transAxes, ha="center", va="center", color="grey")
    for row in axes:
        row[0].set_ylabel("mean return over eval episodes")
    title = (f"{env_id}: evaluation return of the deterministic actor\n(solid: no mask; dashed: inside the prior's mask)"
             if masked else f"{env_id}: evaluation return (deterministic actor, no mask)")
    (fig.suptitle if several else axes[0][0].set_title)(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _k(step: int) -> str:
    """``100000`` -> ``100k``, ``1500`` -> ``1.5k``."""
    return f"{step / 1000:g}k"


def _table(curves: dict[str, dict[int, dict[int, float]]], at_steps: list[int], baseline: str | None) -> tuple[list[str], list[str]]:
    """Markdown lines of one env's table, and notes on unequal seed sets."""
    header = ["variant", "seeds", *(f"IQM at {_k(s)}" for s in at_steps), "IQM of AUC"]
    has_baseline = baseline in curves
    if has_baseline:
        header += [f"P(> {baseline}) at {_k(at_steps[-1])}", f"P(> {baseline}) AUC"] if at_steps else [f"P(> {baseline}) AUC"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    notes = []

    base = curves.get(baseline, {})
    for label, by_seed in sorted(curves.items(), key=lambda kv: (kv[0] != baseline, kv[0])):
        cells = [f"`{label}`", str(len(by_seed))]
        for step in at_steps:
            values = returns_at(by_seed, step)
            cells.append(iqm(values, seed=step).text() if values else "–")
            if values and len(values) < len(by_seed):
                notes.append(f"`{label}` at {_k(step)}: {len(values)} of {len(by_seed)} seeds have reached it")
        areas = areas_under_curve(by_seed)
        cells.append(iqm(areas).text() if areas else "–")
        if areas and len(areas) < len(by_seed):
            notes.append(f"`{label}` AUC: {len(areas)} of {len(by_seed)} seeds have run as far as the furthest one")
        if has_baseline:
            if label == baseline:
                cells += ["–"] * (2 if at_steps else 1)
            else:
                if at_steps:
                    x, y = returns_at(by_seed, at_steps[-1]), returns_at(base, at_steps[-1])
                    cells.append(probability_of_improvement(x, y).text(2) if x and y else "–")
                cells.append(probability_of_improvement(*_paired_aucs(by_seed, base, (label, baseline), notes)).text(2))
                if set(by_seed) != set(base):
                    notes.append(f"`{label}` has seeds {sorted(by_seed)}, `{baseline}` has {sorted(base)}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines, notes


def _pair_table(
    curves: dict[str, dict[int, dict[int, float]]], at_steps: list[int], pairs: list[tuple[str, str]],
    head: str, row: Callable[[str, str], str], cell: Callable[[list[float], list[float], int], str],
    seed_note: bool = False,
) -> tuple[list[str], list[str]]:
    """Markdown lines of one row per pair of variants (A, B): ``cell(A's values, B's values, seed)``
    at the table's steps and for the AUC, and notes on the stretch of training the areas cover
    (and, with ``seed_note``, on unequal seed sets)."""
    header = [head, *(f"at {_k(s)}" for s in at_steps), "AUC"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    notes: list[str] = []
    for top, bottom in pairs:
        a, b = curves.get(top, {}), curves.get(bottom, {})
        cells = [row(top, bottom), *(cell(returns_at(a, step), returns_at(b, step), step) for step in at_steps)]
        cells.append(cell(*_paired_aucs(a, b, (top, bottom), notes), 0))
        lines.append("| " + " | ".join(cells) + " |")
        if seed_note and a and b and set(a) != set(b):
            notes.append(f"`{top}` has seeds {sorted(a)}, `{bottom}` has {sorted(b)}")
    return lines, notes


def _ratio_cell(x: list[float], y: list[float], seed: int) -> str:
    """IQM(x) / IQM(y) with its interval, or why there is none."""
    if not x or not y:
        return "–"
    try:
        estimate = iqm_ratio(x, y, seed=seed)
    except ValueError:
        return "– (IQM of the denominator not positive)"
    if not np.isfinite(estimate.low) and min(len(x), len(y)) >= 2 and (np.ptp(x) > 0 or np.ptp(y) > 0):
        return f"{estimate.value:.2f} [no interval: some resamples have no positive denominator]"
    return estimate.text(2)


def _improvement_cell(x: list[float], y: list[float], seed: int) -> str:
    """P(x > y) with its interval (bootstrap seed 0, as the baseline column's)."""
    return probability_of_improvement(x, y).text(2) if x and y else "–"


def parse_ratio(text: str, option: str = "--ratio") -> tuple[str, str]:
    """``A:B`` -> ``(A, B)``.

    Raises:
        ValueError: not two variant names joined by one colon.
    """
    top, sep, bottom = text.partition(":")
    if not sep or not top or not bottom or ":" in bottom:
        example = "harmful-adaptive:none" if option == "--ratio" else "llm:expert"
        raise ValueError(f"{option} {text!r}: expected VARIANT:VARIANT, e.g. {example}")
    return top, bottom


def parse_panel(text: str) -> list[str]:
    """``A,B`` -> ``["A", "B"]``.

    Raises:
        ValueError: an empty name, e.g. ``A,,B`` or ``""``.
    """
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise ValueError(f"--panel {text!r}: an empty variant name (a doubled, leading or trailing comma); "
                         "expected variants joined by commas, e.g. harmful-linear,harmful-adaptive")
    return names


def _manifest_of(sweep_dir: Path) -> dict[str, Any]:
    if not (sweep_dir / MANIFEST).is_file():
        raise FileNotFoundError(
            f"{sweep_dir} is not a sweep directory (no {MANIFEST}); make one with `camel-gym sweep --sweep-dir {sweep_dir} ...`"
        )
    return json.loads((sweep_dir / MANIFEST).read_text())


def parse_variant_from(text: str) -> tuple[Path, str, str]:
    """``SWEEP:VARIANT`` or ``SWEEP:VARIANT=NAME`` -> ``(SWEEP, VARIANT, NAME)``.

    Raises:
        ValueError: the text has no ``:VARIANT`` part.
    """
    where, sep, what = text.rpartition(":")
    variant, _, name = what.partition("=")
    if not sep or not where or not variant:
        raise ValueError(
            f"--variant-from {text!r}: expected SWEEP:VARIANT or SWEEP:VARIANT=NAME, "
            f"e.g. experiments/paper_grid:llm=llm-linear"
        )
    return Path(where), variant, name or variant


def _borrow(
    sweep_dir: Path, manifest: dict[str, Any], envs: set[str], other: Path, variant: str, name: str, option: str
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The ``variant`` trials of the sweep in ``other`` on ``envs``, renamed ``name``."""
    other_manifest = _manifest_of(other)
    total = manifest["grid"].get("total_timesteps")
    if other_manifest["grid"].get("total_timesteps") != total:
        raise ValueError(
            f"{option} {other} runs {other_manifest['grid'].get('total_timesteps')} steps per trial, "
            f"{sweep_dir} runs {total}: its trials are not comparable"
        )
    other_rows, other_trials = _collect(other, other_manifest)
    keep = {key for key, t in other_trials.items() if t["variant"] == variant and t["env_id"] in envs}
    if not keep:
        raise ValueError(f"{option} {other} has no `{variant}` trials of {', '.join(sorted(envs))}")
    renamed = {key: f"{other_trials[key]['env_id']}__{name}__seed{other_trials[key]['seed']}" for key in keep}
    rows = [{**r, "variant": name, "label": name, "trial": renamed[r["trial"]]} for r in other_rows if r["trial"] in keep]
    trials = {renamed[key]: {**other_trials[key], "variant": name, "label": name, "borrowed_from": str(other)} for key in keep}
    return rows, trials


def report(
    sweep_dir: str | Path,
    *,
    at_steps: list[int] | None = None,
    baseline: str = "none",
    baseline_from: str | Path | None = None,
    variant_from: list[str] | None = None,
    ratios: list[str] | None = None,
    compares: list[str] | None = None,
    panels: list[str] | None = None,
) -> ReportOutcome:
    """Write ``SWEEP/report/`` (``evals.csv``, a figure per env, ``summary.md``) and return where.

    ``at_steps`` default: 100k and 200k steps where the runs reach them, and the grid's last step.
    ``baseline_from``: another sweep whose ``baseline`` trials of this sweep's envs join the
    report (e.g. an experiment compared with the paper grid's ``none`` runs, not run twice).
    ``variant_from``: more trials of other sweeps, each ``SWEEP:VARIANT`` or
    ``SWEEP:VARIANT=NAME`` (e.g. ``experiments/paper_grid:llm=llm-linear``: the paper grid's
    ``llm`` trials are this experiment's ``llm-linear`` arm).
    ``ratios``: ``A:B`` pairs of variants; each env's summary gets IQM(A) / IQM(B) with 95 %
    intervals at the table's steps and for the AUC (goals such as "at least 0.9x `none`").
    ``compares``: ``A:B`` pairs of variants; each env's summary gets P(A > B), the probability of
    improvement of A over B, with 95 % intervals at the table's steps and for the AUC (a claim
    such as "`llm` at least as good as `expert`", beside the comparisons with the baseline).
    ``panels``: groups of variants, each ``A,B,...``; each env's figure gets one panel per group,
    with the baseline in every panel (one panel of all variants by default).

    Raises:
        FileNotFoundError: ``sweep_dir`` (or another sweep named) holds no ``sweep.json``.
        ValueError: another sweep has no such trials of this sweep's envs, runs another number
            of steps, or would give a variant this sweep has already.
    """
    sweep_dir = Path(sweep_dir)
    manifest = _manifest_of(sweep_dir)
    out_dir = sweep_dir / "report"
    out_dir.mkdir(exist_ok=True)
    rows, trials = _collect(sweep_dir, manifest)
    envs = {t["env_id"] for t in trials.values()}
    borrowed = [(Path(baseline_from), baseline, baseline, "--baseline-from")] if baseline_from is not None else []
    borrowed += [(*parse_variant_from(text), "--variant-from") for text in variant_from or []]
    own = {t["variant"] for t in trials.values()}
    for other, variant, name, option in borrowed:
        if name in own:
            raise ValueError(f"{option} {other}:{variant}: this sweep has a `{name}` variant already; name it (=NAME)")
        more_rows, more_trials = _borrow(sweep_dir, manifest, envs, other, variant, name, option)
        rows += more_rows
        trials.update(more_trials)
        own.add(name)
    variants = {t["variant"] for t in trials.values()}
    if baseline not in variants and baseline != "none":  # a sweep without `none` reports without comparisons
        raise ValueError(f"--baseline {baseline!r} is not a variant of this sweep; its variants: {', '.join(sorted(variants))}")
    pairs = [parse_ratio(text) for text in ratios or []]
    versus = [parse_ratio(text, "--compare") for text in compares or []]
    labels = {t["label"] for t in trials.values()}  # a variant with a --set axis has one label per value
    groups = [parse_panel(text) for text in panels or []]
    for option, names in (
        ("--ratio", {n for pair in pairs for n in pair}),
        ("--compare", {n for pair in versus for n in pair}),
        ("--panel", {n for g in groups for n in g}),
    ):
        unknown = sorted(names - labels)
        if unknown:
            raise ValueError(
                f"{option}: {', '.join(map(repr, unknown))} {'is not a variant' if len(unknown) == 1 else 'are not variants'} "
                f"of this report; its variants: {', '.join(map(repr, sorted(labels)))}"
            )
    layout = _panel_layout(sorted(labels), groups, baseline)
    outcome = ReportOutcome(out_dir=out_dir, csv=out_dir / "evals.csv")
    with outcome.csv.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=TIDY_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)

    total = manifest["grid"].get("total_timesteps")
    md = ["# Sweep results", ""]
    commands = manifest_commands(manifest)
    if commands:
        again = f"camel-gym report {sweep_dir}" + (f" --baseline-from {baseline_from}" if baseline_from is not None else "")
        again += "".join(f" --variant-from {text}" for text in variant_from or [])
        # quoted: a label of a --set axis has a space (`llm bias=0.1`)
        again += f" --ratio {' '.join(map(shlex.quote, ratios))}" if ratios else ""
        again += f" --compare {' '.join(map(shlex.quote, compares))}" if compares else ""
        again += f" --panel {' '.join(map(shlex.quote, panels))}" if panels else ""
        md += ["Made by:", "", "```bash", *commands, again, "```", ""]
    md += _code_lines(trials)
    for other, variant, name, _ in borrowed:
        what = f"`{name}` trials are the `{variant}` trials" if name != variant else f"`{name}` trials are those"
        md += [f"The {what} of the sweep in `{other}`, with the same steps per trial.", ""]
    md += [
        "Each number is over seeds: the interquartile mean (IQM) of the trials' unmasked evaluation return "
        "(the deterministic actor, no mask, no noise) with a 95% percentile-bootstrap interval; AUC is the mean "
        f"evaluation return over training; P(> {baseline}) is the probability that a run of the variant scores "
        f"higher than a run of `{baseline}` (Mann-Whitney U / nm, 0.5 = no difference). "
        "Estimators of Agarwal et al. (2021), computed with scipy.", "",
    ]
    for env_id in sorted({t["env_id"] for t in trials.values()}):
        env_rows = [r for r in rows if r["env_id"] == env_id]
        curves = _curves(env_rows)
        masked = _curves(env_rows, "masked_return_mean")
        reached = max((r["step"] for r in env_rows), default=0)
        steps = at_steps if at_steps is not None else [s for s in (100_000, 200_000) if s < (total or reached) and s <= reached]
        final = total if total and total <= reached else None
        if final and final not in steps and at_steps is None:
            steps = [*steps, final]
        md += [f"## {env_id}", ""]
        if curves:
            figure = out_dir / f"curves_{env_id}.png"
            groups = _env_panels(layout[0], curves, baseline)
            _plot(env_id, curves, figure, (groups, layout[1]), masked)
            outcome.figures.append(figure)
            md += [f"![{env_id} learning curves]({figure.name})", ""]
            left_out = sorted(set(curves) - {v for group in layout[0] for v in group})
            if left_out:
                md += [f"Not in the figure (in no `--panel` group): {', '.join(f'`{v}`' for v in left_out)}.", ""]
            lines, notes = _table(curves, steps, baseline)
            md += lines + [""]
            md += [f"- Unequal seeds: {n}" for n in notes] + ([""] if notes else [])
            # a pair of variants one of which this env has not run (e.g. a sweep grown by phases) is left out
            env_pairs = [pair for pair in pairs if set(pair) <= set(curves)]
            env_versus = [pair for pair in versus if set(pair) <= set(curves)]
            if env_pairs:
                md += ["Ratios of IQMs (unmasked evaluation), with 95% bootstrap intervals that resample both variants' seeds:", ""]
                lines, notes = _pair_table(curves, steps, env_pairs, "ratio", lambda a, b: f"`{a}` / `{b}`", _ratio_cell)
                md += lines + [""] + [f"- {n}" for n in notes] + ([""] if notes else [])
            if env_versus:
                md += [
                    "Probability of improvement between variants (unmasked evaluation): P(A > B) is the chance "
                    "that a run of A scores higher than a run of B, with a 95% bootstrap interval:", "",
                ]
                lines, notes = _pair_table(
                    curves, steps, env_versus, "comparison", lambda a, b: f"P(`{a}` > `{b}`)", _improvement_cell, seed_note=True
                )
                md += lines + [""] + [f"- Unequal seeds: {n}" for n in notes] + ([""] if notes else [])
            if masked:
                md += [
                    "The same actors evaluated inside the prior's mask (the same seeds and episodes, the mask "
                    "always on): what the agent does with the prior's help while it trains inside it.", "",
                ]
                lines, notes = _table(masked, steps, baseline=None)
                md += lines + [""]
                md += [f"- Unequal seeds: {n}" for n in notes] + ([""] if notes else [])
        else:
            md += ["No evaluations yet.", ""]
        missing = [name for name, t in sorted(trials.items()) if t["env_id"] == env_id and not t["finished"]]
        if missing:
            outcome.incomplete += missing
            md += [f"Not finished ({len(missing)} trial(s); their evaluations so far are included above):", ""]
            for name in missing:
                error = trials[name].get("error")
                # the status is the sweep's last word: "running" stays after a killed sweep, so say how far it got
                evaluated = max((r["step"] for r in env_rows if r["trial"] == name), default=None)
                progress = (f", evaluated to {_k(evaluated)}" + (f" of {_k(total)}" if total else "")) if evaluated else ""
                md.append(f"- `{name}`: {trials[name].get('status', 'pending')}{progress}" + (f": {error.splitlines()[0]}" if error else ""))
            md.append("")
    outcome.summary = out_dir / "summary.md"
    write_atomic(outcome.summary, "\n".join(md))
    return outcome
