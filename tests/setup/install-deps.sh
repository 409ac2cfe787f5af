#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (mail servers, C toolchain,
# valgrind, OpenSSL headers). Idempotent: when everything is installed it only
# asks dpkg and returns in well under a second.
#
# Usage (as root on Debian 12): bash tests/setup/install-deps.sh [EXTRA-PACKAGE...]
# (scripts that need more, such as tests/wine/run.sh, name their packages).
set -euo pipefail

# Packages, and why:
#   postfix, dovecot-core      the real SMTP server (and its SASL backend) the tests talk to
#   openssl                    the throw-away CA and server certificate made at start
#   libssl-dev, pkg-config     native-tls builds against the system OpenSSL
#   gcc, g++, make             the C and C++ examples
#   clang                      the header compiled by a second compiler (tests/abi/header.sh, C++ check)
#   python3-venv               the Python package's tests run in a fresh venv
#   valgrind                   the C examples run under it
#   python3                    port picking, the delivery script, readiness checks, ctypes example
#   ca-certificates            sane TLS defaults for anything else that uses OpenSSL
#   iproute2, procps           ip netns for the time-bound tests; ss / ps for debugging
PACKAGES=(
    postfix dovecot-core openssl libssl-dev pkg-config gcc g++ make clang valgrind
    python3 python3-venv ca-certificates iproute2 procps
)
PACKAGES+=("$@")
# git is needed by tests/run-all.sh (stale-header check); any git on PATH will do.
if ! command -v git >/dev/null 2>&1; then
    PACKAGES+=(git)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    # "ii " = installed and configured; anything else needs (re)installing.
    if [[ "$status" != "ii "* ]]; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: all ${#PACKAGES[@]} packages already installed"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# Postfix's package would otherwise ask which mail setup to write to /etc/postfix;
# the tests bring their own configuration, so ask for none.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string smtpc-test.localhost" | debconf-set-selections

# Package scripts must not start daemons (there is no init system here, and a
# system-wide Postfix/Dovecot would only get in the way of the private ones).
# An existing policy-rc.d (Docker images ship one) is set aside and put back.
POLICY=/usr/sbin/policy-rc.d
POLICY_BACKUP=""
if [[ -e "$POLICY" ]]; then
    POLICY_BACKUP=$(mktemp /usr/sbin/policy-rc.d.smtpc-backup.XXXXXX)
    cp -p "$POLICY" "$POLICY_BACKUP"
fi
restore_policy() {
    if [[ -n "$POLICY_BACKUP" ]]; then
        mv -f "$POLICY_BACKUP" "$POLICY"
    else
        rm -f "$POLICY"
    fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# smtpc tests: no daemon may start during package installation\nexit 101\n' >"$POLICY"
chmod 0755 "$POLICY"

apt_install() {
    apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        "${missing[@]}"
}

# Only refresh the package lists when there are none, or when they proved stale.
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    apt-get update -q
fi
if ! apt_install; then
    echo "install-deps: install failed; refreshing package lists and retrying" >&2
    apt-get update -q
    apt_install
fi

echo "install-deps: done"
