#!/usr/bin/env bash
# Runs the gatewayhost end-to-end suite: the real binary, the official `openai` SDK, the mock upstream, all on
# 127.0.0.1. Creates or updates the virtualenv /work/main/.venv (gitignored) from Tests/e2e/requirements.txt.
#
#   Tests/e2e/run.sh [pytest args...]        e.g. Tests/e2e/run.sh -k stream -x
#
# GATEWAYHOST_BIN overrides the binary (default: .build/debug/gatewayhost; build it with
# `swift build --product gatewayhost`). The exit code is pytest's.
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" || { echo "run.sh: cannot create $VENV" >&2; exit 2; }
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/Tests/e2e/requirements.txt" \
    || { echo "run.sh: pip install failed" >&2; exit 2; }

export GATEWAYHOST_BIN="${GATEWAYHOST_BIN:-$ROOT/.build/debug/gatewayhost}"
cd "$ROOT" || exit 2
"$VENV/bin/python" -m pytest -q Tests/e2e "$@"
