"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer

from router.core.metadata import ENCODER_RUNTIMES
from router.settings import ENV_LOG, ENV_LOG_TEXT, LOG_TEXT_MODES, decision_log_address


def one_of(choices: Sequence[str]) -> Callable[[str | None], str | None]:
    """An option callback that lets only `choices` (or no value) through: anything else is a usage error."""

    def check(value: str | None) -> str | None:
        if value is not None and value not in choices:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}")
        return value

    return check


def log_address(value: str | None) -> str | None:
    """The `--log` callback: the option, else `ROUTER_DECISION_LOG` (`decision_log_address`); empty is no log."""
    address = decision_log_address(value)
    return None if address is None else str(address)


def required_log(log: str | None) -> str:
    """The decision log a command cannot do without; a usage error when none is given."""
    if log is None:
        raise typer.BadParameter(f"give --log or set {ENV_LOG}", param_hint="--log")
    return log


ModelOption = Annotated[
    Path | None,
    typer.Option("--model", help="Model folder or registry root (default: ROUTER_MODEL, else the default model)."),
]
RootOption = Annotated[
    Path | None,
    typer.Option("--model", help="Model registry root (default: ROUTER_MODEL, else the default model)."),
]
DataDirOption = Annotated[Path, typer.Option("--data-dir", help="Data folder: train/dev/test.jsonl and agents/.")]
LogOption = Annotated[
    str | None,
    typer.Option(
        "--log",
        callback=log_address,
        help="Decision log: an SQLite file, or a postgresql:// URL (default ROUTER_DECISION_LOG).",
    ),
]
LogTextOption = Annotated[
    str | None,
    typer.Option(
        "--log-text",
        envvar=ENV_LOG_TEXT,
        callback=one_of(LOG_TEXT_MODES),
        help=f"What the decision log keeps of each text: {', '.join(LOG_TEXT_MODES)} (default redacted).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON even on a terminal.")]
NoCacheOption = Annotated[bool, typer.Option("--no-cache", help="Do not cache embeddings.")]
NoOnnxOption = Annotated[bool, typer.Option("--no-onnx", help="Skip the ONNX export of the encoder.")]
EncoderRuntimeOption = Annotated[
    str,
    typer.Option(
        "--encoder-runtime",
        callback=one_of(ENCODER_RUNTIMES),
        help=f"How the encoder embeds, in training and serving: {' or '.join(ENCODER_RUNTIMES)}.",
    ),
]
