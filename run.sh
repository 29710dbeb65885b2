#!/usr/bin/env bash
# Set up Stepwise, load the demo data into an embedded SQLite file and start the worker.
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
echo "== worker running (fires due timers); Ctrl-C to stop"
exec stepwise worker
