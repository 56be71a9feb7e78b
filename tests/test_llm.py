"""The LLM client against a real HTTP server on 127.0.0.1: replies, retries, failures, clear errors."""

import time

import pytest

from camel_gym.pipeline.client import LLMConfig, LLMError, complete, make_client
from chat_server import Answer, ChatServer

MESSAGES = [{"role": "system", "content": "You write controllers."}, {"role": "user", "content": "Hopper, please."}]
FAST_RETRY = {"retry-after-ms": "10"}  # the client honours it, so retry tests stay fast


@pytest.fixture
def server():
    with ChatServer() as s:
        yield s


def config(server, **kw):
    return LLMConfig(model="test-model", base_url=server.url, api_key="sk-test", **{"timeout": 5.0, "max_retries": 3, **kw})


def ask(server, **kw):
    cfg = config(server, **kw)
    return complete(make_client(cfg), cfg, MESSAGES)


def test_a_completion_and_the_request_it_came_from(server):
    server.script = [Answer(text="```python\ndef policy(obs):\n    return [0.0]\n```")]
    reply = ask(server, temperature=0.3)
    assert reply.text.startswith("```python") and reply.finish_reason == "stop"
    assert reply.raw["choices"][0]["message"]["content"] == reply.text
    (request,) = server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["authorization"] == "Bearer sk-test"
    assert request["json"]["model"] == "test-model" and request["json"]["temperature"] == 0.3
    assert request["json"]["messages"] == MESSAGES and request["json"].get("n", 1) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_transient_errors_are_retried(server, status):
    server.script = [Answer(status=status, headers=FAST_RETRY), Answer(status=status, headers=FAST_RETRY), Answer(text="third time")]
    assert ask(server).text == "third time"
    assert len(server.requests) == 3


def test_persistent_server_errors_end_in_a_clear_error(server):
    server.default = Answer(status=500, headers=FAST_RETRY)
    with pytest.raises(LLMError, match="answered 500 after 2 retries"):
        ask(server, max_retries=2)
    assert len(server.requests) == 3


def test_a_timeout_is_retried_then_reported(server):
    server.script = [Answer(text="late", delay=1.5), Answer(text="on time")]
    start = time.perf_counter()
    assert ask(server, timeout=0.5).text == "on time"
    assert time.perf_counter() - start < 5
    server.default = Answer(text="always late", delay=1.5)
    with pytest.raises(LLMError, match="no reply within 0.5 s"):
        ask(server, timeout=0.5, max_retries=1)


def test_malformed_json_is_a_clear_error(server):
    server.script = [Answer(body=b"{not json")]
    with pytest.raises(LLMError, match="not a Chat Completions response"):
        ask(server, max_retries=0)


def test_empty_choices_and_empty_messages_are_errors_that_keep_the_reply(server):
    server.script = [Answer(choices=False)]
    with pytest.raises(LLMError, match="no choices") as failed:
        ask(server)
    assert failed.value.raw["choices"] == []  # the caller can keep what came back
    server.script = [Answer(text="")]
    with pytest.raises(LLMError, match="empty message") as failed:
        ask(server)
    assert failed.value.raw["choices"][0]["finish_reason"] == "stop"
    # a gateway that answers 200 with an error object: its message is the reason
    server.script = [Answer(body={"error": {"message": "quota exceeded for this key", "type": "insufficient_quota"}})]
    with pytest.raises(LLMError, match="no choices: quota exceeded for this key"):
        ask(server)


def test_a_client_error_is_asked_once_and_said_so(server):
    server.script = [Answer(status=400)]
    with pytest.raises(LLMError) as failed:
        ask(server, max_retries=2)
    assert str(failed.value) == "the endpoint answered 400: scripted 400"  # no "after 2 retries"
    assert len(server.requests) == 1


def test_authentication_failure_is_not_retried(server):
    server.script = [Answer(status=401)]
    with pytest.raises(LLMError, match="refused the API key"):
        ask(server)
    assert len(server.requests) == 1


def test_missing_endpoint_or_key_is_explained(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LLMError, match="no LLM endpoint: pass --base-url"):
        make_client(LLMConfig(model="m"))
    with pytest.raises(LLMError, match="no API key for https://example.invalid/v1"):
        make_client(LLMConfig(model="m", base_url="https://example.invalid/v1"))
    with pytest.raises(LLMError, match="must be an http"):
        make_client(LLMConfig(model="m", base_url="localhost:11434"))
    with pytest.raises(LLMError, match="no model given"):
        make_client(LLMConfig(model="", base_url="http://localhost:11434/v1"))


def test_local_servers_need_no_key(server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    cfg = LLMConfig(model="llama3.1")
    assert complete(make_client(cfg), cfg.resolved(), MESSAGES).text == "ok"
    assert server.requests[0]["headers"]["authorization"] == "Bearer unused"
