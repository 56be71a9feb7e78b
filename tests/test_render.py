"""The render stage: clips of a fake run directory (no LLM), resuming, and the HTML report, in a real browser too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import imageio.v3 as iio
import markupsafe
import pytest
from PIL import Image

from camel_gym.pipeline import render, report
from camel_gym.records import (
    CandidateStatus,
    EvaluationRow,
    EvaluationSummary,
    ProbeResult,
    RankingEntry,
    Selection,
    write_json,
)

ENV_ID = "Hopper-v4"
# tiny clips keep this fast: 60 steps, frames 0, 4, ..., 60
SMALL = {"max_steps": 60, "every": 4, "width": 64, "height": 48, "fps": 25}
FRAMES = SMALL["max_steps"] // SMALL["every"] + 1

PD = "import numpy as np\ndef policy(obs):\n    return np.clip(-1.0 * obs[2:5], -1, 1)\n"
# The sandbox's trial calls a prior 48 times in a child process and rejects one that fails
# there; this one only fails from its 51st call on (every third call), i.e. in the episode.
FLAKY = """import numpy as np
calls = [0]
def policy(obs):
    calls[0] += 1
    if calls[0] > 50 and calls[0] % 3 == 0:
        raise ValueError("flaky prior")
    return np.clip(-1.0 * obs[2:5], -1, 1)
"""
FLAKY_ERRORS = len([i for i in range(51, SMALL["max_steps"] + 1) if i % 3 == 0])
REJECTED = "import os\ndef policy(obs):\n    return obs[:3]\n"  # valid when generated, refused at load now
EVIL = 'bad code <script>alert("pwned")</script> & more'


# the fake run these tests render: its candidates by outcome (built by conftest's make_run) ...
CANDIDATES = {
    "valid": {"c00": PD, "c01": FLAKY, "c03": REJECTED},
    "invalid": {"c02": EVIL},
    "interrupted": ["c04"],  # no status.json: counts as request_failed
}
# ... and what evaluate and select would have written for it
_RANKED = {"status": "valid", "return_std": 3.0, "length_mean": 1000.0, "forward_p25": 0.1, "failure_rate": 0.0,
           "saturation": 0.25, "prior_error_rate": 0.0}
EVALUATION = EvaluationSummary(
    env_id=ENV_ID, episodes=10, seed=0, seconds=1.0,
    score_definition="SCORE-DEF: mean forward progress, minus a penalty for falls",
    candidates=[
        EvaluationRow(name="c01", rank=1, score=1.5, return_mean=321.0, forward_mean=0.4, **_RANKED),
        EvaluationRow(name="c00", rank=2, score=1.25, return_mean=300.0, forward_mean=None, **_RANKED),
        EvaluationRow(name="c02", status="invalid", error=EVIL),
        EvaluationRow(name="c03", status="invalid", error="PolicyRejected: import of os"),
        EvaluationRow(name="c04", status="request_failed", error="no reply"),
    ],
)
SELECTION = Selection(
    env_id=ENV_ID, chosen="c01", chosen_by="probe", baseline_probe_value=210.0, score_definition="SCORE-DEF",
    time="2025-01-01T00:00:00+0000", probes={"c01": ProbeResult(value=512.25, stderr=20.0)},
    ranking=[
        RankingEntry(position=1, name="c01", score=1.5, score_rank=1, probe_value=512.25, probe_stderr=20.0,
                     vs_baseline="better"),
        RankingEntry(position=2, name="c00", score=1.25, score_rank=2),
    ],
)


@pytest.fixture(scope="session")
def fake_run(make_run):
    """``fake_run(root, evaluation=True)``: the fake run in ``root/run``, evaluated and selected or not."""

    def build(root: Path, evaluation: bool = True) -> Path:
        done = {"evaluation": EVALUATION, "selection": SELECTION} if evaluation else {}
        return make_run(root, env_id=ENV_ID, **CANDIDATES, **done)

    return build


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, fake_run) -> Path:
    """One fake run, rendered once; tests that change it work on a copy."""
    run = fake_run(tmp_path_factory.mktemp("render"))
    render.render_run(run, progress=False, log=lambda _: None, **SMALL)
    return run


@pytest.fixture
def copy(rendered: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(rendered, tmp_path / "run"))


def _gif_frames(path: Path) -> tuple[int, int]:
    """(frames, total duration in ms) of a GIF, straight from Pillow."""
    with Image.open(path) as im:
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
    return len(durations), sum(durations)


def test_clips_and_records(rendered: Path) -> None:
    out = rendered / "render"
    for name, errors in (("c00", 0), ("c01", FLAKY_ERRORS)):
        record = json.loads((out / f"{name}.json").read_text())
        assert record["error"] is None and record["clip"] == f"render/{name}.gif"
        assert record["steps"] == SMALL["max_steps"] and not record["terminated"]
        assert record["frames"] == FRAMES and record["prior_errors"] == errors
        assert record["settings"]["every"] == SMALL["every"] and record["settings"]["format"] == "gif"
        assert record["policy_sha256"] and record["seconds"] > 0
        frames = iio.imread(out / f"{name}.gif", index=None)
        assert frames.shape[1:3] == (SMALL["height"], SMALL["width"])
        # Pillow merges identical consecutive frames into one, adding up their durations
        n, ms = _gif_frames(out / f"{name}.gif")
        assert n == len(frames) and 1 < n <= FRAMES
        assert ms == FRAMES * 1000 // SMALL["fps"]
    assert FLAKY_ERRORS > 0
    rejected = json.loads((out / "c03.json").read_text())
    assert rejected["clip"] is None and "PolicyRejected" in rejected["error"] and "os" in rejected["error"]
    assert not (out / "c03.gif").exists()
    assert not (out / "c02.json").exists() and not (out / "c04.json").exists()  # only valid ones are rendered
    assert not list(out.glob("*.tmp*"))


def test_resume_skips_and_settings_change_rerenders(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = render.render_candidate

    def counted(policy, *args, **kwargs):
        calls.append(Path(policy).parent.name)
        return real(policy, *args, **kwargs)

    monkeypatch.setattr(render, "render_candidate", counted)
    gif = copy / "render" / "c00.gif"
    before = gif.stat().st_mtime_ns
    logs: list[str] = []
    render.render_run(copy, progress=False, log=logs.append, **SMALL)
    # the rejected c03 has no clip, so it is tried again; the two rendered ones are skipped
    assert calls == ["c03"] and gif.stat().st_mtime_ns == before
    assert "2 up to date" in logs[-1]

    calls.clear()
    render.render_run(copy, progress=False, log=logs.append, **{**SMALL, "max_steps": 8})
    assert calls == ["c00", "c01", "c03"] and gif.stat().st_mtime_ns != before
    record = json.loads((copy / "render" / "c00.json").read_text())
    assert record["steps"] == 8 and record["settings"]["max_steps"] == 8 and record["frames"] == 3

    calls.clear()
    (copy / "candidates" / "c00" / "policy.py").write_text(PD.replace("-1.0", "-0.5"))  # a changed policy
    render.render_run(copy, progress=False, log=logs.append, **{**SMALL, "max_steps": 8})
    assert calls == ["c00", "c03"]


def test_render_candidate_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_run) -> None:
    policy = tmp_path / "policy.py"
    policy.write_text(PD)
    with pytest.raises(ValueError, match="format"):
        render.render_candidate(policy, ENV_ID, tmp_path / "clip.avi")
    with pytest.raises(ValueError, match="every"):
        render.render_candidate(policy, ENV_ID, tmp_path / "clip.gif", every=0)
    monkeypatch.setitem(__import__("sys").modules, "imageio_ffmpeg", None)  # as if not installed
    with pytest.raises(RuntimeError, match="pip install imageio-ffmpeg"):
        render.render_candidate(policy, ENV_ID, tmp_path / "clip.mp4")
    with pytest.raises(RuntimeError, match="pip install imageio-ffmpeg"):
        render.render_run(fake_run(tmp_path), fmt="mp4", progress=False, log=lambda _: None)
    assert not list(tmp_path.glob("clip*"))


def test_mp4(tmp_path: Path) -> None:
    pytest.importorskip("imageio_ffmpeg", reason="MP4 clips need imageio-ffmpeg, an optional package")
    policy = tmp_path / "policy.py"
    policy.write_text(PD)
    stats = render.render_candidate(policy, ENV_ID, tmp_path / "clip.mp4", **SMALL)
    frames = iio.imread(tmp_path / "clip.mp4", index=None, plugin="FFMPEG")
    assert len(frames) == stats["frames"] == FRAMES and frames.shape[1:3] == (SMALL["height"], SMALL["width"])


def test_report(rendered: Path) -> None:
    page = (rendered / "report.html").read_text()
    for name in ("c00", "c01", "c02", "c03", "c04"):
        assert f'data-candidate="{name}"' in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; &amp; more" in page
    assert 'class="candidate selected" id="c01"' in page and '<span class="badge selected">selected</span>' in page
    assert page.count('class="candidate selected"') == 1
    assert 'src="render/c00.gif"' in page and 'src="render/c01.gif"' in page and "render/c03.gif" not in page
    assert '<table class="metrics">' in page and "SCORE-DEF: mean forward progress" in page
    assert "321.0 ± 3.0" in page and "not evaluated yet" not in page
    assert '<table class="metrics selection">' in page and "<td>512.2 ± 20.0</td><td>better</td>" in page
    assert "Chosen: <strong>c01</strong>, by probe." in page and "No-mask baseline probe: 210.0." in page
    assert "test-model" in page and "llm.example" in page and "abababababab" in page and "ab" * 13 not in page
    # self-contained: nothing is fetched from elsewhere
    assert "http://" not in page and "https://" not in page and "<link" not in page
    # ranked candidates first
    assert page.index('data-candidate="c01"') < page.index('data-candidate="c00"') < page.index('data-candidate="c02"')


def test_report_without_evaluation(tmp_path: Path, fake_run) -> None:
    run = fake_run(tmp_path, evaluation=False)
    page = report.write_report(run).read_text()
    assert "not evaluated yet: run <code>camel-gym evaluate</code>" in page and '<table class="metrics">' not in page
    assert "not rendered yet" in page and 'class="candidate selected"' not in page
    assert "not selected yet: run <code>camel-gym select</code>" in page
    assert all(f'data-candidate="{n}"' in page for n in ("c00", "c01", "c02", "c03", "c04"))


# ---------------------------------------------------------------------------------------------
# the report in a real browser: does every clip load, and does a missing one say so?


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    why = "no Chromium binary (chromium, chromium-browser, google-chrome) on PATH"
    if os.environ.get("CAMEL_GYM_REQUIRE_CHROMIUM") == "1":
        pytest.fail(why + ", and CAMEL_GYM_REQUIRE_CHROMIUM=1 says the browser test must run")
    pytest.skip(why)


class _Figures(HTMLParser):
    """Each candidate figure's attributes, the attributes of its clip, and its missing-clip message."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, dict] = {}
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "figure" and "data-candidate" in a:
            self._current = a["data-candidate"]
            self.figures[self._current] = {"attrs": a, "img": None, "missing": None}
        elif self._current and tag in ("img", "video") and "clip" in (a.get("class") or ""):
            self.figures[self._current]["img"] = a
        elif self._current and tag == "p" and "missing" in (a.get("class") or ""):
            self.figures[self._current]["missing"] = a

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._current = None


def _dom(page: Path, profile: Path) -> str:
    """The DOM of ``page`` after Chromium has loaded it and run its scripts, as HTML."""
    done = subprocess.run(
        [
            _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", page.resolve().as_uri(),
        ],
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _dump(report: Path, profile: Path) -> dict[str, dict]:
    parser = _Figures()
    parser.feed(_dom(report, profile))
    assert parser.figures, "no candidate figures in the dumped DOM"
    return parser.figures


def test_report_in_browser(copy: Path, tmp_path: Path) -> None:
    figures = _dump(copy / "report.html", tmp_path / "profile")
    assert set(figures) == {"c00", "c01", "c02", "c03", "c04"}
    for name in ("c00", "c01"):  # valid and rendered: the clip loaded
        assert figures[name]["attrs"]["data-status"] == "valid"
        assert figures[name]["img"]["data-loaded"] == "yes", figures[name]
        assert "hidden" in figures[name]["missing"]
    for name in ("c02", "c03", "c04"):  # not valid, or not renderable: no clip at all
        assert figures[name]["img"] is None
    assert figures["c01"]["attrs"].get("data-selected") == "yes"

    (copy / "render" / "c00.gif").unlink()
    figures = _dump(copy / "report.html", tmp_path / "profile")
    assert figures["c00"]["img"]["data-loaded"] == "no"
    assert "hidden" not in figures["c00"]["missing"]  # "clip missing — re-run camel-gym render" shows
    assert figures["c01"]["img"]["data-loaded"] == "yes"


# ---------------------------------------------------------------------------------------------
# the report shows untrusted LLM output: none of it may run as script in the reader's browser

# each part, if it ran, would retitle the page and mark the root element
SCRIPT = '<script>document.title = "pwned"; document.documentElement.setAttribute("data-pwned", "script")</script>'
IMG = '"><img src=x onerror="document.title=\'pwned\'; document.documentElement.setAttribute(\'data-pwned\', \'img\')">'
PAYLOAD = f"{SCRIPT} {IMG}"


class _Dom(HTMLParser):
    """What an injected payload would leave in a DOM: its title, script and img elements, marked elements, texts."""

    def __init__(self) -> None:
        super().__init__()
        self.title, self.scripts, self.imgs, self.marked, self.texts = "", 0, [], [], []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.scripts += tag == "script"
        if tag == "img":
            self.imgs.append(a)
        if "data-pwned" in a or any(name.startswith("on") for name in a):
            self.marked.append((tag, a))
        if tag in ("title", "pre", "code", "td", "dd"):
            self._in.append(tag)
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if self._in:
            self.texts[-1] += data
            if self._in[-1] == "title":
                self.title += data


def _hostile_run(root: Path, fake_run) -> Path:
    """A run whose every LLM-made (or LLM-influenced) text carries PAYLOAD."""
    run = fake_run(root)
    meta = json.loads((run / "meta.json").read_text())
    write_json(run / "meta.json", {**meta, "model": PAYLOAD})
    valid = run / "candidates" / "c00"
    (valid / "policy.py").write_text(PD + f"# {PAYLOAD}\n")
    (valid / "attempt0.md").write_text(f"Here is my prior. {PAYLOAD}\n```python\n{PD}```\n")
    invalid = run / "candidates" / "c02"
    (invalid / "attempt1.py").write_text(f"def policy(obs):\n    return '{PAYLOAD}'\n")
    (invalid / "attempt1.md").write_text(f"I cannot. {PAYLOAD}")
    (invalid / "attempt0.md").write_text("an older reply, not shown")
    CandidateStatus(name="c02", status="invalid", attempts=2, error=PAYLOAD).write(invalid / "status.json")
    (run / "render").mkdir()
    settings = {"env_id": ENV_ID, "env_kwargs": {}, "seed": 0, "format": "gif", **SMALL}
    record = {"settings": settings, "policy_sha256": None, "rendered_at": "2025-01-01T00:00:00+0000"}
    write_json(run / "render" / "c00.json", {**record, "name": "c00", "clip": IMG, "error": None, "steps": 60, "return": 1.0})
    write_json(run / "render" / "c03.json", {**record, "name": "c03", "clip": None, "error": PAYLOAD})
    summary = json.loads((run / "evaluation" / "summary.json").read_text())
    summary["score_definition"] = PAYLOAD
    summary["candidates"][2]["error"] = PAYLOAD
    write_json(run / "evaluation" / "summary.json", summary)
    selection = json.loads((run / "selection" / "selection.json").read_text())
    write_json(run / "selection" / "selection.json", {**selection, "warning": PAYLOAD, "installed": PAYLOAD})
    return run


def test_report_escapes_llm_output(tmp_path: Path, fake_run) -> None:
    page = report.write_report(_hostile_run(tmp_path, fake_run)).read_text()
    assert "<script>document" not in page and "<img src=x" not in page and "onerror=" not in page.replace("onerror=&#34;", "")
    escaped = str(markupsafe.escape(PAYLOAD))
    # the error of c02 and c03's render, the model, the score definition, the warning, the code, the reply
    assert page.count(escaped) >= 8
    assert "I cannot. " + escaped in page and "an older reply" not in page
    assert 'src="render/&#34;&gt;&lt;img src=x onerror=' in page  # a hostile clip name stays inside its attribute


def test_report_runs_no_injected_script_in_browser(tmp_path: Path, fake_run) -> None:
    run = _hostile_run(tmp_path, fake_run)
    dom = _Dom()
    dom.feed(_dom(report.write_report(run), tmp_path / "profile"))
    assert dom.title == "camel-gym run: Hopper-v4"
    assert dom.marked == [] and dom.scripts == 1  # the page's own script only
    assert [img.get("class") for img in dom.imgs] == ["clip", "clip"]  # c01's and c00's clips; no injected img
    # the payload shows as text, character for character, wherever it went
    assert sum(PAYLOAD in text for text in dom.texts) >= 8
    assert any(text == PAYLOAD for text in dom.texts)  # c02's error, alone in its <pre>

    # the check above can fail: the same payload unescaped does run in this browser
    control = tmp_path / "control.html"
    control.write_text(f"<!DOCTYPE html><html><head><title>camel-gym run: Hopper-v4</title></head><body>{PAYLOAD}</body></html>")
    dom = _Dom()
    dom.feed(_dom(control, tmp_path / "profile"))
    assert dom.title == "pwned" and dom.marked and dom.marked[0][0] == "html"


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_run) -> None:
    from camel_gym.pipeline.cli import main

    run = fake_run(tmp_path, evaluation=False)
    args = ["render", "--run-dir", str(run), "--no-progress", *(f"--{k.replace('_', '-')}={v}" for k, v in SMALL.items())]
    assert main(args) == 0
    assert f"report: {run / 'report.html'}" in capsys.readouterr().out
    assert (run / "render" / "c00.gif").is_file()
    assert main(["render", "--run-dir", str(tmp_path / "nothing")]) == 2
    assert "not a camel-gym run directory" in capsys.readouterr().err
    assert main(["render", "--run-dir", str(run), "--every", "0"]) == 2
    assert "must be >= 1" in capsys.readouterr().err
