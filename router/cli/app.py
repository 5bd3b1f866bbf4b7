"""The `router` app: every command group registered on one Typer application."""

from __future__ import annotations

import sys

import typer

from router.cli.data import data_app
from router.cli.doctor import doctor, prepare
from router.cli.evaluate import eval_
from router.cli.feedback import feedback, label_app, review
from router.cli.hook import hook_app, run_hook
from router.cli.log import log_app
from router.cli.models import models_app
from router.cli.output import one_line
from router.cli.retrain import retrain
from router.cli.route import route
from router.cli.score import score
from router.cli.serve import mcp, serve
from router.cli.train import train
from router.errors import RouterError

app = typer.Typer(help="Decide whether a request should go to the agent a model was trained for.", no_args_is_help=True)
app.command()(route)
app.command()(score)
app.command()(train)
app.command("eval")(eval_)
app.add_typer(data_app, name="data")
app.command()(serve)
app.add_typer(hook_app, name="hook")
app.command()(mcp)
app.command()(feedback)
app.add_typer(label_app, name="label")
app.command()(review)
app.add_typer(log_app, name="log")
app.command()(retrain)
app.add_typer(models_app, name="models")
app.command()(doctor)
app.command()(prepare)


def main() -> None:
    """Console-script entry point: exit 0, 1 (data or model error) or 2 (usage error), errors as one stderr line.

    `router hook ...` never exits 2 (see `router.cli.hook`).
    """
    command = typer.main.get_command(app)
    argv = sys.argv[1:]
    if argv[:1] == ["hook"]:
        run_hook(command, argv)
    try:
        code = command.main(args=argv, prog_name="router", standalone_mode=False)
    except typer.Abort:
        sys.stderr.write("error: aborted\n")
        sys.exit(1)
    except typer.TyperException as err:  # click's usage errors (typer vendors click)
        sys.exit(usage_error(err))
    except RouterError as err:  # a command that did not map its own error
        sys.stderr.write(f"error: {one_line(err)}\n")
        sys.exit(1)
    except OSError as err:  # a file a command could not read or write: a data error, not a crash
        where = f"{err.filename}: " if err.filename else ""
        sys.stderr.write(f"error: {where}{one_line(err.strerror or str(err))}\n")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def usage_error(err: typer.TyperException) -> int:
    """Print a usage error as one stderr line (or the help, when a group was given no command); its exit code."""
    ctx = getattr(err, "ctx", None)  # click's UsageError and its kind carry the command's context
    message = err.format_message()
    if not message.strip() and ctx is not None:  # `router models`: no command given
        sys.stdout.write(ctx.get_help() + "\n")
        return 2
    hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    sys.stderr.write(f"error: {one_line(message)}{hint}\n")
    return err.exit_code
