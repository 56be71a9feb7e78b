"""`camel-gym generate` against a real local Chat Completions server: validate, repair, keep, resume."""

import json

import pytest

from camel_gym.pipeline.cli import main
from camel_gym.pipeline.generate import generate
from camel_gym.pipeline.client import LLMConfig
from camel_gym.records import AttemptCheck, CandidateStatus, read_meta
from chat_server import Answer, ChatServer, completion_json

GOOD = """Let's think step by step. The hopper has three joints...

```python
import numpy as np

KP = np.array([1.0, 1.0, 1.0])

def policy(obs):
    return np.clip(-KP * obs[2:5], -1.0, 1.0)
```
"""
UNSAFE = "Here you go:\n```python\nimport os\nimport numpy as np\n\ndef policy(obs):\n    return np.zeros(3)\n```\n"
PROSE = "I would bend the knee when the torso leans forward, then push off."


@pytest.fixture
def server():
    with ChatServer() as s:
        yield s


def config(server, **kw):
    return LLMConfig(model="test-model", base_url=server.url, api_key="sk-test", timeout=5.0, **{"max_retries": 1, **kw})


def test_candidates_are_validated_repaired_and_kept(server, tmp_path):
    server.script = [Answer(text=GOOD), Answer(text=UNSAFE), Answer(text=GOOD), Answer(text=PROSE), Answer(text=PROSE)]
    results = generate("Hopper-v4", tmp_path / "run", config(server), n=3, max_repairs=1, log=lambda line: None)
    assert [(r.status, r.attempts) for r in results] == [("valid", 1), ("valid", 2), ("invalid", 2)]
    run = tmp_path / "run"
    meta = read_meta(run)
    assert meta.model == "test-model" and meta.endpoint_host == server.url.split("/")[2]
    assert meta.statuses == {"c00": "valid", "c01": "valid", "c02": "invalid"} and len(meta.prompt_sha256) == 64
    assert meta.updated is not None and meta.env_id == "Hopper-v4"
    assert (run / "prompt" / "user.md").read_text() == server.requests[0]["json"]["messages"][1]["content"]
    # every raw reply is kept, failed and repaired ones included
    assert (run / "candidates" / "c01" / "attempt0.md").read_text() == UNSAFE
    assert json.loads((run / "candidates" / "c01" / "attempt0.json").read_text())["choices"][0]["message"]["content"] == UNSAFE
    check = AttemptCheck.read(run / "candidates" / "c01" / "attempt0.check.json")
    assert not check.ok and check.lineno == 1 and "import of 'os'" in check.reason
    assert "def policy" in (run / "candidates" / "c01" / "policy.py").read_text()
    # the repair round sent the error and the model's own code back
    repair = server.requests[2]["json"]["messages"]
    assert repair[-2] == {"role": "assistant", "content": UNSAFE}
    assert "import of 'os'" in repair[-1]["content"] and "import os" in repair[-1]["content"]
    status = CandidateStatus.read(run / "candidates" / "c02" / "status.json")
    assert status.status == "invalid" and "no usable code" in status.error
    assert not (run / "candidates" / "c02" / "attempt0.py").exists()


def test_rerunning_resumes_without_asking_again(server, tmp_path):
    server.script = [Answer(text=GOOD), Answer(status=500, headers={"retry-after-ms": "10"})] * 1
    server.default = Answer(status=500, headers={"retry-after-ms": "10"})
    first = generate("Hopper-v4", tmp_path / "run", config(server, max_retries=0), n=2, max_repairs=0, log=lambda line: None)
    assert [r.status for r in first] == ["valid", "request_failed"]
    asked = len(server.requests)
    server.default = Answer(text=GOOD)
    second = generate("Hopper-v4", tmp_path / "run", config(server), n=2, max_repairs=0, log=lambda line: None)
    assert [r.status for r in second] == ["valid", "valid"]
    assert len(server.requests) == asked + 1  # only the failed request was made again
    # a reply saved before an interruption is validated without a new request
    c0 = tmp_path / "run" / "candidates" / "c00"
    (c0 / "status.json").unlink()
    (c0 / "attempt0.check.json").unlink()
    third = generate("Hopper-v4", tmp_path / "run", config(server), n=2, max_repairs=0, log=lambda line: None)
    assert third[0].status == "valid" and len(server.requests) == asked + 1
    # a larger --n adds candidates, and meta.json counts them; another temperature is another run
    generate("Hopper-v4", tmp_path / "run", config(server), n=3, max_repairs=0, log=lambda line: None)
    assert read_meta(tmp_path / "run").n == 3 and len(read_meta(tmp_path / "run").statuses) == 3
    with pytest.raises(ValueError, match=r"holds another run \(\{'temperature': \(0\.8, 1\.0\)\}\)"):
        generate("Hopper-v4", tmp_path / "run", config(server, temperature=1.0), n=3, max_repairs=0, log=lambda line: None)


def test_a_reply_cut_off_at_the_length_limit_is_named_in_the_repair(server, tmp_path):
    cut = completion_json("```python\nimport numpy as np\n\ndef policy(obs):\n    return np.clip(")
    cut["choices"][0]["finish_reason"] = "length"
    server.script = [Answer(body=cut), Answer(text=GOOD)]
    (result,) = generate("Hopper-v4", tmp_path / "run", config(server), n=1, max_repairs=1, log=lambda line: None)
    assert result.status == "valid" and result.attempts == 2
    repair = server.requests[1]["json"]["messages"][-1]["content"]
    assert "cut off at the model's output limit (finish_reason 'length')" in repair


def test_a_reply_that_is_no_completion_is_kept(server, tmp_path):
    # a content filter or a reasoning model out of tokens: an empty message, status request_failed
    server.script = [Answer(text="")]
    (result,) = generate("Hopper-v4", tmp_path / "run", config(server, max_retries=0), n=1, max_repairs=0, log=lambda line: None)
    assert result.status == "request_failed" and "empty message" in result.error
    kept = json.loads((tmp_path / "run" / "candidates" / "c00" / "attempt0.failed.json").read_text())
    assert kept["choices"][0]["message"]["content"] == "" and kept["model"] == "test-model"


def test_a_run_directory_belongs_to_one_run(server, tmp_path):
    server.default = Answer(text=GOOD)
    generate("Hopper-v4", tmp_path / "run", config(server), n=1, max_repairs=0, log=lambda line: None)
    with pytest.raises(ValueError, match="holds another run"):
        generate("Walker2d-v4", tmp_path / "run", config(server), n=1, max_repairs=0, log=lambda line: None)


def test_cli(server, tmp_path, capsys, monkeypatch):
    server.default = Answer(text=GOOD)
    code = main(["generate", "--env-id", "Hopper-v4", "--model", "m", "--base-url", server.url,
                 "--run-dir", str(tmp_path / "cli"), "--n", "1", "--max-repairs", "0"])
    assert code == 0 and "c00  valid" in capsys.readouterr().out
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code = main(["generate", "--env-id", "Hopper-v4", "--model", "m", "--run-dir", str(tmp_path / "x")])
    assert code == 2 and "no LLM endpoint" in capsys.readouterr().err


# ---- offline mode: replies from files -------------------------------------------------------

HELPERS = '''The knee is the strongest lever, so I keep it bent and push off when the torso is upright.

```python
import numpy as np

TARGET = np.array([0.0, -0.4, 0.1])


def pd(angle, velocity, target, kp=2.0, kd=0.2):
    return kp * (target - angle) - kd * velocity


def policy(obs):
    return np.clip(pd(obs[2:5], obs[8:11], TARGET), -1.0, 1.0)
```

This should keep the hopper upright.
'''


def write_replies(folder, replies):
    folder.mkdir(exist_ok=True)
    for name, text in replies.items():
        (folder / name).write_text(text, encoding="utf-8")


def offline(tmp_path, n, max_repairs=1, run="run"):
    return generate(
        "Hopper-v4", tmp_path / run, LLMConfig(model="a chat model (by hand)"), n=n, max_repairs=max_repairs,
        replies_dir=tmp_path / "replies", note="pasted from a chat window, one pass", log=lambda line: None,
    )


def test_offline_replies_go_through_extraction_validation_and_repairs(tmp_path):
    write_replies(tmp_path / "replies", {"c00.md": GOOD, "c01.md": HELPERS, "c02.md": PROSE, "c03.md": UNSAFE, "c03.repair1.md": GOOD})
    first = offline(tmp_path, n=4)
    assert [(r.status, r.attempts) for r in first[:2]] == [("valid", 1), ("valid", 1)]
    assert first[3].status == "valid" and first[3].attempts == 2  # broken, then repaired
    # c02's prose needs a repair round whose reply is not written yet: it waits, naming the file
    assert first[2].status == "request_failed"
    assert str(tmp_path / "replies" / "c02.repair1.md") in first[2].error
    request = tmp_path / "run" / "candidates" / "c02" / "attempt1.request.md"
    assert str(request) in first[2].error and "no usable code" in request.read_text()
    run = tmp_path / "run"
    # the exact messages of every request are kept, repair rounds with the whole conversation
    repair = json.loads((run / "candidates" / "c03" / "attempt1.request.json").read_text())
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert repair[2]["content"] == UNSAFE and "import of 'os'" in repair[3]["content"]
    assert repair[1]["content"] == (run / "prompt" / "user.md").read_text()
    assert (run / "candidates" / "c03" / "attempt1.md").read_text() == GOOD
    record = json.loads((run / "candidates" / "c03" / "attempt1.json").read_text())
    assert record["reply_file"] == str((tmp_path / "replies" / "c03.repair1.md").resolve()) and len(record["sha256"]) == 64
    assert "def pd(" in (run / "candidates" / "c01" / "policy.py").read_text()
    meta = read_meta(run)
    assert meta.model == "a chat model (by hand)" and meta.endpoint_host is None and meta.temperature is None
    assert meta.replies_dir == str((tmp_path / "replies").resolve()) and meta.note == "pasted from a chat window, one pass"

    # the reply arrives; the rerun reads only it
    write_replies(tmp_path / "replies", {"c02.repair1.md": PROSE})
    (tmp_path / "replies" / "c00.md").write_text("changed after the fact")  # never read again: c00 is final
    second = offline(tmp_path, n=4)
    assert [(r.status, r.attempts) for r in second] == [("valid", 1), ("valid", 1), ("invalid", 2), ("valid", 2)]
    assert (run / "candidates" / "c00" / "attempt0.md").read_text() == GOOD


def test_offline_missing_reply_stops_with_the_file_to_write_and_resumes(tmp_path, capsys):
    write_replies(tmp_path / "replies", {"c00.md": GOOD})
    args = ["generate", "--env-id", "Hopper-v4", "--model", "m", "--run-dir", str(tmp_path / "run"),
            "--replies-dir", str(tmp_path / "replies"), "--n", "2", "--no-progress"]
    assert main(args) == 3
    out = capsys.readouterr().out
    assert f"no reply yet: write the reply to {tmp_path / 'replies' / 'c01.md'}" in out
    assert (tmp_path / "run" / "candidates" / "c01" / "attempt0.request.md").is_file()
    write_replies(tmp_path / "replies", {"c01.md": HELPERS})
    assert main(args) == 0
    assert CandidateStatus.read(tmp_path / "run" / "candidates" / "c01" / "status.json").status == "valid"


def test_offline_and_endpoint_runs_have_the_same_layout(server, tmp_path):
    replies = [GOOD, UNSAFE, GOOD, PROSE, PROSE]
    server.script = [Answer(text=text) for text in replies]
    generate("Hopper-v4", tmp_path / "endpoint", config(server), n=3, max_repairs=1, log=lambda line: None)
    write_replies(tmp_path / "replies", {"c00.md": GOOD, "c01.md": UNSAFE, "c01.repair1.md": GOOD, "c02.md": PROSE, "c02.repair1.md": PROSE})
    offline(tmp_path, n=3, run="offline")

    def layout(run):
        return sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file())

    assert layout(tmp_path / "offline") == layout(tmp_path / "endpoint")
    for f in layout(tmp_path / "endpoint"):
        if f.endswith((".md", ".py", ".request.json")) and not f.startswith("prompt"):
            assert (tmp_path / "offline" / f).read_text() == (tmp_path / "endpoint" / f).read_text(), f


def test_offline_needs_an_existing_replies_folder(tmp_path):
    with pytest.raises(ValueError, match="no such folder"):
        generate("Hopper-v4", tmp_path / "run", LLMConfig(model="m"), replies_dir=tmp_path / "nope", log=lambda line: None)


def test_prompt_command_prints_what_generate_sends(tmp_path, capsys):
    from camel_gym.pipeline.prompts import build_prompt

    assert main(["prompt", "--env-id", "Ant-v4"]) == 0
    prompt = build_prompt("Ant-v4")
    assert capsys.readouterr().out == prompt.system.rstrip() + "\n\n" + prompt.user.rstrip() + "\n"
    assert main(["prompt", "--env-id", "Ant-v4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == prompt.messages()
    assert main(["prompt", "--env-id", "NoSuchEnv-v0"]) == 2
    assert "unknown environment id" in capsys.readouterr().err


def test_an_installed_offline_prior_says_who_wrote_it_and_from_which_reply_file(tmp_path):
    from camel_gym.pipeline.select import install_prior

    write_replies(tmp_path / "replies", {"c00.md": UNSAFE, "c00.repair1.md": GOOD})
    offline(tmp_path, n=1)
    target = install_prior(tmp_path / "run", "c00", install_dir=tmp_path / "installed")
    header = target.read_text().split("\n\n")[0]
    assert "How the replies were made: pasted from a chat window, one pass" in header
    assert str((tmp_path / "replies" / "c00.md").resolve()) in header and str((tmp_path / "replies" / "c00.repair1.md").resolve()) in header
    assert read_meta(tmp_path / "run").prompt_sha256 in header
    assert target.read_text().endswith((tmp_path / "run" / "candidates" / "c00" / "policy.py").read_text())


def test_a_run_from_files_is_not_resumed_from_an_endpoint(server, tmp_path):
    write_replies(tmp_path / "replies", {"c00.md": GOOD})
    offline(tmp_path, n=1)
    with pytest.raises(ValueError, match="holds another run"):
        generate("Hopper-v4", tmp_path / "run", LLMConfig(model="a chat model (by hand)", base_url=server.url, api_key="k"),
                 n=1, max_repairs=1, log=lambda line: None)
