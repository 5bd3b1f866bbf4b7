"""Progress bars and step messages on stderr (rich)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from router.encoders.embedder import SentenceEmbedder

CHUNK = 256


class Steps:
    """A rich progress display for the slow steps of training."""

    def __init__(self) -> None:
        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
        )

    def __enter__(self) -> Steps:
        self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.progress.stop()

    def embed(self, embedder: SentenceEmbedder, texts: list[str], name: str) -> np.ndarray:
        """Embed texts in chunks, advancing a bar."""
        task = self.progress.add_task(f"embedding {name}", total=len(texts))
        parts = []
        for start in range(0, len(texts), CHUNK):
            parts.append(embedder.transform(texts[start : start + CHUNK]))
            self.progress.advance(task, len(parts[-1]))
        return np.vstack(parts)

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        """Show one indeterminate step until it ends."""
        task = self.progress.add_task(description, total=1)
        yield
        self.progress.advance(task)
