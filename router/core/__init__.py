"""Decisions from embeddings: `Decision`, `ModelMetadata`, the numpy heads and `Router` (numpy only)."""
