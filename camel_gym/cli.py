"""The `camel-gym` command: `camel-gym generate ...` (more stages to come: evaluate, select, render).

tyro turns each stage's dataclass into its options, with the field docstrings as `--help`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import tyro

from camel_gym.llm import LLMConfig, LLMError


@dataclass
class Generate:
    """Ask an LLM for candidate priors, validate each in the sandbox, repair the broken ones."""

    env_id: str
    """the Gymnasium id the priors are for (e.g. Hopper-v4)"""
    model: str
    """the model name at the endpoint (e.g. gpt-4o, gemini-2.0-flash, llama3.1:70b)"""
    run_dir: Path
    """where the run is kept; re-running into it resumes instead of asking again"""
    base_url: Optional[str] = None
    """an OpenAI-compatible endpoint (default: $OPENAI_BASE_URL, else OpenAI; the key is $OPENAI_API_KEY)"""
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
    """a folder of prompt templates (system.md, task.md) that override the packaged ones"""


def run_generate(args: Generate) -> int:
    from camel_gym.generate import generate

    config = LLMConfig(
        model=args.model, base_url=args.base_url, temperature=args.temperature,
        timeout=args.timeout, max_retries=args.max_retries,
    )
    try:
        results = generate(
            args.env_id, args.run_dir, config, n=args.n, max_repairs=args.max_repairs, template_dir=args.template_dir,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except (LLMError, ValueError) as exc:
        print(f"camel-gym generate: error: {exc}", file=sys.stderr)
        return 2
    for r in results:
        print(f"{r.name}  {r.status:15s} attempts {r.attempts}  {r.policy or r.error or ''}")
    return 0 if any(r.status == "valid" for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    command = tyro.extras.subcommand_cli_from_dict({"generate": Generate}, args=argv, prog="camel-gym")
    if isinstance(command, Generate):
        return run_generate(command)
    raise AssertionError(command)  # pragma: no cover - tyro only returns the dataclasses above


if __name__ == "__main__":
    raise SystemExit(main())
