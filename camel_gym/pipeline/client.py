"""One completion at a time from any OpenAI-compatible Chat Completions endpoint.

OpenAI itself, Gemini's OpenAI-compatible endpoint, Ollama and vLLM all speak the same API, so
the official ``openai`` client talks to each through ``base_url`` (``pip install
camel-gym[llm]``). Retries with exponential backoff on 429, 5xx, timeouts and dropped
connections are the client's own (it honours ``Retry-After``); this module adds the checks a
pipeline needs: a clear message when the endpoint or key is missing, and a reply with no
choices or no text becomes an :class:`LLMError` rather than a crash later on. Candidates are
asked for one request each: Ollama ignores ``n``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

__all__ = ["Completion", "LLMConfig", "LLMError", "complete", "make_client"]


class LLMError(RuntimeError):
    """The endpoint could not be used, or its reply was not a usable completion.

    ``raw``: the endpoint's reply as JSON, where there was one (a reply with no choices or an empty
    message), so that the caller can keep it.
    """

    def __init__(self, message: str, raw: dict[str, Any] | None = None):
        super().__init__(message)
        self.raw = raw


@dataclass
class LLMConfig:
    """Where to ask and how. ``base_url``/``api_key`` default to ``OPENAI_BASE_URL``/``OPENAI_API_KEY``."""

    model: str
    base_url: str | None = None
    api_key: str | None = None
    temperature: float = 0.8
    timeout: float = 120.0
    max_retries: int = 4
    extra_body: dict[str, Any] = field(default_factory=dict)

    def resolved(self) -> "LLMConfig":
        """A copy with the environment's defaults filled in, checked; raises LLMError when unusable."""
        base_url = self.base_url or os.environ.get("OPENAI_BASE_URL")
        api_key = self.api_key or os.environ.get("OPENAI_API_KEY")
        if not self.model:
            raise LLMError("no model given: pass --model (e.g. gpt-4o, gemini-2.0-flash, llama3.1:70b)")
        if base_url is None and api_key is None:
            raise LLMError(
                "no LLM endpoint: pass --base-url (or set OPENAI_BASE_URL) for a local or other "
                "OpenAI-compatible server such as Ollama or vLLM, or set OPENAI_API_KEY to use OpenAI"
            )
        if base_url is not None and urlparse(base_url).scheme not in ("http", "https"):
            raise LLMError(f"--base-url must be an http(s) URL such as http://localhost:11434/v1, got {base_url!r}")
        if api_key is None:
            host = urlparse(base_url).hostname or ""
            if host not in ("localhost", "127.0.0.1", "::1"):
                raise LLMError(f"no API key for {base_url}: set OPENAI_API_KEY (local servers need none)")
            api_key = "unused"  # local servers (Ollama, vLLM) accept any key
        return LLMConfig(self.model, base_url, api_key, self.temperature, self.timeout, self.max_retries, dict(self.extra_body))

    @property
    def host(self) -> str:
        """The endpoint's host, for run metadata (never the key)."""
        return urlparse(self.base_url or "https://api.openai.com/v1").netloc


@dataclass
class Completion:
    """The text of one reply, with what is worth keeping about it."""

    text: str
    raw: dict[str, Any]
    finish_reason: str | None
    seconds: float


def make_client(config: LLMConfig) -> Any:
    """An ``openai.OpenAI`` client for ``config`` (resolved), with its timeout and retries set."""
    try:
        import openai
    except ImportError:
        raise LLMError("the LLM pipeline needs the openai client: pip install 'camel-gym[llm]'") from None
    config = config.resolved()
    return openai.OpenAI(
        base_url=config.base_url, api_key=config.api_key, timeout=config.timeout, max_retries=config.max_retries
    )


def complete(client: Any, config: LLMConfig, messages: list[dict[str, str]]) -> Completion:
    """Ask for one completion of ``messages``; raise :class:`LLMError` with the reason on failure."""
    import openai

    start = time.perf_counter()
    try:
        response = client.chat.completions.create(
            model=config.model,
            messages=messages,
            temperature=config.temperature,
            extra_body=config.extra_body or None,
        )
    except openai.AuthenticationError as exc:
        raise LLMError(f"the endpoint refused the API key (401): {_detail(exc)}; check OPENAI_API_KEY") from None
    except openai.NotFoundError as exc:
        raise LLMError(f"model {config.model!r} or the endpoint path was not found (404): {_detail(exc)}") from None
    except openai.APITimeoutError:
        raise LLMError(
            f"no reply within {config.timeout:g} s, {config.max_retries} retries included; raise --timeout for slow models"
        ) from None
    except openai.APIConnectionError as exc:
        raise LLMError(f"cannot reach {config.host}: {exc}") from None
    except openai.APIStatusError as exc:
        # the client retries only these statuses; a 400 or 403 was asked once
        retried = exc.status_code in (408, 409, 429) or exc.status_code >= 500
        after = f" after {config.max_retries} retries" if retried and config.max_retries else ""
        raise LLMError(f"the endpoint answered {exc.status_code}{after}: {_detail(exc)}") from None
    except (openai.APIResponseValidationError, ValueError) as exc:
        raise LLMError(f"the endpoint's reply is not a Chat Completions response (malformed JSON?): {exc}") from None
    seconds = time.perf_counter() - start
    if not isinstance(response, openai.types.chat.ChatCompletion):
        raise LLMError(f"the endpoint's reply is not a Chat Completions response: {str(response)[:200]!r}")
    raw = response.model_dump()
    if not response.choices:
        # some gateways answer 200 with {"error": {...}} (a quota, a filter): say what they said
        error = raw.get("error")
        said = error.get("message") if isinstance(error, dict) else error
        raise LLMError("the endpoint returned a response with no choices" + (f": {str(said)[:300]}" if said else ""), raw=raw)
    choice = response.choices[0]
    text = choice.message.content if choice.message is not None else None
    if not text:
        raise LLMError(f"the endpoint returned an empty message (finish_reason={choice.finish_reason!r})", raw=raw)
    return Completion(text=text, raw=raw, finish_reason=choice.finish_reason, seconds=seconds)


def _detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        message = body.get("message") or body.get("error", {})
        if isinstance(message, dict):
            message = message.get("message")
        if message:
            return str(message)
    return str(exc)[:300]
