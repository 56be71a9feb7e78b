"""Tests for camel_gym.pipeline.prompts: the LLM prompt built from the environment itself."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import gymnasium as gym
import jinja2
import pytest

from camel_gym import load_policy
from camel_gym.pipeline.prompts import (
    DEFAULT_OBJECTIVE,
    REASONING_INSTRUCTION,
    Prompt,
    PromptTemplateError,
    build_prompt,
)
from camel_gym.sandbox.rules import policy_contract

CURATED = {"Hopper-v4": (11, 3), "Walker2d-v4": (17, 6), "Ant-v4": (27, 8)}


@pytest.fixture(scope="module")
def prompts() -> dict[str, Prompt]:
    # Building a prompt makes the env; do it once per id for the whole module.
    return {env_id: build_prompt(env_id) for env_id in [*CURATED, "HalfCheetah-v4"]}


def _table_indices(user: str, heading: str) -> list[int]:
    section = user.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return [int(m.group(1)) for m in re.finditer(r"^\|\s*(\d+)\s*\|", section, re.MULTILINE)]


@pytest.mark.parametrize("env_id", list(CURATED))
def test_curated_prompt_matches_the_env(prompts: dict[str, Prompt], env_id: str) -> None:
    obs_dim, act_dim = CURATED[env_id]
    env = gym.make(env_id)
    try:
        assert env.observation_space.shape == (obs_dim,)
        assert env.action_space.shape == (act_dim,)
        xml_path = env.unwrapped.fullpath
    finally:
        env.close()
    user = prompts[env_id].user
    assert f"## Observation space ({obs_dim} values)" in user
    assert f"## Action space ({act_dim} values)" in user
    assert _table_indices(user, "Observation space") == list(range(obs_dim))
    assert _table_indices(user, "Action space") == list(range(act_dim))
    assert "No curated table" not in user
    # The whole model file the simulator loaded, not a summary of it.
    xml_text = Path(xml_path).read_text(encoding="utf-8")
    model_line = next(line for line in xml_text.splitlines() if "<mujoco model=" in line)
    assert model_line in user
    assert xml_text.rstrip() in user
    assert REASONING_INSTRUCTION in user
    assert "exactly one Python code block" in user
    assert f"exactly {act_dim} floats, each in [-1, 1]" in user
    assert "`import math`" in user and "`import numpy as np`" in user
    assert "pure function of `obs`" in user
    assert "No randomness" in user
    assert "Class definitions are refused" in user
    assert "well under a millisecond" in user


def test_ant_v4_prompt_is_the_27_dim_layout(prompts: dict[str, Prompt]) -> None:
    user = prompts["Ant-v4"].user
    assert "27" in user
    assert "cfrc_ext" not in user
    assert "105" not in user
    # Action order starts with leg 4, observation order with leg 1: both must be stated.
    assert "| 0 | torque on the rotor between the torso and the upper link of leg 4" in user
    assert re.search(r"^\| 5 \| [^|]*\| hip_1 \|", user, re.MULTILINE)
    assert re.search(r"^\| 26 \| [^|]*\| ankle_4 \|", user, re.MULTILINE)


def test_ant_v5_does_not_get_the_v4_table() -> None:
    # Ant-v5 observes 105 values by default; the 27-row table would mislabel them.
    user = build_prompt("Ant-v5").user
    assert "## Observation space (105 values)" in user
    assert "No curated table" in user
    assert "| 26 | angular velocity of ankle_4" not in user


def test_env_kwargs_that_change_the_layout_fall_back_to_generic() -> None:
    user = build_prompt(
        "Hopper-v4", env_kwargs={"exclude_current_positions_from_observation": False}
    ).user
    assert "## Observation space (12 values)" in user
    assert "No curated table" in user


def test_generic_prompt_lists_actuators_from_the_xml(prompts: dict[str, Prompt]) -> None:
    user = prompts["HalfCheetah-v4"].user
    for i, name in enumerate(["bthigh", "bshin", "bfoot", "fthigh", "fshin", "ffoot"]):
        assert re.search(rf"^\| {i} \| {name} \| motor \| {name} \| \[-1, 1\] \|", user, re.M)
    assert "| rooty | hinge |" in user  # joints listed too
    assert "## Observation space (17 values)" in user
    assert DEFAULT_OBJECTIVE in user
    assert "HalfCheetah is a 2-dimensional robot" in user  # from the v5 docstring
    assert '<mujoco model="cheetah">' in user
    assert REASONING_INSTRUCTION in user
    assert "exactly 6 floats" in user


def test_env_without_xml_omits_the_model_section() -> None:
    prompt = build_prompt("Pendulum-v1")
    assert "MuJoCo model" not in prompt.user
    assert "\n\n\n" not in prompt.user
    assert "exactly 1 floats, each in [-2, 2]" in prompt.user


def test_template_dir_overrides_file_by_file(tmp_path: Path, prompts: dict[str, Prompt]) -> None:
    (tmp_path / "system.md").write_text("You control {{ env_id }} with {{ act_dim }} motors.\n")
    custom = build_prompt("Hopper-v4", template_dir=tmp_path)
    default = prompts["Hopper-v4"]
    assert custom.system == "You control Hopper-v4 with 3 motors.\n"
    assert custom.user == default.user
    assert custom.sha256 != default.sha256


def test_template_dir_overrides_the_included_contract(tmp_path: Path, prompts: dict[str, Prompt]) -> None:
    # task.md stays the packaged one; the contract.md it includes comes from the user's folder
    (tmp_path / "contract.md").write_text(
        "Return {{ act_dim }} floats.{% if xml_text %} You saw {{ xml_file }}.{% endif %} Cost: $5 <= 6 & more.\n"
    )
    user = build_prompt("Hopper-v4", template_dir=tmp_path).user
    assert user.endswith("## Output contract\n\nReturn 3 floats. You saw hopper.xml. Cost: $5 <= 6 & more.\n")
    assert user.split("## Output contract")[0] == prompts["Hopper-v4"].user.split("## Output contract")[0]
    # Markdown and code, not HTML: nothing is escaped (the XML keeps its angle brackets)
    assert '<mujoco model="hopper">' in user and "&lt;" not in user


def test_template_dir_overrides_a_curated_doc(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    rows = "\n".join(f"| {i} | value {i} |" for i in range(11))
    actions = "\n".join(f"| {i} | motor {i} |" for i in range(3))
    (docs / "hopper.md").write_text(
        f"## Observation\n\n{rows}\n\n## Action\n\n{actions}\n\n## Objective\n\nJump high.\n"
    )
    user = build_prompt("Hopper-v4", template_dir=tmp_path).user
    assert "Jump high." in user
    assert "| 10 | value 10 |" in user


def test_unknown_placeholder_names_file_and_placeholder(tmp_path: Path) -> None:
    (tmp_path / "task.md").write_text("Control {{ env_id }};\nmind {{ gait_period }}.\n")
    with pytest.raises(PromptTemplateError) as info:
        build_prompt("Hopper-v4", template_dir=tmp_path)
    message = str(info.value)
    assert str(tmp_path / "task.md") + ", line 2" in message and "gait_period" in message
    assert "known variables: env_id, obs_dim" in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, KeyError)
    assert isinstance(info.value.__cause__, jinja2.UndefinedError)
    assert info.value.placeholder == "gait_period"


def test_jinja_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "system.md").write_text("You control {{ env_id }}.\n{% if %}\n")
    with pytest.raises(PromptTemplateError, match=r"system\.md, line 2: .*expression") as info:
        build_prompt("Hopper-v4", template_dir=tmp_path)
    assert info.value.placeholder is None


@pytest.mark.parametrize("old", ["$env_id", "${obs_dim}", "$contract"])
def test_string_template_syntax_of_0_1_is_a_clear_error(tmp_path: Path, old: str) -> None:
    # jinja2 would pass $env_id through as text; an old override folder must not give a prompt with holes
    (tmp_path / "task.md").write_text(f"Write policy(obs) for {old}.\n")
    name = old.strip("${}")
    with pytest.raises(PromptTemplateError, match=rf"task\.md uses the string\.Template syntax.*{{{{ {name} }}}}") as info:
        build_prompt("Hopper-v4", template_dir=tmp_path)
    assert info.value.placeholder == name


def test_a_dollar_is_plain_text(tmp_path: Path) -> None:
    (tmp_path / "system.md").write_text("Costs $5, or $$ and $unknown_word.\n")
    assert build_prompt("Hopper-v4", template_dir=tmp_path).system == "Costs $5, or $$ and $unknown_word.\n"


def test_missing_template_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        build_prompt("Hopper-v4", template_dir=tmp_path / "nope")


def test_sha256_is_stable_and_tracks_the_template(
    tmp_path: Path, prompts: dict[str, Prompt]
) -> None:
    first = prompts["Hopper-v4"]
    again = build_prompt("Hopper-v4")
    assert again == first
    assert first.sha256 == hashlib.sha256((first.system + first.user).encode()).hexdigest()
    (tmp_path / "task.md").write_text("Write policy(obs) for {{ env_id }} ({{ obs_dim }} inputs).\n")
    changed = build_prompt("Hopper-v4", template_dir=tmp_path)
    assert changed.sha256 != first.sha256
    assert changed.user == "Write policy(obs) for Hopper-v4 (11 inputs).\n"


def test_messages_shape(prompts: dict[str, Prompt]) -> None:
    prompt = prompts["Walker2d-v4"]
    messages = prompt.messages()
    assert messages == [
        {"role": "system", "content": prompt.system},
        {"role": "user", "content": prompt.user},
    ]
    assert all(set(m) == {"role", "content"} for m in messages)


def test_unknown_env_id_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="NoSuchRobot-v9"):
        build_prompt("NoSuchRobot-v9")


def test_discrete_action_space_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="CartPole-v1"):
        build_prompt("CartPole-v1")


# ---------------------------------------------------------------------------------------------
# the contract: generated from the sandbox's allow-lists, so what the prompt lists loads


def _listed(user: str, heading: str) -> list[str]:
    """The names the prompt lists under ``- <heading>...:``, across its wrapped lines."""
    section = user.split("The code runs in a sandbox that offers only what is listed here:", 1)[1]
    section = section.split("\n\n", 1)[0]
    item = next(i for i in section.split("\n- ") if i.startswith(heading))
    return [name.strip() for name in item.split(":", 1)[1].replace("\n", " ").split(",")]


def test_the_contract_lists_every_allowed_name(prompts: dict[str, Prompt]) -> None:
    contract = policy_contract()
    user = prompts["Hopper-v4"].user
    assert _listed(user, "numpy, as") == list(contract.numpy_names)
    assert _listed(user, "numpy.linalg") == list(contract.linalg_names)
    assert _listed(user, "math") == list(contract.math_names)
    assert _listed(user, "Builtins") == list(contract.builtins)
    assert _listed(user, "Array attributes") == list(contract.array_attributes)
    assert all(f"`{statement}`" in user for statement in contract.imports)
    assert all(f"- {rule}\n" in user for rule in contract.refused)
    # grouped on a few lines for a reader, not one name per line
    contract_text = user.split("## Output contract", 1)[1]
    name_lines = [line for line in contract_text.splitlines() if line.startswith("  ")]
    assert max(len(line) for line in name_lines) <= 100
    assert len(contract.numpy_names) > 100 and len(name_lines) < 40


def test_the_contract_states_the_underscore_rule(prompts: dict[str, Prompt]) -> None:
    # a model answering the old prompt wrote a helper `_clip`, which the prompt allowed and the sandbox refuses
    user = prompts["Hopper-v4"].user
    assert "names must not start with an underscore" in user
    assert "Names starting with an underscore are refused" in user and "`def _clip(x)`" in user


def test_a_policy_using_everything_the_prompt_lists_loads(prompts: dict[str, Prompt]) -> None:
    user = prompts["Hopper-v4"].user
    imports = re.search(r"^- Imports: (.*)\.$", user, re.M).group(1)
    references = [
        *(f"np.{n}" for n in _listed(user, "numpy, as")),
        *(f"np.linalg.{n}" for n in _listed(user, "numpy.linalg")),
        *(f"linalg.{n}" for n in _listed(user, "numpy.linalg")),
        *(f"math.{n}" for n in _listed(user, "math")),
        *_listed(user, "Builtins"),
        *(f"obs.{n}" for n in _listed(user, "Array attributes")),
    ]
    code = "\n".join(
        [*re.findall(r"`([^`]+)`", imports), "", "GAIN = 0.5", "",
         "def clip_action(a):", "    return np.clip(a, -1.0, 1.0)", "",
         "def policy(obs):", f"    used = ({', '.join(references)},)", "    return clip_action(GAIN * obs[2:5])", ""]
    )
    env = gym.make("Hopper-v4")
    try:
        prior = load_policy(code, env=env)
        action = prior(env.reset(seed=0)[0])
    finally:
        env.close()
    assert action.shape == (3,)
