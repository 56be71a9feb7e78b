"""What the sandbox's compiler proves about a prior, and what it does with the proofs.

The hostile corpus (tests/hostile/*_bomb.py named after a trick: shadowed_float, mixed_binding,
identity_function, tuple_slice, shadowed_module) checks that no proof lets a real bomb through;
here the proofs themselves are pinned, and the shipped priors are checked to lose their guards
and nothing else.
"""

import ast
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from camel_gym import BudgetExceeded, load_policy
from camel_gym.priors import SHIPPED_PRIORS, shipped_prior
from camel_gym.sandbox import as_action
from camel_gym.sandbox.guards import _PRIOR_BUILTINS, PolicyTransformer
from camel_gym.sandbox.static_types import StaticTypes

HEADER = '''
import math
import numpy as np
from numpy import linalg

K = 0.5
SIGNS = (1.0, -1.0)
INDEX = (0, 2)
N = 3


def clip(x, lo, hi):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def scaled(v):
    return K * v


def first(a, b):
    return a
'''


def judge(body: str, expr: str) -> tuple[bool, bool]:
    """(numeric, integer) of ``expr`` placed at the end of ``body`` in a module after HEADER."""
    module = ast.parse(HEADER + body + f"\n_probe = {expr}\n")
    types = StaticTypes(module, _PRIOR_BUILTINS)
    node = module.body[-1].value
    return types.numeric(node), types.integer(node)


@pytest.mark.parametrize(
    "expr",
    [
        "0.5", "-0.5", "1j", "None", "float(v)", "math.sqrt(2)", "math.atan2(1, 2)", "math.pi", "np.inf",
        "K", "-K", "K * v", "v * K", "K + v", "(K - 1) ** 2", "abs(K)", "min(K, 1.0)", "max(K, 0.1, -K)",
        "K if v else 1.0", "SIGNS[0]", "SIGNS[i]", "SIGNS[N - 3]", "clip(K, 0.0, 1.0)", "scaled(v)",
        "first(K, v)", "K % v",
    ],
)
def test_proved_numeric(expr):
    assert judge("for i in range(2):\n    pass\n", expr)[0], expr


@pytest.mark.parametrize(
    "expr",
    [
        "1", "True", "v", "N", "[0.0]", "(1.0,)", "math.floor(K)", "math.isnan(K)", "round(K)", "sum(v)",
        "np.tanh(K)", "linalg.norm(v)", "abs(v)", "min(K, v)", "K if v else v", "SIGNS", "SIGNS[0:1]",
        "SIGNS[v]", "INDEX[0]", "clip(v, 0.0, 1.0)", "first(v, K)", "v % K", "float", "v[0]",
    ],
)
def test_not_proved_numeric(expr):
    assert not judge("for i in range(2):\n    pass\n", expr)[0], expr


@pytest.mark.parametrize(
    ("body", "name", "numeric"),
    [
        ("w = 0.5\nw = w * v\n", "w", True),  # defined in terms of itself: a fixed point
        ("w = 0.5\nw += v\n", "w", True),
        ("w = 0.5\ndef f():\n    w = [0]\n", "w", False),  # any scope's binding counts
        ("w = 0.5\nfor w in v:\n    pass\n", "w", False),
        ("w = 0.5\ndef f(w):\n    pass\n", "w", False),
        ("w = 0.5\ndel w\n", "w", False),
        ("w = 0.5\ntry:\n    pass\nexcept Exception as w:\n    pass\n", "w", False),
        ("w, z = 0.5, K\n", "z", True),
        ("w, z = v\n", "w", False),
        ("w = z = 0.5\n", "z", True),
        ("p = 0.5\nq = p\np = q\n", "p", True),
        ("p = v\nq = p\np = q * 2\n", "p", False),
        ("float = list\nw = float(v)\n", "w", False),  # a rebound builtin proves nothing
        ("abs = 2.0\n", "abs", False),  # a builtin's name may resolve to the builtin
        ("if v:\n    (z := 0.5)\n", "z", True),
        ("z = [v for z in v]\n", "z", False),
    ],
)
def test_names_need_every_binding_numeric(body, name, numeric):
    assert judge(body, name)[0] is numeric


@pytest.mark.parametrize(
    ("body", "expr", "integer"),
    [
        ("", "INDEX[1] + N", True),
        ("for i in range(3):\n    pass\n", "i * 2", True),
        ("for i in range(3):\n    pass\ni = 0.5\n", "i", False),
        ("range = list\nfor i in range(3):\n    pass\n", "i", False),
        ("", "len(v) - 1", True),
        ("", "SIGNS[0]", False),
    ],
)
def test_integers(body, expr, integer):
    assert judge(body, expr)[1] is integer


def test_functions_need_a_single_plain_definition():
    body = "def clip(x, lo, hi):\n    return [x]\n"  # a second definition of the helper
    assert not judge(body, "clip(K, 0.0, 1.0)")[0]
    body = "def g(x, lo=0.0):\n    return x\n"
    assert not judge(body, "g(K, 1.0)")[0]
    body = "def g(x):\n    x = [x]\n    return x\n"  # the parameter is rebound before it is returned
    assert not judge(body, "g(K)")[0]
    body = "def g(x):\n    yield x\n"
    assert not judge(body, "g(K)")[0]
    assert not judge("", "clip(K, 0.0)")[0]  # wrong arity


def test_module_proxies():
    types = StaticTypes(ast.parse(HEADER + "import numpy.linalg as la\nimport math as m2\nm2 = 1\n"), _PRIOR_BUILTINS)
    assert types.modules == {"math": "math", "np": "numpy", "linalg": "numpy.linalg", "la": "numpy.linalg"}


def _transformed(source: str) -> str:
    transformer = PolicyTransformer(errors=[], warnings=[], used_names={})
    tree = transformer.visit(ast.parse(source))
    assert not transformer.errors
    return ast.unparse(tree)


def _hook_calls(code: str, hook: str) -> int:
    return code.count(f"{hook}(")


# The guards left on each shipped prior's hot path, where the proofs cannot see a number: Ant builds
# its action list with `[0.0] * 8` and calls `.ravel()` once; Walker2d builds `[0.0] * 6`, indexes
# it with `3 * st` (st a leg index the proofs do not type) and sums joint angles read from lists.
GUARDS_LEFT = {"Hopper": {}, "Ant": {"_mul_": 1, "_getattr_": 1}, "Walker2d": {"_mul_": 7, "_add_": 4}}


def test_shipped_priors_keep_only_the_known_guards_on_their_hot_path():
    assert set(GUARDS_LEFT) == set(SHIPPED_PRIORS)  # a new shipped prior gets its line here
    for family, left in GUARDS_LEFT.items():
        code = _transformed(shipped_prior(f"{family}-v4").read_text())
        for hook in ("_mul_", "_add_", "_pow_", "_getattr_", "_unpack_sequence_"):
            assert _hook_calls(code, hook) == left.get(hook, 0), (family, hook, code)
        assert _hook_calls(code, "_tick_") >= 2 and "_getiter_(range(" not in code


def test_guards_stay_where_nothing_is_proved():
    code = _transformed("def policy(obs):\n    a, b = obs\n    c = [a] * 3 + obs\n    return c ** 2\n")
    for hook in ("_mul_", "_add_", "_pow_", "_unpack_sequence_"):
        assert _hook_calls(code, hook) == 1, (hook, code)
    assert "_getattr_(obs" in _transformed("def policy(obs):\n    return obs.ravel()\n")


@pytest.mark.parametrize("path", [shipped_prior(f"{f}-v4") for f in SHIPPED_PRIORS] + sorted(
    (Path(__file__).parents[1] / "llm_policies" / "test_priors").glob("*.py")), ids=lambda p: p.name)
def test_sandboxed_prior_computes_what_plain_python_computes(path):
    env = gym.make(_env_of(path))
    sandboxed = load_policy(path, env=env, trial=False)
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # our own file, trusted here
    plain = namespace["policy"]
    shape, dtype = env.action_space.shape, env.action_space.dtype
    obs, _ = env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(300):
        expected = as_action(plain(obs.copy()), shape, dtype)
        np.testing.assert_array_equal(as_action(sandboxed(obs), shape, dtype), expected)
        obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            obs, _ = env.reset()


def _env_of(path: Path) -> str:
    for family in SHIPPED_PRIORS:
        if path.name.startswith(family.lower()):
            return f"{family}-v4"
    raise AssertionError(f"no env for {path}")


def test_call_budget_recovers_after_a_call_that_exceeded_it():
    # function entries are charged in blocks of 64 by a C iterator; an exceeded call must not
    # leave it spent for the next
    source = "def depth(n):\n    return 0 if n <= 0 else depth(n - 1) + 1\n\ndef policy(obs):\n    return [depth(obs[0]), 0, 0]\n"
    policy = load_policy(source, trial=False, max_iterations=300)
    for _ in range(5):
        assert policy(np.array([100.0]))[0] == 100
        with pytest.raises(BudgetExceeded, match="300 loop iterations/function calls"):
            policy(np.array([900.0]))
    assert policy(np.array([200.0]))[0] == 200


def test_call_budget_cannot_be_swallowed():
    source = (
        "def spin(n):\n    return spin(n + 1)\n\n"
        "def policy(obs):\n    for i in range(50):\n        try:\n            spin(0)\n"
        "        except Exception:\n            pass\n    return [0.0, 0.0, 0.0]\n"
    )
    with pytest.raises(BudgetExceeded):
        load_policy(source, trial=False, max_iterations=500)(np.zeros(3))
