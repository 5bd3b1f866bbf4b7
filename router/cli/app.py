"""The `router` app: every command group registered on one Typer application."""

from __future__ import annotations

import typer

from router.cli.data import data_app
from router.cli.doctor import doctor, prepare
from router.cli.evaluate import eval_
from router.cli.feedback import feedback, label_app, review
from router.cli.log import log_app
from router.cli.models import models_app
from router.cli.retrain import retrain
from router.cli.route import route
from router.cli.score import score
from router.cli.serve import hook_app, mcp, serve
from router.cli.train import train

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
    """Console-script entry point."""
    app()
