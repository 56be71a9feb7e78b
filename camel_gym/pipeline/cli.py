"""The `camel-gym` command: the LLM pipeline's stages on one run directory, and many-seed sweeps.

    camel-gym prompt --env-id Hopper-v4                                          # the prompt generate sends
    camel-gym generate --env-id Hopper-v4 --model gpt-4o --run-dir runs/hopper   # ask, validate, repair
    camel-gym evaluate --run-dir runs/hopper                                     # seeded episodes, ranked
    camel-gym select --run-dir runs/hopper --probe-top-k 2 --install             # choose, probe, install
    camel-gym render --run-dir runs/hopper                                       # clips + report.html
    camel-gym prior-table --write-readme llm_policies/README.md                  # the shipped priors' table
    camel-gym sweep --sweep-dir runs/grid --env-ids Hopper-v4 --masking none llm # td3_camel.py trials on Ray
    camel-gym report runs/grid                                                   # CSV, curves, IQM tables

Each stage keeps its results in the run directory as it goes, so an interrupted stage resumes
when run again. tyro turns each stage's dataclass into its options, with the field docstrings
as `--help`.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Optional

import tyro

from camel_gym.evaluation import EVAL_EPISODES, EVAL_SEED
from camel_gym.pipeline.client import LLMConfig, LLMError
from camel_gym.sweep.commands import Report, Sweep, run_report, run_sweep_command


@dataclass
class Generate:
    """Ask an LLM for candidate priors, validate each in the sandbox, repair the broken ones."""

    env_id: str
    """the Gymnasium id the priors are for (e.g. Hopper-v4)"""
    model: str
    """the model name at the endpoint (e.g. gpt-4o, gemini-2.0-flash, llama3.1:70b); with --replies-dir, what wrote the replies"""
    run_dir: Path
    """where the run is kept; re-running into it resumes instead of asking again"""
    base_url: Annotated[Optional[str], tyro.conf.arg(help_behavior_hint="(default: $OPENAI_BASE_URL, else OpenAI)")] = None
    """an OpenAI-compatible endpoint (the key is $OPENAI_API_KEY)"""
    replies_dir: Optional[Path] = None
    """offline: ask no endpoint; each request goes to RUN/candidates/cNN/attemptK.request.md and its reply is read from REPLIES_DIR/cNN.md (first answer) or cNN.repairK.md (repair K)"""
    note: Optional[str] = None
    """how the replies were made, in your words (kept in meta.json and in an installed prior's header)"""
    n: int = 5
    """candidates, one request each"""
    temperature: float = 0.8
    """sampling temperature"""
    max_repairs: int = 2
    """repair rounds per failing candidate (its error and code are sent back)"""
    timeout: float = 120.0
    """seconds per request"""
    max_retries: int = 4
    """retries per request on 429, 5xx, timeouts and dropped connections, with backoff"""
    template_dir: Optional[Path] = None
    """a folder of jinja2 prompt templates (system.md, task.md, contract.md, docs/<family>.md) that override the packaged ones file by file"""
    progress: bool = True
    """show a progress bar over the candidates"""


@dataclass
class PromptText:
    """Print the prompt `generate` sends for an environment (system, then task), e.g. to paste into a chat window."""

    env_id: str
    """the Gymnasium id (e.g. Hopper-v4)"""
    part: Literal["all", "system", "user"] = "all"
    """which message: all (the system message, a blank line, the task), system, or user (the task)"""
    json: bool = False
    """print the messages as the JSON list an endpoint receives"""
    template_dir: Optional[Path] = None
    """prompt templates that override the packaged ones (as for generate)"""


@dataclass
class Evaluate:
    """Play seeded episodes with every valid candidate and rank them by a robust score."""

    run_dir: Path
    """a run directory made by `camel-gym generate`"""
    episodes: int = EVAL_EPISODES
    """seeded episodes per candidate (seeds SEED .. SEED+EPISODES-1, the same for every candidate)"""
    seed: int = EVAL_SEED
    """seed of the first episode"""
    progress: bool = True
    """show a progress bar"""


@dataclass
class Select:
    """Choose the prior: by the evaluation's robust score, optionally by short TD3 training probes."""

    run_dir: Path
    """a run directory, evaluated with `camel-gym evaluate`"""
    probe_top_k: int = 0
    """train TD3 briefly with each of the top-k candidates by score as the mask (0: no probes)"""
    probe_steps: int = 5000
    """env steps per probe (learning starts after a fifth of them; the mask fades over the first half)"""
    probe_seed: int = 1
    """seed of every probe, and of the unmasked baseline probe"""
    probe_eval_episodes: int = 5
    """evaluation episodes at each quarter of a probe"""
    td3_script: Annotated[Optional[Path], tyro.conf.arg(help_behavior_hint="(default: the copy installed with camel-gym)")] = None
    """a td3_camel.py to run the probes with"""
    install: bool = False
    """copy the chosen prior into llm_policies/ with its provenance"""
    install_dir: Optional[Path] = None
    """install there instead of the package's llm_policies/"""
    force: bool = False
    """replace an existing prior file when installing (the old one is kept in the run directory)"""


@dataclass
class Render:
    """Render one seeded episode per valid candidate and write report.html to review them side by side."""

    run_dir: Path
    """a run directory made by `camel-gym generate` (evaluate and select first for metrics in the report)"""
    seed: int = EVAL_SEED
    """seed of the rendered episode (the first seed `camel-gym evaluate` plays)"""
    max_steps: int = 300
    """steps rendered at most per candidate"""
    every: int = 2
    """keep every n-th frame"""
    width: int = 320
    """frame width in pixels"""
    height: int = 240
    """frame height in pixels"""
    fps: int = 25
    """playback frames per second"""
    format: Literal["gif", "mp4"] = "gif"
    """clip format (mp4 needs imageio-ffmpeg: `pip install camel-gym[video]`)"""
    progress: bool = True
    """show a progress bar"""


@dataclass
class PriorTable:
    """Evaluate each shipped prior beside a random policy on the same seeds, and print the Markdown table."""

    episodes: int = EVAL_EPISODES
    """seeded episodes per policy"""
    seed: int = EVAL_SEED
    """seed of the first episode"""
    write_readme: Optional[Path] = None
    """replace the table between the <!-- prior-table:begin/end --> markers in this file (llm_policies/README.md)"""


_BEGIN, _END = "<!-- prior-table:begin -->", "<!-- prior-table:end -->"


def prior_table(args: PriorTable) -> str:
    """The shipped priors' table with a note on how it was made, written into ``args.write_readme`` if given.

    Raises:
        ValueError: ``args.write_readme`` has no markers to replace (the file is left as it was).
    """
    from camel_gym.evaluation import shipped_prior_table

    if args.write_readme is not None:  # before the minutes of evaluation, not after them
        text = args.write_readme.read_text(encoding="utf-8")
        if _BEGIN not in text or _END not in text:
            raise ValueError(f"{args.write_readme} has no {_BEGIN} ... {_END} markers to replace")
    note = (
        f"{args.episodes} episodes per policy, seeds {args.seed}..{args.seed + args.episodes - 1} "
        f"(`env.reset(seed=s)`; the random policy's action space seeded alike); generated by "
        f"`camel-gym prior-table --write-readme llm_policies/README.md`."
    )
    block = f"{_BEGIN}\n{shipped_prior_table(args.episodes, args.seed)}\n\n{note}\n{_END}"
    if args.write_readme is not None:
        pattern = re.compile(re.escape(_BEGIN) + ".*?" + re.escape(_END), re.S)
        args.write_readme.write_text(pattern.sub(lambda _: block, text), encoding="utf-8")
    return block


def _error(stage: str, exc: BaseException) -> int:
    print(f"camel-gym {stage}: error: {exc}", file=sys.stderr)
    return 2


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_evaluate(args: Evaluate) -> int:
    from camel_gym.pipeline.evaluate import evaluate_run, ranked_table

    start = time.perf_counter()
    try:
        summary = evaluate_run(args.run_dir, episodes=args.episodes, seed=args.seed, progress=args.progress, log=_log)
    except (FileNotFoundError, ValueError) as exc:  # RecordError is a ValueError
        return _error("evaluate", exc)
    print(ranked_table(summary))
    print(f"\n{summary.score_definition}")
    print(f"\nwrote {args.run_dir / 'evaluation'}/summary.{{md,csv,json}} ({time.perf_counter() - start:.1f} s)")
    return 0 if summary.ranked else 1


def run_select(args: Select) -> int:
    from camel_gym.pipeline.select import select_run, selection_table

    try:
        result = select_run(
            args.run_dir, probe_top_k=args.probe_top_k, probe_steps=args.probe_steps, probe_seed=args.probe_seed,
            probe_eval_episodes=args.probe_eval_episodes, td3_script=args.td3_script, install=args.install,
            install_dir=args.install_dir, force=args.force, log=_log,
        )
    except (FileNotFoundError, FileExistsError, ValueError) as exc:
        return _error("select", exc)
    print(selection_table(result))
    if result.installed:
        print(f"\ninstalled as {result.installed}")
    return 0


def run_render(args: Render) -> int:
    from camel_gym.pipeline.render import render_run

    try:
        report = render_run(
            args.run_dir, seed=args.seed, max_steps=args.max_steps, every=args.every, width=args.width,
            height=args.height, fps=args.fps, fmt=args.format, progress=args.progress, log=_log,
        )
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        return _error("render", exc)
    print(f"report: {report}")
    return 0


def run_generate(args: Generate) -> int:
    from camel_gym.pipeline.generate import generate

    config = LLMConfig(
        model=args.model, base_url=args.base_url, temperature=args.temperature,
        timeout=args.timeout, max_retries=args.max_retries,
    )
    try:
        results = generate(
            args.env_id, args.run_dir, config, n=args.n, max_repairs=args.max_repairs, template_dir=args.template_dir,
            replies_dir=args.replies_dir, note=args.note, progress=args.progress, log=_log,
        )
    except (LLMError, ValueError, OSError) as exc:  # RecordError is a ValueError; OSError: a bad --template-dir
        return _error("generate", exc)
    for r in results:
        print(f"{r.name}  {r.status:15s} attempts {r.attempts}  {r.policy or r.error or ''}")
    waiting = [r for r in results if r.status == "request_failed" and (r.error or "").startswith("no reply yet")]
    if waiting:
        print(f"\n{len(waiting)} candidate(s) wait for a reply file (see above); write them and run the same command again")
        return 3
    return 0 if any(r.status == "valid" for r in results) else 1


def run_prompt(args: PromptText) -> int:
    import json

    from camel_gym.pipeline.prompts import build_prompt

    try:
        prompt = build_prompt(args.env_id, template_dir=args.template_dir)
    except (ValueError, OSError) as exc:  # OSError: a --template-dir that is no folder
        return _error("prompt", exc)
    messages = prompt.messages()
    if args.part != "all":
        messages = [m for m in messages if m["role"] == args.part]
    if args.json:
        print(json.dumps(messages, indent=2))
    else:
        print("\n\n".join(m["content"].rstrip() for m in messages))
    print(f"prompt sha256 {prompt.sha256}", file=sys.stderr)
    return 0


def run_prior_table(args: PriorTable) -> int:
    start = time.perf_counter()
    try:
        block = prior_table(args)
    except (OSError, ValueError) as exc:
        return _error("prior-table", exc)
    print(block)
    print(f"\n({time.perf_counter() - start:.0f} s)" + (f"; wrote {args.write_readme}" if args.write_readme else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    stages = {"prompt": (PromptText, run_prompt), "generate": (Generate, run_generate), "evaluate": (Evaluate, run_evaluate),
              "select": (Select, run_select), "render": (Render, run_render),
              "prior-table": (PriorTable, run_prior_table),
              "sweep": (Sweep, run_sweep_command), "report": (Report, run_report)}
    command = tyro.extras.subcommand_cli_from_dict({name: cls for name, (cls, _) in stages.items()}, args=argv, prog="camel-gym")
    for cls, run in stages.values():
        if isinstance(command, cls):
            return run(command)
    raise AssertionError(command)  # pragma: no cover - tyro only returns the dataclasses above


if __name__ == "__main__":
    raise SystemExit(main())
