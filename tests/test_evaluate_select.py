"""`camel-gym evaluate` and `camel-gym select` on a run directory of hand-written Hopper-v4 candidates."""

import csv
import json
import re
import subprocess
from pathlib import Path

import gymnasium as gym
import pytest

import camel_gym.pipeline.evaluate as evaluation
import camel_gym.pipeline.select as selection
from camel_gym import load_policy
from camel_gym.priors import handtuned_prior
from camel_gym.pipeline.cli import main
from camel_gym.pipeline.evaluate import evaluate_run
from camel_gym.pipeline.select import install_prior, select_run
from camel_gym.records import (
    CandidateStatus,
    Episode,
    EvaluationSummary,
    ProbeResult,
    Selection,
    TrainingEvalRow,
    TrainingSummary,
    write_eval_csv,
)

STAND = """import numpy as np

def policy(obs):
    return np.clip(-2.0 * obs[2:5] - 0.2 * obs[8:11], -1.0, 1.0)
"""
BANG = """import numpy as np

def policy(obs):
    return np.where(obs[8:11] > 0, -1.0, 1.0)
"""


def flaky(shipped: str) -> str:
    """A hopping prior, failing whenever the torso runs faster than 2.5 m/s (never in the load trial)."""
    return shipped.replace("def policy(", "def base_policy(") + (
        "\n\ndef policy(obs):\n    if obs[5] > 2.5:\n        raise ValueError('too fast')\n    return base_policy(obs)\n"
    )


@pytest.fixture
def run_dir(tmp_path, make_run):
    """A run as `camel-gym generate` leaves it: c00 hops, c01 stands still, c02 is bang-bang, c03 fails at speed, c04 invalid.

    c00 is the hand-tuned Hopper prior: the one that ships hops at ~15 m per episode.
    """
    shipped = handtuned_prior("Hopper-v4").read_text()
    return make_run(
        tmp_path, valid={"c00": shipped, "c01": STAND, "c02": BANG, "c03": flaky(shipped)},
        invalid={"c04": "no usable code in the reply"},
    )


def test_evaluate_ranks_by_the_robust_score_not_by_return(run_dir):
    summary = evaluate_run(run_dir, episodes=3, seed=0, progress=False, log=lambda line: None)
    assert EvaluationSummary.read(run_dir / "evaluation" / "summary.json") == summary
    rows = {r.name: r for r in summary.candidates}
    assert [r.name for r in summary.candidates][-1] == "c04" and rows["c04"].rank is None
    ranked = summary.ranked
    assert [r.rank for r in ranked] == [1, 2, 3, 4]
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert ranked[0].name == "c00" and rows["c00"].forward_mean > 5
    # standing still earns the survival bonus: more return than the flaky hopper, yet ranked below it
    assert rows["c01"].return_mean > 900 and abs(rows["c01"].forward_mean) < 0.2
    assert rows["c01"].return_mean > rows["c03"].return_mean and rows["c03"].rank < rows["c01"].rank
    assert rows["c02"].saturation == 1.0 and rows["c02"].failure_rate == 1.0
    assert 0 < rows["c03"].prior_error_rate < 1 and rows["c00"].prior_error_rate == 0
    assert rows["c00"].failure_rate <= 1 / 3 and rows["c01"].failure_rate == 0
    # the metrics are those of the episode records on disk, one JSON object per line
    records = [Episode.from_json(line) for line in (run_dir / "evaluation" / "c03.jsonl").read_text().splitlines()]
    assert [r.seed for r in records] == [0, 1, 2]
    steps = sum(r.length for r in records)
    assert rows["c03"].prior_error_rate == pytest.approx(sum(r.prior_errors for r in records) / steps)
    assert rows["c03"].return_mean == pytest.approx(sum(r.return_ for r in records) / 3)
    # the same table in CSV and Markdown
    table = list(csv.DictReader((run_dir / "evaluation" / "summary.csv").open()))
    assert [r["name"] for r in table] == [r.name for r in summary.candidates]
    assert float(table[0]["score"]) == pytest.approx(ranked[0].score)
    md = (run_dir / "evaluation" / "summary.md").read_text()
    assert md.count("\n| ") == 5 and "P25" in md and "no usable code" in md


def test_every_json_the_stages_write_is_strict(run_dir):
    """A NaN metric (np.percentile of a NaN progress, say) is written as null, which strict parsers read."""
    evaluate_run(run_dir, episodes=1, progress=False, log=lambda line: None)
    path = run_dir / "evaluation" / "summary.json"
    summary = EvaluationSummary.read(path)
    summary.ranked[0].score = float("nan")
    summary.write(path)

    def refuse(token):
        raise ValueError(f"non-strict JSON token {token}")

    assert json.loads(path.read_text(), parse_constant=refuse)["candidates"][0]["score"] is None


def test_an_interrupted_evaluation_plays_only_the_missing_episodes(run_dir, monkeypatch):
    first = evaluate_run(run_dir, episodes=3, progress=False, log=lambda line: None)
    records = run_dir / "evaluation" / "c01.jsonl"
    lines = records.read_text().splitlines()
    records.write_text(lines[0] + "\n" + lines[1][: len(lines[1]) // 2])  # killed while writing the second episode
    played = []
    real = evaluation.run_episode
    monkeypatch.setattr(evaluation, "run_episode", lambda env, policy, seed: played.append(seed) or real(env, policy, seed))
    second = evaluate_run(run_dir, episodes=3, progress=False, log=lambda line: None)
    assert played == [1, 2]
    assert [(r.name, r.score) for r in second.candidates] == [(r.name, r.score) for r in first.candidates]
    played.clear()
    evaluate_run(run_dir, episodes=4, progress=False, log=lambda line: None)  # one more seed each
    assert played == [3, 3, 3, 3]


@pytest.mark.parametrize(
    ("env_id", "has_forward"), [("Hopper-v4", True), ("Swimmer-v4", True), ("InvertedPendulum-v4", False), ("Reacher-v4", False)]
)
def test_forward_progress_only_where_x_is_the_way_forward(env_id, has_forward):
    # qpos[0] is the root's x only in the locomotion envs: InvertedPendulum's is the cart, Reacher's
    # a joint angle, and ranking by them would put a prior that pushes the cart away first
    from camel_gym.evaluation import run_episode

    episode = run_episode(gym.make(env_id), None, seed=0, max_steps=20)
    assert (episode.forward is not None) == has_forward


def test_evaluate_cli_and_its_errors(run_dir, tmp_path, capsys):
    assert main(["evaluate", "--run-dir", str(run_dir), "--episodes", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^1\s+c00\s", out, re.M) and "c04" in out and "invalid" in out and "summary.{md,csv,json}" in out
    assert main(["evaluate", "--run-dir", str(tmp_path / "nothing")]) == 2
    assert "not a camel-gym run directory" in capsys.readouterr().err
    assert main(["evaluate", "--run-dir", str(run_dir), "--episodes", "0"]) == 2
    assert "episodes must be >= 1, got 0" in capsys.readouterr().err  # refused up front, not by a later failure


def test_select_by_score_and_install_with_provenance(run_dir, tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="camel-gym evaluate"):
        select_run(run_dir)
    evaluate_run(run_dir, episodes=2, progress=False, log=lambda line: None)
    dest = tmp_path / "policies"
    dest.mkdir()
    result = select_run(run_dir, install=True, install_dir=dest, log=lambda line: None)
    assert result.chosen == "c00" and result.chosen_by == "score" and result.probes == {} and result.probe_settings is None
    assert [e.name for e in result.ranking][:1] == ["c00"] and len(result.ranking) == 4
    installed = dest / "hopper_v4.py"
    assert result.installed == str(installed)
    text = installed.read_text()
    assert "test-model" in text and "ab" * 32 in text and "candidate c00" in text and "Chosen by `camel-gym select`" in text
    assert text.endswith(handtuned_prior("Hopper-v4").read_text())  # c00's code, unchanged
    load_policy(installed, env=gym.make("Hopper-v4"))
    assert Selection.read(run_dir / "selection" / "selection.json") == result
    # never overwrite silently; --force keeps the replaced file with the run
    with pytest.raises(FileExistsError, match="--force"):
        install_prior(run_dir, "c01", dest)
    install_prior(run_dir, "c01", dest, force=True)
    assert (run_dir / "selection" / "replaced_hopper_v4.py").read_text() == text
    assert "Selected by hand" in installed.read_text() and installed.read_text().endswith(STAND)
    # a second --force keeps the first backup and adds one
    second = installed.read_text()
    install_prior(run_dir, "c00", dest, force=True)
    assert (run_dir / "selection" / "replaced_hopper_v4.py").read_text() == text
    assert (run_dir / "selection" / "replaced_hopper_v4.1.py").read_text() == second
    # an install that would be refused is refused before any probe runs (the probe script is missing)
    with pytest.raises(FileExistsError, match="--force"):
        select_run(run_dir, probe_top_k=1, td3_script=tmp_path / "no_such_td3.py", install=True, install_dir=dest)
    with pytest.raises(ValueError, match="not a valid candidate"):
        install_prior(run_dir, "c04", dest)
    assert main(["select", "--run-dir", str(run_dir), "--install", "--install-dir", str(dest)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err


def test_select_refuses_an_evaluation_older_than_the_candidates(run_dir):
    evaluate_run(run_dir, episodes=1, progress=False, log=lambda line: None)
    folder = run_dir / "candidates" / "c05"
    folder.mkdir()
    (folder / "policy.py").write_text(STAND)
    CandidateStatus(name="c05", status="valid", attempts=1).write(folder / "status.json")
    with pytest.raises(ValueError, match="re-run `camel-gym evaluate`"):
        select_run(run_dir)


def test_probes_train_td3_with_the_top_candidates_and_resume(run_dir, monkeypatch):
    evaluate_run(run_dir, episodes=2, progress=False, log=lambda line: None)
    result = select_run(run_dir, probe_top_k=2, probe_steps=300, probe_eval_episodes=2, log=lambda line: None)
    assert set(result.probes) == {"_none", "c00", "c03"}
    # the probes ran the td3_camel.py installed with the package
    assert result.probe_settings.td3_script == str(selection.default_td3_script())
    for key, p in result.probes.items():
        run = run_dir / "selection" / "probes" / key / Path(p.run_dir).name
        args = json.loads((run / "args.json").read_text())
        assert args["total_timesteps"] == 300 and args["masking"] == ("none" if key == "_none" else "llm")
        assert args["mask_fraction"] == 0.5 and args["learning_starts"] == 60 and args["eval_episodes"] == 2
        # judged once the mask is gone: the evaluations at 150, 225 and 300 of 300 steps, 2 episodes each
        assert p.eval_steps == [75, 150, 225, 300] and p.value == pytest.approx(sum(p.eval_returns[1:]) / 3)
        assert p.stderr >= 0 and p.prior_errors == 0 and not (run / "checkpoint.pt").exists()
    first = result.ranking[0]
    assert first.name == result.chosen and None not in (first.probe_value, first.probe_stderr, first.vs_baseline)
    assert "probe: eval return after the mask" in (run_dir / "selection" / "selection.md").read_text()
    # finished probes are reused, not run again, also when select runs from another directory
    monkeypatch.setattr(selection.subprocess, "run", lambda *a, **k: pytest.fail("a finished probe ran again"))
    monkeypatch.chdir(run_dir.parent)
    again = select_run(run_dir.name, probe_top_k=2, probe_steps=300, probe_eval_episodes=2, log=lambda line: None)
    assert again.chosen == result.chosen and again.probes["c03"].value == result.probes["c03"].value


@pytest.mark.parametrize(
    "values, chosen, by, vs",
    [
        # c03 (score rank 2) probes clearly better than c00 (rank 1): the probe decides
        ({"_none": (100, 10), "c00": (150, 10), "c03": (300, 10)}, "c03", "probe", {"c00": "better", "c03": "better"}),
        # better, but within noise: the score decides
        ({"_none": (100, 10), "c00": (150, 30), "c03": (200, 30)}, "c00", "score", {"c00": "within noise", "c03": "better"}),
        # c00's probe failed: the best probe that ran decides
        ({"_none": (100, 10), "c00": (None, None), "c03": (90, 10)}, "c03", "probe", {"c00": None, "c03": "within noise"}),
        # both clearly worse than no mask: the score decides, with a warning
        ({"_none": (300, 10), "c00": (100, 10), "c03": (90, 10)}, "c00", "score", {"c00": "worse", "c03": "worse"}),
    ],
)
def test_how_probes_decide(run_dir, monkeypatch, values, chosen, by, vs):
    def fake_probe(env_id, masking, out_dir, **kw):
        value, stderr = values[out_dir.name]
        return ProbeResult(value=value, stderr=stderr, error=None if value is not None else "crashed")

    monkeypatch.setattr(selection, "probe", fake_probe)
    evaluate_run(run_dir, episodes=2, progress=False, log=lambda line: None)
    result = select_run(run_dir, probe_top_k=2, log=lambda line: None)
    assert (result.chosen, result.chosen_by) == (chosen, by)
    assert result.ranking[0].name == chosen and len(result.ranking) == 4
    assert {e.name: e.vs_baseline for e in result.ranking if e.name in vs} == vs
    assert (result.warning is not None) == ("worse" in vs.values())
    assert ("| failed |" in (run_dir / "selection" / "selection.md").read_text()) == (values["c00"][0] is None)


def test_a_failing_probe_is_recorded_and_the_score_decides(run_dir, tmp_path):
    evaluate_run(run_dir, episodes=1, progress=False, log=lambda line: None)
    broken = tmp_path / "td3_broken.py"
    broken.write_text("import sys\nprint('out of memory, say')\nsys.exit(3)\n")
    result = select_run(run_dir, probe_top_k=1, probe_steps=200, td3_script=broken, log=lambda line: None)
    assert "exited with code 3" in result.probes["c00"].error and "out of memory, say" in result.probes["c00"].error
    assert result.chosen_by == "score" and result.chosen == "c00" and result.probe_settings.td3_script == str(broken)
    with pytest.raises(FileNotFoundError, match="--td3-script"):
        select_run(run_dir, probe_top_k=1, td3_script=tmp_path / "missing.py")


def test_an_interrupted_probe_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    out = tmp_path / "probe"
    killed_early = out / "Hopper-v4__td3_camel__llm__1__100"  # killed before its first checkpoint
    killed_later = out / "Hopper-v4__td3_camel__llm__1__200"
    for run in (killed_early, killed_later):
        run.mkdir(parents=True)
        (run / "args.json").write_text(json.dumps({
            "env_id": "Hopper-v4", "masking": "llm", "seed": 1, "total_timesteps": 400, "eval_episodes": 3, "policy": "p.py",
        }))
    (killed_later / "checkpoint.pt").write_bytes(b"state")
    commands = []

    def fake_run(command, **kw):  # finishes the resumed run as td3_camel.py would
        commands.append(command)
        write_eval_csv(killed_later, [
            TrainingEvalRow(global_step=step, return_mean=mean, return_std=std, length_mean=5.0, episodes=2, wall_seconds=1.0)
            for step, mean, std in [(100, 1.0, 0.0), (200, 10.0, 2.0), (400, 20.0, 2.0)]
        ])
        TrainingSummary(
            env_id="Hopper-v4", masking="llm", seed=1, total_timesteps=400, last_eval_return=20.0, episodes=3,
            prior_errors=0, learning_steps_per_second=100.0, update_share_of_learning_time=0.8, replay_buffer_bytes=1,
            device="cpu", torch_threads=1,
        ).write(killed_later / "summary.json")
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(selection.subprocess, "run", fake_run)
    result = selection.probe("Hopper-v4", "llm", out, policy="p.py", steps=400, td3_script=Path(selection.__file__))
    assert commands[0][-2:] == ["--resume", str(killed_later)] and not killed_early.exists()
    assert result.eval_steps == [100, 200, 400] and result.value == pytest.approx(15.0)
    assert not (killed_later / "checkpoint.pt").exists()
    # other settings: a new run beside the finished one, which is kept
    commands.clear()
    monkeypatch.setattr(selection.subprocess, "run", lambda command, **kw: commands.append(command) or subprocess.CompletedProcess(command, 1))
    (out / "log.txt").write_text("")
    with pytest.raises(RuntimeError, match="exited with code 1"):
        selection.probe("Hopper-v4", "llm", out, policy="p.py", steps=800, td3_script=Path(selection.__file__))
    assert "--resume" not in commands[0] and commands[0][commands[0].index("--total-timesteps") + 1] == "800"
    assert (killed_later / "summary.json").exists()


def test_prior_table_rewrites_only_the_marked_table(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- prior-table:begin -->\nold\n<!-- prior-table:end -->\noutro\n")
    assert main(["prior-table", "--episodes", "1", "--write-readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old" not in text
    assert "| `hopper_v4.py` (LLM) on Hopper-v4 |" in text and "| random on Ant-v4 |" in text
    assert "| `handtuned/walker2d_v4.py` on Walker2d-v4 |" in text
    assert "seeds 0..0" in text and "`camel-gym prior-table --write-readme llm_policies/README.md`" in text
    assert "| random on Walker2d-v4 |" in capsys.readouterr().out
    # no markers: an error before minutes of evaluation, and the file is left alone
    readme.write_text("no markers")
    assert main(["prior-table", "--write-readme", str(readme)]) == 2
    assert "no <!-- prior-table:begin --> ... <!-- prior-table:end --> markers" in capsys.readouterr().err
    assert readme.read_text() == "no markers"


def test_the_moved_evaluate_names_still_import_with_a_warning():
    import camel_gym.pipeline.evaluate as stage

    with pytest.warns(DeprecationWarning, match="camel_gym.pipeline.evaluate.evaluate_run"):
        from camel_gym.evaluation import evaluate_run as old
    assert old is stage.evaluate_run
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        import camel_gym.evaluation

        camel_gym.evaluation.nothing  # noqa: B018
