import io
import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from router.cli.app import app
from router.serving.hook import PROMPT_CHARS, additional_context, claude, hook_output, read_prompt
from tests.events import user_prompt_submit as event

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def run_hook(stdin, *args):
    return runner.invoke(app, ["hook", "claude", *[str(a) for a in args]], input=stdin)


DELEGATED = {
    "agent": "backend-engineer",
    "delegate": True,
    "probability": 0.934,
    "threshold": 0.38,
    "uncertain": False,
    "criteria": [
        {"id": "api", "title": "Building RESTful APIs, GraphQL endpoints, or gRPC services", "score": 0.9},
        {"id": "auth", "title": "Implementing authentication and authorization systems", "score": 0.7},
    ],
    "model_version": "1.0.0",
}


def test_context_states_facts():
    assert additional_context(DELEGATED) == (
        "This request matches the backend-engineer agent's criteria: api, auth (probability 0.93)."
    )
    uncertain = {**DELEGATED, "uncertain": True, "probability": 0.41}
    assert additional_context(uncertain) == (
        "This request matches the backend-engineer agent's criteria: api, auth (probability 0.41)."
        " The router is uncertain about this one."
    )
    assert additional_context({**DELEGATED, "criteria": []}) == (
        "This request matches the backend-engineer agent (probability 0.93)."
    )
    assert additional_context({**DELEGATED, "delegate": False, "uncertain": True}) is None


def test_output_follows_the_userpromptsubmit_schema():
    assert hook_output(DELEGATED) == {
        "hookSpecificOutput": {
            "hookEventName": "UserPromptSubmit",
            "additionalContext": additional_context(DELEGATED),
        }
    }
    assert hook_output({**DELEGATED, "delegate": False}) == {}


def test_read_prompt_cuts_long_prompts():
    assert read_prompt(json.dumps(event("x" * (PROMPT_CHARS + 10)))) == "x" * PROMPT_CHARS
    assert read_prompt(json.dumps({"prompt": "only the prompt"})) == "only the prompt"


def test_delegated_prompt_prints_hook_json(fake_model, router, texts):
    result = run_hook(json.dumps(event(texts["yes"])), "--model", fake_model)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.count("\n") == 1
    answer = json.loads(result.stdout)
    assert answer == hook_output(router.route(texts["yes"]).to_dict())
    assert set(answer["hookSpecificOutput"]) == {"hookEventName", "additionalContext"}
    assert answer["hookSpecificOutput"]["additionalContext"].startswith(
        "This request matches the backend-engineer agent's criteria: "
    )


def test_other_prompt_prints_nothing(fake_model, texts):
    result = run_hook(json.dumps(event(texts["no"])), "--model", fake_model)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize(
    "stdin",
    [
        "",
        "   \n",
        "not json",
        "[1, 2]",
        json.dumps({k: v for k, v in event("x").items() if k != "prompt"}),
        json.dumps(event("   ")),
        json.dumps(event(42)),
        json.dumps(event("Add an index", hook_event_name="PreToolUse")),
    ],
)
def test_malformed_input_never_blocks(fake_model, stdin):
    result = run_hook(stdin, "--model", fake_model)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.startswith("router hook: ")
    assert result.stderr.count("\n") == 1


def test_missing_model_never_blocks(tmp_path):
    result = run_hook(json.dumps(event("Add an index on orders")), "--model", tmp_path / "missing")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.startswith("router hook: ") and "missing" in result.stderr


class Stub(BaseHTTPRequestHandler):
    """A stand-in for `router serve`: answers the decision, status and delay set on the server."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.seen.append((self.path, body, self.headers.get("Authorization")))
        time.sleep(self.server.delay)
        payload = json.dumps(self.server.answer).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that gave up waiting (what the timeout tests do) is not an error to print


@contextmanager
def stub_server(answer, status=200, delay=0.0):
    server = QuietServer(("127.0.0.1", 0), Stub)
    server.daemon_threads = True
    server.answer, server.status, server.delay, server.seen = answer, status, delay, []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def hook_via(url, prompt="Add JWT auth to the orders API", timeout=2.0):
    out, err = io.StringIO(), io.StringIO()
    claude(io.StringIO(json.dumps(event(prompt))), out, err, server=url, timeout=timeout)
    return out.getvalue(), err.getvalue()


def test_server_mode_posts_to_v1_route(monkeypatch):
    monkeypatch.setenv("ROUTER_TOKEN", "tok")
    with stub_server(DELEGATED) as (server, url):
        out, err = hook_via(url + "/")
    assert err == ""
    assert json.loads(out) == hook_output(DELEGATED)
    assert server.seen == [("/v1/route", {"text": "Add JWT auth to the orders API"}, "Bearer tok")]


def test_server_mode_not_delegated_prints_nothing(monkeypatch):
    monkeypatch.delenv("ROUTER_TOKEN", raising=False)
    with stub_server({**DELEGATED, "delegate": False}) as (server, url):
        assert hook_via(url) == ("", "")
    assert server.seen[0][2] is None


@pytest.mark.parametrize(
    ("answer", "status", "delay"),
    [
        ({"detail": "model unavailable"}, 503, 0.0),
        ({"detail": "missing or wrong bearer token"}, 401, 0.0),
        (["not", "a", "decision"], 200, 0.0),
        (DELEGATED, 200, 1.0),  # slower than the timeout
    ],
)
def test_server_errors_never_block(answer, status, delay):
    with stub_server(answer, status, delay) as (_, url):
        out, err = hook_via(url, timeout=0.3)
    assert out == ""
    assert err.startswith("router hook: ") and err.count("\n") == 1


def test_server_down_never_blocks():
    with stub_server(DELEGATED) as (_, url):
        pass  # closed: nothing listens there any more
    result = run_hook(json.dumps(event("Add an index")), "--server", url, "--timeout", "0.5")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.startswith("router hook: ")


def test_a_running_server_is_used_without_configuration(monkeypatch, fake_model):
    remote = {**DELEGATED, "agent": "remote-agent"}
    with stub_server(remote) as (server, url):
        monkeypatch.setenv("ROUTER_HOOK_SERVER", url)
        out, err = io.StringIO(), io.StringIO()
        claude(io.StringIO(json.dumps(event("Add JWT auth to the orders API"))), out, err)
    assert err.getvalue() == "" and "remote-agent" in out.getvalue()
    assert [path for path, _, _ in server.seen] == ["/v1/route"]


def test_a_failing_server_falls_back_to_routing_here(monkeypatch, fake_model, texts):
    monkeypatch.setenv("ROUTER_MODEL", str(fake_model))
    with stub_server({"detail": "down"}, 503) as (server, url):
        monkeypatch.setenv("ROUTER_HOOK_SERVER", url)
        out, err = io.StringIO(), io.StringIO()
        claude(io.StringIO(json.dumps(event(texts["yes"]))), out, err)
    assert server.seen and err.getvalue() == ""
    assert "backend-engineer" in json.loads(out.getvalue())["hookSpecificOutput"]["additionalContext"]


def test_off_never_looks_for_a_server(monkeypatch):
    from router.serving import hook

    monkeypatch.setenv("ROUTER_HOOK_SERVER", "off")
    monkeypatch.setattr("socket.create_connection", lambda *a, **k: pytest.fail("looked for a server"))
    assert hook.local_server() is None


def test_first_use_prepares_in_the_background_and_lets_the_prompt_through(monkeypatch, fake_model):
    from router.artifacts import loader
    from router.serving import hook

    started = []
    monkeypatch.setattr(loader, "starts_fast", lambda metadata, runtime: False)
    monkeypatch.setattr(hook, "prepare_in_background", lambda model: started.append(model))
    out, err = io.StringIO(), io.StringIO()
    claude(io.StringIO(json.dumps(event("Add an index to orders"))), out, err, model=fake_model)
    assert started == [fake_model] and out.getvalue() == ""
    assert err.getvalue().startswith("router hook: first use") and err.getvalue().count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["--sever", "http://127.0.0.1:1"],
        ["--timeout", "soon"],
        ["--timeout", "-1"],
        ["--timeout"],
        ["--model"],
        ["extra"],
        ["--server=http://x", "--bogus=1"],
    ],
)
def test_usage_errors_in_the_command_line_never_block(argv):
    from router.serving.hook import run_command

    out, err = io.StringIO(), io.StringIO()
    run_command(argv, io.StringIO(json.dumps(event("Add an index"))), out, err)
    assert out.getvalue() == "" and err.getvalue().startswith("router hook: ") and err.getvalue().count("\n") == 1


def test_the_console_script_hook_exits_0_on_a_typo_and_skips_typer():
    import subprocess
    import sys

    script = Path(sys.executable).with_name("router")
    probe = "import sys, runpy; sys.argv = ['router', 'hook', 'claude', '--sever', 'x']; "
    probe += (
        "from router.cli.entry import main; main(); print(sorted(m for m in ('typer', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], input="{}", capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "[]"
    assert done.stderr.startswith("router hook: unknown option '--sever'")
    typo = subprocess.run([str(script), "hook", "claude", "--timeout", "x"], input="{}", capture_output=True, text=True)
    assert (typo.returncode, typo.stdout) == (0, "") and typo.stderr.count("\n") == 1


def test_the_options_parse(tmp_path):
    from router.serving.hook import parse_command

    parsed = parse_command(["--model", str(tmp_path), "--server=http://h:1", "--timeout", "0.5"])
    assert parsed == {"model": tmp_path, "server": "http://h:1", "timeout": 0.5}


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/", "127.0.0.1:8000"])
def test_ask_server_refuses_non_http_urls(url: str) -> None:
    from router.serving.hook import HookInputError, ask_server

    with pytest.raises(HookInputError, match="not an http"):
        ask_server("Add an endpoint", url, timeout=0.5)


def test_a_prompt_resolves_and_validates_the_model_once(monkeypatch, fake_model):
    from router.artifacts import loader

    calls: list[str] = []
    for name in ("resolve", "read_metadata"):
        real = getattr(loader, name)
        monkeypatch.setattr(loader, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    out, err = io.StringIO(), io.StringIO()
    claude(io.StringIO(json.dumps(event("Add an index to orders"))), out, err, model=fake_model)
    assert err.getvalue() == "" and json.loads(out.getvalue())
    assert sorted(calls) == ["read_metadata", "resolve"]
