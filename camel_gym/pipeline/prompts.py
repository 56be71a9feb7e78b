"""Build the LLM prompt that asks for a hard-coded prior policy (CAMEL, arXiv 2502.11896).

CAMEL's prior comes from an LLM that reads the environment's documentation (the
observation and action tables) and its MuJoCo XML, reasons step by step, and writes
``policy(obs) -> action`` in plain Python with ``math`` and ``numpy`` only. This module
assembles that prompt from the environment itself, so what the LLM reads always matches
what the sandbox (:mod:`camel_gym.sandbox`) will later feed the policy:

* the observation and action spaces (shape, bounds, dtype) come from ``gym.make``;
* the MuJoCo model is the file the environment actually loaded (``env.unwrapped.fullpath``);
* Hopper, Walker2d and Ant get curated tables (``prompt_templates/docs/<family>.md``), used
  only when their observation and action tables have exactly as many rows as the spaces
  have dimensions (Ant-v5's default 105-dim observation does not match the 27-row Ant-v4
  table, so it falls back to the generic section instead of a wrong table);
* any other environment gets a generic section built from the spaces, the XML's joints and
  actuators, and the description section of the Gymnasium v5 docstring of its family.

The text lives in jinja2 templates (``system.md``, ``task.md``, and ``contract.md``, which
``task.md`` includes) that a user can override file by file with ``template_dir``. The
contract (what the code may import, call and read, and what the sandbox refuses) is rendered
from :func:`camel_gym.sandbox.rules.policy_contract`, the sandbox's own allow-lists, so the
prompt cannot promise what the sandbox then refuses.

>>> prompt = build_prompt("Hopper-v4")
>>> [m["role"] for m in prompt.messages()]
['system', 'user']
>>> "| 10 | angular velocity of the foot hinge" in prompt.user
True
>>> len(prompt.sha256)
64
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import re
import traceback
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import jinja2
import numpy as np

from camel_gym.priors import env_family
from camel_gym.sandbox.rules import policy_contract

__all__ = [
    "DEFAULT_OBJECTIVE",
    "PLACEHOLDERS",
    "REASONING_INSTRUCTION",
    "TEMPLATE_FILES",
    "Prompt",
    "PromptTemplateError",
    "build_prompt",
]

#: Template files, looked up in ``template_dir`` first and in the package otherwise
#: (``task.md`` includes ``contract.md``).
TEMPLATE_FILES = ("system.md", "task.md", "contract.md")

#: Objective for environments without a curated doc. Most Gymnasium MuJoCo tasks are
#: locomotion; the description (taken from the v5 docstring) states the goal of the others.
DEFAULT_OBJECTIVE = (
    "Unless the description above states a different goal: move forward (+x) as fast as "
    "possible without falling; episodes end when the body is unhealthy."
)

#: Chain-of-thought instruction (the paper's prompts ask for reasoning before code).
REASONING_INSTRUCTION = (
    "Reason step by step before writing any code. First describe the body: its parts, how "
    "the joints connect them, and which observation indices and which action indices belong "
    "to each joint (note that the two orders may differ). Then reason about the physics: "
    "what keeps the body healthy (upright, at a safe height) and which joint torques push "
    "it forward. Then design the gait or control strategy (for example a phase or "
    "state machine read from the joint angles and velocities, with PD-style feedback that "
    "keeps the torso stable) and choose its gains and constants. Only after this reasoning, "
    "write the code."
)

#: Variables :func:`build_prompt` gives the templates; a template may use any subset. All are
#: strings but ``obs_dim`` and ``act_dim`` (ints), ``xml_text`` is empty for an env without a
#: MuJoCo model, and ``sandbox`` is the :class:`camel_gym.sandbox.rules.PolicyContract`.
PLACEHOLDERS = (
    "env_id",
    "obs_dim",
    "act_dim",
    "obs_shape",
    "act_shape",
    "obs_dtype",
    "act_dtype",
    "obs_low",
    "obs_high",
    "act_low",
    "act_high",
    "act_bounds",
    "description",
    "observation_doc",
    "action_doc",
    "objective",
    "xml_file",
    "xml_text",
    "reasoning",
    "sandbox",
)

_DOC_SECTIONS = ("Observation", "Action", "Objective")
_GYM_MUJOCO_PREFIX = "gymnasium.envs.mujoco."
_TABLE_INDEX_ROW = re.compile(r"^\|\s*(\d+)\s*\|", re.MULTILINE)
# string.Template syntax, which templates used before they moved to jinja2: $name or ${name};
# 0.1's names are today's and two that became template text (the model section, the contract)
_LEGACY_PLACEHOLDER = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_LEGACY_NAMES = frozenset(PLACEHOLDERS) | {"xml", "contract"}
_UNDEFINED_NAME = re.compile(r"^'(\w+)' is undefined$")


class PromptTemplateError(ValueError, KeyError):
    """A prompt template is broken: an unknown variable, a jinja2 syntax error, or old syntax.

    ``placeholder`` is the variable at fault, when one is. It is a ``ValueError`` (bad template
    content) and, as before the templates moved to jinja2, a ``KeyError``, so code written for
    either ``except`` clause keeps catching it.
    """

    def __init__(self, template: str, placeholder: str | None, detail: str) -> None:
        super().__init__(detail)
        self.template = template
        self.placeholder = placeholder
        self.detail = detail

    # KeyError.__str__ would repr-quote the message; keep it readable.
    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class Prompt:
    """A rendered prompt; ``sha256`` (hex, of ``system + user``) identifies it in run logs."""

    system: str
    user: str
    env_id: str
    sha256: str

    def messages(self) -> list[dict[str, str]]:
        """The OpenAI Chat Completions ``messages`` list.

        >>> Prompt("be brief", "hi", "X-v0", "0" * 64).messages()
        [{'role': 'system', 'content': 'be brief'}, {'role': 'user', 'content': 'hi'}]
        """
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": self.user},
        ]


def build_prompt(
    env_id: str,
    *,
    template_dir: str | Path | None = None,
    env_kwargs: dict[str, Any] | None = None,
) -> Prompt:
    """Render the system and user prompts that ask an LLM for ``policy(obs)`` on ``env_id``.

    ``template_dir`` may hold ``system.md``, ``task.md``, ``contract.md`` (jinja2 templates,
    with the variables of :data:`PLACEHOLDERS`) and ``docs/<family>.md`` (plain Markdown);
    each file present there replaces the packaged one of the same name, the others stay the
    default. ``env_kwargs`` go to ``gym.make`` (they can change the spaces, and so whether the
    curated tables apply).

    Raises ``ValueError`` for an unknown id, ``TypeError`` when the action (or observation)
    space is not a ``Box``, and :class:`PromptTemplateError` for a template that uses a
    variable not in :data:`PLACEHOLDERS`, is not valid jinja2, or still uses the
    ``string.Template`` syntax (``$env_id``) of camel-gym 0.1.
    """
    template_root = _check_template_dir(template_dir)
    try:
        gym.spec(env_id)
    except gym.error.Error as exc:
        raise ValueError(f"unknown environment id {env_id!r}: {exc}") from exc

    env = gym.make(env_id, **(env_kwargs or {}))
    try:
        obs_space, act_space = env.observation_space, env.action_space
        unwrapped = env.unwrapped
        env_module = type(unwrapped).__module__
        env_class = type(unwrapped)
        xml_path = getattr(unwrapped, "fullpath", None)
    finally:
        env.close()

    if not isinstance(act_space, gym.spaces.Box):
        raise TypeError(
            f"{env_id}: the action space must be a gymnasium.spaces.Box (a policy returns "
            f"a vector of floats), got {act_space}"
        )
    if not isinstance(obs_space, gym.spaces.Box):
        raise TypeError(
            f"{env_id}: the observation space must be a gymnasium.spaces.Box (policy(obs) "
            f"reads a numpy array), got {obs_space}"
        )

    obs_dim = int(np.prod(obs_space.shape))
    act_dim = int(np.prod(act_space.shape))
    xml_text = _read_xml(xml_path)
    # only Gymnasium's MuJoCo envs have curated docs and v5 docstrings to read
    family = env_family(env_id) if env_module.startswith(_GYM_MUJOCO_PREFIX) else None

    templates = _environment(template_root)
    curated = _curated_doc(family, templates, obs_dim, act_dim) if family else None
    if curated is not None:
        description = curated.get("Description") or _generic_description(env_id, xml_text)
        observation_doc = curated["Observation"]
        action_doc = curated["Action"]
        objective = curated["Objective"]
    else:
        model = _parse_model(xml_text) if xml_text is not None else None
        description = _docstring_description(env_module, env_class) or _generic_description(
            env_id, xml_text
        )
        observation_doc = _generic_observation_doc(obs_space, model)
        action_doc = _generic_action_doc(act_space, model)
        objective = DEFAULT_OBJECTIVE

    variables = {
        "env_id": env_id,
        "obs_dim": obs_dim,
        "act_dim": act_dim,
        "obs_shape": str(tuple(obs_space.shape)),
        "act_shape": str(tuple(act_space.shape)),
        "obs_dtype": str(obs_space.dtype),
        "act_dtype": str(act_space.dtype),
        "obs_low": _fmt_bounds(obs_space.low),
        "obs_high": _fmt_bounds(obs_space.high),
        "act_low": _fmt_bounds(act_space.low),
        "act_high": _fmt_bounds(act_space.high),
        "act_bounds": _bounds_phrase(act_space),
        "description": description,
        "observation_doc": observation_doc,
        "action_doc": action_doc,
        "objective": objective,
        "xml_file": Path(xml_path).name if xml_text is not None else "",
        "xml_text": (xml_text or "").rstrip(),
        "reasoning": REASONING_INSTRUCTION,
        "sandbox": policy_contract(),
    }
    system = _render(templates, "system.md", variables)
    user = _render(templates, "task.md", variables)
    digest = hashlib.sha256((system + user).encode("utf-8")).hexdigest()
    return Prompt(system=system, user=user, env_id=env_id, sha256=digest)


# --------------------------------------------------------------------------- templates


def _check_template_dir(template_dir: str | Path | None) -> Path | None:
    if template_dir is None:
        return None
    root = Path(template_dir)
    # A typo in the path would otherwise silently give the default prompt.
    if not root.is_dir():
        raise NotADirectoryError(f"template_dir {str(root)!r} is not a directory")
    for name in TEMPLATE_FILES:
        if (root / name).is_file():
            _refuse_legacy_syntax(root / name)
    return root


def _refuse_legacy_syntax(path: Path) -> None:
    # jinja2 would print an old $env_id as it is, and the LLM would get a prompt with holes
    for match in _LEGACY_PLACEHOLDER.finditer(path.read_text(encoding="utf-8")):
        name = match.group(1) or match.group(2)
        if name in _LEGACY_NAMES:
            raise PromptTemplateError(
                str(path),
                name,
                f"prompt template {path} uses the string.Template syntax of camel-gym 0.1 "
                f"(${name}); templates are jinja2 now: write {{{{ {name} }}}} for a value, "
                "{% if xml_text %}...{% endif %} for a section that may be empty, "
                "and {% include \"contract.md\" %} where $contract was (the packaged "
                "camel_gym/pipeline/prompt_templates/ show each)",
            )


def _environment(template_root: Path | None) -> jinja2.Environment:
    """The prompt templates, the user's folder first; autoescape off: the text is Markdown and code, not HTML."""
    packaged = jinja2.PackageLoader("camel_gym.pipeline", "prompt_templates")
    loader = packaged if template_root is None else jinja2.ChoiceLoader([jinja2.FileSystemLoader(template_root), packaged])
    return jinja2.Environment(
        loader=loader,
        autoescape=False,
        undefined=jinja2.StrictUndefined,  # a misspelt variable is an error, not a hole in the prompt
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _template_file(exc: BaseException, fallback: str) -> str:
    """The template file (and line) an error was raised in: jinja2 puts template frames in the traceback."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.endswith(".py")]
    return f"{frames[-1].filename}, line {frames[-1].lineno}" if frames else fallback


def _render(templates: jinja2.Environment, name: str, variables: dict[str, Any]) -> str:
    try:
        text = templates.get_template(name).render(variables)
    except jinja2.TemplateNotFound as exc:  # only if the package data was not installed
        raise FileNotFoundError(
            f"prompt template {exc.name!r} not found in camel_gym/pipeline/prompt_templates"
        ) from exc
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or name}, line {exc.lineno}"
        raise PromptTemplateError(where, None, f"prompt template {where}: {exc.message}") from exc
    except jinja2.UndefinedError as exc:
        where = _template_file(exc, name)
        match = _UNDEFINED_NAME.match(str(exc.message))
        raise PromptTemplateError(
            where,
            match.group(1) if match else None,
            f"prompt template {where}: {exc.message} (known variables: {', '.join(PLACEHOLDERS)})",
        ) from exc
    return text.strip() + "\n"


# ------------------------------------------------------------------------ curated docs


def _split_sections(markdown: str) -> dict[str, str]:
    markdown = re.sub(r"<!--.*?-->", "", markdown, flags=re.DOTALL)
    sections: dict[str, str] = {}
    for chunk in re.split(r"^## ", markdown, flags=re.MULTILINE)[1:]:
        title, _, body = chunk.partition("\n")
        sections[title.strip()] = body.strip()
    return sections


def _table_indices(section: str) -> list[int]:
    return [int(m.group(1)) for m in _TABLE_INDEX_ROW.finditer(section)]


def _curated_doc(
    family: str, templates: jinja2.Environment, obs_dim: int, act_dim: int
) -> dict[str, str] | None:
    # plain Markdown, not a template: read through the loader for its user-folder-first lookup
    try:
        text, where, _ = templates.loader.get_source(templates, f"docs/{family}.md")
    except jinja2.TemplateNotFound:
        return None
    sections = _split_sections(text)
    missing = [s for s in _DOC_SECTIONS if s not in sections]
    if missing:
        raise ValueError(f"curated doc {where} lacks the section(s) {', '.join(missing)}")
    # The table describes one layout; a different one (other version, env_kwargs) must not
    # get a table whose indices would be wrong, so it falls back to the generic section.
    if _table_indices(sections["Observation"]) != list(range(obs_dim)):
        return None
    if _table_indices(sections["Action"]) != list(range(act_dim)):
        return None
    return sections


# ------------------------------------------------------------------------ generic docs


@dataclass(frozen=True)
class _Model:
    model_name: str
    angle_unit: str
    joints: list[dict[str, str]]
    actuators: list[dict[str, str]]


def _read_xml(path: str | None) -> str | None:
    if not path:
        return None
    file = Path(path)
    return file.read_text(encoding="utf-8") if file.is_file() else None


def _parse_model(xml_text: str) -> _Model | None:
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return None
    compiler = root.find("compiler")
    # MuJoCo's default angle unit in MJCF is degrees; the joint ranges below are in it.
    angle_unit = compiler.get("angle", "degree") if compiler is not None else "degree"
    joints: list[dict[str, str]] = []
    worldbody = root.find("worldbody")
    if worldbody is not None:
        # Only joints in the body tree: <default> also holds <joint> elements (defaults).
        for element in worldbody.iter():
            if element.tag == "joint":
                joints.append(
                    {
                        "name": element.get("name", "(unnamed)"),
                        "type": element.get("type", "hinge"),
                        "range": element.get("range", ""),
                        "axis": element.get("axis", ""),
                    }
                )
            elif element.tag == "freejoint":
                name = element.get("name", "(unnamed)")
                joints.append({"name": name, "type": "free", "range": "", "axis": ""})
    actuators: list[dict[str, str]] = []
    for section in root.findall("actuator"):
        for element in section:
            if not isinstance(element.tag, str):  # comments
                continue
            target = element.get("joint") or element.get("tendon") or element.get("site") or ""
            actuators.append(
                {
                    "name": element.get("name") or target or "(unnamed)",
                    "type": element.tag,
                    "joint": target,
                    "ctrlrange": element.get("ctrlrange", ""),
                    "gear": element.get("gear", "1"),
                }
            )
    return _Model(root.get("model", ""), angle_unit, joints, actuators)


def _docstring_description(env_module: str, env_class: type) -> str | None:
    """The '## Description' section of the v5 docstring of a Gymnasium MuJoCo env, else of the env class.

    The v5 module is named after the env's own module (``humanoidstandup_v4`` -> ``humanoidstandup_v5``),
    not after its family, whose snake_case spelling (``humanoid_standup``) Gymnasium does not use.
    """
    candidates: list[type] = []
    if env_module.startswith(_GYM_MUJOCO_PREFIX):
        try:
            module = importlib.import_module(re.sub(r"_v\d+$", "_v5", env_module))
        except ImportError:
            module = None
        if module is not None:
            candidates += [
                obj
                for obj in vars(module).values()
                if inspect.isclass(obj) and obj.__module__ == module.__name__
            ]
    # The v4 classes carry no docstring, but e.g. classic-control classes do.
    candidates.append(env_class)
    for cls in candidates:
        doc = inspect.getdoc(cls) or ""
        match = re.search(r"^## Description\s*\n(.*?)(?=^## |\Z)", doc, re.DOTALL | re.MULTILINE)
        if match and match.group(1).strip():
            return match.group(1).strip()
    return None


def _generic_description(env_id: str, xml_text: str | None) -> str:
    simulated = " simulated with MuJoCo (its model is below)" if xml_text else ""
    return f"`{env_id}` is a Gymnasium environment{simulated}."


def _fmt_value(value: float) -> str:
    return format(float(value), "g")


def _fmt_bounds(values: np.ndarray) -> str:
    """One number when all elements agree (the usual case), else the whole list."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    if flat.size and np.all(flat == flat[0]):
        return _fmt_value(flat[0])
    return "[" + ", ".join(_fmt_value(v) for v in flat) + "]"


def _bounds_phrase(space: gym.spaces.Box) -> str:
    low, high = _fmt_bounds(space.low), _fmt_bounds(space.high)
    if not low.startswith("[") and not high.startswith("["):
        return f"each in [{low}, {high}]"
    return f"element i in [low[i], high[i]] with low = {low} and high = {high}"


def _generic_observation_doc(space: gym.spaces.Box, model: _Model | None) -> str:
    dim = int(np.prod(space.shape))
    lines = [
        f"The observation `obs` is a numpy array of {dim} {space.dtype} values, "
        f"{_bounds_phrase(space)}.",
        "",
        "No curated table is available for this environment. In Gymnasium's MuJoCo "
        "environments the observation usually starts with the joint positions (qpos, often "
        "without the root's x/y coordinates), followed by the joint velocities (qvel) and, "
        "in some environments, further quantities; use the description and the model to "
        "infer the layout.",
    ]
    if model is not None and model.joints:
        lines += [
            "",
            "Joints of the MuJoCo model, in XML order (the order of qpos and qvel; a free "
            "joint takes 7 qpos entries (x, y, z, quaternion w, x, y, z) and 6 qvel entries, "
            "a slide or hinge joint 1 each). Ranges are in "
            f"{'radians' if model.angle_unit == 'radian' else 'degrees'} for hinges, "
            "metres for slides:",
            "",
            "| # | Joint (XML name) | Type | Range | Axis |",
            "|---|------------------|------|-------|------|",
        ]
        lines += [
            f"| {i} | {j['name']} | {j['type']} | {j['range'] or '-'} | {j['axis'] or '-'} |"
            for i, j in enumerate(model.joints)
        ]
    return "\n".join(lines)


def _generic_action_doc(space: gym.spaces.Box, model: _Model | None) -> str:
    dim = int(np.prod(space.shape))
    lines = [f"The action is a vector of {dim} {space.dtype} values, {_bounds_phrase(space)}."]
    if model is None or not model.actuators:
        return "\n".join(lines)
    lines.append("")
    if len(model.actuators) == dim:
        lines.append(
            "Each value is the control of one actuator of the model's <actuator> section, "
            "in XML order (for motors, the torque on the joint is the value times the gear):"
        )
    else:
        # Do not claim a mapping the model does not support.
        lines.append(
            f"The model's <actuator> section lists {len(model.actuators)} actuators for "
            f"{dim} action values, so the mapping is not one-to-one; the actuators are:"
        )
    lines += [
        "",
        "| Index | Actuator | Type | Joint | Control range | Gear |",
        "|-------|----------|------|-------|---------------|------|",
    ]
    low, high = space.low.ravel(), space.high.ravel()
    for i, a in enumerate(model.actuators):
        # The Box bounds are the compiled ctrlrange (defaults classes included), which the
        # raw XML attribute often leaves out.
        if len(model.actuators) == dim:
            ctrl = f"[{_fmt_value(low[i])}, {_fmt_value(high[i])}]"
        else:
            ctrl = a["ctrlrange"] or "-"
        lines.append(
            f"| {i} | {a['name']} | {a['type']} | {a['joint'] or '-'} | {ctrl} | {a['gear']} |"
        )
    return "\n".join(lines)
