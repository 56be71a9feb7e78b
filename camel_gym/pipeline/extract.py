r"""Turn an LLM's raw text reply into the source of a prior-policy module.

The model is asked for a Python module that defines ``policy(obs) -> action``. Its reply
is Markdown-ish prose (reasoning, explanations) with the code somewhere inside.
:func:`extract_policy_code` finds that code; :func:`camel_gym.sandbox.load_policy` then
compiles and checks it. The rules, in order:

1. Fenced blocks (```` ``` ```` or ``~~~``, possibly indented, e.g. inside a Markdown
   list) tagged ``python``/``py``/``python3``/``py3`` (any case) or untagged are
   candidates; other languages (``json``, ``bash``, ``xml``, ...) are ignored. A fence
   left open at the end of a truncated reply runs to the end.
2. Among the candidates, the **last** block that parses (:func:`ast.parse`) and defines a
   top-level ``def policy(...)`` wins: models write drafts and fragments first and the
   full policy last. The block is returned whole (imports, constants, helpers), and never
   merged with earlier blocks.
3. If no candidate parses, the last one that textually defines a top-level
   ``def policy(`` is returned anyway, so that the sandbox reports the syntax error with
   its line and the repair step can send it back to the model.
4. Without such a block: a reply that is itself valid Python defining ``policy`` is
   returned as is; otherwise the largest contiguous run of lines outside the fences that
   starts at an ``import``/``from``/``def``/``CONSTANT =`` line, parses and defines
   ``policy`` is returned (the later one on a tie).
5. Otherwise :class:`NoPolicyCode` is raised, saying what the reply held.

The result is dedented, has no trailing whitespace on any line and ends with exactly one
newline. Line endings are normalized to ``\n`` first.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

__all__ = ["NoPolicyCode", "extract_policy_code"]

_EXPECTED = "expected a Python code block defining policy(obs)"
_PYTHON_TAGS = frozenset({"", "python", "py", "python3", "py3"})

# CommonMark: a fence is 3+ backticks or tildes; a backtick fence's info string may not
# contain a backtick (otherwise "```inline``` text" would open a block).
_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_LANGUAGE = re.compile(r"[{.\s]*([A-Za-z0-9_+-]*)")
_TOP_LEVEL_POLICY = re.compile(r"^def[ \t]+policy[ \t]*\(", re.MULTILINE)
_ANY_POLICY = re.compile(r"^[ \t]*def[ \t]+policy[ \t]*\(")
_CODE_START = re.compile(
    r"^[ \t]*(?:import[ \t]+\w|from[ \t]+[\w.]+[ \t]+import\b|def[ \t]+\w+[ \t]*\("
    r"|[A-Z_][A-Z0-9_]*[ \t]*(?::[^=\n]*)?=(?!=))"
)
# Bounds the prose search (lines handed to ast.parse, about a second's work): it is cubic
# in the lines of a reply, and a huge reply should fail fast, not stall the repair loop.
_PARSE_BUDGET_LINES = 600_000


class NoPolicyCode(ValueError):
    """The reply holds no usable ``policy`` code; the message says what it held instead.

    Attributes:
        reply_length: number of characters in the reply.
        n_blocks: number of fenced code blocks in it, of any language.
        languages: the blocks' language tags, ``""`` for untagged ones.
    """

    def __init__(
        self,
        message: str,
        *,
        reply_length: int = 0,
        n_blocks: int = 0,
        languages: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.reply_length = reply_length
        self.n_blocks = n_blocks
        self.languages = tuple(languages)

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only state is lost by BaseException's default pickling, and the
        # exception may cross a process boundary (the sandbox trial runs in a child).
        state = (str(self), self.reply_length, self.n_blocks, self.languages)
        return (_rebuild_no_policy_code, state)


def _rebuild_no_policy_code(
    message: str, reply_length: int, n_blocks: int, languages: tuple[str, ...]
) -> NoPolicyCode:
    return NoPolicyCode(message, reply_length=reply_length, n_blocks=n_blocks, languages=languages)


@dataclass(frozen=True)
class _Block:
    language: str  # lower-cased first word of the info string, "" when untagged
    code: str  # dedented content
    start: int  # index of the opening fence line
    end: int  # index one past the closing fence line


def extract_policy_code(reply: str) -> str:
    r"""Return the source of the policy module in an LLM ``reply``.

    See the module docstring for the rules. Raises :class:`NoPolicyCode` when the reply
    holds no code defining ``policy``.

    Example:
        >>> reply = (
        ...     "Let's think step by step: push the pole back upright.\n\n"
        ...     "```python\n"
        ...     "import numpy as np\n\n"
        ...     "def policy(obs):\n"
        ...     "    return np.clip(-0.5 * obs[:1], -1.0, 1.0)   \n"
        ...     "```\n"
        ...     "This keeps the action inside its bounds."
        ... )
        >>> print(extract_policy_code(reply), end="")
        import numpy as np
        <BLANKLINE>
        def policy(obs):
            return np.clip(-0.5 * obs[:1], -1.0, 1.0)
    """
    if not reply or not reply.strip():
        raise NoPolicyCode(f"the reply is empty; {_EXPECTED}", reply_length=len(reply or ""))
    text = reply.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    blocks = _fenced_blocks(lines)

    candidates = [b for b in blocks if b.language in _PYTHON_TAGS]
    for block in reversed(candidates):
        if _defines_policy(block.code):
            return _normalize(block.code)
    for block in reversed(candidates):
        if _TOP_LEVEL_POLICY.search(block.code):
            return _normalize(block.code)

    if not blocks:
        whole = textwrap.dedent(text)
        if _defines_policy(whole):
            return _normalize(whole)
    found = _largest_policy_run(_segments_outside(lines, blocks))
    if found is not None:
        return _normalize(found)
    raise _no_policy_error(reply, lines, blocks)


def _fenced_blocks(lines: list[str]) -> list[_Block]:
    """Every fenced block in ``lines``, in order, with the fence's indentation removed."""
    blocks: list[_Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE_OPEN.match(lines[i])
        if opening is None or (opening["fence"][0] == "`" and "`" in opening["info"]):
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        j = i + 1
        while j < len(lines) and not closing.match(lines[j]):
            j += 1
        # Content lines are indented like their fence (e.g. inside a list item); strip
        # that much, then dedent whatever common indentation is left.
        body = [_strip_indent(line, indent) for line in lines[i + 1 : j]]
        language = _LANGUAGE.match(opening["info"])[1].lower()  # type: ignore[index]
        code = textwrap.dedent("\n".join(body))
        blocks.append(_Block(language, code, i, min(j + 1, len(lines))))
        i = j + 1
    return blocks


def _strip_indent(line: str, width: int) -> str:
    n = 0
    while n < width and n < len(line) and line[n] in " \t":
        n += 1
    return line[n:]


def _defines_policy(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):  # ValueError: null bytes in the source
        return False
    return any(isinstance(node, ast.FunctionDef) and node.name == "policy" for node in tree.body)


def _segments_outside(lines: list[str], blocks: list[_Block]) -> list[list[str]]:
    """The runs of lines between fenced blocks: a prose run must not span a fence."""
    segments, start = [], 0
    for block in blocks:
        segments.append(lines[start : block.start])
        start = block.end
    segments.append(lines[start:])
    return [segment for segment in segments if segment]


def _largest_policy_run(segments: list[list[str]]) -> str | None:
    """The largest run of lines starting at a code-like line that parses and defines policy."""
    best: str | None = None
    best_length = 0
    budget = _PARSE_BUDGET_LINES
    for lines in segments:
        policy_lines = [k for k, line in enumerate(lines) if _ANY_POLICY.match(line)]
        if not policy_lines:
            continue
        for start, line in enumerate(lines):
            if not _CODE_START.match(line) or start > policy_lines[-1]:
                continue
            first_policy = next(k for k in policy_lines if k >= start)
            # Longest first, so the first success is this start's largest run; a run
            # ending on a blank line is never larger than one ending on code.
            for end in range(len(lines), first_policy + 1, -1):
                if end - start < best_length:
                    break
                if not lines[end - 1].strip():
                    continue
                budget -= end - start
                if budget < 0:
                    return best
                candidate = textwrap.dedent("\n".join(lines[start:end]))
                if _defines_policy(candidate):
                    best, best_length = candidate, end - start
                    break
    return best


def _normalize(source: str) -> str:
    lines = [line.rstrip() for line in textwrap.dedent(source).split("\n")]
    return "\n".join(lines).strip("\n") + "\n"


def _no_policy_error(reply: str, lines: list[str], blocks: list[_Block]) -> NoPolicyCode:
    languages = tuple(block.language for block in blocks)
    if blocks:
        tags = ", ".join(language or "untagged" for language in languages)
        plural = "" if len(blocks) == 1 else "s"
        message = (
            f"the reply has {len(blocks)} code block{plural} ({tags}) but none defines "
            f"`def policy(...)`"
        )
    elif any(_ANY_POLICY.match(line) for line in lines):
        message = (
            f"the reply ({len(reply)} characters) has no code blocks, and no run of lines "
            f"around its `def policy(...)` parses as Python"
        )
    else:
        message = f"the reply ({len(reply)} characters) has no code blocks and no `def policy(...)`"
    return NoPolicyCode(
        f"{message}; {_EXPECTED}",
        reply_length=len(reply),
        n_blocks=len(blocks),
        languages=languages,
    )
