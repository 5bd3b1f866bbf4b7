"""Write `v0002-test-decisions.jsonl` with the code before the layout redesign (commit ca9f826).

Run from the repository root (this venv has what that commit needs):

    git worktree add /tmp/router-ca9f826 ca9f826
    (cd /tmp/router-ca9f826 && ROUTER_BACKEND=torch PYTHONPATH=. "$OLDPWD/.venv/bin/python" \\
        "$OLDPWD/tests/golden/regenerate.py") > tests/golden/v0002-test-decisions.jsonl

Checked: its output is byte-identical to the committed file.

It uses only what that commit's `router` already had (`load_router`, `route_batch`, `Decision.to_dict`) and
reads the 570-row `data/test.jsonl` and `models/backend-engineer/versions/v0002` of the current folder.
"""

import json
import sys
from pathlib import Path

from router import load_router

rows = [json.loads(line) for line in Path("data/test.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
router = load_router(Path("models/backend-engineer/versions/v0002"))
for row, decision in zip(rows, router.route_batch([r["text"] for r in rows])):
    sys.stdout.write(json.dumps({"id": row["id"], **decision.to_dict()}, ensure_ascii=False) + "\n")
