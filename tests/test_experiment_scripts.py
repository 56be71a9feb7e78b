"""The experiment scripts that read committed results with the report's own helpers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
TD3_REFERENCE = ROOT / "experiments" / "paper_grid" / "td3_reference.py"


@pytest.fixture
def paper_curves(tmp_path: Path) -> Path:
    """A learning_curves folder as sfujim/TD3 lays it out: 10 seeds per env, 201 evaluations each,
    every 5000 steps. Seed k scores 100 (k + 1) at 100k and 1000 (k + 1) at 300k, so the IQMs are known."""
    folder = tmp_path / "learning_curves"
    for sub, name in [("Hopper", "Hopper-v1"), ("Walker", "Walker2d-v1"), ("Ant", "Ant-v1")]:
        (folder / sub).mkdir(parents=True)
        for seed in range(10):
            curve = np.linspace(0.0, 1000.0 * (seed + 1) / 60 * 200, 201)  # 1000 (seed + 1) at index 60
            curve[20] = 100.0 * (seed + 1)
            np.save(folder / sub / f"TD3_{name}_{seed}.npy", curve)
    return folder


def run_reference(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TD3_REFERENCE), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def summary_row(env_id: str, variant: str) -> list[str]:
    """The IQM cells (100k, 200k, 300k, AUC) of one variant in the committed paper-grid report."""
    text = (ROOT / "experiments" / "paper_grid" / "report" / "summary.md").read_text()
    section = text.split(f"## {env_id}\n", 1)[1].split("\n## ", 1)[0]
    row = next(line for line in section.splitlines() if line.startswith(f"| `{variant}` | "))
    return [cell.strip() for cell in row.strip("|").split("|")][2:6]


def test_td3_reference_reads_the_paper_curves_at_the_grids_steps(paper_curves):
    result = run_reference(str(paper_curves))
    assert result.returncode == 0, result.stderr
    hopper = next(line for line in result.stdout.splitlines() if line.startswith("Hopper-v4 | TD3 paper (Hopper-v1) | 10 |"))
    at_100k, _, at_300k = (float(cell.split()[0]) for cell in hopper.split(" | ")[3:6])
    assert at_100k == pytest.approx(stats.trim_mean(100.0 * np.arange(1, 11), 0.25), abs=0.5)
    assert at_300k == pytest.approx(stats.trim_mean(1000.0 * np.arange(1, 11), 0.25), abs=0.5)


def test_td3_reference_computes_the_grids_rows_as_the_report_does(paper_curves):
    # the script reads the grid through the report's public readers; if they drift from the report, this fails
    result = run_reference(str(paper_curves))
    assert result.returncode == 0, result.stderr
    for env_id in ("Hopper-v4", "Ant-v4"):
        for variant in ("none", "llm"):
            line = next(line for line in result.stdout.splitlines() if line.startswith(f"{env_id} | grid `{variant}` | 5 |"))
            assert line.split(" | ")[3:7] == summary_row(env_id, variant)
        chance = next(line for line in result.stdout.splitlines() if line.startswith(f"{env_id} | P(`none` > paper)"))
        assert all(re.fullmatch(r"\d\.\d\d \[\d\.\d\d, \d\.\d\d\]", cell) for cell in chance.split(" | ")[3:7])


def test_td3_reference_says_what_is_wrong_with_its_inputs(paper_curves, tmp_path):
    result = run_reference(str(tmp_path / "nowhere"))
    assert result.returncode != 0 and "pass the learning_curves folder of a github.com/sfujim/TD3 checkout" in result.stderr
    result = run_reference(str(paper_curves), "--sweep-dir", str(tmp_path))
    assert result.returncode != 0 and "is not a sweep directory" in result.stderr
    np.save(paper_curves / "Hopper" / "TD3_Hopper-v1_0.npy", np.zeros(50))
    result = run_reference(str(paper_curves))
    assert result.returncode != 0 and "expected 201 evaluations" in result.stderr


def write_returns(run_dir: Path, returns: list[tuple[int, float]]) -> None:
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(run_dir)) as writer:
        for step, value in returns:
            writer.add_scalar("charts/episodic_return", value, step)


def test_cleanrl_check_averages_training_episodes_per_window(tmp_path):
    cleanrl_run = tmp_path / "runs" / "Walker2d-v4__td3_continuous_action__1__0"
    write_returns(cleanrl_run, [(5_000, 10.0), (15_000, 30.0), (25_000, 100.0)])
    grid_run = tmp_path / "sweep" / "trials" / "Walker2d-v4__none__seed1" / "run"
    write_returns(grid_run, [(19_999, 7.0), (20_000, 50.0), (39_999, 70.0)])
    (grid_run / "eval.csv").write_text("global_step,return_mean\n")  # a run folder, unfinished: no summary.json
    result = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "paper_grid" / "cleanrl_check.py"), str(cleanrl_run),
         "--env-id", "Walker2d-v4", "--sweep-dir", str(tmp_path / "sweep"), "--until", "60000"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split(" | ") for line in result.stdout.splitlines() if not line.startswith("#")]
    assert rows[0] == ["run", "20k", "40k", "60k"]
    assert rows[1] == ["CleanRL Walker2d-v4__td3_continuous_action__1__0", "20", "100", "-"]
    assert rows[2] == ["grid Walker2d-v4__none__seed1 (not finished)", "7", "60", "-"]


@pytest.mark.parametrize(
    ("script", "args", "output"),
    [
        ("gate_trace.py", ["experiments/adaptive_mask/trials"], "gate_trace.txt"),
        ("q_filter_pilot.py", ["experiments/adaptive_mask/trials", "--window", "20000", "--until", "200000"], "q_filter_trials.txt"),
    ],
)
def test_adaptive_mask_traces_are_what_the_committed_trials_give(script, args, output):
    # the traces the README quotes, made again from the trials' TensorBoard events (all finished)
    folder = "experiments/adaptive_mask"
    result = subprocess.run([sys.executable, f"{folder}/{script}", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    body = lambda text: [line for line in text.splitlines() if not line.startswith("# run ")]
    assert body(result.stdout) == body((ROOT / folder / output).read_text())


def test_phase_d_reads_the_committed_grid_as_the_report_does():
    """phase_d.py makes its committed output again; its 5-seed rows are the committed report's,
    and its `llm seeds 1-3` rows are those seeds' own evaluations."""
    folder = ROOT / "experiments" / "paper_grid"
    result = subprocess.run([sys.executable, "experiments/paper_grid/phase_d.py"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    body = [line for line in result.stdout.splitlines() if not line.startswith("# run ")]
    assert body == [line for line in (folder / "phase_d.txt").read_text().splitlines() if not line.startswith("# run ")]
    unmasked = result.stdout.split("inside the mask: IQM")[0]
    for variant in ("none", "llm", "llm-mask100k", "llm-mask300k", "llm-bias0.1", "llm-bias0.6"):
        row = next(line for line in unmasked.splitlines() if line.startswith(f"| `{variant}` | "))
        cells = [re.sub(r" \(n=\d\)$", "", cell.strip()) for cell in row.strip("|").split("|")][1:5]
        assert cells == summary_row("Hopper-v4", variant)
    per_seed = next(line for line in result.stdout.splitlines() if line.startswith("| `llm seeds 1-3` | 1, 2, 3 | "))
    expected = []
    for step in (100_000, 200_000, 300_000):
        values = []
        for seed in (1, 2, 3):
            (eval_csv,) = (folder / "trials" / f"Hopper-v4__llm__seed{seed}").glob("*/eval.csv")
            rows = {int(r.split(",")[0]): float(r.split(",")[1]) for r in eval_csv.read_text().splitlines()[1:]}
            values.append(f"{rows[step]:.0f}")
        expected.append(", ".join(values))
    assert [cell.strip() for cell in per_seed.strip("|").split("|")][2:5] == expected
