"""On-disk embedding cache keyed by encoder id and text hash.

Each write adds one shard file (written to a temporary name, then renamed), so the cache only grows
and a crash never leaves a half-written shard behind. Shards never change once written, so a process
reads each one once and keeps it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from router.fs import atomic_path, write_text_atomic

_LOCK = threading.Lock()
#: Per cache folder: the shard files already read by this process, and their embeddings by text key.
_READ: dict[Path, tuple[set[str], dict[str, np.ndarray]]] = {}


def text_key(text: str) -> str:
    """SHA-256 of a text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Embeddings of one encoder, stored as `.npz` shards in one folder."""

    def __init__(self, root: str | Path, encoder: str) -> None:
        self.folder = Path(root) / hashlib.sha256(encoder.encode()).hexdigest()[:16]
        self.encoder = encoder

    def load(self) -> dict[str, np.ndarray]:
        """Every cached embedding, by text key (shards new since the last call are read, the rest reused)."""
        with _LOCK:
            names, found = _READ.setdefault(self.folder.resolve(), (set(), {}))
            for shard in sorted(self.folder.glob("*.npz")):
                if shard.name not in names:
                    with np.load(shard) as data:
                        found.update(zip(data["keys"].tolist(), data["vectors"]))
                    names.add(shard.name)
            return dict(found)

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        """Store new embeddings as one more shard."""
        if not keys:
            return
        label = self.folder / "encoder.txt"
        if not label.is_file():
            write_text_atomic(label, self.encoder + "\n")
        shard = self.folder / f"{keys[0][:16]}-{len(keys)}.npz"
        with atomic_path(shard) as tmp, tmp.open("wb") as out:
            np.savez(out, keys=np.array(keys), vectors=vectors)
        with _LOCK:
            names, found = _READ.setdefault(self.folder.resolve(), (set(), {}))
            found.update(zip(keys, vectors))
            names.add(shard.name)


def embed_cached(
    cache: EmbeddingCache | None, texts: Sequence[str], embed: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    """Embeddings of `texts`: from the cache where known, `embed` (once, on the missing texts) otherwise."""
    texts = list(texts)
    if cache is None:
        return np.asarray(embed(texts), dtype=np.float32)
    known = cache.load()
    keys = [text_key(t) for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in known}.items())
    if missing:
        new = np.asarray(embed([t for _, t in missing]), dtype=np.float32)
        cache.add([k for k, _ in missing], new)
        known.update(zip((k for k, _ in missing), new))
    return np.stack([known[k] for k in keys]).astype(np.float32)
