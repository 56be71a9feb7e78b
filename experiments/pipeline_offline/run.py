"""The whole LLM pipeline, generate -> evaluate -> select -> render, against a local chat server.

No LLM can be reached from camel-gym's development machines, so this run stands one in: the
test suite's Chat Completions server (tests/chat_server.py) on 127.0.0.1 replays canned replies
that camel-gym's developers wrote to exercise every path: a good controller, one that needs a
repair round, a stand-still one, a bang-bang one, one that fails at speed, prose without code,
and an HTTP 429 on the way. **No reply below was written by an LLM.** The stages run as the
`camel-gym` command a user would type, each timed; results land in this folder.

    MUJOCO_GL=egl python experiments/pipeline_offline/run.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from chat_server import Answer, ChatServer  # noqa: E402

from camel_gym.priors import handtuned_prior  # noqa: E402

# c00 is the hand-tuned prior, which shipped as the default when this experiment ran (the default
# is the LLM-written one since 7be59ee); its header is a docstring, a reply carries only its code
SHIPPED = handtuned_prior("Hopper-v4").read_text()
SHIPPED_CODE = SHIPPED[SHIPPED.index('"""', 3) + 3 :].lstrip()


def reply(thoughts: str, code: str) -> str:
    return f"Let's think step by step. {thoughts}\n\n```python\n{code.rstrip()}\n```\n\nThis policy returns actions in [-1, 1]."


STAND = """import numpy as np

def policy(obs):
    # hold every joint at zero: a PD controller on the thigh, leg and foot angles
    return np.clip(-2.0 * obs[2:5] - 0.2 * obs[8:11], -1.0, 1.0)
"""
BANG = """import numpy as np

def policy(obs):
    # push each joint against its own velocity, as hard as allowed
    return np.where(obs[8:11] > 0, -1.0, 1.0)
"""
FLAKY = SHIPPED_CODE.replace("def policy(", "def base_policy(") + (
    "\n\ndef policy(obs):\n    if obs[5] > 2.5:\n        raise ValueError('too fast')\n    return base_policy(obs)\n"
)
PROSE = "To hop, the agent should crouch, then extend the leg quickly while leaning the torso slightly forward."

SCRIPT = [
    Answer(text=reply("The hopper needs a crouch-and-push rhythm driven by torso pitch.", SHIPPED_CODE)),  # c00
    Answer(text=reply("Balance first.", "import os\nimport numpy as np\n\n" + STAND)),  # c01: rejected ...
    Answer(text=reply("Sorry, without os.", STAND)),  # ... and repaired
    Answer(status=429, headers={"retry-after-ms": "200"}),  # rate-limited once: retried
    Answer(text=reply("Maximal torques give the fastest response.", BANG)),  # c02
    Answer(text=PROSE), Answer(text=PROSE), Answer(text=PROSE),  # c03: no code, two repairs, invalid
    Answer(text=reply("Reuse the hopping rhythm, refusing unsafe speeds.", FLAKY)),  # c04
]


def stage(name: str, args: list[str], timings: dict) -> None:
    start = time.perf_counter()
    print(f"\n$ camel-gym {name} {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, "-m", "camel_gym.pipeline.cli", name, *args], check=False)
    timings[name] = {"seconds": round(time.perf_counter() - start, 1), "exit_code": done.returncode}
    if done.returncode not in (0, 1):
        raise SystemExit(f"camel-gym {name} failed with exit code {done.returncode}")


def main() -> None:
    run = HERE / "run"
    installed = HERE / "installed"
    for old in (run, installed):
        shutil.rmtree(old, ignore_errors=True)
    installed.mkdir()
    os.environ.setdefault("MUJOCO_GL", "egl")
    os.environ["OPENAI_API_KEY"] = "sk-local-test"
    timings: dict = {}
    with ChatServer() as server:
        server.script = list(SCRIPT)
        stage("generate", ["--env-id", "Hopper-v4", "--model", "canned-replies", "--base-url", server.url,
                           "--run-dir", str(run), "--n", "5", "--max-repairs", "2", "--no-progress"], timings)
        timings["generate"]["requests"] = len(server.requests)
    stage("evaluate", ["--run-dir", str(run), "--episodes", "10", "--no-progress"], timings)
    stage("select", ["--run-dir", str(run), "--probe-top-k", "2", "--probe-steps", "5000",
                     "--install", "--install-dir", str(installed)], timings)
    # 160x120 keeps the committed clips small; the default is 320x240
    stage("render", ["--run-dir", str(run), "--width", "160", "--height", "120", "--no-progress"], timings)
    (HERE / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print(json.dumps(timings, indent=2))


if __name__ == "__main__":
    main()
