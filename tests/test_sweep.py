"""camel-gym sweep and report: bad input refused up front, a tiny grid end to end on a local Ray,
a killed trial retried from its checkpoint, a killed driver resumed without rerunning finished
trials, and the statistics behind the report."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from camel_gym.pipeline.cli import main
from camel_gym.priors import shipped_prior
from camel_gym.sweep.grid import Grid, GridError
from camel_gym.sweep.report import TIDY_COLUMNS
from camel_gym.sweep.run import trial_run_dir
from camel_gym.sweep.stats import iqm, iqm_ratio, mean_with_ci, probability_of_improvement

# only the end-to-end sweeps start Ray; grids, reports and statistics are tested without it
needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason='camel-gym sweep runs trials on Ray: pip install -e ".[sweep]"'
)
ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "cleanrl_scripts" / "td3_camel.py"
# a few hundred steps of real TD3 per trial: enough for a checkpoint, two evaluations and updates
TINY = ["learning_starts=200", "eval_every=300", "eval_episodes=1", "checkpoint_every=300", "batch_size=32", "buffer_size=2000"]


def sweep_args(sweep_dir: Path, *extra: str) -> list[str]:
    return ["sweep", "--sweep-dir", str(sweep_dir), "--td3-script", str(SCRIPT), "--no-progress", *extra]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--env-ids", "Hoppr-v4", "--masking", "none"], "unknown env id 'Hoppr-v4'"),
        (["--env-ids", "Hopper-v4", "--masking", "llm", "bogus"], "unknown masking variant 'bogus'"),
        (["--env-ids", "Hopper-v4", "--masking", "none", "--set", "learning_rat=1e-3"], "no option --learning-rat"),
        (["--env-ids", "Hopper-v4", "--masking", "llm", "--set", "bias=0.3,1.5"], "bias must lie in (0, 1]"),
        (["--env-ids", "Hopper-v4", "--masking", "expert"], "needs an expert model: --expert-model Hopper-v4=PATH"),
        (["--env-ids", "Hopper-v4", "--masking", "expert", "--expert-model", "Hopper-v4=/nope.cleanrl_model"], "no such file"),
        (["--env-ids", "Hopper-v4", "--masking", "llm", "--policy", "Hopper-v4=/nope.py"], "no such prior file"),
        (["--env-ids", "Humanoid-v4", "--masking", "llm"],
         "variant 'llm' on Humanoid-v4: no shipped prior for env id 'Humanoid-v4' (shipped: Hopper-v4"),
        (["--env-ids", "Ant-v5", "--masking", "llm"],
         "made with gym.make('Ant-v5') alone has (105,); give a prior: --policy Ant-v5=PATH, or policy = "),
        (["--env-ids", "Hopper-v4", "--masking", "none", "--set", "seed=3"], "the sweep sets --seed itself"),
        (["--env-ids", "Hopper-v4", "--masking", "none", "--set", "total_timesteps=5"], "the sweep sets --total-timesteps itself"),
        (["--env-ids", "Hopper-v4", "--masking", "none", "--set", "bias"], "write KEY=VALUE"),
        (["--env-ids", "Hopper-v4", "--masking", "none", "--cpus-per-trial", "0"], "--cpus-per-trial must be at least 1"),
        (["--env-ids", "Hopper-v4", "--masking", "none", "--max-concurrent", "0"], "--max-concurrent must be at least 1"),
        (["--env-ids", "Hopper-v4", "--masking", "none", "--total-timesteps", "0"], "--total-timesteps must be at least 1"),
        (["--env-ids", "Hopper-v4", "--masking", "llm", "--total-timesteps", "1000", "--set", "mask_timesteps=2000"],
         "--mask-timesteps must lie in [0, --total-timesteps 1000]"),
        (["--env-ids", "Hopper-v4", "--masking", "none", "--set", "learning_starts=soon"], "check the types of the --set values"),
    ],
)
def test_bad_input_is_refused_before_any_trial_starts(tmp_path, capsys, extra, message):
    assert main(sweep_args(tmp_path / "sweep", *extra)) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "sweep" / "trials").exists()


@pytest.mark.parametrize(("code", "why"), [
    ("import os\n\ndef policy(obs):\n    return None\n", "'os'"),  # refused as it compiles
    ("import numpy as np\n\ndef policy(obs):\n    return np.zeros(7)\n", "shape (7,)"),  # by the child-process trial
])
def test_a_prior_the_script_would_refuse_is_refused_before_any_trial_starts(tmp_path, capsys, code, why):
    broken = tmp_path / "broken.py"
    broken.write_text(code)
    assert main(sweep_args(tmp_path / "sweep", "--env-ids", "Hopper-v4", "--masking", "llm", "--policy", f"Hopper-v4={broken}")) == 2
    err = capsys.readouterr().err
    assert f"--policy Hopper-v4={broken}: td3_camel.py would refuse this prior: " in err and why in err
    assert not (tmp_path / "sweep" / "trials").exists()


def test_a_finished_llm_trial_is_not_asked_for_its_shipped_prior_again():
    """A trial that ran reads no input again, so the grid check does not refuse it for one."""
    grid = Grid(["Ant-v5"], ["llm"], [1], 1000)
    assert [t.name for t in grid.trials(SCRIPT, finished=lambda name: True)] == ["Ant-v5__llm__seed1"]
    with pytest.raises(GridError, match=r"made with gym.make\('Ant-v5'\) alone has \(105,\)"):
        grid.trials(SCRIPT)


def test_grid_file_gives_the_same_trials_as_the_flags(tmp_path):
    (tmp_path / "grid.toml").write_text(
        'env_ids = ["Hopper-v4"]\nmasking = ["none", "llm"]\nseeds = [1, 2]\ntotal_timesteps = 300_000\n'
        "[set]\nbias = [0.1, 0.3]\nsave_model = true\n"
    )
    from_file = Grid.from_toml(tmp_path / "grid.toml").trials(SCRIPT)
    from_flags = Grid(["Hopper-v4"], ["none", "llm"], [1, 2], 300_000, {"bias": [0.1, 0.3], "save_model": [True]}).trials(SCRIPT)
    assert from_file == from_flags  # names, steps, options: all of each trial
    assert "Hopper-v4__llm__bias=0.1__seed2" in {t.name for t in from_file}
    trial = next(t for t in from_file if t.name == "Hopper-v4__llm__bias=0.1__seed2")
    assert trial.command_options()[:4] == ["--bias", "0.1", "--env-id", "Hopper-v4"]
    assert "--save-model" in trial.command_options() and "--no-progress" in trial.command_options()


@pytest.mark.parametrize(("line", "message"), [
    ("seeds = 3", "seeds must be a list of integers"),
    ('env_ids = "Hopper-v4"', "env_ids must be a list of strings"),
    ('[variants.tuned]\nmasking = "llm"\npolicy = "prior.py"', "variants.tuned.policy must be a table of strings"),
])
def test_grid_file_values_of_the_wrong_type_are_refused(tmp_path, line, message):
    (tmp_path / "grid.toml").write_text(line + "\n")
    with pytest.raises(GridError, match=message):
        Grid.from_toml(tmp_path / "grid.toml")


def test_report_refuses_an_unknown_baseline(tmp_path):
    test_report_lists_unfinished_trials_and_unequal_seeds(tmp_path)
    assert main(["report", str(tmp_path / "sweep"), "--baseline", "expert"]) == 2


def test_named_variant_from_a_grid_file(tmp_path):
    prior = tmp_path / "tuned.py"
    prior.write_text("def policy(obs):\n    return [0.0, 0.0, 0.0]\n")
    (tmp_path / "grid.toml").write_text(
        f'env_ids = ["Hopper-v4"]\nmasking = ["none", "tuned"]\nseeds = [1]\n'
        f'[variants.tuned]\nmasking = "llm"\npolicy = {{ "Hopper-v4" = "{prior}" }}\n'
    )
    trials = Grid.from_toml(tmp_path / "grid.toml").trials(SCRIPT)
    assert [t.name for t in trials] == ["Hopper-v4__none__seed1", "Hopper-v4__tuned__seed1"]
    assert dict(trials[1].options)["policy"] == str(prior) and dict(trials[1].options)["masking"] == "llm"


def test_a_grid_grown_by_several_commands_keeps_each_command(tmp_path):
    """One sweep folder, one grid file per phase: the manifest and the report's "Made by" name
    every command that ran trials there, not only the last."""
    from camel_gym.records import write_json
    from camel_gym.sweep.report import report
    from camel_gym.sweep.run import MANIFEST, _manifest

    phase_a, phase_c = Grid(["Hopper-v4"], ["none"], [1], 300_000), Grid(["Hopper-v4"], ["random"], [3], 300_000)
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    commands = ["camel-gym sweep --sweep-dir sweep --grid grid.toml", "camel-gym sweep --sweep-dir sweep --grid grid_c.toml"]
    for grid, command in [(phase_a, commands[0]), (phase_c, commands[1]), (phase_a, commands[0])]:  # A, C, A resumed
        write_json(sweep / MANIFEST, _manifest(sweep, grid, grid.trials(SCRIPT), SCRIPT, 1, 3, command))
    manifest = json.loads((sweep / MANIFEST).read_text())
    assert manifest["commands"] == commands and manifest["command"] == commands[0]
    assert set(manifest["trials"]) == {"Hopper-v4__none__seed1", "Hopper-v4__random__seed3"}
    made_by = report(sweep).summary.read_text().split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert made_by == [*commands, f"camel-gym report {sweep}"]
    # a manifest written before the list existed still names its one command
    write_json(sweep / MANIFEST, {**manifest, "commands": None})
    assert report(sweep).summary.read_text().count("camel-gym sweep --sweep-dir") == 1


def test_only_the_listed_variants_of_a_grid_file_run(tmp_path, monkeypatch):
    """A grid file's named variants run when `masking` lists them: `--masking` on the command
    line picks some of them (a grid file can keep variants for later phases)."""
    (tmp_path / "grid.toml").write_text(
        'env_ids = ["Hopper-v4"]\nmasking = ["a"]\nseeds = [1]\n'
        '[variants.a]\nmasking = "random"\n[variants.b]\nmasking = "random"\nset = { bias = 0.5 }\n'
    )
    assert [t.name for t in Grid.from_toml(tmp_path / "grid.toml").trials(SCRIPT)] == ["Hopper-v4__a__seed1"]
    from camel_gym.sweep.run import SweepOutcome

    started = []

    def run_sweep(sweep_dir, grid, **kwargs):  # the trials the command would start, without Ray
        started.extend(grid.trials(SCRIPT))
        return SweepOutcome(manifest=tmp_path / "sweep.json")

    monkeypatch.setattr("camel_gym.sweep.run.run_sweep", run_sweep)
    assert main(sweep_args(tmp_path / "sweep", "--grid", str(tmp_path / "grid.toml"), "--masking", "b")) == 0
    assert [t.name for t in started] == ["Hopper-v4__b__seed1"]


def test_trial_records_name_the_library_beside_the_script():
    """A frozen --td3-script runs with the camel_gym of the sweep's interpreter, which can be
    another checkout: trial.json records where that library came from and its commit."""
    from camel_gym.sweep.run import _library_version

    library = _library_version()
    assert library["path"] == str(ROOT / "camel_gym")
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:  # a git checkout (CI's is); an unpacked sdist has no commit to name
        assert library["git_commit"] == head.stdout.strip()


def test_a_library_installed_inside_another_repository_names_no_commit(tmp_path, monkeypatch):
    """A non-editable install into a venv inside some checkout is not that checkout's code:
    only a package at the top of its own checkout gets a commit."""
    import camel_gym
    from camel_gym.sweep.run import _library_version

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C"]
    for top, package in [(tmp_path / "own", tmp_path / "own" / "camel_gym"),
                         (tmp_path / "other", tmp_path / "other" / ".venv" / "site-packages" / "camel_gym")]:
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        subprocess.run([*git[:-1], "init", "-q", str(top)], check=True)
        subprocess.run([*git, str(top), "add", "-A"], check=True)
        subprocess.run([*git, str(top), "commit", "-q", "-m", "x"], check=True)
    own_head = subprocess.run(["git", "-C", str(tmp_path / "own"), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    monkeypatch.setattr(camel_gym, "__file__", str(tmp_path / "own" / "camel_gym" / "__init__.py"))
    assert _library_version()["git_commit"] == own_head
    monkeypatch.setattr(camel_gym, "__file__", str(tmp_path / "other" / ".venv" / "site-packages" / "camel_gym" / "__init__.py"))
    other = _library_version()
    assert other["git_commit"] is None and other["camel_gym_version"] == camel_gym.__version__


def test_dirty_means_the_code_that_runs_differs_not_the_trial_files_beside_it(tmp_path):
    """A sweep writes its trials' files into the checkout it runs from: those alone must not mark
    the script or the library dirty, while an edit to either must."""
    from camel_gym.sweep.run import _code_version

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    script, package, data = tmp_path / "td3.py", tmp_path / "camel_gym", tmp_path / "experiments" / "eval.csv"
    package.mkdir()
    data.parent.mkdir()
    for path in (script, package / "__init__.py", data):
        path.write_text("a\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True)

    def dirty() -> tuple[bool, bool]:
        return _code_version(script)["git_dirty"], _code_version(package, top=tmp_path)["git_dirty"]

    assert dirty() == (False, False)
    data.write_text("b\n")
    assert dirty() == (False, False)
    script.write_text("b\n")
    assert dirty() == (True, False)
    (package / "__init__.py").write_text("b\n")
    assert dirty() == (True, True)
    assert _code_version(package, top=tmp_path)["git_commit"] == _code_version(script)["git_commit"]


def _trials_to_run(monkeypatch, sweep: Path, grid: Grid) -> dict[str, dict]:
    """The trials run_sweep would hand to Ray, with their options, without starting Ray."""
    from camel_gym.sweep.run import run_sweep

    todo = []
    monkeypatch.setattr("camel_gym.sweep.run._run_on_ray", lambda trials, *rest: todo.extend(trials))
    run_sweep(sweep, grid, td3_script=SCRIPT, progress=False)
    return {t.name: dict(t.options) for t in todo}


def test_trials_run_on_the_cpu_unless_the_grid_sets_device(tmp_path, monkeypatch):
    """--device auto would put every trial of a sweep on one GPU, which measured slower in all
    than the same trials on the CPU cores (benchmarks/sweep_throughput.py)."""
    on_cpu = _trials_to_run(monkeypatch, tmp_path / "a", Grid(["Hopper-v4"], ["none"], [1, 2], 1000))
    assert [o["device"] for o in on_cpu.values()] == ["cpu", "cpu"]
    assert {"--device", "cpu"} <= set(Grid(["Hopper-v4"], ["none"], [1], 1000).trials(SCRIPT, defaults={"device": "cpu"})[0].command_options())
    on_gpu = _trials_to_run(monkeypatch, tmp_path / "b", Grid(["Hopper-v4"], ["none"], [1], 1000, {"device": ["cuda"]}))
    assert [o["device"] for o in on_gpu.values()] == ["cuda"]
    # a trial started before this default (device auto, as the paper grid's) still resumes;
    # a setting it tests still may not change under it
    from camel_gym.records import write_json

    run = tmp_path / "a" / "trials" / "Hopper-v4__none__seed1" / "Hopper-v4__td3_camel__none__1__1"
    run.mkdir(parents=True)
    write_json(run / "args.json", {**on_cpu["Hopper-v4__none__seed1"], "device": "auto"})
    assert set(_trials_to_run(monkeypatch, tmp_path / "a", Grid(["Hopper-v4"], ["none"], [1, 2], 1000))) == set(on_cpu)
    write_json(run / "args.json", {**on_cpu["Hopper-v4__none__seed1"], "device": "auto", "masking": "random"})
    with pytest.raises(GridError, match=r"other settings \(masking: 'random' there, 'none' now\)"):
        _trials_to_run(monkeypatch, tmp_path / "a", Grid(["Hopper-v4"], ["none"], [1, 2], 1000))


def test_a_finished_trial_needs_no_input_files(tmp_path, monkeypatch):
    """A fresh clone of a sweep folder lacks its git-ignored inputs (saved expert models): the
    finished trials that read them are skipped, and only a trial still to run needs its file."""
    from camel_gym.records import write_json

    model = tmp_path / "expert.cleanrl_model"
    model.write_bytes(b"not read by this test")
    grid = Grid(["Hopper-v4"], ["expert"], [1, 2], 1000, expert_model={"Hopper-v4": str(model)})
    sweep = tmp_path / "sweep"
    options = _trials_to_run(monkeypatch, sweep, grid)["Hopper-v4__expert__seed1"]
    run = sweep / "trials" / "Hopper-v4__expert__seed1" / "Hopper-v4__td3_camel__expert__1__1"
    run.mkdir(parents=True)
    write_json(run / "args.json", options)  # as td3_camel.py writes them; summary.json marks it finished
    write_json(run / "summary.json", {"env_id": "Hopper-v4"})
    model.unlink()
    with pytest.raises(GridError, match="no such file"):  # seed 2 has not run and needs the model
        _trials_to_run(monkeypatch, sweep, grid)
    grid.seeds = [1]
    assert _trials_to_run(monkeypatch, sweep, grid) == {}
    manifest = json.loads((sweep / "sweep.json").read_text())
    assert manifest["trials"]["Hopper-v4__expert__seed1"]["status"] == "finished"
    with pytest.raises(GridError, match="no such file"):  # without the sweep folder's records, it is checked
        grid.trials(SCRIPT)


def test_a_finished_trial_is_found_by_its_full_name(tmp_path, monkeypatch):
    """The finished-trial check names the folder as the sweep does, varying settings included;
    a prior file, like an expert model, is needed only by trials that still have to run."""
    from camel_gym.records import write_json

    prior = tmp_path / "prior.py"
    prior.write_text("def policy(obs):\n    return [0.0, 0.0, 0.0]\n")
    grid = Grid(["Hopper-v4"], ["llm"], [1], 1000, {"bias": [0.1, 0.3]}, policy={"Hopper-v4": str(prior)})
    sweep = tmp_path / "sweep"
    todo = _trials_to_run(monkeypatch, sweep, grid)
    assert set(todo) == {"Hopper-v4__llm__bias=0.1__seed1", "Hopper-v4__llm__bias=0.3__seed1"}
    for name, options in todo.items():
        run = sweep / "trials" / name / "run"
        run.mkdir(parents=True)
        write_json(run / "args.json", options)
        write_json(run / "summary.json", {"env_id": "Hopper-v4"})
    prior.unlink()
    assert _trials_to_run(monkeypatch, sweep, grid) == {}
    grid.set = {"bias": [0.1, 0.3, 0.6]}
    with pytest.raises(GridError, match="no such prior file"):  # bias 0.6 has still to run
        _trials_to_run(monkeypatch, sweep, grid)


def test_an_input_path_that_changed_says_where_paths_resolve(tmp_path, monkeypatch):
    """A grid with relative input paths run from another directory names other files: the error
    says so, instead of telling the user to delete the trial."""
    from camel_gym.records import write_json

    for where in ("a", "b"):
        (tmp_path / where).mkdir()
        (tmp_path / where / "prior.py").write_text("def policy(obs):\n    return [0.0, 0.0, 0.0]\n")
    grid = Grid(["Hopper-v4"], ["llm"], [1], 1000, policy={"Hopper-v4": "prior.py"})
    monkeypatch.chdir(tmp_path / "a")
    options = _trials_to_run(monkeypatch, tmp_path / "sweep", grid)["Hopper-v4__llm__seed1"]
    run = tmp_path / "sweep" / "trials" / "Hopper-v4__llm__seed1" / "run"
    run.mkdir(parents=True)
    write_json(run / "args.json", options)
    monkeypatch.chdir(tmp_path / "b")
    with pytest.raises(GridError, match="other input files .*resolve against the current directory"):
        _trials_to_run(monkeypatch, tmp_path / "sweep", grid)


def test_a_trial_run_with_a_prior_of_its_own_is_not_taken_for_the_shipped_one(tmp_path, monkeypatch):
    """An llm trial given no prior takes the shipped one, which its options do not show: a rerun of
    the folder without --policy must not reuse a trial that ran another prior."""
    from camel_gym.records import write_json

    prior = tmp_path / "prior.py"
    prior.write_text("def policy(obs):\n    return [0.0, 0.0, 0.0]\n")
    sweep = tmp_path / "sweep"
    options = _trials_to_run(monkeypatch, sweep, Grid(["Hopper-v4"], ["llm"], [1], 1000, policy={"Hopper-v4": str(prior)}))
    run = sweep / "trials" / "Hopper-v4__llm__seed1" / "run"
    run.mkdir(parents=True)
    write_json(run / "args.json", options["Hopper-v4__llm__seed1"])
    write_json(run / "summary.json", {"env_id": "Hopper-v4"})
    shipped_grid = Grid(["Hopper-v4"], ["llm"], [1], 1000)
    with pytest.raises(GridError, match=r"started with the prior .*prior\.py, and the grid now gives variant 'llm' on Hopper-v4 no prior file"):
        _trials_to_run(monkeypatch, sweep, shipped_grid)
    # a trial that took the shipped prior is reused, wherever the checkout it read it from was
    moved = Path("/elsewhere/checkout") / shipped_prior("Hopper-v4").relative_to(shipped_prior("Hopper-v4").parents[1])
    write_json(run / "args.json", {**options["Hopper-v4__llm__seed1"], "policy": str(moved)})
    assert _trials_to_run(monkeypatch, sweep, shipped_grid) == {}
    # the hand-tuned prior has the shipped one's file name, in another folder
    tuned = moved.parent / "handtuned" / moved.name
    write_json(run / "args.json", {**options["Hopper-v4__llm__seed1"], "policy": str(tuned)})
    with pytest.raises(GridError, match="handtuned/hopper_v4.py, and the grid now gives"):
        _trials_to_run(monkeypatch, sweep, shipped_grid)


def _eval_steps(trial_dir: Path) -> list[int]:
    with (trial_run_dir(trial_dir) / "eval.csv").open() as f:
        return [int(r["global_step"]) for r in csv.DictReader(f)]


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _running_with_checkpoint(trials: Path) -> list[Path]:
    out = []
    for folder in sorted(trials.glob("*/")):
        run = trial_run_dir(folder)
        if (folder / "running.json").is_file() and run is not None and (run / "checkpoint.pt").is_file():
            out.append(folder)
    return out


def _processes_using(path: Path) -> list[int]:
    """Live processes whose command line names ``path`` (the sweep's trials run with it as --runs-dir)."""
    out = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if str(path) in (proc / "cmdline").read_bytes().decode(errors="replace") and "Z" not in (proc / "stat").read_text().split()[2]:
                out.append(int(proc.name))
        except OSError:
            continue
    return out


def _attempts(folder: Path) -> int:
    return json.loads((folder / "trial.json").read_text())["attempts"]


@needs_ray
@pytest.mark.timeout(900)
def test_tiny_grid_end_to_end_survives_a_killed_trial_and_a_killed_driver(tmp_path, capsys):
    """2 envs x 2 variants x 2 seeds on a local Ray: kill -9 one trial, then the driver, rerun, report."""
    sweep = tmp_path / "sweep"
    args = sweep_args(
        sweep, "--env-ids", "Hopper-v4", "Walker2d-v4", "--masking", "none", "random", "--seeds", "1", "2",
        "--total-timesteps", "900", "--max-failures", "2", "--set", *TINY,
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    driver = subprocess.Popen([sys.executable, "-c", "import sys; from camel_gym.pipeline.cli import main; sys.exit(main())", *args],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    trials = sweep / "trials"
    try:
        # a trial process dies mid-run: Ray retries the task and the retry resumes from the checkpoint
        victim = _wait(lambda: _running_with_checkpoint(trials), 240, "a trial with a checkpoint")[0]
        victim_pid = json.loads((victim / "running.json").read_text())["pid"]
        os.kill(victim_pid, signal.SIGKILL)
        # the driver dies once some trial has finished and another is running
        def finished_and_running():
            done = [f for f in trials.glob("*/") if (r := trial_run_dir(f)) and (r / "summary.json").is_file()]
            running = [f for f in _running_with_checkpoint(trials) if f not in done]
            return (done, running) if done and running else None

        _, running = _wait(finished_and_running, 240, "a finished trial beside a running one")
        pids = [json.loads((f / "running.json").read_text())["pid"] for f in running]
        driver.send_signal(signal.SIGKILL)
        driver.wait(30)
    finally:
        if driver.poll() is None:
            driver.kill()
    # the trials die with the driver: nothing runs unsupervised
    for pid in pids:
        _wait(lambda pid=pid: not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2],
              30, f"trial process {pid} to end with the driver")
    _wait(lambda: not _processes_using(sweep), 30, "every process of the sweep to end")
    # a trial may finish between the look and its end: count what the files say once all are gone
    done = [f for f in trials.glob("*/") if (r := trial_run_dir(f)) and (r / "summary.json").is_file()]
    running = [f for f in running if f not in done]
    finished_before = {f.name: (trial_run_dir(f) / "summary.json").stat().st_mtime_ns for f in done}
    attempts_before = {f.name: _attempts(f) for f in done}

    # the same command again: finished trials are skipped, the others resume
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"finished before {len(done)}" in out
    manifest = json.loads((sweep / "sweep.json").read_text())
    assert len(manifest["trials"]) == 8
    assert all(t["status"] == "finished" for t in manifest["trials"].values())
    for folder in trials.glob("*/"):
        assert _eval_steps(folder) == [300, 600, 900], folder.name  # no step lost or run twice
    for name, mtime in finished_before.items():
        assert (trial_run_dir(trials / name) / "summary.json").stat().st_mtime_ns == mtime, name
        assert _attempts(trials / name) == attempts_before[name]
    assert _attempts(victim) >= 2
    assert "resumed" in (victim / "log.txt").read_text()
    for folder in running:
        assert "resumed" in (folder / "log.txt").read_text(), folder.name
    record = json.loads((victim / "trial.json").read_text())["starts"][0]
    assert record["git_commit"] and record["cpu"] and record["command"][1] == str(SCRIPT)
    assert record["library"]["path"] == str(ROOT / "camel_gym") and record["library"]["git_commit"] == record["git_commit"]

    # the report: a tidy CSV of every evaluation, one figure per env, a table per env
    assert main(["report", str(sweep)]) == 0
    assert f"- the script: `td3_camel.py` at commit `{record['git_commit'][:7]}`" in (sweep / "report" / "summary.md").read_text()
    with (sweep / "report" / "evals.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == TIDY_COLUMNS and len(rows) == 8 * 3
    assert {(r["env_id"], r["variant"], r["seed"]) for r in rows} == {
        (e, v, s) for e in ("Hopper-v4", "Walker2d-v4") for v in ("none", "random") for s in ("1", "2")
    }
    for env_id in ("Hopper-v4", "Walker2d-v4"):
        assert (sweep / "report" / f"curves_{env_id}.png").stat().st_size > 10_000
    summary = (sweep / "report" / "summary.md").read_text()
    assert "camel-gym sweep --sweep-dir" in summary and "## Walker2d-v4" in summary
    assert "| `random` | 2 |" in summary and "Not finished" not in summary


@needs_ray
@pytest.mark.timeout(600)
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one trial at a time is what any cap gives on one CPU")
def test_max_concurrent_runs_the_trials_one_after_another(tmp_path, capsys):
    """--max-concurrent 1 on a Ray of 2+ CPUs: each trial starts only after the one before it
    ended, a failed trial frees its slot for the next, and every trial is tried (two sweeps can
    share a machine this way)."""
    sweep = tmp_path / "sweep"
    broken = tmp_path / "broken.cleanrl_model"  # the grid checks that it exists; td3_camel.py refuses it: the trial fails
    broken.write_bytes(b"not a saved model")
    args = sweep_args(sweep, "--env-ids", "Hopper-v4", "--masking", "expert", "none", "--seeds", "1", "2",
                      "--expert-model", f"Hopper-v4={broken}", "--total-timesteps", "300", "--max-concurrent", "1",
                      "--set", *TINY)
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "trials finished now 2, finished before 0, failed 2" in out
    spans = []
    for name in ("expert__seed1", "expert__seed2", "none__seed1", "none__seed2"):
        folder = sweep / "trials" / f"Hopper-v4__{name}"
        record = json.loads((folder / "trial.json").read_text())
        ended = max(p.stat().st_mtime for p in folder.rglob("*") if p.is_file())
        spans.append((record["starts"][0]["time"], ended))
    assert [s for s, _ in spans] == sorted(s for s, _ in spans)
    for (_, ended), (started, _) in zip(spans, spans[1:]):
        assert started >= ended - 1.0, spans  # files of a trial may be touched just after the next one's start is written


def fake_sweep(sweep: Path, specs, total=300_000) -> Path:
    """A sweep folder as `camel-gym sweep` leaves it: `specs` are (variant, seed, evaluations made
    of 3[, env id, Hopper-v4 if not given]); a trial with all 3 finished, the others failed. Returns rise 100 per 100k steps, +50 for
    any variant but `none` (-1000 for `falls`), + seed."""
    trials = {}
    for variant, seed, steps, *env in specs:
        env_id = env[0] if env else "Hopper-v4"
        name = f"{env_id}__{variant}__seed{seed}"
        run = sweep / "trials" / name / "run"
        run.mkdir(parents=True)
        (run / "args.json").write_text("{}")
        with (run / "eval.csv").open("w") as f:
            f.write("global_step,return_mean,return_std,length_mean,episodes,wall_seconds,masked_return_mean\n")
            for k in range(1, steps + 1):
                masked = "" if variant == "none" else 1000 + seed  # the masked evaluation: flat at 1000 + seed
                offset = {"none": 0, "falls": -1000}.get(variant, 50)
                f.write(f"{k * 100_000},{k * 100 + offset + seed},1,100,10,1,{masked}\n")
        if steps == 3:
            (run / "summary.json").write_text(json.dumps({"total_timesteps": 300_000}))
        trials[name] = {"env_id": env_id, "variant": variant, "label": variant, "seed": seed, "settings": {},
                        "folder": f"trials/{name}", "status": "finished" if steps == 3 else "failed",
                        "error": None if steps == 3 else "td3_camel.py exited with -9"}
    (sweep / "sweep.json").write_text(json.dumps({"command": "camel-gym sweep ...", "grid": {"total_timesteps": total}, "trials": trials}))
    return sweep


def test_report_lists_unfinished_trials_and_unequal_seeds(tmp_path):
    sweep = fake_sweep(tmp_path / "sweep", [("none", 1, 3), ("none", 2, 3), ("llm", 1, 3), ("llm", 2, 1)])
    from camel_gym.sweep.report import report

    outcome = report(sweep)
    summary = outcome.summary.read_text()
    assert outcome.incomplete == ["Hopper-v4__llm__seed2"]
    assert "`Hopper-v4__llm__seed2`: failed, evaluated to 100k of 300k: td3_camel.py exited with -9" in summary
    assert "`llm` at 200k: 1 of 2 seeds have reached it" in summary
    assert "IQM at 300k" in summary


def test_report_names_the_code_the_trials_ran(tmp_path):
    """The commands in "Made by" carry local paths (a frozen --td3-script checkout); the commits
    each trial's trial.json recorded are what a reader elsewhere can check out."""
    from camel_gym.sweep.report import report

    sweep = fake_sweep(tmp_path / "sweep", [("none", 1, 3), ("none", 2, 3), ("llm", 1, 3), ("llm", 2, 1)])
    script = ["python", "/frozen/cleanrl_scripts/td3_camel.py"]
    library = {"path": "/main/camel_gym", "git_commit": "b" * 40, "git_dirty": True}
    start = {"command": [*script, "--seed", "1"], "git_commit": "a" * 40, "git_dirty": False, "library": library}
    resumed = {**start, "command": [*script, "--resume", "run"]}
    (sweep / "trials" / "Hopper-v4__none__seed1" / "trial.json").write_text(json.dumps({"starts": [start, resumed]}))
    old = {"command": script, "git_commit": None, "git_dirty": None, "camel_gym_version": "0.1.0"}
    (sweep / "trials" / "Hopper-v4__llm__seed1" / "trial.json").write_text(json.dumps({"starts": [old]}))
    (sweep / "trials" / "Hopper-v4__llm__seed2" / "trial.json").write_text(json.dumps({"starts": [start, {**old, "library": library}]}))
    manifest = json.loads((sweep / "sweep.json").read_text())
    manifest["trials"]["Hopper-v4__llm__seed3"] = {**manifest["trials"]["Hopper-v4__llm__seed2"], "seed": 3,
                                                   "folder": "trials/Hopper-v4__llm__seed3", "status": "queued"}
    (sweep / "sweep.json").write_text(json.dumps(manifest))

    summary = report(sweep).summary.read_text()
    assert "\n".join([
        "- the script: `td3_camel.py` at commit `aaaaaaa`: 2 trials",
        "- the script: `td3_camel.py` outside a git checkout (camel_gym 0.1.0): 2 trials",
        "- the library: `camel_gym` at commit `bbbbbbb` (its checkout had uncommitted changes): 2 trials",
        "- the library: not recorded: 1 trial",
        "- no `trial.json` (run outside `camel-gym sweep`): 1 trial",
    ]) in summary  # seed 1's resume counts once; the queued seed 3 ran nothing


def test_report_compares_with_the_baseline_trials_of_another_sweep(tmp_path):
    from camel_gym.sweep.report import report

    grid = fake_sweep(tmp_path / "grid", [("none", 1, 3), ("none", 2, 3), ("llm", 1, 3)])
    experiment = fake_sweep(tmp_path / "adaptive", [("llm-adaptive", 1, 3), ("llm-adaptive", 2, 3)])
    alone = report(experiment).summary.read_text()
    assert "| `none` |" not in alone
    summary = report(experiment, baseline_from=grid).summary.read_text()
    summary = summary.split("The same actors evaluated inside the prior's mask")[0]  # the unmasked table
    assert f"camel-gym report {experiment} --baseline-from {grid}" in summary
    (none_row,) = [line for line in summary.splitlines() if line.startswith("| `none` |")]
    (adaptive_row,) = [line for line in summary.splitlines() if line.startswith("| `llm-adaptive` |")]
    assert "| 1.00 [" in adaptive_row  # every adaptive run above every `none` run of the other sweep
    assert "`llm` " not in summary  # only the baseline's trials join
    rows = list(csv.DictReader((experiment / "report" / "evals.csv").open()))
    assert {r["variant"] for r in rows} == {"none", "llm-adaptive"}
    with pytest.raises(ValueError, match="has no `none` trials"):
        report(experiment, baseline_from=experiment)
    short = fake_sweep(tmp_path / "short", [("none", 1, 3)], total=100_000)
    with pytest.raises(ValueError, match="runs 100000 steps per trial"):
        report(experiment, baseline_from=short)
    assert main(["report", str(experiment), "--baseline-from", str(tmp_path / "nowhere")]) == 2


def test_report_shows_the_masked_evaluation_beside_the_unmasked_one(tmp_path):
    from camel_gym.sweep.report import report

    sweep = fake_sweep(tmp_path / "sweep", [("none", 1, 3), ("none", 2, 3), ("llm", 1, 3), ("llm", 2, 3)])
    summary = report(sweep).summary.read_text()
    main_table, masked_table = summary.split("The same actors evaluated inside the prior's mask")
    (llm_row,) = [line for line in main_table.splitlines() if line.startswith("| `llm` |")]
    assert llm_row.startswith("| `llm` | 2 | 152 [")  # unmasked: 100 + 50 + seed at 100k
    assert "| `none` |" not in masked_table  # plain TD3 has no mask to evaluate inside
    (masked_row,) = [line for line in masked_table.splitlines() if line.startswith("| `llm` |")]
    assert masked_row.startswith("| `llm` | 2 | 1002 [") and "P(>" not in masked_table


def test_read_curves_gives_the_numbers_of_the_report(tmp_path):
    from camel_gym.sweep import stats
    from camel_gym.sweep.report import areas_under_curve, read_curves, report, returns_at

    sweep = fake_sweep(tmp_path / "sweep", [("none", 1, 3), ("none", 2, 3), ("llm", 1, 3), ("llm", 2, 1)])
    curves = read_curves(sweep)
    assert curves["Hopper-v4"]["llm"] == {1: {100_000: 151.0, 200_000: 251.0, 300_000: 351.0}, 2: {100_000: 152.0}}
    assert read_curves(sweep, "masked_return_mean")["Hopper-v4"]["llm"][2] == {100_000: 1002.0}
    assert "none" not in read_curves(sweep, "masked_return_mean")["Hopper-v4"]
    none = curves["Hopper-v4"]["none"]
    (row,) = [line for line in report(sweep).summary.read_text().splitlines() if line.startswith("| `none` |")]
    assert row.split(" | ")[2:4] == [stats.iqm(returns_at(none, s), seed=s).text() for s in (100_000, 200_000)]
    assert row.split(" | ")[5] == stats.iqm(areas_under_curve(none)).text()
    with pytest.raises(ValueError, match="expected 'return_mean'"):
        read_curves(sweep, "return_std")
    with pytest.raises(FileNotFoundError, match="is not a sweep directory"):
        read_curves(tmp_path)


def test_report_borrows_a_variant_of_another_sweep_under_a_new_name(tmp_path):
    from camel_gym.sweep.report import report

    grid = fake_sweep(tmp_path / "grid", [("none", 1, 3), ("none", 2, 3), ("llm", 1, 3), ("llm", 2, 3)])
    experiment = fake_sweep(tmp_path / "adaptive", [("llm-adaptive", 1, 3), ("llm-adaptive", 2, 3)])
    summary = report(experiment, baseline_from=grid, variant_from=[f"{grid}:llm=llm-linear"]).summary.read_text()
    summary = summary.split("The same actors evaluated inside the prior's mask")[0]  # the unmasked table
    assert f"--baseline-from {grid} --variant-from {grid}:llm=llm-linear" in summary
    assert f"The `llm-linear` trials are the `llm` trials of the sweep in `{grid}`" in summary
    (linear_row,) = [line for line in summary.splitlines() if line.startswith("| `llm-linear` | 2 |")]
    assert "| 1.00 [" in linear_row  # every borrowed llm run above every `none` run
    rows = list(csv.DictReader((experiment / "report" / "evals.csv").open()))
    assert {r["variant"] for r in rows} == {"none", "llm-adaptive", "llm-linear"}
    assert {r["trial"] for r in rows if r["variant"] == "llm-linear"} == {"Hopper-v4__llm-linear__seed1", "Hopper-v4__llm-linear__seed2"}
    with pytest.raises(ValueError, match="has a `llm-adaptive` variant already"):
        report(experiment, variant_from=[f"{grid}:llm=llm-adaptive"])
    with pytest.raises(ValueError, match="has no `tuned` trials"):
        report(experiment, variant_from=[f"{grid}:tuned"])
    with pytest.raises(ValueError, match="expected SWEEP:VARIANT"):
        report(experiment, variant_from=[str(grid)])
    assert main(["report", str(experiment), "--variant-from", f"{tmp_path / 'nowhere'}:llm"]) == 2


def test_report_tabulates_ratios_of_iqms_for_goals(tmp_path, capsys):
    """--ratio A:B: IQM(A) / IQM(B) at the table's steps and for the AUC, each with an interval."""
    from camel_gym.sweep.report import report

    grid = fake_sweep(tmp_path / "grid", [("none", 1, 3), ("none", 2, 3)])
    experiment = fake_sweep(tmp_path / "adaptive", [("llm-adaptive", 1, 3), ("llm-adaptive", 2, 3)])
    summary = report(experiment, baseline_from=grid, ratios=["llm-adaptive:none"]).summary.read_text()
    assert f"--baseline-from {grid} --ratio llm-adaptive:none" in summary
    (row,) = [line for line in summary.splitlines() if line.startswith("| `llm-adaptive` / `none` |")]
    cells = [c.strip() for c in row.strip("|").split("|")][1:]
    # returns are 100 per 100k steps (+50 for llm-adaptive) + seed; AUC is the curve's mean, 200 (+50) + seed
    expected = [151.5 / 101.5, 251.5 / 201.5, 351.5 / 301.5, 251.5 / 201.5]
    assert [float(c.split(" [")[0]) for c in cells] == pytest.approx(expected, abs=0.005)
    for cell, value in zip(cells, expected):
        low, high = (float(v) for v in cell.split(" [")[1].rstrip("]").split(", "))
        assert low <= round(value, 2) <= high and low < high
    assert "Ratios of IQMs" not in report(experiment, baseline_from=grid).summary.read_text()
    # a variant still running is compared over the steps it has run (here 100k), not over the
    # other's whole run
    running = fake_sweep(tmp_path / "running", [("llm-adaptive", 1, 1), ("llm-adaptive", 2, 1)])
    summary = report(running, baseline_from=grid, ratios=["llm-adaptive:none"]).summary.read_text()
    summary = summary.split("The same actors evaluated inside the prior's mask")[0]  # the unmasked tables
    (row,) = [line for line in summary.splitlines() if line.startswith("| `llm-adaptive` / `none` |")]
    assert row.split("|")[-2].strip().startswith(f"{151.5 / 101.5:.2f} [")
    (p_row,) = [line for line in summary.splitlines() if line.startswith("| `llm-adaptive` | 2 |")]
    assert p_row.split("|")[-2].strip().startswith("1.00 [")  # above `none` over the same 100k
    with pytest.raises(ValueError, match="'llm-linear' is not a variant of this report"):
        report(experiment, baseline_from=grid, ratios=["llm-adaptive:llm-linear"])
    # a denominator with a negative IQM has no ratio; one resample away from it, no interval
    falls = fake_sweep(tmp_path / "falls", [("falls", 1, 3), ("falls", 2, 3), ("llm", 1, 3), ("llm", 2, 3)])
    summary = report(falls, ratios=["llm:falls"]).summary.read_text()
    (row,) = [line for line in summary.splitlines() if line.startswith("| `llm` / `falls` |")]
    assert row.count("– (IQM of the denominator not positive)") == 4
    assert main(["report", str(experiment), "--ratio", "llm-adaptive"]) == 2
    assert "expected VARIANT:VARIANT" in capsys.readouterr().err


def test_report_compares_pairs_of_variants(tmp_path, capsys):
    """--compare A:B: P(A > B) at the table's steps and for the AUC, each with an interval."""
    from camel_gym.sweep.report import report

    specs = [("llm", 1, 3), ("llm", 2, 3), ("expert", 1, 3), ("expert", 2, 3), ("falls", 1, 3), ("falls", 2, 3), ("falls", 3, 3)]
    sweep = fake_sweep(tmp_path / "sweep", [*specs, ("llm", 1, 3, "Walker2d-v4"), ("falls", 1, 3, "Walker2d-v4")])
    assert main(["report", str(sweep), "--compare", "llm:falls", "falls:llm", "llm:expert"]) == 0
    hopper, walker = capsys.readouterr().out.split("## Walker2d-v4")
    # an env without one of a pair's variants leaves that pair out
    assert "P(`llm` > `falls`)" in walker and "expert" not in walker
    summary = hopper
    assert f"camel-gym report {sweep} --compare llm:falls falls:llm llm:expert" in summary

    def cells(pair):
        (row,) = [line for line in summary.splitlines() if line.startswith(f"| P({pair}) |")]
        return [c.strip() for c in row.strip("|").split("|")][1:]

    # at 100k, 200k, 300k and on the AUC: `falls` is 1050 below `llm` throughout, and `expert`
    # has `llm`'s returns exactly (ties count one half)
    assert [c.split(" [")[0] for c in cells("`llm` > `falls`")] == ["1.00"] * 4
    assert [c.split(" [")[0] for c in cells("`falls` > `llm`")] == ["0.00"] * 4
    assert [c.split(" [")[0] for c in cells("`llm` > `expert`")] == ["0.50"] * 4
    assert "- Unequal seeds: `llm` has seeds [1, 2], `falls` has [1, 2, 3]" in summary
    assert "Probability of improvement between variants" not in report(sweep).summary.read_text()
    with pytest.raises(ValueError, match="--compare: 'tuned' is not a variant of this report"):
        report(sweep, compares=["llm:tuned"])
    assert main(["report", str(sweep), "--compare", "llm"]) == 2
    assert "--compare 'llm': expected VARIANT:VARIANT, e.g. llm:expert" in capsys.readouterr().err


def test_ratio_names_the_labels_of_a_set_axis(tmp_path):
    """A variant swept over a --set axis has one label per value; --ratio names those labels."""
    from camel_gym.sweep.report import report

    sweep = fake_sweep(tmp_path / "sweep", [("none", 1, 3), ("none", 2, 3), ("llm", 1, 3), ("llm", 2, 3)])
    manifest = json.loads((sweep / "sweep.json").read_text())
    for trial in manifest["trials"].values():
        if trial["variant"] == "llm":
            trial["label"] = "llm bias=0.1"
    (sweep / "sweep.json").write_text(json.dumps(manifest))
    summary = report(sweep, ratios=["llm bias=0.1:none"]).summary.read_text()
    (row,) = [line for line in summary.splitlines() if line.startswith("| `llm bias=0.1` / `none` |")]
    assert row.split("|")[2].strip().startswith(f"{151.5 / 101.5:.2f} [")
    with pytest.raises(ValueError, match="'llm' is not a variant of this report; its variants: 'llm bias=0.1', 'none'"):
        report(sweep, ratios=["llm:none"])


def test_panel_layout_keeps_the_baseline_first_and_each_variant_one_colour():
    from camel_gym.sweep.report import _panel_layout

    labels = ["none", "a", "b", "c"]
    groups, colours = _panel_layout(labels, [["b", "a"], ["none", "c", "c"]], "none")
    assert groups == [["none", "b", "a"], ["none", "c"]]  # the baseline leads each panel, once; no name twice
    assert len(set(colours.values())) == 4 and set(colours) == set(labels)
    assert _panel_layout(labels, None, "none")[0] == [["none", "a", "b", "c"]]
    assert _panel_layout(["a", "b"], [["a"], ["b"]], "none")[0] == [["a"], ["b"]]  # no baseline in the report
    many = ["none", *(f"v{i:02d}" for i in range(15))]
    colours = _panel_layout(many, None, "none")[1]
    assert len(set(colours.values())) == 16  # past tab10's 10 hues none repeats, the baseline's least of all


def test_panels_draw_each_group_beside_the_baseline(tmp_path, capsys):
    """--panel A,B C: one panel per group; a variant in no group is named under the figure."""
    import matplotlib.image

    from camel_gym.sweep.report import report

    specs = [(v, seed, 3) for v in ("none", "llm-linear", "llm-adaptive", "harmful-linear") for seed in (1, 2)]
    sweep = fake_sweep(tmp_path / "sweep", specs)
    figure = sweep / "report" / "curves_Hopper-v4.png"
    summary = report(sweep).summary.read_text()
    alone = matplotlib.image.imread(figure).shape[1]
    assert "Not in the figure" not in summary
    summary = report(sweep, panels=["llm-linear,llm-adaptive", "harmful-linear"]).summary.read_text()
    assert matplotlib.image.imread(figure).shape[1] > 1.2 * alone  # two panels side by side
    assert "--panel llm-linear,llm-adaptive harmful-linear" in summary  # the command that remakes it
    assert "Not in the figure" not in summary
    summary = report(sweep, panels=["llm-linear,llm-adaptive"]).summary.read_text()
    assert "Not in the figure (in no `--panel` group): `harmful-linear`." in summary
    with pytest.raises(ValueError, match="--panel: 'llm' is not a variant of this report"):
        report(sweep, panels=["llm,llm-linear"])
    assert main(["report", str(sweep), "--panel", "llm-linear,,llm-adaptive"]) == 2
    assert "an empty variant name" in capsys.readouterr().err


def test_an_env_without_a_panels_variants_draws_no_panel_for_them(tmp_path):
    """The paper grid: phase C's priors ran on Hopper-v4 and Ant-v4, not on Walker2d-v4, whose
    figure must not get a panel of the baseline alone."""
    import matplotlib.image

    from camel_gym.sweep.report import report

    specs = [(v, seed, 3, env) for env in ("Hopper-v4", "Walker2d-v4") for v in ("none", "llm") for seed in (1, 2)]
    sweep = fake_sweep(tmp_path / "sweep", specs + [("expert", seed, 3, "Hopper-v4") for seed in (1, 2)])
    report(sweep)
    alone = matplotlib.image.imread(sweep / "report" / "curves_Walker2d-v4.png").shape[1]
    report(sweep, panels=["llm", "expert"])
    assert matplotlib.image.imread(sweep / "report" / "curves_Hopper-v4.png").shape[1] > 1.2 * alone  # two panels
    assert matplotlib.image.imread(sweep / "report" / "curves_Walker2d-v4.png").shape[1] == alone  # `none, llm` only
    # nor a panel that, without its own variants, draws again what an earlier panel draws
    report(sweep, panels=["llm", "llm,expert"])
    assert matplotlib.image.imread(sweep / "report" / "curves_Hopper-v4.png").shape[1] > 1.2 * alone
    assert matplotlib.image.imread(sweep / "report" / "curves_Walker2d-v4.png").shape[1] == alone


def test_four_panels_wrap_into_two_rows_of_two(tmp_path):
    """The paper grid's Hopper-v4 figure once phase D joins: four panels in a row are too narrow to read."""
    import matplotlib.image

    from camel_gym.sweep.report import report

    variants = ("none", "a", "b", "c", "d")
    sweep = fake_sweep(tmp_path / "sweep", [(v, seed, 3) for v in variants for seed in (1, 2)])
    figure = sweep / "report" / "curves_Hopper-v4.png"
    report(sweep, panels=["a", "b"])
    two_high, two_wide = matplotlib.image.imread(figure).shape[:2]
    report(sweep, panels=["a", "b", "c", "d"])
    high, wide = matplotlib.image.imread(figure).shape[:2]
    assert wide == two_wide and high > 1.8 * two_high
    report(sweep, panels=["a", "b", "c"])
    assert matplotlib.image.imread(figure).shape[:2] == (two_high, pytest.approx(1.5 * two_wide, rel=0.05))


def test_made_by_quotes_labels_with_spaces(tmp_path):
    from camel_gym.sweep.report import report

    sweep = fake_sweep(tmp_path / "sweep", [("none", 1, 3), ("llm", 1, 3)])
    manifest = json.loads((sweep / "sweep.json").read_text())
    manifest["trials"]["Hopper-v4__llm__seed1"]["label"] = "llm bias=0.1"
    (sweep / "sweep.json").write_text(json.dumps(manifest))
    summary = report(sweep, ratios=["llm bias=0.1:none"], panels=["llm bias=0.1"]).summary.read_text()
    assert "--ratio 'llm bias=0.1:none' --panel 'llm bias=0.1'" in summary


def test_iqm_ratio_resamples_both_groups():
    x, y = [90.0, 100.0, 110.0, 120.0, 400.0], [40.0, 50.0, 50.0, 60.0, 45.0]
    estimate = iqm_ratio(x, y)
    assert estimate.value == pytest.approx(stats.trim_mean(x, 0.25) / stats.trim_mean(y, 0.25))
    assert estimate.low < estimate.value < estimate.high and estimate.n == 5
    # the interval widens with the denominator's spread, not only the numerator's
    wide, narrow = iqm_ratio(x, [30.0, 45.0, 50.0, 55.0, 70.0]), iqm_ratio(x, [49.0, 50.0, 50.0, 51.0, 50.0])
    assert wide.value == narrow.value == pytest.approx(110 / 50)  # equal IQMs, unequal spreads
    assert narrow.high - narrow.low < wide.high - wide.low
    with pytest.raises(ValueError, match="a ratio needs a positive one"):
        iqm_ratio(x, [-5.0, 0.0, 1.0])
    # some resamples of [-300, 1, 2, 3] have no positive IQM: no interval rather than a wrong one
    assert np.isnan(iqm_ratio(x, [-300.0, 1.0, 2.0, 3.0]).low)


def test_iqm_trims_a_quarter_on_each_side():
    scores = [1.0, 2.0, 3.0, 4.0, 100.0, 6.0, 7.0, 8.0]
    estimate = iqm(scores)
    assert estimate.value == pytest.approx(stats.trim_mean(scores, 0.25)) == pytest.approx(np.mean([3, 4, 6, 7]))
    assert estimate.low <= estimate.value <= estimate.high and estimate.n == 8
    assert iqm(scores, seed=3) == iqm(scores, seed=3)


def test_interval_needs_two_runs():
    assert np.isnan(iqm([5.0]).low) and iqm([5.0]).text() == "5 (n=1)"
    assert iqm([]).text() == "–"
    band = mean_with_ci([1.0, 2.0, 3.0, 10.0])
    assert band.low < band.value == 4.0 < band.high


def test_probability_of_improvement_is_mann_whitney_u_over_nm():
    rng = np.random.default_rng(0)
    x, y = rng.normal(1.0, 1.0, 7), rng.normal(0.0, 1.0, 5)
    estimate = probability_of_improvement(x, y)
    u = stats.mannwhitneyu(x, y).statistic
    assert estimate.value == pytest.approx(u / 35)
    assert estimate.value == pytest.approx(np.mean([[a > b for b in y] for a in x]))
    assert estimate.low <= estimate.value <= estimate.high
    assert probability_of_improvement([1.0, 2.0], [1.0, 2.0]).value == 0.5  # ties count a half
