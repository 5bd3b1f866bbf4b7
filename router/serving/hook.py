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

from router.errors import RouterError
from router.settings import ENV_HOOK_SERVER, ENV_TOKEN, HOOK_SERVER_TIMEOUT, HOST, PORT

#: The Claude Code hook event the router answers.
EVENT = "UserPromptSubmit"

#: The longest --timeout accepted: Claude Code's own hook timeout is far shorter.
MAX_TIMEOUT = 600.0
#: The encoder reads at most 256 tokens, so a longer prompt's tail cannot change the decision.
PROMPT_CHARS = 8000


class HookInputError(RouterError):
    """The hook cannot answer: its stdin or arguments are not usable, or the server it asked failed."""


def additional_context(decision: Mapping[str, Any]) -> str | None:
    """The facts to add to the parent's context for one decision (a `Decision.to_dict()`), or None."""
    if not decision.get("delegate"):
        return None
    agent = decision.get("agent") or "routed"
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
    from router.artifacts.loader import load_router
    from router.errors import NotPreparedError

    try:
        router = load_router(model, fast_only=True)  # the model is resolved and validated once
    except NotPreparedError:
        prepare_in_background(model)
        raise HookInputError(
            "first use: preparing the fast path in the background; this prompt was not routed"
        ) from None
    return router.route(prompt).to_dict()


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
    """Route the prompt through a running `router serve` at URL (`ROUTER_TOKEN` as bearer token).

    Standard library only (`urllib`): a command hook pays no HTTP client import.
    """
    import urllib.error
    import urllib.request

    if not url.startswith(("http://", "https://")):
        raise HookInputError(f"{url} is not an http(s) URL")
    token = os.environ.get(ENV_TOKEN)
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    body = json.dumps({"text": prompt}).encode("utf-8")
    request = urllib.request.Request(url.rstrip("/") + "/v1/route", data=body, headers=headers, method="POST")
    try:
        # The scheme is checked above: only http(s), never file: or custom schemes.
        with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec B310
            decision = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as err:
        raise HookInputError(f"{url} answered {err.code}: {err.read()[:200].decode('utf-8', 'replace')}") from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise HookInputError(f"{url} did not answer ({err})") from None
    if not isinstance(decision, dict) or "delegate" not in decision:
        raise HookInputError(f"{url} did not answer a decision")
    return decision


def local_server() -> str | None:
    """The URL of a `router serve` listening on the default loopback port, or None (a refused connect is instant).

    `ROUTER_HOOK_SERVER` set to a URL names another server; set to `off`, the hook never looks.
    """
    import socket

    setting = os.environ.get(ENV_HOOK_SERVER, "")
    if setting == "off":
        return None
    if setting:
        return setting
    try:
        with socket.create_connection((HOST, PORT), timeout=0.05):
            return f"http://{HOST}:{PORT}"
    except OSError:
        return None


def route_here_or_nearby(prompt: str, model: Path | None, timeout: float) -> dict[str, Any]:
    """Ask a local `router serve` when one runs (and no --model was given), else route in this process."""
    nearby = local_server() if model is None else None
    if nearby is not None:
        try:
            return ask_server(prompt, nearby, timeout)
        except HookInputError:
            pass  # a server that fails is no reason to fail: route here
    return decide(prompt, model)


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
        decision = ask_server(prompt, server, timeout) if server else route_here_or_nearby(prompt, model, timeout)
        answer = hook_output(decision)
    # A hook's one promise is to let the prompt through: any failure (bad input, a missing model, a
    # server that is down, an import error) becomes one line on stderr and an empty answer.
    except Exception as err:
        message = " ".join(str(err).split()) or type(err).__name__
        stderr.write(f"router hook: {message}\n")
        return
    if answer:
        stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")


def parse_command(argv: list[str]) -> dict[str, Any]:
    """The options of `router hook claude` (`--model DIR`, `--server URL`, `--timeout SECONDS`).

    Raises `HookInputError` on anything else: the caller reports it and lets the prompt through.
    """
    options: dict[str, Any] = {"model": None, "server": None, "timeout": HOOK_SERVER_TIMEOUT}
    names = {"--model": "model", "--server": "server", "--timeout": "timeout"}
    rest = list(argv)
    while rest:
        flag, value = rest.pop(0), None
        if "=" in flag and flag.startswith("--"):
            flag, value = flag.split("=", 1)
        if flag not in names:
            raise HookInputError(f"unknown option {flag!r} (options: {', '.join(names)})")
        if value is None:
            if not rest:
                raise HookInputError(f"option {flag} needs a value")
            value = rest.pop(0)
        key = names[flag]
        if key == "timeout":
            try:
                options[key] = float(value)
            except ValueError:
                raise HookInputError(f"--timeout must be a number of seconds, got {value!r}") from None
            if not 0 < options[key] <= MAX_TIMEOUT:  # NaN fails this too
                raise HookInputError(f"--timeout must be in (0, {MAX_TIMEOUT:g}] seconds, got {value}")
        else:
            options[key] = Path(value) if key == "model" else value
    return options


def run_command(argv: list[str], stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> None:
    """`router hook claude ARGV`: answer one event; a usage error is one stderr line, never an exit code."""
    try:
        options = parse_command(argv)
    except HookInputError as err:
        stderr.write(f"router hook: {err}\n")
        return
    claude(stdin, stdout, stderr, **options)
