"""Model folders on disk: safe skops and heads files, `metadata.json`, the registry, and loading a `Router`."""
