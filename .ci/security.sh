#!/usr/bin/env bash
# CI security steps, called by .ci/run after the lint step (the dev extra, installed there, brings the tools).
#   1. import-linter: the package layers hold.
#   2. bandit over router/: every finding is fixed, or waived inline (`# nosec BXXX`) under a comment that
#      gives the reason; a new finding fails CI.
#   3. pip-audit over the installed environment: a known vulnerability fails CI unless waived below, one by
#      one, with a reason. When the vulnerability service cannot be reached (or knows none of the installed
#      versions, as with a local package mirror) that is reported loudly and does not fail CI.
set -euo pipefail
cd "$(dirname "$0")/.."

.venv/bin/lint-imports

.venv/bin/bandit -q -r router

# Waivers: "--ignore-vuln ID" per known vulnerability that does not affect us, each with its reason.
PIP_AUDIT_WAIVERS=()

set +e
audit=$(.venv/bin/pip-audit --progress-spinner off --skip-editable "${PIP_AUDIT_WAIVERS[@]}" 2>&1)
status=$?
set -e
echo "$audit" | grep -v "could not be audited" || true
skipped=$(echo "$audit" | grep -c "could not be audited" || true)
if [ "$status" -ne 0 ]; then
  if echo "$audit" | grep -qE "Found [0-9]+ known vulnerabilit"; then
    echo "security: pip-audit found known vulnerabilities (fix them or waive each in .ci/security.sh)" >&2
    exit 1
  fi
  echo "security: WARNING pip-audit could not run its check (vulnerability service unreachable?)" >&2
elif [ "$skipped" -gt 0 ]; then
  echo "security: WARNING pip-audit could not look up $skipped installed distributions (not on PyPI's JSON API)" >&2
fi
