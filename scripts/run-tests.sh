#!/usr/bin/env bash
# Run the whole suite. Browser tests need Debian's chromium; install it when we
# are root (CI) and it is missing, otherwise they are reported as skipped.
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x /usr/bin/chromium && $(id -u) -eq 0 && "${CI:-}" == "true" ]]; then
    echo "Installing chromium for the browser tests..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
        || { echo "error: could not install chromium" >&2; exit 1; }
fi

.venv/bin/python -m pytest "$@"
status=$?
# pytest exits 5 when it collected no test: that is a broken suite, say so.
if [[ $status -eq 5 ]]; then
    echo "error: pytest collected no tests" >&2
    exit 1
fi
exit $status
