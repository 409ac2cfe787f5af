#!/usr/bin/env bash
# Shows that each fuzz target can fail: bash tests/fuzz/negative-controls.sh [SECONDS]
#
# For every target, plants one or two small, realistic bugs, each in its own
# temporary copy of the source (thrown away; the tree is not touched), builds
# the target there and runs it from the committed seed corpus until it crashes
# or SECONDS (default 300) pass. A control passes when the fuzzer finds
# the bug; the script prints how long that took and exits 1 if any bug stayed
# hidden, or if a planted bug no longer applies to the source (the pattern is
# gone: update the control).
#
# Not part of tests/run-all.sh or CI. Installs the nightly toolchain and
# cargo-fuzz when they are missing, as tests/fuzz/run.sh does.
#
# Environment:
#   FUZZ_TARGETS="a b"   run only these targets' controls
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
# shellcheck source=tests/fuzz/common.sh
source "$ROOT/tests/fuzz/common.sh"
LIMIT=$(seconds_arg "${1:-300}" SECONDS)
install_fuzz_tools

# target # file # sed expression # the bug, in words
controls=(
    "reply_parser#src/protocol/reply.rs#s/if self.partial.len() + lf + 1 > MAX_LINE_LEN/if lf + 1 > MAX_LINE_LEN/#the line limit forgets the bytes buffered from earlier pieces"
    "ehlo_extensions#src/protocol/extensions.rs#s/let mut words = line.split_ascii_whitespace();/let mut words = line.split(' ').filter(|w| !w.is_empty());/#capability lines split at spaces only, not tabs"
    "data_encoder#src/protocol/data.rs#s/if self.after_cr && !rest.is_empty() {/if false \&\& self.after_cr \&\& !rest.is_empty() {/#a CRLF split across two pieces is not recognised"
    "header_encoding#src/message/params.rs#s/current.len() + piece.len() + 1 > MAX_LINE/current.len() + piece.len() > MAX_LINE/#RFC 2231 segments forget the ';' when fitting a line"
    "header_encoding#src/message/header.rs#s/let may_fold = self.may_fold(sep) || (n == 0 \&\& !sep.is_empty());/let may_fold = self.may_fold(sep);/#no fold before an encoded-word that does not fit after a long field name"
    "body_encoding#src/message/quoted_printable.rs#s/const MAX_QP_LINE: usize = 76;/const MAX_QP_LINE: usize = 77;/#quoted-printable lines of 77 characters"
    "message_builder#src/message/mailbox.rs#s/if c == '\"' || c == '\\\\\\\\' {/if c == '\"' {/#a backslash in a quoted display name is not escaped"
)

wanted=" ${FUZZ_TARGETS:-} "
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One target directory for all copies: the dependencies are built once.
export CARGO_TARGET_DIR="$work/target"

failed=0
summary=()
for control in "${controls[@]}"; do
    IFS='#' read -r target file expr bug <<<"$control"
    if [[ -n "${FUZZ_TARGETS:-}" && $wanted != *" $target "* ]]; then
        continue
    fi
    copy="$work/src-$target"
    mkdir -p "$copy"
    git ls-files -z --cached --others --exclude-standard | tar -c --null -T - -f - | tar -x -C "$copy"
    sed -i -e "$expr" "$copy/$file"
    if cmp -s "$ROOT/$file" "$copy/$file"; then
        line="$target: the planted bug no longer applies to $file (update the control)"
        echo "controls: $line" >&2
        summary+=("$line")
        failed=1
        continue
    fi
    echo "controls: $target: $bug ($file)"
    cd "$copy/fuzz"
    if ! cargo +nightly fuzz build "$target" >"$work/build-$target.log" 2>&1; then
        tail -n 30 "$work/build-$target.log" >&2
        exit 1
    fi
    corpus="$work/corpus-$target"
    mkdir -p "$corpus"
    cp -R "$ROOT/fuzz/corpus/$target/." "$corpus/" 2>/dev/null || true
    start=$SECONDS
    status=0
    # shellcheck disable=SC2046 # the options are words
    cargo +nightly fuzz run "$target" "$corpus" -- -max_total_time="$LIMIT" -timeout=10 $(fuzz_options "$target") \
        >"$work/run-$target.log" 2>&1 || status=$?
    took=$((SECONDS - start))
    cd "$ROOT"
    if ((status != 0)) && grep -q -E "panicked|ERROR: libFuzzer" "$work/run-$target.log"; then
        where=$(grep -m 1 -o "panicked at [^ ]*" "$work/run-$target.log" | sed "s/:$//" || true)
        line="$target: found in ${took}s (${where:-crash}): $bug"
    else
        line="$target: NOT found in ${LIMIT}s: $bug"
        failed=1
    fi
    echo "controls: $line"
    summary+=("$line")
done

echo
echo "negative controls (at most ${LIMIT}s each):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
