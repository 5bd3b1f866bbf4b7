"""`router data check` and `router data split`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from router.cli.output import fail
from router.errors import RouterError
from router.settings import DATA_DIR

data_app = typer.Typer(help="Check and split labeled data.", no_args_is_help=True)
MAX_PROBLEMS = 200


@data_app.command("check")
def data_check(
    path: Annotated[Path, typer.Argument(exists=True)] = DATA_DIR,
    agent: Annotated[Path | None, typer.Option("--agent", exists=True, dir_okay=False, help="Agent file.")] = None,
) -> None:
    """Validate labeled data and print a summary; exit 1 on any problem."""
    from router.dataset.check import check

    try:
        result = check(path, agent)
    except RouterError as err:
        fail(err)
    print_check(result.problems, result.summary)
    if not result.ok:
        raise typer.Exit(1)


@data_app.command("split")
def data_split(
    sources: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", help="Folder for train/dev/test.jsonl.")] = DATA_DIR,
    seed: int = 0,
) -> None:
    """Split labeled SOURCES into fixed train/dev/test files (near-duplicates kept together)."""
    from router.dataset.examples import load_examples, to_record
    from router.dataset.splits import make_splits
    from router.fs import write_jsonl_atomic

    try:
        examples = [ex for src in sources for ex in load_examples(src)]
    except RouterError as err:
        fail(err)
    for name, part in make_splits(examples, seed).items():
        write_jsonl_atomic(out / f"{name}.jsonl", [to_record(ex) for ex in part])
        typer.echo(f"{name}: {len(part)} examples", err=True)


def _table(title: str, counts: dict[str, int], total: int) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("value")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    for key, count in counts.items():
        table.add_row(str(key), str(count), f"{count / max(1, total):.1%}")
    return table


def print_check(problems: list[str], s: dict[str, Any]) -> None:
    """Problems on stderr, then the summary tables and targets on stdout."""
    from rich.console import Console
    from rich.text import Text

    err = Console(stderr=True)
    for problem in problems[:MAX_PROBLEMS]:
        err.print(Text.assemble(("error", "red"), " ", problem), highlight=False, soft_wrap=True)
    if len(problems) > MAX_PROBLEMS:
        err.print(f"... and {len(problems) - MAX_PROBLEMS} more")
    out = Console()
    n = s.get("examples")
    if not isinstance(n, int) or not n:
        return
    shares = [f"positive share {s['positive_share']:.1%}", f"scenario voice {s['voice_share']:.1%}"]
    shares += [f"{k.replace('_', ' ')} {s[k]:.1%}" for k in ("hard_positive_share", "hard_negative_share") if k in s]
    shares.append(f"near-duplicate share {s['near_duplicate_share']:.1%}")
    out.print(f"[bold]{n} examples[/bold], " + ", ".join(shares))
    by_label = s["by_label"]
    out.print(_table("by split", s["by_split"], n))
    out.print(_table("by label", by_label, n))
    out.print(_table("by criterion (positives)", s["by_criterion"], int(by_label["1"])))
    out.print(_table("by kind", s["by_kind"], n))
    out.print(_table("by length (words)", s["by_length"], n))
    voice = s["voice_share_by_label"]
    out.print(f"scenario voice by label: 1 {voice['1']:.1%}, 0 {voice['0']:.1%}")
    if "stacks" in s:
        stacks = s["stacks"]
        out.print(f"tech stacks ({len(stacks)}): {', '.join(stacks)}")
    kinds = s["negative_kind_counts"]
    out.print(f"negative (neighbour) kinds ({len(kinds)}): " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    targets = s.get("targets", {})
    for target, met in targets.items():
        out.print(f"  {'[green]met[/green]' if met else '[yellow]not met[/yellow]'}  {target}")
    out.print("[green]data OK[/green]" if not problems else f"[red]{len(problems)} problem(s)[/red]")
