"""Labeled examples: the JSONL format, the agent file, checks, near-duplicates and fixed splits."""
