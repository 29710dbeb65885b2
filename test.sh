#!/usr/bin/env bash
# Set up everything the tests need, then run the whole suite on SQLite and on PostgreSQL.
# Usage: ./test.sh [extra pytest args]
# PostgreSQL: uses $STEPWISE_TEST_DATABASE_URL if set; otherwise installs (Debian package) and
# starts a local server. Set STEPWISE_TEST_POSTGRES=skip to run SQLite only (said loudly).
set -euo pipefail
cd "$(dirname "$0")"

python3 -m venv .venv >/dev/null 2>&1 || python3 -m venv .venv
. .venv/bin/activate
python -m pip install --quiet --disable-pip-version-check -e ".[test]"
npm ci --no-audit --no-fund --loglevel=error   # GOV.UK Frontend, bpmn-js, axe-core, bpmnlint

need_debian_package() {  # command package [apt-get options]
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" != 0 ]; then echo "need root to install $2 (or install it yourself)" >&2; exit 1; fi
    echo "== installing $2 (Debian package)"
    [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${@:3}" "$2" >/dev/null
}
need_debian_package chromium chromium   # the browser tests drive Debian's Chromium, never a downloaded one
# Documents as PDF (packs) and the PDF -> PNG test: about 45 s and 620 MB, so CI runs them rather than skipping.
need_debian_package soffice libreoffice-writer-nogui --no-install-recommends
need_debian_package pdftoppm poppler-utils --no-install-recommends

start_postgres() {
    need_debian_package pg_ctlcluster postgresql
    local version
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    if ! pg_lsclusters -h | grep -q .; then pg_createcluster "$version" main >/dev/null; fi
    local cluster
    cluster=$(pg_lsclusters -h | head -1 | awk '{print $1" "$2}')
    # shellcheck disable=SC2086
    pg_ctlcluster $cluster start 2>/dev/null || true
    for _ in $(seq 1 30); do
        su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
        sleep 1
    done
    su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='stepwise'\"" | grep -q 1 \
        || su postgres -c "psql -qc \"CREATE ROLE stepwise LOGIN SUPERUSER PASSWORD 'stepwise'\""
    su postgres -c "psql -qtAc \"select 1 from pg_database where datname='stepwise_test'\"" | grep -q 1 \
        || su postgres -c "createdb -O stepwise stepwise_test"
    local port
    port=$(pg_lsclusters -h | head -1 | awk '{print $3}')
    export STEPWISE_TEST_DATABASE_URL="postgresql://stepwise:stepwise@127.0.0.1:${port}/stepwise_test"
}

echo "== tests on SQLite"
env -u STEPWISE_TEST_DATABASE_URL python -m pytest "$@"

if [ "${STEPWISE_TEST_POSTGRES:-}" = "skip" ]; then
    echo "!! PostgreSQL run SKIPPED because STEPWISE_TEST_POSTGRES=skip"
    exit 0
fi
[ -n "${STEPWISE_TEST_DATABASE_URL:-}" ] || start_postgres
echo "== tests on PostgreSQL ($STEPWISE_TEST_DATABASE_URL)"
python -m pytest "$@"
