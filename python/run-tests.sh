#!/usr/bin/env bash
# Tests the Python package (python/) against the built library, in a fresh venv:
#
#   cargo build --release              # first: this script builds nothing
#   export SMTPC_TEST_ENV=DIR/env      # the test mail server (tests/setup/mailserver.sh start DIR);
#                                      # without it the tests that need it are skipped
#   bash python/run-tests.sh [PYTEST ARGS...]
#
# Creates a venv in a temporary directory (python3 -m venv), installs ./python
# and pytest into it (from PyPI: pip builds the package with setuptools, which it
# fetches into its isolated build environment), runs `pytest -q python/tests`
# with SMTPC_LIBRARY=$PWD/target/release/libsmtpc.so, and removes the venv.
#
# Debian: `python3 -m venv` needs the package python3-venv (Debian splits
# ensurepip out of python3). When the venv cannot be created, the script installs
# python3-venv with apt-get (as root; otherwise it says what to install).
#
# Environment:
#   PYTHON=python3.9            the interpreter to test with (default python3)
#   SMTPC_PY_REQUIRE_SERVER=1   fail instead of skipping when SMTPC_TEST_ENV is unset (CI)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
LIBRARY=$ROOT/target/release/libsmtpc.so

say() { printf 'python/run-tests.sh: %s\n' "$*" >&2; }

if [[ ! -f "$LIBRARY" ]]; then
    say "$LIBRARY is missing: build it first with \`cargo build --release\`"
    exit 1
fi
if [[ -z "${SMTPC_TEST_ENV:-}" ]]; then
    if [[ "${SMTPC_PY_REQUIRE_SERVER:-0}" == 1 ]]; then
        say "SMTPC_TEST_ENV is not set (SMTPC_PY_REQUIRE_SERVER=1): start the test mail server with" \
            "\`bash tests/setup/mailserver.sh start DIR\` and export SMTPC_TEST_ENV=DIR/env"
        exit 1
    fi
    say "NOTE: SMTPC_TEST_ENV is not set: the tests that need the test mail server will be skipped"
fi

apt_install() {
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        say "cannot install $* (needs root and apt-get); install it and run again"
        exit 1
    fi
    say "installing $* with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    [[ "$PYTHON" == python3 ]] || { say "$PYTHON not found"; exit 1; }
    apt_install python3 python3-venv
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/smtpc-python-tests.XXXXXX")
# setuptools builds in the source tree: remove what this run adds there.
CREATED=()
for path in python/build python/smtpc.egg-info; do
    [[ -e "$path" ]] || CREATED+=("$path")
done
cleanup() {
    rm -rf "$WORK"
    for path in "${CREATED[@]}"; do
        rm -rf "$path"
    done
}
trap cleanup EXIT

VENV=$WORK/venv
if ! "$PYTHON" -m venv "$VENV" >"$WORK/venv.log" 2>&1; then
    # Debian without python3-venv: "ensurepip is not available".
    cat "$WORK/venv.log" >&2
    rm -rf "$VENV"
    apt_install python3-venv
    "$PYTHON" -m venv "$VENV"
fi

say "$("$VENV/bin/python" --version), installing ./python and pytest"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check ./python pytest

# -p no:cacheprovider and no byte code: leave nothing behind in python/.
# SMTPC_PY_EXPECT_INSTALLED: the tests check that they import the installed
# package (site-packages), not the source tree.
status=0
PYTHONDONTWRITEBYTECODE=1 SMTPC_LIBRARY="$LIBRARY" SMTPC_PY_EXPECT_INSTALLED=1 \
    "$VENV/bin/python" -m pytest -q -rs -p no:cacheprovider python/tests "$@" || status=$?
exit "$status"
