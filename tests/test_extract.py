"""Extracting the policy module from raw LLM replies: fences, drafts, prose, refusals."""

from __future__ import annotations

import ast
import pickle

import pytest

from camel_gym.pipeline import extract
from camel_gym.pipeline.extract import NoPolicyCode, extract_policy_code

FENCE = "```"

HOPPER = '''\
import numpy as np

# Joint order: thigh, leg, foot.
GAINS = np.array([0.8, 0.6, 0.4])
TARGET_ANGLES = np.array([0.0, -0.3, 0.2])


def pd(angle, velocity, target, gain):
    return gain * (target - angle) - 0.1 * velocity


def policy(obs):
    angles, velocities = obs[2:5], obs[8:11]
    action = pd(angles, velocities, TARGET_ANGLES, GAINS)
    return np.clip(action, -1.0, 1.0)
'''

PENDULUM = '''\
import math

import numpy as np


def policy(observation):
    cos_theta, sin_theta, theta_dot = observation
    theta = math.atan2(sin_theta, cos_theta)
    torque = -10.0 * theta - 1.0 * theta_dot
    return np.array([max(-2.0, min(2.0, torque))])
'''

ANNOTATED = '''\
import numpy as np


def policy(state) -> np.ndarray:
    return np.tanh(-0.5 * np.asarray(state, dtype=float)[:6])
'''

REASONING = """\
## Reasoning

Let's think step by step.

1. The observation holds the torso height and angle first, then the joint angles.
2. A hopper falls if the torso leans too far, so the thigh should counter the lean.
3. The joints respond well to a proportional-derivative law with small gains.
"""


def indent(text: str, prefix: str) -> str:
    return "".join(prefix + line if line.strip() else line for line in text.splitlines(True))


def policy_node(source: str) -> ast.FunctionDef:
    body = ast.parse(source).body
    nodes = [n for n in body if isinstance(n, ast.FunctionDef) and n.name == "policy"]
    assert len(nodes) == 1, "expected exactly one top-level policy()"
    return nodes[0]


# (reply, exact expected module source)
EXACT_CASES = {
    "python-tag-with-reasoning": (
        f"{REASONING}\n## Implementation\n\nHere is the complete policy:\n\n"
        f"{FENCE}python\n{HOPPER}{FENCE}\n\n"
        "The PD gains are conservative; raise them if the hopper reacts too slowly.\n",
        HOPPER,
    ),
    "py-tag": (
        f"Sure! A simple energy-free swing-up is enough here:\n{FENCE}py\n{PENDULUM}{FENCE}\n",
        PENDULUM,
    ),
    "capitalized-Python-tag": (
        f"### Policy\n\n{FENCE}Python\n{PENDULUM}{FENCE}\n\n"
        "### Notes\nTorque is clipped to [-2, 2].",
        PENDULUM,
    ),
    "untagged-fence": (
        f"Here is the complete policy:\n\n{FENCE}\n{HOPPER}{FENCE}\n",
        HOPPER,
    ),
    "tilde-fence": (
        f"{REASONING}\n~~~python\n{PENDULUM}~~~\n\nThat's it.",
        PENDULUM,
    ),
    "tag-with-file-name": (
        f"Save this as `policy.py`:\n\n{FENCE}python title=\"policy.py\"\n{PENDULUM}{FENCE}\n",
        PENDULUM,
    ),
    "crlf-line-endings": (
        (
            f"{REASONING}\nHere is the complete policy:\n{FENCE}python\n{HOPPER}{FENCE}\nDone.\n"
        ).replace("\n", "\r\n"),
        HOPPER,
    ),
    "fence-indented-in-markdown-list": (
        "Steps:\n\n"
        "1. Read the pole angle and angular velocity.\n"
        "2. Put the policy below in `policy.py`:\n\n"
        f"   {FENCE}python\n{indent(PENDULUM, '   ')}   {FENCE}\n\n"
        "3. Run the evaluation script.\n",
        PENDULUM,
    ),
    "drafts-then-full-policy": (
        f"{REASONING}\nFirst, a draft of the control law for one joint:\n\n"
        f"{FENCE}python\ndef policy(obs):\n    return -0.5 * obs[2]\n{FENCE}\n\n"
        "This ignores the velocities and the other joints. A fragment for the PD term:\n\n"
        f"{FENCE}python\nu = gain * (target - angle) - 0.1 * velocity\n{FENCE}\n\n"
        f"Putting it together, here is the complete policy:\n\n{FENCE}python\n{HOPPER}{FENCE}\n",
        HOPPER,
    ),
    "last-block-uses-earlier-helper-not-merged": (
        f"Helper first:\n{FENCE}python\nimport numpy as np\n\n"
        f"def squash(x):\n    return np.tanh(x)\n{FENCE}\n"
        f"Then the policy:\n{FENCE}python\n"
        f"def policy(obs):\n    return squash(-obs[:3])\n{FENCE}\n",
        "def policy(obs):\n    return squash(-obs[:3])\n",
    ),
    "usage-example-after-policy": (
        f"Here is the complete policy:\n{FENCE}python\n{PENDULUM}{FENCE}\n\n"
        "You can try it like this:\n"
        f"{FENCE}python\nobs, _ = env.reset(seed=0)\naction = policy(obs)\n{FENCE}\n",
        PENDULUM,
    ),
    "annotated-state-parameter": (
        f"# Answer\n\n{FENCE}python\n{ANNOTATED}{FENCE}",
        ANNOTATED,
    ),
    "non-python-blocks-ignored": (
        "The observation layout, as JSON:\n"
        f"{FENCE}json\n{{\"def policy(obs)\": \"not code\"}}\n{FENCE}\n"
        f"Install the dependencies:\n{FENCE}bash\npip install numpy\n{FENCE}\n"
        f"{FENCE}xml\n<policy>def policy(obs): pass</policy>\n{FENCE}\n"
        f"Here is the complete policy:\n{FENCE}python\n{PENDULUM}{FENCE}\n",
        PENDULUM,
    ),
    "broken-last-block-loses-to-parsing-one": (
        f"Here is the complete policy:\n{FENCE}python\n{PENDULUM}{FENCE}\n\n"
        "A variant with a damping term (untested):\n"
        f"{FENCE}python\ndef policy(obs):\n    return np.array([-obs[2] *])\n{FENCE}\n",
        PENDULUM,
    ),
    "only-broken-blocks-returns-last-textual": (
        f"{FENCE}python\ndef policy(obs)\n    return 0\n{FENCE}\n"
        f"Corrected:\n{FENCE}python\nimport numpy as np\n\n"
        f"def policy(obs):\n    return np.array([obs[0] +])\n{FENCE}\n",
        "import numpy as np\n\ndef policy(obs):\n    return np.array([obs[0] +])\n",
    ),
    "no-fences-whole-reply-is-python": (
        '"""Pendulum swing-up prior."""\n' + PENDULUM,
        '"""Pendulum swing-up prior."""\n' + PENDULUM,
    ),
    "no-fences-code-in-prose": (
        f"{REASONING}\nHere is the complete policy:\n\n{HOPPER}\n"
        "The clip keeps every torque inside the action space.\n",
        HOPPER,
    ),
    "no-fences-indented-code-in-prose": (
        f"Here is the complete policy:\n\n{indent(PENDULUM, '    ')}\nHope this helps!",
        PENDULUM,
    ),
    "unclosed-fence-in-truncated-reply": (
        f"{REASONING}\nHere is the complete policy:\n{FENCE}python\n{PENDULUM}",
        PENDULUM,
    ),
    "dedent-and-trailing-whitespace": (
        f"{FENCE}python\n\n\n    import numpy as np   \n\n    def policy(obs):\t\n"
        f"        return -obs[:2]  \n\n\n{FENCE}",
        "import numpy as np\n\ndef policy(obs):\n    return -obs[:2]\n",
    ),
}


@pytest.mark.parametrize(("reply", "expected"), EXACT_CASES.values(), ids=EXACT_CASES.keys())
def test_extracts_exact_source(reply: str, expected: str) -> None:
    assert extract_policy_code(reply) == expected


@pytest.mark.parametrize("reply", [r for r, _ in EXACT_CASES.values()], ids=EXACT_CASES.keys())
def test_result_is_normalized(reply: str) -> None:
    code = extract_policy_code(reply)
    assert code.endswith("\n") and not code.endswith("\n\n")
    assert "\r" not in code
    assert all(line == line.rstrip() for line in code.split("\n"))


def test_helpers_and_constants_in_the_policy_block_are_kept() -> None:
    reply = f"Here is the complete policy:\n{FENCE}python\n{HOPPER}{FENCE}\n"
    tree = ast.parse(extract_policy_code(reply))
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assigns = [n for n in tree.body if isinstance(n, ast.Assign)]
    constants = {t.id for n in assigns for t in n.targets if isinstance(t, ast.Name)}
    assert names == {"pd", "policy"}
    assert constants == {"GAINS", "TARGET_ANGLES"}
    assert isinstance(tree.body[0], ast.Import)


@pytest.mark.parametrize(
    ("signature", "parameter"),
    [("def policy(observation):", "observation"), ("def policy(state) -> np.ndarray:", "state")],
    ids=["observation", "annotated-state"],
)
def test_any_parameter_name(signature: str, parameter: str) -> None:
    code = f"import numpy as np\n\n{signature}\n    return np.zeros(2)\n"
    reply = f"Final answer:\n{FENCE}python\n{code}{FENCE}"
    assert policy_node(extract_policy_code(reply)).args.args[0].arg == parameter


def test_largest_parsing_run_wins_in_prose() -> None:
    # An early one-liner draft also parses and defines policy; the full module is larger.
    reply = (
        "Let's think step by step. A first guess:\n\n"
        "def policy(obs): return -obs\n\n"
        f"That is too aggressive. Scaling the gains down:\n\n{HOPPER}\n"
        "This should balance the hopper.\n"
    )
    assert extract_policy_code(reply) == HOPPER


def test_long_prose_reply_around_bare_code_is_found() -> None:
    prose = "".join(f"Step {k}: consider the joint torques again.\n" for k in range(300))
    reply = f"{prose}\n{PENDULUM}\n{prose}"
    assert policy_node(extract_policy_code(reply)).args.args[0].arg == "observation"


def test_code_like_prose_stops_the_search_at_its_budget(monkeypatch) -> None:
    # Lines that look like code but never parse make every one a start and every later line an
    # end: unbounded, this reply takes over a minute. The search stops at its budget of lines
    # handed to ast.parse and says it found no policy.
    parsed: list[int] = []
    defines_policy = extract._defines_policy
    monkeypatch.setattr(extract, "_defines_policy", lambda source: parsed.append(source.count("\n") + 1) or defines_policy(source))
    junk = "".join(f"K{k} = (\n" for k in range(400))
    reply = f"{junk}\n{PENDULUM}\n{junk}"
    with pytest.raises(NoPolicyCode):
        extract_policy_code(reply)
    budget, whole = extract._PARSE_BUDGET_LINES, reply.count("\n") + 1  # the whole reply is tried once first
    assert budget - 1000 < sum(parsed) <= budget + whole


# (reply, substrings the message must contain, expected n_blocks)
FAILURE_CASES = {
    "empty": ("", ["the reply is empty", "expected a Python code block defining policy(obs)"], 0),
    "whitespace-only": ("  \r\n\t\n", ["the reply is empty"], 0),
    "prose-only": (
        f"{REASONING}\nI cannot write the policy(obs) function without the observation layout.",
        [
            "no code blocks and no `def policy(...)`",
            "expected a Python code block defining policy(obs)",
        ],
        0,
    ),
    "non-python-blocks": (
        f"Config:\n{FENCE}json\n{{\"gain\": 0.5}}\n{FENCE}\n"
        f"Run:\n{FENCE}bash\npython train.py\n{FENCE}\n",
        [
            "the reply has 2 code blocks (json, bash) but none defines `def policy(...)`",
            "expected a Python",
        ],
        2,
    ),
    "python-block-without-policy": (
        f"The control law:\n{FENCE}python\naction = -0.5 * obs[2]\n{FENCE}",
        ["the reply has 1 code block (python) but none defines `def policy(...)`"],
        1,
    ),
    "policy-only-nested-or-renamed": (
        f"{FENCE}\ndef make_policy(k):\n"
        "    def policy(obs):\n        return -k * obs\n    return policy\n\n"
        f"def policy_v2(obs):\n    return obs\n{FENCE}",
        ["1 code block (untagged) but none defines `def policy(...)`"],
        1,
    ),
    "prose-with-broken-def": (
        "Here is the policy: def policy(obs) returns minus the angle, i.e.\n"
        "def policy(obs): return -(obs[0] +\nand that's all.",
        ["no code blocks, and no run of lines around its `def policy(...)` parses as Python"],
        0,
    ),
}


@pytest.mark.parametrize(
    ("reply", "fragments", "n_blocks"), FAILURE_CASES.values(), ids=FAILURE_CASES.keys()
)
def test_no_policy_code(reply: str, fragments: list[str], n_blocks: int) -> None:
    with pytest.raises(NoPolicyCode) as caught:
        extract_policy_code(reply)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message
    assert caught.value.n_blocks == n_blocks
    assert caught.value.reply_length == len(reply)


def test_no_policy_code_is_a_value_error_and_pickles() -> None:
    with pytest.raises(ValueError) as caught:
        extract_policy_code(f"{FENCE}json\n{{}}\n{FENCE}")
    clone = pickle.loads(pickle.dumps(caught.value))
    assert isinstance(clone, NoPolicyCode)
    assert (str(clone), clone.reply_length, clone.n_blocks, clone.languages) == (
        str(caught.value),
        caught.value.reply_length,
        1,
        ("json",),
    )
