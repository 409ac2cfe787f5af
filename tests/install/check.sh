#!/usr/bin/env bash
# Checks `make install` / `make uninstall` the way a user of the installed library
# sees them: installs into a fresh temporary prefix, then builds and runs programs
# against the installed copy only (never target/ or include/ of this tree):
#
#   - c-examples/smtpc_send.c + cli_common.c with `pkg-config --cflags --libs smtpc`
#     (shared) and with `pkg-config --static` against libsmtpc.a
#     (tests/install/pkgconfig-consumer/Makefile);
#   - tests/install/cmake-consumer/ with find_package(smtpc CONFIG REQUIRED),
#     linked with smtpc::smtpc and smtpc::smtpc_static;
#   - the SONAME of the installed library and the NEEDED entries of the programs;
#   - the CMake version file against the SONAME rule (docs/install.md);
#   - a DESTDIR install with PREFIX=/usr and a multiarch LIBDIR;
#   - `make uninstall` leaves no smtpc file behind.
#
# Usage: bash tests/install/check.sh        (as root on a fresh Debian 12, it
#                                           installs cmake, pkg-config, make, gcc
#                                           and friends when they are missing)
#   SMTPC_INSTALL_KEEP=1   keep the temporary directory (its path is printed)
#
# Output: PASS / FAIL lines, the last line "install: N passed, M failed".
# Exit status 0 only when nothing failed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { # check DESCRIPTION COMMAND...: PASS when the command succeeds
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
section() { printf '\n== %s ==\n' "$*"; }
finish() {
    echo
    echo "install: $passed passed, $failed failed"
    [[ $failed -eq 0 ]]
    exit $?
}
# show_log FILE: the end of a log, after a failure
show_log() { echo "---- last lines of $1"; tail -n 25 "$1" | sed 's/^/    /'; echo "----"; }

# ---------------------------------------------------------------------------
section "tools"

# Packages, and why (the same way as tests/setup/install-deps.sh):
#   cmake                 the CMake consumer and the version-file probes
#   pkg-config            the pkg-config consumer (Debian 12: pkgconf)
#   make, gcc, libc6-dev  the Makefile and the C programs (gcc alone, without its
#                         recommends, has no C library headers)
#   binutils              readelf (gcc depends on it; named for clarity)
#   libssl-dev            native-tls builds against it; static links need it
PACKAGES=(cmake pkg-config make gcc libc6-dev binutils libssl-dev)
missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "ii "* ]]; then
        missing+=("$pkg")
    fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        fail "missing packages: ${missing[*]} (run as root to install them)"
        finish
    fi
    echo "install: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_install() {
        apt-get install -y -q --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            "${missing[@]}"
    }
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
        apt-get update -q
    fi
    if ! apt_install; then
        echo "install: apt-get install failed; refreshing package lists and retrying" >&2
        apt-get update -q && apt_install
    fi
fi
for tool in cmake pkg-config make gcc readelf nm cargo realpath; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        fail "tool $tool not found"
    fi
done
[[ $failed -eq 0 ]] || finish
pass "tools: cmake, pkg-config, make, gcc, readelf, nm, cargo"

# ---------------------------------------------------------------------------
# What to expect, read from Cargo.toml here (not from the Makefile), by the
# SONAME rule of docs/install.md: libsmtpc.so.MAJOR, or libsmtpc.so.0.MINOR for 0.x.
version=$(sed -n '/^\[package\]/,/^\[/s/^version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)
core=${version%%[-+]*}
IFS=. read -r major minor patch <<<"$core"
if [[ -z "$version" || -z "$major" || -z "$minor" || -z "$patch" ]]; then
    fail "could not read the version from Cargo.toml"
    finish
fi
if [[ $major -eq 0 ]]; then soversion="0.$minor"; else soversion="$major"; fi
soname="libsmtpc.so.$soversion"
realname="libsmtpc.so.$major.$minor.$patch"
echo "version $version: expecting $realname with SONAME $soname"

tmp=$(mktemp -d /tmp/smtpc-install-check.XXXXXX)
prefix="$tmp/prefix"
logs="$tmp/logs"
mkdir -p "$logs" "$tmp/src"
cleanup() {
    if [[ "${SMTPC_INSTALL_KEEP:-0}" == 1 ]]; then
        echo "(kept $tmp)"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT

# Nothing from the environment may lead a compiler, linker, pkg-config or the
# dynamic loader to another copy of smtpc.
unset CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH LIBRARY_PATH LD_LIBRARY_PATH LD_RUN_PATH \
    PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR CMAKE_PREFIX_PATH smtpc_DIR \
    CFLAGS LDFLAGS CPPFLAGS

# ---------------------------------------------------------------------------
section "make install PREFIX=$prefix"

if make -C "$root" --no-print-directory install PREFIX="$prefix" >"$logs/install.log" 2>&1; then
    pass "make install PREFIX=\$tmp/prefix"
else
    fail "make install PREFIX=\$tmp/prefix"
    show_log "$logs/install.log"
    finish
fi
if [[ $(grep -c 'cargo build --release' "$logs/install.log") -eq 1 ]]; then
    pass "make install ran cargo build --release once"
else
    fail "make install ran cargo build --release $(grep -c 'cargo build --release' "$logs/install.log") times"
fi

lib="$prefix/lib"
check "installed $realname (regular file)" test -f "$lib/$realname" -a ! -L "$lib/$realname"
check "symlink $soname -> $realname" test "$(readlink "$lib/$soname")" = "$realname"
check "symlink libsmtpc.so -> $soname" test "$(readlink "$lib/libsmtpc.so")" = "$soname"
check "installed libsmtpc.a" test -f "$lib/libsmtpc.a"
check "installed include/smtpc.h, the same as the tree's" cmp -s "$prefix/include/smtpc.h" "$root/include/smtpc.h"
if [[ -f "$root/include/smtpc.hpp" ]]; then
    check "installed include/smtpc.hpp, the same as the tree's" cmp -s "$prefix/include/smtpc.hpp" "$root/include/smtpc.hpp"
fi
check "installed lib/pkgconfig/smtpc.pc" test -f "$lib/pkgconfig/smtpc.pc"
check "installed lib/cmake/smtpc/smtpcConfig.cmake and smtpcConfigVersion.cmake" \
    test -f "$lib/cmake/smtpc/smtpcConfig.cmake" -a -f "$lib/cmake/smtpc/smtpcConfigVersion.cmake"

so_soname=$(readelf -d "$lib/$realname" 2>/dev/null | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
check "readelf -d $realname: SONAME $soname (found: ${so_soname:-none})" test "$so_soname" = "$soname"

# The ABI is the functions of the header: the installed library exports exactly
# those (nothing of the Rust runtime or of the dependencies), as committed in
# tests/abi/exports.txt.
check "the installed $realname exports exactly the functions of smtpc.h and tests/abi/exports.txt" \
    bash "$root/tests/abi/check.sh" "$lib/$realname"

# ---------------------------------------------------------------------------
section "pkg-config"

# Only the prefix: the shared-library query must not need any other .pc file
# (in particular not openssl.pc, which only libssl-dev brings).
pc_only() { PKG_CONFIG_LIBDIR="$lib/pkgconfig" pkg-config "$@"; }
pc() { PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config "$@"; }

check "pkg-config --modversion smtpc = $version" test "$(pc_only --modversion smtpc 2>&1)" = "$version"
check "pkg-config --variable=prefix smtpc = the install prefix" test "$(pc_only --variable=prefix smtpc)" = "$prefix"
shared_flags=$(echo $(pc_only --cflags --libs smtpc 2>&1))
check "pkg-config --cflags --libs smtpc (with only the prefix's .pc files): $shared_flags" \
    test "$shared_flags" = "-I$prefix/include -L$lib -lsmtpc"
static_flags=$(echo $(pc --static --cflags --libs smtpc 2>&1))
echo "    pkg-config --static --cflags --libs smtpc: $static_flags"
check "pkg-config --static lists -lssl -lcrypto -lpthread -ldl -lm" \
    bash -c 'for l in -lssl -lcrypto -lpthread -ldl -lm; do [[ " $1 " == *" $l "* ]] || exit 1; done' _ "$static_flags"
printf '%s\n%s\n' "$shared_flags" "$static_flags" >"$logs/pkg-config.txt"
check "pkg-config output names no directory of the build tree" bash -c '! grep -qF "$1" "$2"' _ "$root" "$logs/pkg-config.txt"

# The sources are copied out of the tree, so that no "smtpc.h" next to them (or
# in include/ of the tree) can be picked up instead of the installed header.
cp "$root/c-examples/smtpc_send.c" "$root/c-examples/cli_common.c" "$root/c-examples/cli_common.h" "$tmp/src/"
out="$tmp/pc-build"
mkdir -p "$out"
if PKG_CONFIG_PATH="$lib/pkgconfig" make --no-print-directory -f "$here/pkgconfig-consumer/Makefile" \
    SRCDIR="$tmp/src" OUT="$out" >"$logs/pc-build.log" 2>&1; then
    pass "built smtpc_send (pkg-config) and smtpc_send_static (pkg-config --static)"
else
    fail "build with pkg-config"
    show_log "$logs/pc-build.log"
fi
check "the pkg-config build names no directory of the build tree" bash -c '! grep -qF "$1" "$2"' _ "$root" "$logs/pc-build.log"
headers=$(gcc -M $(pc_only --cflags smtpc) "$tmp/src/smtpc_send.c" 2>&1 | tr ' \\' '\n\n' | grep 'smtpc\.h$' || true)
check "smtpc_send.c includes the installed header ($headers)" test "$headers" = "$prefix/include/smtpc.h"

# NEEDED entries, RPATH/RUNPATH of a program
needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'; }
paths_of() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\].*/\2/p'; }

check_shared_program() { # check_shared_program LABEL FILE ARGS...: NEEDED, paths, run
    local label=$1 file=$2
    shift 2
    if [[ ! -x "$file" ]]; then
        fail "$label: not built"
        return
    fi
    local smtpc_needed
    smtpc_needed=$(needed "$file" | grep '^libsmtpc' | tr '\n' ' ')
    check "$label: NEEDED is the SONAME ($smtpc_needed)" test "$smtpc_needed" = "$soname "
    check "$label: no RPATH/RUNPATH into the build tree ($(paths_of "$file" | tr '\n' ' '))" \
        bash -c '! readelf -d "$1" | grep -E "\((RPATH|RUNPATH)\)" | grep -qF "$2"' _ "$file" "$root"
    # The loader sees the prefix only.
    local resolved
    resolved=$(LD_LIBRARY_PATH="$lib" ldd "$file" | sed -n "s/^[[:space:]]*$soname => \([^ ]*\).*/\1/p")
    check "$label: $soname resolves to the prefix ($resolved)" test "$resolved" = "$lib/$soname"
    if LD_LIBRARY_PATH="$lib" "$file" "$@" >"$logs/run-$label.log" 2>&1; then
        pass "$label $*: runs (exit 0) with LD_LIBRARY_PATH=\$tmp/prefix/lib"
    else
        fail "$label $*: exit $?"
        show_log "$logs/run-$label.log"
    fi
}
check_static_program() { # check_static_program LABEL FILE ARGS...
    local label=$1 file=$2
    shift 2
    if [[ ! -x "$file" ]]; then
        fail "$label: not built"
        return
    fi
    check "$label: no NEEDED libsmtpc ($(needed "$file" | tr '\n' ' '))" bash -c '! readelf -d "$1" | grep NEEDED | grep -q libsmtpc' _ "$file"
    if env -u LD_LIBRARY_PATH "$file" "$@" >"$logs/run-$label.log" 2>&1; then
        pass "$label $*: runs (exit 0) with no library path at all"
    else
        fail "$label $*: exit $?"
        show_log "$logs/run-$label.log"
    fi
}

check_shared_program smtpc_send "$out/smtpc_send" --help
check "smtpc_send --help printed its usage" grep -q '^Usage: smtpc_send' "$logs/run-smtpc_send.log"
check_static_program smtpc_send_static "$out/smtpc_send_static" --help
check "smtpc_send_static --help printed its usage" grep -q '^Usage: smtpc_send' "$logs/run-smtpc_send_static.log"

# ---------------------------------------------------------------------------
section "CMake: find_package(smtpc CONFIG REQUIRED)"

cbuild="$tmp/cmake-build"
if cmake -S "$here/cmake-consumer" -B "$cbuild" -DCMAKE_PREFIX_PATH="$prefix" \
    -DSMTPC_FIND_VERSION="$major.$minor" -DCMAKE_BUILD_TYPE=Release >"$logs/cmake-configure.log" 2>&1; then
    pass "cmake configure (find_package(smtpc $major.$minor CONFIG REQUIRED COMPONENTS shared static))"
else
    fail "cmake configure"
    show_log "$logs/cmake-configure.log"
fi
smtpc_dir=$(sed -n 's/^smtpc_DIR:[A-Z]*=//p' "$cbuild/CMakeCache.txt" 2>/dev/null)
check "CMake found the installed package ($smtpc_dir)" test "$smtpc_dir" = "$lib/cmake/smtpc"
if cmake --build "$cbuild" --verbose >"$logs/cmake-build.log" 2>&1; then
    pass "cmake --build (smtpc::smtpc and smtpc::smtpc_static)"
else
    fail "cmake --build"
    show_log "$logs/cmake-build.log"
fi
check "the CMake build names no directory of the build tree" bash -c '! grep -F -e "$1/target" -e "$1/include" "$2" | grep -q .' _ "$root" "$logs/cmake-build.log"
check "the CMake build compiled with -isystem \$tmp/prefix/include" grep -qF -- "-isystem $prefix/include" "$logs/cmake-build.log"
check_shared_program smtpc_cmake_consumer "$cbuild/smtpc_cmake_consumer"
check "smtpc_cmake_consumer: header version = smtpc_version() = $version" grep -qx "ok: smtpc $version (header $version, [0-9]*)" "$logs/run-smtpc_cmake_consumer.log"
check_static_program smtpc_cmake_consumer_static "$cbuild/smtpc_cmake_consumer_static"
check "smtpc_cmake_consumer_static: header version = smtpc_version()" grep -qx "ok: smtpc $version (header $version, [0-9]*)" "$logs/run-smtpc_cmake_consumer_static.log"

# ---------------------------------------------------------------------------
section "CMake version file (the SONAME rule)"

# One configure of a project without languages runs every probe; each line is
# "ARGS-OF-find_package => FOUND(1|0)".
probes=()
probes+=(" => 1")
probes+=("$major.$minor => 1")
probes+=("$major.$minor.$patch EXACT => 1")
probes+=("$major.$minor.$((patch + 1)) => 0")
probes+=("$major.$((minor + 1)) => 0")
probes+=("$((major + 1)) => 0")
probes+=("$major.$minor...$((major + 1)).0 => 1")
probes+=("$major.$((minor + 1))...$((major + 2)) => 0")
if [[ $major -eq 0 ]]; then
    [[ $minor -gt 0 ]] && probes+=("0.$((minor - 1)) => 0") # 0.x: another MINOR is another ABI
else
    probes+=("$major.0 => 1")
fi
probe_dir="$tmp/cmake-probe"
mkdir -p "$probe_dir"
{
    echo 'cmake_minimum_required(VERSION 3.19)'
    echo 'project(smtpc_version_probe LANGUAGES NONE)'
    for p in "${probes[@]}"; do
        args=${p% => *}
        echo "unset(smtpc_DIR CACHE)"
        echo "find_package(smtpc $args CONFIG QUIET)"
        echo "if(smtpc_FOUND)"
        echo "  message(STATUS \"probe [$args] => 1\")"
        echo "else()"
        echo "  message(STATUS \"probe [$args] => 0\")"
        echo "endif()"
    done
} >"$probe_dir/CMakeLists.txt"
cmake -S "$probe_dir" -B "$probe_dir/build" -DCMAKE_PREFIX_PATH="$prefix" >"$logs/cmake-probe.log" 2>&1 || true
for p in "${probes[@]}"; do
    args=${p% => *}
    want=${p##* => }
    got=$(sed -n "s/^-- probe \[$(printf '%s' "$args" | sed 's/[.[\*^$]/\\&/g')\] => \([01]\)$/\1/p" "$logs/cmake-probe.log")
    check "find_package(smtpc ${args:-(no version)}) with $version installed: found=${got:-?}, expected $want" test "$got" = "$want"
done

# ---------------------------------------------------------------------------
section "make uninstall PREFIX=$prefix"

if make -C "$root" --no-print-directory uninstall PREFIX="$prefix" >"$logs/uninstall.log" 2>&1; then
    pass "make uninstall"
else
    fail "make uninstall"
    show_log "$logs/uninstall.log"
fi
left=$(find "$prefix" ! -type d | sed "s|^$prefix/||" | tr '\n' ' ')
check "make uninstall left no file or link in the prefix (${left:-none})" test -z "$left"
left_dirs=$(find "$prefix" -type d -name '*smtpc*' | tr '\n' ' ')
check "make uninstall removed lib/cmake/smtpc (${left_dirs:-gone})" test -z "$left_dirs"

# ---------------------------------------------------------------------------
section "DESTDIR, PREFIX=/usr, LIBDIR=/usr/lib/x86_64-linux-gnu"

stage="$tmp/stage"
multi=/usr/lib/x86_64-linux-gnu
if [[ -e "$multi/$realname" ]]; then
    had_system_copy=1
else
    had_system_copy=0
fi
if make -C "$root" --no-print-directory install NO_BUILD=1 DESTDIR="$stage" PREFIX=/usr LIBDIR="$multi" \
    >"$logs/install-destdir.log" 2>&1; then
    pass "make install DESTDIR=\$tmp/stage PREFIX=/usr LIBDIR=$multi"
else
    fail "make install with DESTDIR"
    show_log "$logs/install-destdir.log"
fi
check "DESTDIR: $multi/$realname and its links are staged" \
    test -f "$stage$multi/$realname" -a -L "$stage$multi/$soname" -a -L "$stage$multi/libsmtpc.so"
check "DESTDIR: nothing was written outside DESTDIR" test "$had_system_copy" = 1 -o ! -e "$multi/$realname"
pcfile="$stage$multi/pkgconfig/smtpc.pc"
check "DESTDIR: smtpc.pc has prefix=/usr and libdir=\${prefix}/lib/x86_64-linux-gnu" \
    bash -c 'grep -qx "prefix=/usr" "$1" && grep -qx "libdir=\${prefix}/lib/x86_64-linux-gnu" "$1" && grep -qx "includedir=\${prefix}/include" "$1"' _ "$pcfile"
# The CMake package is relocatable: found under the staging directory, it points
# into the staging directory.
reloc="$tmp/cmake-reloc"
mkdir -p "$reloc"
cat >"$reloc/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.13)
project(smtpc_reloc_probe LANGUAGES C)
find_package(smtpc CONFIG REQUIRED COMPONENTS static)
get_target_property(loc smtpc::smtpc IMPORTED_LOCATION)
get_target_property(sloc smtpc::smtpc_static IMPORTED_LOCATION)
message(STATUS "reloc: ${smtpc_DIR}|${loc}|${sloc}|${smtpc_INCLUDE_DIRS}")
EOF
cmake -S "$reloc" -B "$reloc/build" -DCMAKE_PREFIX_PATH="$stage/usr" >"$logs/cmake-reloc.log" 2>&1 || true
got=$(sed -n 's/^-- reloc: //p' "$logs/cmake-reloc.log")
want="$stage$multi/cmake/smtpc|$stage$multi/$realname|$stage$multi/libsmtpc.a|$stage/usr/include"
check "DESTDIR: the CMake package found under the stage points into it ($got)" test "$got" = "$want"
make -C "$root" --no-print-directory uninstall DESTDIR="$stage" PREFIX=/usr LIBDIR="$multi" >"$logs/uninstall-destdir.log" 2>&1
left=$(find "$stage" ! -type d | tr '\n' ' ')
check "DESTDIR: make uninstall left no file or link (${left:-none})" test -z "$left"

finish
