"""Generate candidate priors with an LLM, validate them in the sandbox, and repair the broken ones.

For each of ``n`` candidates: one request with the environment's prompt; the reply's code is
extracted and loaded through :func:`camel_gym.load_policy` (the child-process trial on real
observations of the env included). A candidate that fails gets up to ``max_repairs`` repair
rounds in which the error is sent back to the model with its own code (Eureka-style).

The replies come from an OpenAI-compatible endpoint, or, with ``replies_dir``, from files: each
request is written to the run directory and its reply is read from ``REPLIES/cNN.md`` (the
first answer) or ``REPLIES/cNN.repairK.md`` (the K-th repair round). That is how a reply from a
chat window, or a published run's raw replies, go through exactly the same extraction,
validation and repair rounds. A reply file that is not there yet leaves its candidate
``request_failed`` with the file to write in its error; re-running picks up from there.

Everything lands in the run directory, written atomically as it happens, so an interrupted run
loses nothing and re-running into the same directory resumes instead of asking again::

    RUN/meta.json                        model, endpoint host, temperature, prompt hash, times (RunMeta)
    RUN/prompt/system.md, user.md        the prompt as sent
    RUN/candidates/c00/attempt0.request.json, .request.md  the messages of each request (all turns)
    RUN/candidates/c00/attempt0.md       the raw reply text (attempt1.md ... for repairs)
    RUN/candidates/c00/attempt0.json     the raw response JSON (offline: the reply file and its sha256)
    RUN/candidates/c00/attempt0.failed.json  a response that was no completion (no choices, empty message)
    RUN/candidates/c00/attempt0.py       the extracted code, when there was any
    RUN/candidates/c00/attempt0.check.json  the sandbox's verdict (AttemptCheck)
    RUN/candidates/c00/status.json       valid / invalid / request_failed, and the final attempt (CandidateStatus)
    RUN/candidates/c00/policy.py         the valid policy (a copy of its attempt)

The records are those of :mod:`camel_gym.records`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from camel_gym.pipeline.client import Completion, LLMConfig, LLMError, complete, make_client
from camel_gym.pipeline.extract import NoPolicyCode, extract_policy_code
from camel_gym.pipeline.prompts import Prompt, build_prompt
from camel_gym.records import AttemptCheck, CandidateStatus, OfflineReply, RunMeta, read_meta, timestamp, write_atomic, write_json
from camel_gym.sandbox import PolicyRejected, load_policy

__all__ = ["CandidateStatus", "ReplyMissing", "generate", "render_messages", "repair_message", "reply_file"]  # CandidateStatus lives in camel_gym.records

FINAL = ("valid", "invalid")  # request_failed is retried when the run is resumed


def repair_message(error: str, code: str | None) -> str:
    """The user turn of a repair round: what went wrong, the code it went wrong in, what to send back."""
    shown = f"\n\nYour code:\n```python\n{code.rstrip()}\n```" if code else "\n\nThe reply contained no usable code."
    return (
        f"Your policy failed validation: {error}{shown}\n\n"
        "Fix the problem and reply with the complete corrected module in a single ```python code block "
        "that defines policy(obs), following every rule of the original task."
    )


class ReplyMissing(LLMError):
    """Offline mode: the reply file for a request is not there yet."""

    def __init__(self, path: Path, request: Path):
        self.path, self.request = path, request
        super().__init__(f"no reply yet: write the reply to {path} (the request is {request}), then run generate again")


def reply_file(replies_dir: Path, candidate: str, attempt: int) -> Path:
    """Where offline mode reads a reply: ``c00.md`` for the first answer, ``c00.repair1.md`` for the first repair."""
    return Path(replies_dir) / (f"{candidate}.md" if attempt == 0 else f"{candidate}.repair{attempt}.md")


def render_messages(messages: list[dict[str, str]]) -> str:
    """The messages of a request as one text, each turn under a ``# role`` heading, for a chat window.

    Example:
        >>> print(render_messages([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]))
        # system
        <BLANKLINE>
        Be brief.
        <BLANKLINE>
        # user
        <BLANKLINE>
        Hi
        <BLANKLINE>
    """
    return "".join(f"# {m['role']}\n\n{m['content'].rstrip()}\n\n" for m in messages)[:-1]


def _ask(source: Any, stem: Path, messages: list[dict[str, str]]) -> Completion:
    """One reply to ``messages``: from the endpoint (``source`` = (client, config)) or a reply file (a folder)."""
    write_json(stem.with_suffix(".request.json"), messages)
    write_atomic(stem.with_suffix(".request.md"), render_messages(messages))
    if isinstance(source, Path):
        attempt = int(stem.name.removeprefix("attempt"))
        path = reply_file(source, stem.parent.name, attempt)
        if not path.is_file():
            raise ReplyMissing(path, stem.with_suffix(".request.md"))
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"reply file {path} is not UTF-8 text ({exc}); save it as UTF-8") from None
        raw = OfflineReply(reply_file=str(path.resolve()), sha256=hashlib.sha256(data).hexdigest()).to_dict()
        return Completion(text=text, raw=raw, finish_reason=None, seconds=0.0)
    client, config = source
    return complete(client, config, messages)


def _cut_off(stem: Path) -> bool:
    """Whether the endpoint's reply of ``stem`` stopped at its length limit (never for reply files)."""
    try:
        choices = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8")).get("choices") or [{}]
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(choices[0], dict) and choices[0].get("finish_reason") == "length"


def _check(code: str, env: Any) -> AttemptCheck:
    start = time.perf_counter()
    try:
        load_policy(code, env=env)
    except PolicyRejected as exc:
        return AttemptCheck(ok=False, error=str(exc), reason=exc.reason, lineno=exc.lineno, seconds=time.perf_counter() - start)
    return AttemptCheck(ok=True, error=None, seconds=time.perf_counter() - start)


def _candidate(folder: Path, prompt: Prompt, env: Any, source: Any, max_repairs: int, log: Any) -> CandidateStatus:
    name = folder.name
    status_file = folder / "status.json"
    if status_file.is_file():
        done = CandidateStatus.read(status_file)
        if done.status in FINAL:
            return done  # finished in an earlier run
    folder.mkdir(parents=True, exist_ok=True)
    messages = prompt.messages()
    error: str | None = None
    for attempt in range(max_repairs + 1):
        stem = folder / f"attempt{attempt}"
        if stem.with_suffix(".md").is_file():  # asked before the run was interrupted: don't ask again
            text = stem.with_suffix(".md").read_text(encoding="utf-8")
        else:
            try:
                reply = _ask(source, stem, messages)
            except LLMError as exc:
                if exc.raw is not None:  # a reply that was no completion is kept too (resuming asks again)
                    write_json(stem.with_suffix(".failed.json"), exc.raw)
                result = CandidateStatus(name=name, status="request_failed", attempts=attempt, error=str(exc))
                result.write(status_file)
                log(f"{name} attempt {attempt}: request failed: {exc}")
                return result
            write_json(stem.with_suffix(".json"), reply.raw)
            write_atomic(stem.with_suffix(".md"), reply.text)
            text = reply.text
        try:
            code = extract_policy_code(text)
        except NoPolicyCode as exc:
            code, check = None, AttemptCheck(ok=False, error=f"no usable code in the reply: {exc}", seconds=0.0)
        else:
            write_atomic(stem.with_suffix(".py"), code)
            check = _check(code, env)
        if not check.ok and _cut_off(stem):  # the model should know its code was cut, not only what broke
            check.error = (
                "your reply was cut off at the model's output limit (finish_reason 'length'), so its code is "
                f"incomplete; answer with the code alone, shorter. {check.error}"
            )
        check.write(stem.with_suffix(".check.json"))
        if check.ok:
            write_atomic(folder / "policy.py", code)
            result = CandidateStatus(name=name, status="valid", attempts=attempt + 1, policy=str(folder / "policy.py"))
            result.write(status_file)
            log(f"{name} attempt {attempt}: valid")
            return result
        error = check.error
        log(f"{name} attempt {attempt}: {error}")
        messages = messages + [
            {"role": "assistant", "content": text},
            {"role": "user", "content": repair_message(error, code)},
        ]
    result = CandidateStatus(name=name, status="invalid", attempts=max_repairs + 1, error=error)
    result.write(status_file)
    return result


def generate(
    env_id: str,
    run_dir: str | Path,
    config: LLMConfig,
    *,
    n: int = 5,
    max_repairs: int = 2,
    template_dir: str | Path | None = None,
    env_kwargs: dict[str, Any] | None = None,
    replies_dir: str | Path | None = None,
    note: str | None = None,
    progress: bool = False,
    log: Any = print,
) -> list[CandidateStatus]:
    """Ask for ``n`` candidate priors for ``env_id`` into ``run_dir`` (resuming what is there).

    With ``replies_dir`` no endpoint is asked: each reply is read from a file there (see
    :func:`reply_file`), and ``config.model`` is recorded as given. ``note`` says how the replies
    were made (kept in ``meta.json`` and in an installed prior's header). ``progress=True`` shows a
    progress bar over the candidates (``log`` lines print above it).

    Raises:
        LLMError: the endpoint or key is missing or unusable (before anything is asked).
        ValueError: ``run_dir`` holds a run for another env, prompt or model.
        RecordError: a file of the run in ``run_dir`` is not what this version writes.
    """
    import gymnasium as gym
    from tqdm.auto import tqdm

    if n < 1 or max_repairs < 0:
        raise ValueError(f"need n >= 1 and max_repairs >= 0, got n={n}, max_repairs={max_repairs}")
    if replies_dir is None:
        config = config.resolved()
        source: Any = (make_client(config), config)
    else:
        if not config.model:
            raise LLMError("no model given: pass --model with what wrote the replies (e.g. 'claude-sonnet-4, chat window')")
        source = Path(replies_dir).resolve()
        if not source.is_dir():
            raise ValueError(f"--replies-dir {replies_dir}: no such folder; create it and write the replies there")
    prompt = build_prompt(env_id, template_dir=template_dir, env_kwargs=env_kwargs)
    run = Path(run_dir)
    meta_file = run / "meta.json"
    identity = {"env_id": env_id, "model": config.model, "prompt_sha256": prompt.sha256}
    if meta_file.is_file():
        meta = read_meta(run)
        clash = {k: (getattr(meta, k), v) for k, v in identity.items() if getattr(meta, k) != v}
        if (meta.replies_dir is None) != (replies_dir is None):
            clash["replies"] = ("from " + (meta.replies_dir or "an endpoint"), "from " + ("files" if replies_dir else "an endpoint"))
        elif replies_dir is None:  # meta.json and an installed prior's header name the first values
            for key, value in (("temperature", config.temperature), ("endpoint_host", config.host)):
                if getattr(meta, key) != value:
                    clash[key] = (getattr(meta, key), value)
        if clash:
            raise ValueError(f"{run} holds another run ({clash}); use a new --run-dir to start a new one")
    else:
        run.mkdir(parents=True, exist_ok=True)
        (run / "prompt").mkdir(exist_ok=True)
        write_atomic(run / "prompt" / "system.md", prompt.system)
        write_atomic(run / "prompt" / "user.md", prompt.user)
        meta = RunMeta(
            **identity, endpoint_host=None if replies_dir is not None else config.host,
            temperature=None if replies_dir is not None else config.temperature, n=n, max_repairs=max_repairs,
            env_kwargs=env_kwargs or {}, created=timestamp(), replies_dir=None if replies_dir is None else str(source),
            note=note,
        )
        meta.write(meta_file)
    env = gym.make(env_id, **(env_kwargs or {}))
    results = []
    with tqdm(total=n, unit="candidate", desc="generate", disable=not progress) as bar:
        say = (lambda line: bar.write(str(line), file=sys.stderr)) if progress else log
        for i in range(n):
            results.append(_candidate(run / "candidates" / f"c{i:02d}", prompt, env, source, max_repairs, say))
            bar.update(1)
    env.close()
    # a rerun with a larger --n adds candidates; meta.n counts them all (and never shrinks)
    done = {**meta.statuses, **{r.name: r.status for r in results}}
    dataclasses.replace(meta, n=max(meta.n, len(done)), updated=timestamp(), statuses=done).write(meta_file)
    return results
