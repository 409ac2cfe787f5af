#!/usr/bin/env bash
# include/smtpc.h compiles with every warning as an error as C99, C11, C++98,
# C++11 and C++17 (C99 is the oldest C: it has <stdbool.h> and <stdint.h>) with gcc and clang (MinGW: tests/wine/run.sh), and the sizes the
# header documents for the boundary's types hold on each (a compile-time check).
# include/smtpc.hpp compiles as C++11 and C++17.
#
#   bash tests/abi/header.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

# The documented sizes, as arrays whose size is negative when one does not hold.
cat >"$work/sizes.c" <<'EOF'
#include "smtpc.h"
typedef char bool_is_one_byte[sizeof(bool) == 1 ? 1 : -1];
typedef char size_t_is_pointer_sized[sizeof(size_t) == sizeof(void *) ? 1 : -1];
typedef char uint64_is_8_bytes[sizeof(uint64_t) == 8 ? 1 : -1];
typedef char status_is_4_bytes[sizeof(smtpc_status) == 4 ? 1 : -1];
typedef char tls_mode_is_4_bytes[sizeof(smtpc_tls_mode) == 4 ? 1 : -1];
typedef char log_kind_is_4_bytes[sizeof(smtpc_log_kind) == 4 ? 1 : -1];
int smtpc_header_check(void);
int smtpc_header_check(void)
{
    smtpc_log_callback log = 0;
    smtpc_progress_callback progress = 0;
    return log == 0 && progress == 0 && SMTPC_VERSION_NUMBER > 0;
}
EOF
cp "$work/sizes.c" "$work/sizes.cpp"
printf '#include "smtpc.hpp"\nint main() { return 0; }\n' >"$work/hpp.cpp"

cxxflags=(-Wall -Wextra -Werror -pedantic -I"$root/include" -c)
flags=("${cxxflags[@]}" -Wstrict-prototypes)
try() { # try WHAT COMMAND...
    local what=$1
    shift
    if "$@" -o "$work/out.o" 2>"$work/err"; then
        echo "PASS: $what"
    else
        echo "FAIL: $what"
        sed 's/^/    /' "$work/err"
        status=1
    fi
}
for cc in gcc clang; do
    command -v "$cc" >/dev/null || { echo "FAIL: $cc is not installed (tests/setup/install-deps.sh)"; status=1; continue; }
    for std in c99 c11; do
        try "smtpc.h, $cc -std=$std" "$cc" -std=$std "${flags[@]}" "$work/sizes.c"
    done
done
for cxx in g++ clang++; do
    command -v "$cxx" >/dev/null || { echo "FAIL: $cxx is not installed"; status=1; continue; }
    for std in c++98 c++11 c++17; do
        try "smtpc.h, $cxx -std=$std" "$cxx" -std=$std "${cxxflags[@]}" "$work/sizes.cpp"
    done
    for std in c++11 c++17; do
        try "smtpc.hpp, $cxx -std=$std" "$cxx" -std=$std "${cxxflags[@]}" "$work/hpp.cpp"
    done
done
exit "$status"
