"""The sandbox: what a prior may do, the hostile corpus, the per-call budget, and the contract prompts render."""

import ast
import inspect
import math
import pickle
import re
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import camel_gym.sandbox
from camel_gym import BudgetExceeded, LLMBoundsWrapper, PolicyRejected, load_policy
from camel_gym.sandbox import (
    LINALG_PROXY,
    MATH_PROXY,
    NUMPY_PROXY,
    SandboxedPolicy,
    as_action,
    compile_policy,
    policy_contract,
)
from camel_gym.sandbox.rules import FORBIDDEN_NAMES

HOSTILE = sorted((Path(__file__).parent / "hostile").glob("*.py"))
OBS_SPACE = gym.spaces.Box(-10.0, 10.0, shape=(11,), dtype=np.float64)
ACT_SPACE = gym.spaces.Box(-1.0, 1.0, shape=(3,), dtype=np.float32)

GOOD = '''
import math
import numpy as np
from numpy import linalg

GAINS = np.array([1.0, 0.5, 0.25])


def squash(values):
    return np.tanh(values)


def policy(state):
    action = np.zeros(3)
    for i, gain in enumerate(GAINS):
        action[i] += gain * state[i + 2]
    action *= 2
    extra = [abs(v) for v in state[:3] if v > 0]
    scale = lambda v: v / (1.0 + linalg.norm(state))
    total = sum(extra) + math.sin(0.0)
    first, second = state[0], state[1]
    return np.clip(squash(-action) + scale(total) * 0 + 0 * first * second, -1, 1)
'''


def test_well_behaved_prior_loads_and_matches_plain_python():
    policy = load_policy(GOOD, observation_space=OBS_SPACE, action_space=ACT_SPACE)
    namespace: dict = {}
    exec(compile(GOOD, "<plain>", "exec"), namespace)  # the same code, trusted, for reference
    for seed in range(5):
        obs = np.random.default_rng(seed).normal(size=11)
        np.testing.assert_allclose(policy(obs), namespace["policy"](obs))


def test_prior_gets_a_copy_of_the_observation():
    policy = load_policy("def policy(obs):\n    obs[0] = 99.0\n    return obs[:3]\n", trial=False)
    obs = np.zeros(11)
    out = policy(obs)
    assert out[0] == 99.0 and obs[0] == 0.0


def test_loads_from_a_file_and_reports_missing_files(tmp_path):
    path = tmp_path / "prior.py"
    path.write_text("def policy(obs):\n    return [0.0, 0.0, 0.0]\n")
    assert load_policy(path, trial=False)(np.zeros(3)) == [0.0, 0.0, 0.0]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_policy(tmp_path / "missing.py")


def test_rejection_names_reason_and_line():
    with pytest.raises(PolicyRejected) as info:
        compile_policy("import numpy as np\n\nimport os\n", "prior.py")
    assert info.value.lineno == 3
    assert "import of 'os' is not allowed" in str(info.value)
    assert "prior.py, line 3" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_policy_is_a_clear_rejection():
    with pytest.raises(PolicyRejected, match="no function named `policy`"):
        load_policy("import numpy as np\nGAIN = 1.0\n", trial=False)


@pytest.mark.parametrize("path", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_hostile_corpus(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative writes would land here
    canary = tmp_path / "canary"
    source = path.read_text().replace("CANARY_FILE", str(canary))
    header = dict(re.findall(r"^# (expect|trigger|raises|refused): (.*)$", source, flags=re.M))
    if header["expect"].startswith("refused at load"):
        with pytest.raises(PolicyRejected, match=re.escape(header["refused"])):  # refused for its own reason
            load_policy(source, observation_space=OBS_SPACE, action_space=ACT_SPACE, trial_seconds=15)
    else:
        policy = load_policy(source, observation_space=OBS_SPACE, action_space=ACT_SPACE, trial_seconds=15)
        trigger = np.full(11, float(header["trigger"]))
        # the sandbox's own guard must be what stops it: unguarded, a bomb fails too (MemoryError,
        # a parse error of /etc/passwd), so "it raised" alone proves nothing
        kind, message = header["raises"].split(": ", 1)
        with pytest.raises(Exception, match=re.escape(message)) as failure:
            as_action(policy(trigger), (3,), np.float32)
        assert type(failure.value).__name__ == kind, failure.value
        assert np.isfinite(as_action(policy(np.zeros(11)), (3,), np.float32)).all()  # still usable
    assert not canary.exists() and not Path(str(canary) + ".npy").exists()
    assert list(tmp_path.iterdir()) == []


def test_corpus_is_large_and_covers_the_classes():
    names = {p.stem for p in HOSTILE}
    assert len(names) >= 25
    for needed in ("import_os", "import_subprocess", "dunder_import", "numpy_load", "numpy_save",
                   "subclasses_walk", "format_string_attribute", "generator_frame_walk", "endless_while",
                   "huge_range", "numpy_memory_bomb", "infinite_recursion", "open_at_module_level",
                   "proxy_write", "returns_wrong_shape", "returns_nan", "syntax_error", "no_policy_function"):
        assert needed in names


def test_budget_stops_a_call_and_the_next_call_starts_fresh():
    policy = load_policy(
        "def policy(obs):\n    n = 0\n    while n < obs[0]:\n        n = n + 1\n    return [n, 0, 0]\n",
        trial=False, max_iterations=1000,
    )
    assert policy(np.array([10.0]))[0] == 10
    with pytest.raises(BudgetExceeded, match="1000 loop iterations"):
        policy(np.array([1e9]))
    assert policy(np.array([500.0]))[0] == 500


def test_budget_cannot_be_swallowed():
    source = (
        "def policy(obs):\n    try:\n        while True:\n            pass\n"
        "    except Exception:\n        pass\n    return [0.0, 0.0, 0.0]\n"
    )
    with pytest.raises(BudgetExceeded):
        load_policy(source, trial=False, max_iterations=500)(np.zeros(3))


def test_wall_clock_budget():
    source = "import numpy as np\n\ndef policy(obs):\n    while True:\n        np.sort(np.ones(100000))\n"
    policy = load_policy(source, trial=False, max_iterations=10**9, call_seconds=0.2)
    with pytest.raises(BudgetExceeded, match="wall-clock"):
        policy(np.zeros(3))


def test_numpy_proxy_is_read_only_and_allow_listed():
    with pytest.raises(TypeError, match="read-only"):
        NUMPY_PROXY.clip = None
    with pytest.raises(AttributeError, match="numpy.load is not available"):
        NUMPY_PROXY.load  # noqa: B018
    with pytest.raises(ValueError, match="over the prior's limit"):
        NUMPY_PROXY.zeros((10**4, 10**4))


def test_products_left_unguarded_for_speed_still_cannot_repeat_a_sequence():
    # `-0.2 * c * w` and float operands skip the size guard; a sequence among them only raises
    source = "def policy(obs):\n    c, w = float(obs[0]), float(obs[1])\n    return [-0.2 * c * w, 0.5 * c * 2, c * 3.0]\n"
    np.testing.assert_allclose(load_policy(source, trial=False)(np.array([2.0, 3.0])), [-1.2, 2.0, 6.0])
    for expr in ("-0.5 * [1] * 10**9", "[1] * (0.5 * 4)", "float(obs[0]) * [1]"):
        with pytest.raises(TypeError):
            load_policy(f"def policy(obs):\n    return {expr}\n", trial=False)(np.array([4.0]))
    with pytest.raises(ValueError, match="over the prior's limit"):  # int products stay guarded
        load_policy("def policy(obs):\n    n = int(obs[0])\n    return [1] * n * 10**9\n", trial=False)(np.array([4.0]))


def test_augmented_item_assignment_and_lambdas_work():
    source = "def policy(obs):\n    a = [1.0, 2.0, 3.0]\n    a[0] += 1\n    a[1] *= 3\n    f = lambda v: v - 1\n    return [f(x) for x in a]\n"
    assert load_policy(source, trial=False)(np.zeros(1)) == [1.0, 5.0, 2.0]


def test_sandboxed_policy_pickles():
    policy = load_policy(GOOD, trial=False)
    clone = pickle.loads(pickle.dumps(policy))
    obs = np.linspace(-1, 1, 11)
    np.testing.assert_array_equal(clone(obs), policy(obs))
    assert isinstance(clone, SandboxedPolicy) and clone.sha256 == policy.sha256


def test_trial_runs_on_real_env_observations():
    # a prior that is fine on sampled observations but breaks on Hopper's real ones: only a reset
    # state is this close to standing still at 1.25 m (sampled observations spread over the box)
    source = (
        "import numpy as np\n\ndef policy(obs):\n"
        "    if abs(obs[0] - 1.25) < 0.01 and np.abs(obs[1:]).max() < 0.01:\n        return np.zeros(2)\n"
        "    return np.zeros(3)\n"
    )
    hopper = gym.make("Hopper-v4")
    load_policy(source, observation_space=hopper.observation_space, action_space=hopper.action_space)  # sampled: passes
    with pytest.raises(PolicyRejected, match="shape"):
        load_policy(source, env=gym.make("Hopper-v4"))


ARRAY_METHODS_PRIOR = """import numpy as np

def policy(obs):
    x = np.asarray(obs)
    stats = np.array([x.max(), x.min(), x.sum(), x.mean(), x.std(), x.var(), x.prod(), float(x.any()), float(x.all())])
    return x.clip(-0.5, 0.5)[:3] + 0.0 * stats[:3]
"""


def test_array_methods_work_in_a_fresh_process():
    # numpy imports the helpers of `x.max()` & co. on first use, through the prior's __import__: in a
    # fresh process (as the trial's always is) they were refused, though the rules allow them
    code = (
        "import numpy as np\nfrom camel_gym import load_policy\n"
        f"policy = load_policy({ARRAY_METHODS_PRIOR!r}, trial=False)\n"
        "print(policy(np.linspace(-1, 1, 11)).tolist())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[-0.5,", "-0.5,", "-0.5]"]
    hopper = gym.make("Hopper-v4")
    assert isinstance(load_policy(ARRAY_METHODS_PRIOR, env=hopper), SandboxedPolicy)  # the trial passes it


def test_a_prior_imports_nothing_but_the_proxies():
    from camel_gym.sandbox.proxies import NUMPY_PROXY, guarded_import

    assert guarded_import("numpy") is NUMPY_PROXY
    # numpy's C code asks for its loaded helpers through the same hook (as PyImport_Import calls
    # it: fromlist an empty list), which lets it through and hands back nothing
    helper = "numpy._core._methods" if "numpy._core._methods" in sys.modules else "numpy.core._methods"  # numpy 2 / 1
    assert guarded_import(helper, {}, {}, [], 0) is None
    for name, fromlist in (("os", []), ("subprocess", []), ("numpy.camel_gym_no_such_module", []), ("nump.linalg", []),
                           (helper, None), (helper, ("max",))):  # the last two: as import statements call it
        with pytest.raises(ImportError, match=f"import of '{re.escape(name)}' is not allowed"):
            guarded_import(name, {}, {}, fromlist, 0)
    with pytest.raises(PolicyRejected, match="not allowed"):
        load_policy(f"import {helper}\n\ndef policy(obs):\n    return obs\n", trial=False)


def test_misbehaving_prior_never_crashes_the_wrapper():
    # loaded without a trial so that the NaN reaches the wrapper at run time
    source = "import numpy as np\n\ndef policy(obs):\n    return np.full(3, np.nan)\n"
    env = LLMBoundsWrapper(gym.make("Hopper-v4"), policy=load_policy(source, trial=False))
    with pytest.warns(RuntimeWarning, match="prior policy failed"):
        _, info = env.reset(seed=0)
    _, _, _, _, info = env.step(np.zeros(3, dtype=np.float32))
    assert "non-finite" in info["prior_error"] and "prior_action" not in info
    np.testing.assert_array_equal(info["action_bounds"], [[-1, -1, -1], [1, 1, 1]])
    assert env.prior_errors == 2


def test_output_is_checked_and_converted_to_the_action_dtype():
    policy = load_policy("def policy(obs):\n    return [[0.5, 2.0, -1.0]]\n", action_space=ACT_SPACE, trial=False)
    out = policy(np.zeros(11))
    assert out.dtype == np.float32 and out.shape == (3,)
    assert as_action([[1.0], [2.0]], (2,), np.float32).tolist() == [1.0, 2.0]  # extra axes of length 1 go
    with pytest.raises(ValueError, match=r"shape \(2, 4\), expected \(8,\)"):  # the right size, not an action
        as_action(np.zeros((2, 4)), (8,), np.float32)
    bad = load_policy("def policy(obs):\n    return [obs[0], 0.0, 0.0]\n", action_space=ACT_SPACE, trial=False)
    with pytest.raises(ValueError, match="non-finite"):
        bad(np.full(11, np.nan))


# ---- the contract the prompt renders matches what the sandbox does ---------------------------

CONTRACT = policy_contract()


def _accesses(prefix: str, names) -> str:
    return "(" + ", ".join(f"{prefix}{name}" for name in names) + ",)"


def test_every_name_in_the_contract_is_reachable_from_a_loaded_policy():
    source = (
        "import math\nimport numpy as np\n\ndef policy(obs):\n"
        f"    numpy_names = {_accesses('np.', CONTRACT.numpy_names)}\n"
        f"    linalg_names = {_accesses('np.linalg.', CONTRACT.linalg_names)}\n"
        f"    math_names = {_accesses('math.', CONTRACT.math_names)}\n"
        f"    builtin_names = {_accesses('', CONTRACT.builtins)}\n"
        f"    array_attributes = {_accesses('obs.', CONTRACT.array_attributes)}\n"
        "    return [numpy_names, linalg_names, math_names, builtin_names, array_attributes]\n"
    )
    reached = load_policy(source, trial=False)(np.zeros(3))
    c = CONTRACT
    listed = (c.numpy_names, c.linalg_names, c.math_names, c.builtins, c.array_attributes)
    assert [len(values) for values in reached] == [len(names) for names in listed]


def test_names_outside_the_contract_are_not_reachable():
    proxies = (
        (NUMPY_PROXY, np, CONTRACT.numpy_names),
        (LINALG_PROXY, np.linalg, CONTRACT.linalg_names),
        (MATH_PROXY, math, CONTRACT.math_names),
    )
    for proxy, module, listed in proxies:
        extra = [name for name in dir(module) if not name.startswith("_") and name not in listed]
        assert extra, module.__name__  # the proxies hide part of each module
        for name in extra:
            with pytest.raises(AttributeError, match="not available to a prior"):
                getattr(proxy, name)
    for expression, error in (("np.random", AttributeError), ("math.factorial", AttributeError),
                              ("obs.tofile", AttributeError), ("hex", NameError)):
        source = f"import math\nimport numpy as np\n\ndef policy(obs):\n    return {expression}\n"
        policy = load_policy(source, trial=False)
        with pytest.raises(error):
            policy(np.zeros(3))


@pytest.mark.parametrize("statement", CONTRACT.imports + ("from math import sqrt", "from numpy.linalg import norm"))
def test_each_import_in_the_contract_loads(statement):
    load_policy(f"{statement}\n\ndef policy(obs):\n    return obs\n", trial=False)


def test_the_contract_limits_are_load_policys_defaults():
    defaults = inspect.signature(load_policy).parameters
    assert CONTRACT.limits.max_iterations == defaults["max_iterations"].default
    assert CONTRACT.limits.call_seconds == defaults["call_seconds"].default
    with pytest.raises(PolicyRejected, match=f"limit {CONTRACT.limits.max_source_chars}"):
        compile_policy("#" * (CONTRACT.limits.max_source_chars + 1))


# One fragment of each refusal sentence -> programs that break that rule, and when they fail:
# "load" (PolicyRejected, no trial) or the exception a call raises.
_M, _BITS = CONTRACT.limits.max_elements, CONTRACT.limits.max_int_bits
REFUSAL_EXAMPLES = {
    "Imports other than": ["import os", "from numpy import *", "from . import policy", "from numpy import random"],
    "starting with an underscore": ["def _clip(x):\n    return x", "_gain = 2", "def f(_x):\n    return _x",
                                    "def g(obs):\n    return obs.__class__"],
    "Class definitions": ["class Gains:\n    pass"],
    "builtins are refused": [f"x = {name}" for name in sorted(FORBIDDEN_NAMES) if not name.startswith("_")],
    "Setting or deleting attributes": [("def policy(obs):\n    policy.cache = {}\n    return obs", TypeError)],
    "outside the lists are refused": [("def policy(obs):\n    return np.random.rand(3)", AttributeError),
                                      ("def policy(obs):\n    return obs.tofile", AttributeError)],
    "Format specs": ["def g(x):\n    return f'{x:.2f}'", ("def policy(obs):\n    return '%d' % 3", TypeError)],
    "`nonlocal`": ["def g():\n    x = 1\n    def h():\n        nonlocal x\n    return h",
                   "async def g():\n    return 1", "def g(x):\n    match x:\n        case 1:\n            return 1"],
    "more than 1000000 elements": [(f"def policy(obs):\n    return np.zeros({_M + 1})", ValueError),
                                   (f"def policy(obs):\n    return list(range({_M + 1}))", ValueError),
                                   (f"def policy(obs):\n    return 'ab' * {_M}", ValueError),
                                   (f"def policy(obs):\n    return 2 ** {_BITS + 1}", ValueError)],
    "arrays must be numeric": [("def policy(obs):\n    return np.array(['a'])", TypeError),
                               ("def policy(obs):\n    return np.zeros(2, dtype='O')", TypeError),
                               ("def policy(obs):\n    return obs.astype('O')", TypeError),
                               ("def policy(obs):\n    return np.array([None])", TypeError)],
    "A call may run at most": [("def policy(obs):\n    while True:\n        pass", BudgetExceeded)],
}


def test_every_refusal_in_the_contract_has_examples():
    for rule in CONTRACT.refused:
        assert sum(fragment in rule for fragment in REFUSAL_EXAMPLES) == 1, rule
    assert len(REFUSAL_EXAMPLES) == len(CONTRACT.refused)


@pytest.mark.parametrize(
    "example",
    [example for examples in REFUSAL_EXAMPLES.values() for example in examples],
    ids=lambda example: (example if isinstance(example, str) else example[0]).splitlines()[-1].strip()[:40],
)
def test_each_refusal_in_the_contract_is_enforced(example):
    source, error = (example, None) if isinstance(example, str) else example
    source = f"import numpy as np\n\n{source}\n"
    if error is None:
        with pytest.raises(PolicyRejected) as info:
            load_policy(source + "\n\ndef policy(obs):\n    return obs\n", trial=False)
        assert "cannot be compiled" not in info.value.reason  # refused by the rule, not a typo in the example
    else:
        with pytest.raises(error):
            load_policy(source, trial=False, max_iterations=1000)(np.zeros(3))


def test_sandbox_modules_import_each_other_without_a_loop_or_private_names():
    package = Path(camel_gym.sandbox.__file__).parent
    imports: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        imports[path.stem] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and path.stem != "__init__":
                assert node.module != "camel_gym.sandbox", f"{path.name} imports the package that imports it"
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("camel_gym.sandbox."):
                imports[path.stem].add(node.module.rpartition(".")[2])
                private = [alias.name for alias in node.names if alias.name.startswith("_")]
                assert not private, f"{path.name} imports private {private} from {node.module}"
    done: set[str] = set()
    while len(done) < len(imports):  # peel off modules whose imports are all done; a loop never empties
        ready = {module for module, needs in imports.items() if module not in done and needs <= done}
        assert ready, f"import loop among {sorted(set(imports) - done)}"
        done |= ready


def test_the_rejection_message_names_the_allowed_imports(monkeypatch):
    from camel_gym.sandbox import errors
    from camel_gym.sandbox.rules import ALLOWED_IMPORTS

    assert f"imports only {', '.join(ALLOWED_IMPORTS)}." in str(PolicyRejected("no policy() defined"))
    monkeypatch.setattr(errors, "ALLOWED_IMPORTS", ("math",))  # the message follows the allow-list
    assert str(PolicyRejected("x")).endswith("imports only math.")
