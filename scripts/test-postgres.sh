#!/usr/bin/env bash
# The test suite on a throw-away PostgreSQL (see with-postgres.sh); arguments go to pytest:
#
#   scripts/test-postgres.sh -n 2 tests/booking -x
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/pytest ] || make --no-print-directory install
exec scripts/with-postgres.sh .venv/bin/pytest -p no:cacheprovider "$@"
