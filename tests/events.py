"""Claude Code hook events as the tests send them."""


def user_prompt_submit(prompt, **extra):
    """A UserPromptSubmit event as Claude Code writes it (stdin of a command hook, body of an http hook)."""
    return {
        "session_id": "abc123",
        "transcript_path": "/home/u/.claude/projects/p/abc123.jsonl",
        "cwd": "/home/u/p",
        "permission_mode": "default",
        "hook_event_name": "UserPromptSubmit",
        "prompt": prompt,
        **extra,
    }
