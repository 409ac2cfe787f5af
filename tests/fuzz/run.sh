#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a while: bash tests/fuzz/run.sh [SECONDS_PER_TARGET]
#
# Not part of tests/run-all.sh or CI. Installs the nightly toolchain and
# cargo-fuzz when they are missing, builds the targets once, then runs each for
# SECONDS_PER_TARGET (default 60) on one core (-jobs=1, niced) starting from a
# copy of its committed seed corpus in a temporary directory, so fuzz/corpus/
# stays as committed. Prints per target the executions and the crashes; a crash
# input is kept in fuzz/artifacts/<target>/ (reproduce it with
# `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>` in fuzz/).
# Exits 1 when any target crashed.
#
# Environment:
#   FUZZ_TARGETS="a b"   run only these targets
#   FUZZ_NICE=N          niceness of the runs (default 10)
#   FUZZ_KEEP_CORPUS=DIR copy the grown corpora to DIR/<target>/ at the end
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
# shellcheck source=tests/fuzz/common.sh
source "$ROOT/tests/fuzz/common.sh"
SECONDS_PER_TARGET=$(seconds_arg "${1:-60}" SECONDS_PER_TARGET)
install_fuzz_tools

cd "$ROOT/fuzz"
if [[ -n "${FUZZ_TARGETS:-}" ]]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "fuzz: building the targets (cargo +nightly fuzz build) ..."
if ! nice -n "${FUZZ_NICE:-10}" cargo +nightly fuzz build >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    echo "fuzz: build failed" >&2
    exit 1
fi

failed=0
summary=()
for target in "${targets[@]}"; do
    corpus="$work/corpus/$target"
    mkdir -p "$corpus" "$work/run/$target" "$ROOT/fuzz/artifacts/$target"
    if [[ -d "$ROOT/fuzz/corpus/$target" ]]; then
        cp -R "$ROOT/fuzz/corpus/$target/." "$corpus/"
    fi
    before=$(find "$ROOT/fuzz/artifacts/$target" -type f | wc -l)
    echo "fuzz: $target for ${SECONDS_PER_TARGET}s ..."
    status=0
    # -jobs=1 runs one worker whose output goes to fuzz-0.log in the current
    # directory; -print_final_stats=1 ends it with the number of executions.
    (cd "$work/run/$target" &&
        nice -n "${FUZZ_NICE:-10}" cargo +nightly fuzz run --fuzz-dir "$ROOT/fuzz" "$target" "$corpus" -- \
            -max_total_time="$SECONDS_PER_TARGET" -jobs=1 -timeout=10 $(fuzz_options "$target") \
            -print_final_stats=1) >"$work/run/$target/cargo.log" 2>&1 || status=$?
    log="$work/run/$target/fuzz-0.log"
    [[ -f $log ]] || log="$work/run/$target/cargo.log"
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1 || true)
    if [[ -z $execs ]]; then
        execs=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#' || true)
    fi
    after=$(find "$ROOT/fuzz/artifacts/$target" -type f | wc -l)
    crashes=$((after - before))
    line="$target: ${execs:-?} executions, $crashes crashes"
    if ((crashes > 0 || status != 0)); then
        failed=1
        line="$line (exit $status; see fuzz/artifacts/$target/)"
        grep -E -m 5 "panicked|ERROR: libFuzzer|SUMMARY" "$log" || true
    fi
    echo "fuzz: $line"
    summary+=("$line")
done

if [[ -n "${FUZZ_KEEP_CORPUS:-}" ]]; then
    mkdir -p "$FUZZ_KEEP_CORPUS"
    cp -R "$work/corpus/." "$FUZZ_KEEP_CORPUS/"
fi

echo
echo "fuzz summary (${SECONDS_PER_TARGET}s per target):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
