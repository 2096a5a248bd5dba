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

# pytest exits 5 when it collected no test: that is a broken suite, say so.
run_pytest() {
    "$@"
    local status=$?
    if [[ $status -eq 5 ]]; then
        echo "error: pytest collected no tests" >&2
        return 1
    fi
    return $status
}

run_pytest .venv/bin/python -m pytest "$@"
suite=$?

# The numba kernels' tests once more with the compiler off, so that every line
# of the games/_kernels package also runs as plain Python (fewer hypothesis examples).
echo "Kernel tests with NUMBA_DISABLE_JIT=1:"
NUMBA_DISABLE_JIT=1 run_pytest .venv/bin/python -m pytest -q \
    tests/games/test_kernels.py tests/games/test_batch.py tests/games/test_encoding.py \
    tests/games/test_climb.py tests/games/test_profile.py
kernels=$?

if [[ $suite -ne 0 ]]; then
    exit $suite
fi
exit $kernels
