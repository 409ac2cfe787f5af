#!/usr/bin/env bash
# The exported functions are the ABI: the committed list tests/abi/exports.txt,
# the functions the header declares, and what each built library exports must be
# the same set. A function that disappears or is renamed fails here until the
# list is edited in the same change, which docs/install.md's ABI rules then
# make a new SONAME.
#
#   bash tests/abi/check.sh [LIBRARY...]
#
# LIBRARY: a libsmtpc.so (read with nm -D), or a smtpc.dll (read with MinGW's
# objdump -p). Without arguments: target/release/libsmtpc.so.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
list=$here/exports.txt
header=$root/include/smtpc.h
status=0

# compare WHAT NAMES: NAMES (one per line) must equal the list.
compare() {
    local what=$1 names=$2
    if diff -u --label exports.txt --label "$what" "$list" <(printf '%s\n' "$names" | sort -u); then
        echo "abi: $what: the $(wc -l <"$list") functions of exports.txt"
    else
        echo "abi: $what differs from tests/abi/exports.txt (- only in the list, + only in $what)" >&2
        status=1
    fi
}

# Every declaration reads "SMTPC_API <type> SMTPC_CALL name(" (build.rs).
compare include/smtpc.h "$(grep -oE 'SMTPC_CALL smtpc_[a-z0-9_]+\(' "$header" | sed 's/^SMTPC_CALL //; s/($//')"

[[ $# -gt 0 ]] || set -- "$root/target/release/libsmtpc.so"
for lib in "$@"; do
    case "$lib" in
    *.dll)
        # The export table's names (after the "[Ordinal/Name Pointer] Table" line).
        names=$(x86_64-w64-mingw32-objdump -p "$lib" |
            awk '/\[Ordinal\/Name Pointer\] Table/ {t = 1; next} t && /^[ \t]*\[/ {print $NF; next} t {t = 0}')
        ;;
    *)
        names=$(nm -D --defined-only "$lib" | awk 'NF == 3 {print $3}' | sed 's/@.*//')
        ;;
    esac
    compare "$(basename "$lib")" "$names"
done
exit "$status"
