"""Claude Code `UserPromptSubmit` hook: tell the parent agent, as facts, when a prompt fits the agent.

Claude Code runs a `command` hook once per prompt with the event JSON on stdin (`session_id`,
`transcript_path`, `cwd`, `permission_mode`, `hook_event_name`, `prompt`) and adds the
`hookSpecificOutput.additionalContext` of the JSON printed on stdout to the model's context. The hook
never blocks a prompt: whatever goes wrong, it exits 0 with one line on stderr and prints nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from router.settings import ENV_TOKEN, HOOK_SERVER_TIMEOUT

#: The Claude Code hook event the router answers.
EVENT = "UserPromptSubmit"

#: The encoder reads at most 256 tokens, so a longer prompt's tail cannot change the decision.
PROMPT_CHARS = 8000


class HookInputError(ValueError):
    """The hook's stdin is not a routable UserPromptSubmit event."""


def additional_context(decision: Mapping[str, Any]) -> str | None:
    """The facts to add to the parent's context for one decision (a `Decision.to_dict()`), or None."""
    if not decision.get("delegate"):
        return None
    agent = decision.get("agent", "backend-engineer")
    probability = float(decision["probability"])
    ids = [c["id"] for c in decision.get("criteria") or []]
    if ids:
        text = f"This request matches the {agent} agent's criteria: {', '.join(ids)} (probability {probability:.2f})."
    else:
        text = f"This request matches the {agent} agent (probability {probability:.2f})."
    if decision.get("uncertain"):
        text += " The router is uncertain about this one."
    return text


def hook_output(decision: Mapping[str, Any]) -> dict[str, Any]:
    """The hook's JSON answer for one decision: `hookSpecificOutput` when delegated, else `{}`."""
    text = additional_context(decision)
    if text is None:
        return {}
    return {"hookSpecificOutput": {"hookEventName": EVENT, "additionalContext": text}}


def read_prompt(raw: str) -> str:
    """The prompt of one UserPromptSubmit event, cut to `PROMPT_CHARS`; `HookInputError` otherwise."""
    if not raw.strip():
        raise HookInputError("no event on stdin")
    try:
        event = json.loads(raw)
    except json.JSONDecodeError as err:
        raise HookInputError(f"stdin is not JSON ({err.msg})") from None
    if not isinstance(event, dict):
        raise HookInputError("the event is not a JSON object")
    name = event.get("hook_event_name", EVENT)
    if name != EVENT:
        raise HookInputError(f"expected a {EVENT} event, got {name!r}")
    prompt = event.get("prompt")
    if not isinstance(prompt, str):
        raise HookInputError("the event has no string 'prompt'")
    if not prompt.strip():
        raise HookInputError("the prompt is blank")
    return prompt[:PROMPT_CHARS]


def decide(prompt: str, model: Path | None = None) -> dict[str, Any]:
    """Route the prompt with a model loaded in this process.

    When the fast path is not ready (no ONNX export yet: the first call after an install), making it
    would not fit in a hook's timeout: it is made by a background `router prepare` and this prompt
    goes on unrouted, so the next one is fast.
    """
    from router.artifacts.loader import fast_path_ready, load_router

    if not fast_path_ready(model):
        prepare_in_background(model)
        raise HookInputError("first use: preparing the fast path in the background; this prompt was not routed")
    return load_router(model).route(prompt).to_dict()


def prepare_in_background(model: Path | None) -> None:
    """Start `router prepare` detached from this process (its output discarded)."""
    # bandit B404 waived: starts only this package's own `router prepare`
    import subprocess  # nosec B404
    import sys

    command = [sys.executable, "-m", "router", "prepare", *(["--model", str(model)] if model else [])]
    # bandit B603 waived: a fixed argv (our interpreter, our module; the model path is one argument), no shell
    subprocess.Popen(  # nosec B603
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def ask_server(prompt: str, url: str, timeout: float = HOOK_SERVER_TIMEOUT) -> dict[str, Any]:
    """Route the prompt through a running `router serve` at URL (`ROUTER_TOKEN` as bearer token)."""
    import httpx

    token = os.environ.get(ENV_TOKEN)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(url.rstrip("/") + "/v1/route", json={"text": prompt}, headers=headers, timeout=timeout)
    if response.status_code != 200:
        raise HookInputError(f"{url} answered {response.status_code}: {response.text[:200]}")
    decision = response.json()
    if not isinstance(decision, dict) or "delegate" not in decision:
        raise HookInputError(f"{url} did not answer a decision")
    return decision


def claude(
    stdin: IO[str],
    stdout: IO[str],
    stderr: IO[str],
    model: Path | None = None,
    server: str | None = None,
    timeout: float = HOOK_SERVER_TIMEOUT,
) -> None:
    """Answer one Claude Code UserPromptSubmit event; never raises, so it never blocks a prompt."""
    try:
        prompt = read_prompt(stdin.read())
        decision = ask_server(prompt, server, timeout) if server else decide(prompt, model)
        answer = hook_output(decision)
    # A hook's one promise is to let the prompt through: any failure (bad input, a missing model, a
    # server that is down, an import error) becomes one line on stderr and an empty answer.
    except Exception as err:
        message = " ".join(str(err).split()) or type(err).__name__
        stderr.write(f"router hook: {message}\n")
        return
    if answer:
        stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
