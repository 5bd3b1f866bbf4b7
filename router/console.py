"""Human-readable printing of data-check results (rich, stdout; problems on stderr)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from router.datacheck import CheckResult

MAX_PROBLEMS = 200


def _table(title: str, counts: dict[str, int], total: int) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("value")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    for key, count in counts.items():
        table.add_row(str(key), str(count), f"{count / max(1, total):.1%}")
    return table


def print_check(result: CheckResult) -> None:
    """Print problems, then the summary tables and targets."""
    err = Console(stderr=True)
    for problem in result.problems[:MAX_PROBLEMS]:
        err.print(f"[red]error[/red] {problem}", highlight=False, soft_wrap=True)
    if len(result.problems) > MAX_PROBLEMS:
        err.print(f"... and {len(result.problems) - MAX_PROBLEMS} more")
    s = result.summary
    out = Console()
    if not s.get("examples"):
        return
    n = s["examples"]
    out.print(
        f"[bold]{n} examples[/bold], positive share {s['positive_share']:.1%}, "
        f"hard positives {s['hard_positive_share']:.1%}, hard negatives {s['hard_negative_share']:.1%}, "
        f"near-duplicate share {s['near_duplicate_share']:.1%}"
    )
    out.print(_table("by split", s["by_split"], n))
    out.print(_table("by label", s["by_label"], n))
    out.print(_table("by criterion (positives)", s["by_criterion"], int(s["by_label"]["1"])))
    out.print(_table("by kind", s["by_kind"], n))
    out.print(_table("by length (words)", s["by_length"], n))
    out.print(f"tech stacks ({len(s['stacks'])}): {', '.join(s['stacks'])}")
    out.print(f"negative kinds ({len(s['negative_kinds'])}): {', '.join(s['negative_kinds'])}")
    for target, met in s["targets"].items():
        out.print(f"  {'[green]met[/green]' if met else '[yellow]not met[/yellow]'}  {target}")
    out.print("[green]data OK[/green]" if result.ok else f"[red]{len(result.problems)} problem(s)[/red]")
