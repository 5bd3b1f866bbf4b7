"""Texts to embeddings: sentence-transformers, its ONNX export, the embedding cache, `SentenceEmbedder`."""
