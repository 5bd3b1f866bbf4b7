"""What a decision log stores of a text: all of it, the text with common secret shapes masked, or a hash.

Redaction masks what people paste by accident: private key blocks, passwords in URLs, cloud and SaaS
keys and tokens (AWS, Google, GitHub, GitLab, Slack, Stripe, OpenAI and Anthropic style), JWTs, bearer
tokens, and `password=`/`api_key:`-style assignments. It is a safety net, not a guarantee: a secret
of no known shape stays. `hash` keeps no text at all (a SHA-256, so repeats can still be counted).
"""

from __future__ import annotations

import hashlib
import re

#: Prefix of a stored text that is only a hash (`--log-text hash`).
HASH_PREFIX = "sha256:"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*-----|\Z)", re.S),
        "[REDACTED:private-key]",
    ),
    (re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/?#@]+:)[^\s/?#@]+@"), r"\1[REDACTED]@"),
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b"), "[REDACTED:aws-key]"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "[REDACTED:google-key]"),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"), "[REDACTED:github-token]"),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), "[REDACTED:gitlab-token]"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "[REDACTED:slack-token]"),
    (re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"), "[REDACTED:slack-webhook]"),
    (re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"), "[REDACTED:stripe-key]"),
    (re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}"), "[REDACTED:api-key]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), "[REDACTED:jwt]"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{16,}"), r"\1[REDACTED]"),
    (re.compile(r"(?i)\b(AccountKey=)[A-Za-z0-9+/=]{20,}"), r"\1[REDACTED]"),
    (
        re.compile(
            r"(?i)((?:\b|(?<=_))(?:aws_)?(?:secret_access_key|secret_key|password|passwd|pwd|secret|token|api[_-]?key|"
            r"access[_-]?key|client[_-]?secret|private[_-]?key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]{4,}"
        ),
        r"\1[REDACTED]",
    ),
]


def redact(text: str) -> str:
    """`text` with every known secret shape masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def text_hash(text: str) -> str:
    """What `hash` mode stores: `sha256:` and the hex digest of the UTF-8 text."""
    return HASH_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_text(text: str, mode: str) -> str:
    """What the log stores for `text` under a `--log-text` mode ("full", "redacted" or "hash")."""
    if mode == "full":
        return text
    if mode == "hash":
        return text_hash(text)
    return redact(text)


def is_hashed(text: str) -> bool:
    """Whether a stored text is only a hash (no text to label or review)."""
    return text.startswith(HASH_PREFIX) and len(text) == len(HASH_PREFIX) + 64
