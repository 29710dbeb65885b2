#!/usr/bin/env bash
# Set up Stepwise, load the demo data into an embedded SQLite file, start the worker and the web task list.
# Usage: ./run.sh        (Ctrl-C stops it)
set -euo pipefail
cd "$(dirname "$0")"

python3 -m venv .venv >/dev/null 2>&1 || python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --disable-pip-version-check -e .
npm ci --no-audit --no-fund --loglevel=error   # the pages' GOV.UK Frontend and bpmn-js

export DATABASE_URL="${DATABASE_URL:-sqlite:///var/stepwise.db}"
stepwise demo
stepwise tasks
# The worker fires due timers beside the web task list; Ctrl-C stops both.
stepwise worker &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
echo "== task list on http://127.0.0.1:${STEPWISE_PORT:-8000}/ (demo sign-ins: README, 'Demo'); worker running; Ctrl-C to stop"
stepwise serve --host 127.0.0.1 --port "${STEPWISE_PORT:-8000}"
