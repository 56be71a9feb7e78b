"""`camel-gym generate` against a real local Chat Completions server: validate, repair, keep, resume."""

import json

import pytest

from camel_gym.pipeline.cli import main
from camel_gym.pipeline.generate import generate
from camel_gym.pipeline.client import LLMConfig
from camel_gym.records import AttemptCheck, CandidateStatus, read_meta
from chat_server import Answer, ChatServer

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
