#!/usr/bin/env bash
# The test command of the project: bash tests/run-all.sh
#
# Installs what is missing (Debian packages), checks formatting and lints (of
# the fuzz targets too, which it checks but does not run), builds, checks the
# committed C header is current and the exported functions are the committed
# list, starts a private mail server, and runs against it the
# Rust tests, the C examples and C tests (under valgrind), the C++ wrapper and
# MFC mailer, the Python package and the ctypes example; then the Windows build
# under Wine (its own mail server) and `make install` with its pkg-config and
# CMake consumers. Stops at the first failure. The last line is
# "smtpc: N passed, 0 failed" (N = sections passed), which CI reads.
#
# Environment:
#   SMTPC_SKIP_INSTALL=1       do not run tests/setup/install-deps.sh
#   SMTPC_SECTION_TIMEOUT=SEC  limit for each section (default 2400 s)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

# CI gives a plain environment: make sure rustup's cargo (and its HOME) is found.
if [[ -z "${HOME:-}" ]]; then
    HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
    export HOME
fi
if [[ -d "${CARGO_HOME:-$HOME/.cargo}/bin" ]]; then
    PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
export CARGO_TERM_COLOR=never RUST_BACKTRACE=1
SECTION_TIMEOUT=${SMTPC_SECTION_TIMEOUT:-2400}

PASSED=0
FAILED=0
CURRENT=""
SECTION_STARTED=$SECONDS
STATE_DIR=""

section() {
    CURRENT=$1
    SECTION_STARTED=$SECONDS
    printf '\n==================== %s ====================\n' "$CURRENT"
}

# Runs a section's command under a time limit, so that a hung test fails its
# section instead of eating CI's time (--kill-after: even if it ignores
# SIGTERM). In the background plus wait, so that Ctrl-C or a SIGTERM to this
# script is handled at once: finish stops the command and the mail server.
run() {
    timeout --kill-after=30 "$SECTION_TIMEOUT" "$@" &
    wait "$!"
}

# Ends a section that passed.
pass() {
    PASSED=$((PASSED + 1))
    echo "---- ok: $CURRENT ($((SECONDS - SECTION_STARTED)) s)"
}

skip() {
    echo "---- skipped: $CURRENT ($1)"
}

finish() {
    local status=$? pid
    # A section command still running (we were interrupted): timeout passes
    # the signal on to the command's whole process group.
    for pid in $(jobs -pr); do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    # Whatever happened, stop the mail server started below.
    if [[ -n "$STATE_DIR" ]]; then
        bash "$ROOT/tests/setup/mailserver.sh" stop "$STATE_DIR" || true
        if [[ $status -eq 0 ]]; then
            rm -rf "$STATE_DIR"
        else
            echo "mail server state (config, logs, delivered mail) kept for debugging: $STATE_DIR"
        fi
    fi
    if [[ $status -ne 0 ]]; then
        FAILED=1
        echo
        echo "FAILED in section: ${CURRENT:-setup} (exit status $status)"
    fi
    echo
    echo "smtpc: $PASSED passed, $FAILED failed"
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

section "install dependencies"
if [[ "${SMTPC_SKIP_INSTALL:-}" == 1 ]]; then
    skip "SMTPC_SKIP_INSTALL=1"
else
    run bash tests/setup/install-deps.sh
    pass
fi

section "cargo fmt --check"
run cargo fmt --check -- --color=never
pass

section "cargo clippy"
run cargo clippy --all-targets -- -D warnings
pass

# The fuzz targets are not run here (tests/fuzz/run.sh does that, for as long
# as one likes); checking them keeps them building as the API changes.
section "fuzz targets build (fuzz/: cargo fmt --check, cargo clippy)"
run cargo fmt --manifest-path fuzz/Cargo.toml --check -- --color=never
run cargo clippy --manifest-path fuzz/Cargo.toml --locked --bins -- -D warnings
pass

section "cargo build --release + header check"
run cargo build --release
# build.rs regenerates include/smtpc.h; the committed copy must match it.
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "not a git checkout: cannot check include/smtpc.h against the commit" >&2
    exit 1
fi
if ! git ls-files --error-unmatch include/smtpc.h >/dev/null 2>&1; then
    echo "include/smtpc.h is not committed; build it and commit it" >&2
    exit 1
fi
if ! git diff --exit-code -- include/smtpc.h; then
    echo >&2
    echo "include/smtpc.h is stale: the build regenerated it (diff above)." >&2
    echo "Commit the regenerated header together with the API change." >&2
    exit 1
fi
echo "include/smtpc.h matches the build"
pass

section "exported functions and header portability (tests/abi/)"
run bash tests/abi/check.sh target/release/libsmtpc.so
run bash tests/abi/header.sh
pass

section "start test mail server"
# Under /tmp whatever TMPDIR says: Postfix and the delivery script run as
# unprivileged users and must be able to enter the state dir.
STATE_DIR=$(mktemp -d /tmp/smtpc-test.XXXXXX)
run bash tests/setup/mailserver.sh start "$STATE_DIR"
export SMTPC_TEST_ENV="$STATE_DIR/env"
cat "$SMTPC_TEST_ENV"
pass

section "cargo test --release"
# The time-bound tests make a network namespace (root, iproute2): required here.
run env SMTPC_REQUIRE_NETNS=1 cargo test --release
pass

section "C examples under valgrind (c-examples/check.sh)"
if [[ -f c-examples/check.sh ]]; then
    run bash c-examples/check.sh
    pass
else
    skip "c-examples/check.sh does not exist"
fi

section "C++ wrapper and MFC mailer (tests/cpp/check.sh)"
run env SMTPC_NO_CARGO=1 bash tests/cpp/check.sh
pass

section "C tests under AddressSanitizer + UBSan (tests/asan/run.sh)"
run env SMTPC_NO_CARGO=1 bash tests/asan/run.sh
pass

section "Python package (python/run-tests.sh)"
run env SMTPC_PY_REQUIRE_SERVER=1 bash python/run-tests.sh
pass

section "Python ctypes example (c-examples/send_ctypes.py)"
run python3 c-examples/send_ctypes.py
pass

section "Windows build under Wine (tests/wine/run.sh)"
run bash tests/wine/run.sh
pass

# Last: make install builds the library with its SONAME (build.rs, SMTPC_SONAME),
# which the sections above do not expect in target/release.
section "make install, pkg-config and CMake consumers (tests/install/check.sh)"
run bash tests/install/check.sh
pass
