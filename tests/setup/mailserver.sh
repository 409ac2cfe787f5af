#!/usr/bin/env bash
# A private Postfix + Dovecot (SASL only) on loopback for smtpc's tests.
#
#   tests/setup/mailserver.sh start STATE_DIR   # start, wait until ready, write STATE_DIR/env
#   tests/setup/mailserver.sh stop STATE_DIR    # stop exactly what start started
#   tests/setup/mailserver.sh env STATE_DIR     # print the path of the env file
#
# Everything (configuration, queue, logs, TLS files, delivered mail, sockets,
# pid files) lives under STATE_DIR, and the ports are picked free at start, so
# two instances can run side by side. Nothing is written outside STATE_DIR.
# Every domain is delivered by tests/setup/deliver.py into
# STATE_DIR/maildir/<recipient>/, so no mail can leave the machine.
#
# Needs root (Postfix's master and Dovecot start as root) and the packages
# from tests/setup/install-deps.sh.
set -euo pipefail

SETUP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
START_TIMEOUT=${SMTPC_MAILSERVER_TIMEOUT:-30}

# Test accounts. Keep values free of spaces, quotes, '$', backslashes and ':'
# (the env file is sourced by shell and Dovecot's passwd-file splits on ':').
TEST_USER='alice@example.test'
TEST_PASSWORD='Al1ce-p@ss.w0rd_2026+~,^/'
TEST_UTF8_USER='jürgen@example.test'
TEST_UTF8_PASSWORD='pässwörd-密码-2026'
REJECTED_RCPT='nobody-here@example.test'
REJECTED_SENDER='blocked@example.test'
MYHOSTNAME='smtpc-test.localhost'
# Large enough for a 250 MB message with headroom; smtpd also wants 1.5 times
# this much free disk in the queue's file system.
BIG_SIZE_LIMIT=$((300 * 1024 * 1024))
SMALL_SIZE_LIMIT=100000
# The rcptlimit port answers "452 4.5.3 Error: too many recipients" after this many.
RECIPIENT_LIMIT=3
ETRN_DOMAIN='etrn.example.test'

log() { echo "mailserver: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

usage() {
    echo "usage: $0 start|stop|env STATE_DIR" >&2
    exit 2
}

# Sets the path variables for a state directory that already exists.
set_paths() {
    STATE=$1
    PF=$STATE/postfix
    PF_ETC=$PF/etc
    PF_SPOOL=$PF/spool
    PF_LOG=$PF/postfix.log
    DC=$STATE/dovecot
    DC_CONF=$DC/dovecot.conf
    DC_RUN=$DC/run
    DC_LOG=$DC/dovecot.log
    SASL_SOCKET=$STATE/sasl/auth
    TLS=$STATE/tls
    MAILDIR=$STATE/maildir
    ENV_FILE=$STATE/env
    SESSIONS_FILE=$STATE/sessions
}

# Prints PORT_COUNT free TCP ports on 127.0.0.1, chosen at random just below the
# kernel's ephemeral range so that no client socket can grab one of them
# between this check and Postfix binding it.
PORT_COUNT=7
pick_ports() {
    python3 - "$PORT_COUNT" <<'PY'
import random, socket, sys
count = int(sys.argv[1])
lo, _hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
start = max(1024, lo - 12000)
candidates = list(range(start, lo)) if lo - start >= 100 else list(range(20000, 30000))
random.shuffle(candidates)
held, ports = [], []
for port in candidates:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    held.append(s)  # keep it bound so the next pick cannot return it again
    ports.append(port)
    if len(ports) == count:
        break
if len(ports) < count:
    raise SystemExit("no free ports")
print(*ports)
PY
}

# A throw-away CA and a server certificate it signed, valid for localhost and
# the loopback addresses. EC keys: fast to make, accepted by every TLS stack.
#
# With SMTPC_TEST_CRL_URL set, the server certificate names that URL as its CRL
# distribution point and TLS/ca.crl (DER) is an empty CRL of the CA to serve
# there: Wine 8's certificate check fails a chain whose revocation status is
# unknown (Windows accepts it), so tests/wine/run.sh gives it one it can check.
# SMTPC_TEST_TLS_KEY=rsa makes RSA keys instead (Wine 8 fails ECDSA signatures
# whose r or s is shorter than 32 bytes, about one in 128: tests/wine/run.sh).
make_tls() {
    local newkey
    case "${SMTPC_TEST_TLS_KEY:-ec}" in
    ec) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
    rsa) newkey=(-newkey rsa:2048) ;;
    *) die "SMTPC_TEST_TLS_KEY must be ec or rsa, not ${SMTPC_TEST_TLS_KEY}" ;;
    esac
    mkdir -p "$TLS"
    chmod 0755 "$TLS"
    (
        cd "$TLS"
        openssl req -x509 -new "${newkey[@]}" -nodes \
            -keyout ca.key -out ca.pem -days 365 -subj "/CN=smtpc test CA $(date +%s)" \
            -addext 'basicConstraints=critical,CA:TRUE' \
            -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null
        openssl req -new "${newkey[@]}" -nodes \
            -keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null
        cat >server.ext <<'EOF'
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
EOF
        if [[ -n "${SMTPC_TEST_CRL_URL:-}" ]]; then
            echo "crlDistributionPoints = URI:$SMTPC_TEST_CRL_URL" >>server.ext
        fi
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -CAserial ca.srl -days 365 -extfile server.ext -out server.pem 2>/dev/null
        if [[ -n "${SMTPC_TEST_CRL_URL:-}" ]]; then
            : >crl-index.txt
            echo 01 >crl-number
            printf '%s\n' '[ca]' 'default_ca = test' '[test]' 'database = crl-index.txt' \
                'crlnumber = crl-number' 'default_md = sha256' 'default_crl_days = 30' >crl.cnf
            openssl ca -config crl.cnf -gencrl -keyfile ca.key -cert ca.pem \
                -out ca-crl.pem 2>/dev/null
            openssl crl -in ca-crl.pem -outform DER -out ca.crl
            chmod 0644 ca.crl
        fi
        chmod 0600 ca.key server.key
        chmod 0644 ca.pem server.pem
    )
}

write_dovecot_config() {
    mkdir -p "$DC" "$DC/state" "$(dirname "$SASL_SOCKET")"
    chmod 0755 "$DC" "$(dirname "$SASL_SOCKET")"
    # {PLAIN} passwords: these are test credentials, and PLAIN lets Dovecot
    # serve any mechanism.
    printf '%s:{PLAIN}%s\n%s:{PLAIN}%s\n' \
        "$TEST_USER" "$TEST_PASSWORD" "$TEST_UTF8_USER" "$TEST_UTF8_PASSWORD" >"$DC/users"
    chown root:dovecot "$DC/users"
    chmod 0640 "$DC/users"
    cat >"$DC_CONF" <<EOF
# Dovecot for smtpc tests: SASL authentication for Postfix only, no mail protocols.
base_dir = $DC_RUN
state_dir = $DC/state
instance_name = smtpc-test-$$
log_path = $DC_LOG
protocols =
ssl = no
# AUTH in clear is what the plain test port is for.
disable_plaintext_auth = no
auth_mechanisms = plain login
# Empty: allow any user name, including non-ASCII ones.
auth_username_chars =
# No deliberate delay before a failure reply (default 2 s). Dovecot 2.3.19
# still answers a failed AUTH only after about 0.5 s: it flushes its queue of
# failure replies on a 500 ms timer, which no setting changes.
auth_failure_delay = 0
auth_verbose = yes
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DC/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener $SASL_SOCKET {
    mode = 0660
    user = postfix
    group = postfix
  }
}
# No anvil auth penalty: after a few failed logins it would delay answers by up
# to 15 s and make Postfix answer 454 instead of 535.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
}

# The queue and data directories with the owners and modes that Postfix's
# own postfix-files lists. With them in place, the quick-start marker lets
# "postfix start" skip its install-time checks (post-install create-missing,
# a queue scan, a permissions audit), which take over 2 s on a fresh queue.
make_postfix_dirs() {
    local d
    install -d -o root -m 0755 "$PF_SPOOL" "$PF_SPOOL/pid"
    for d in active bounce corrupt defer deferred flush hold incoming private saved trace; do
        install -d -o postfix -m 0700 "$PF_SPOOL/$d"
    done
    install -d -o postfix -g postdrop -m 0730 "$PF_SPOOL/maildrop"
    install -d -o postfix -g postdrop -m 0710 "$PF_SPOOL/public"
    install -d -o postfix -m 0700 "$PF/data"
    touch "$PF_SPOOL/quick-start"
}

write_postfix_config() {
    local plain=$1 submission=$2 smtps=$3 small=$4 nochunk=$5 rcptlimit=$6 sink=$7
    local daemon_dir
    daemon_dir=$(postconf -d -h daemon_directory)
    mkdir -p "$PF_ETC"
    chmod 0755 "$PF" "$PF_ETC"
    make_postfix_dirs

    printf '%s 550 5.1.1 No such user here (smtpc test)\n' "$REJECTED_RCPT" >"$PF_ETC/recipient_access"
    printf '%s 553 5.7.1 Sender address blocked (smtpc test)\n' "$REJECTED_SENDER" >"$PF_ETC/sender_access"

    cat >"$PF_ETC/main.cf" <<EOF
# Postfix for smtpc tests. Generated by tests/setup/mailserver.sh.
compatibility_level = 3.6
queue_directory = $PF_SPOOL
data_directory = $PF/data
daemon_directory = $daemon_dir
mail_owner = postfix
setgid_group = postdrop

myhostname = $MYHOSTNAME
mydomain = localhost
myorigin = \$myhostname
smtpd_banner = \$myhostname ESMTP smtpc-test
# Nothing is local: every domain goes to the test delivery transport below.
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
default_transport = smtpctest
relay_transport = smtpctest
local_transport = smtpctest
virtual_transport = smtpctest
smtpctest_destination_recipient_limit = 1

inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8 [::1]/128
smtpd_peername_lookup = no
biff = no
smtputf8_enable = yes
# ETRN is answered for this domain (it needs the flush service below).
fast_flush_domains = $ETRN_DOMAIN

# Logging without syslog.
maillog_file_prefixes = /var, /dev/stdout, $STATE
maillog_file = $PF_LOG

message_size_limit = $BIG_SIZE_LIMIT
mailbox_size_limit = 0

# Keep the stored message equal to what the client sent: no header rewriting,
# no added headers, no dropped headers (default drops Bcc, Content-Length,
# Resent-Bcc, Return-Path), no replacing of stray CR / LF with spaces.
local_header_rewrite_clients =
remote_header_rewrite_domain =
always_add_missing_headers = no
message_drop_headers =
cleanup_replace_stray_cr_lf = no
allow_percent_hack = no
swap_bangpath = no

# Tests provoke errors on purpose; do not slow down or drop those clients.
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_junk_command_limit = 1000
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
in_flow_delay = 0

# SASL through Dovecot (socket made by the Dovecot instance in this state dir).
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $SASL_SOCKET

smtpd_tls_chain_files = $TLS/server.key, $TLS/server.pem
smtpd_tls_security_level = none
smtpd_tls_loglevel = 1

# Relaying for authenticated and for loopback clients; fixed refusals for tests.
smtpd_delay_reject = no
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:$PF_ETC/recipient_access
smtpd_sender_restrictions = check_sender_access texthash:$PF_ETC/sender_access
EOF

    # Own master.cf: no chroot (Debian's chroots smtpd), no pickup, no smtp
    # client, one smtpd per test port.
    cat >"$PF_ETC/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$plain inet n - n - - smtpd
  -o syslog_name=postfix/plain
  -o smtpd_tls_security_level=none
127.0.0.1:$submission inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
127.0.0.1:$smtps inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
127.0.0.1:$small inet n - n - - smtpd
  -o syslog_name=postfix/small
  -o smtpd_tls_security_level=none
  -o message_size_limit=$SMALL_SIZE_LIMIT
127.0.0.1:$nochunk inet n - n - - smtpd
  -o syslog_name=postfix/nochunk
  -o smtpd_tls_security_level=none
  -o smtpd_discard_ehlo_keywords=chunking
127.0.0.1:$rcptlimit inet n - n - - smtpd
  -o syslog_name=postfix/rcptlimit
  -o smtpd_tls_security_level=none
  -o smtpd_recipient_limit=$RECIPIENT_LIMIT
127.0.0.1:$sink inet n - n - - smtpd
  -o syslog_name=postfix/sink
  -o smtpd_tls_security_level=none
  -o content_filter=discard:
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
# Final delivery of every message: one recipient per call, as user nobody, no
# pipe flags (nothing prepended but Postfix's Received: header).
smtpctest unix  - n n - - pipe
  flags=X user=nobody null_sender=
  argv=/usr/bin/python3 $STATE/bin/deliver.py $MAILDIR \${queue_id} \${sender} \${recipient}
EOF

    # Postfix rereads a configuration file or texthash table, 0.3 s at a
    # time, until its mtime is over a second old (guarding against files still
    # being written). Backdate ours so "postfix start" does not wait 2 s.
    touch -d '-1 minute' "$PF_ETC"/*
}

# Prints the session id of a process, or nothing.
session_of() {
    ps -o sid= -p "$1" 2>/dev/null | tr -d ' ' || true
}

# Prints the pid in a pid file if that process still runs the given program
# in this state dir (a stale pid file must not match another instance's
# master). A zombie counts as gone: only PID 1 can reap a daemon's status.
live_pid() {
    local file=$1 comm=$2 pid cwd
    # The daemon may remove its pid file at any moment while stopping.
    pid=$(tr -dc '0-9' 2>/dev/null <"$file") || return 0
    [[ -n "$pid" ]] || return 0
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 0
    [[ "$cwd/" == "$STATE/"* ]] || return 0
    ps -o pid= -o stat= -o comm= -p "$pid" 2>/dev/null |
        awk -v comm="$comm" '$2 !~ /^Z/ && $3 == comm { print $1 }' || true
}

postfix_pid() { live_pid "$PF_SPOOL/pid/master.pid" master; }
dovecot_pid() { live_pid "$DC_RUN/master.pid" dovecot; }

# Prints the pids of all live processes in the given sessions that work in
# this state dir (every Postfix and Dovecot process has its cwd under it), so
# that a stale session id can never match someone else's processes. One ps
# call: this runs in a polling loop.
pids_in_sessions() {
    local pid cwd
    [[ $# -gt 0 ]] || return 0
    for pid in $(ps -e -o pid= -o sid= -o stat= |
        awk -v want=" $* " '$3 !~ /^Z/ && index(want, " " $2 " ") { print $1 }'); do
        cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || continue
        if [[ "$cwd/" == "$STATE/"* ]]; then
            echo "$pid"
        fi
    done
}

show_logs() {
    local f
    for f in "$PF/start.log" "$PF_LOG" "$DC/start.log" "$DC_LOG"; do
        if [[ -s "$f" ]]; then
            echo "----- tail of $f -----" >&2
            tail -n 40 "$f" >&2
        fi
    done
}

cmd_start() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (Postfix and Dovecot start as root)"
    local tool
    for tool in postfix postconf dovecot openssl python3; do
        command -v "$tool" >/dev/null || die "$tool not found; run tests/setup/install-deps.sh"
    done
    [[ -x /usr/bin/python3 ]] || die "/usr/bin/python3 missing; run tests/setup/install-deps.sh"

    mkdir -p "$1"
    set_paths "$(cd "$1" && pwd -P)"
    [[ "$STATE" != *[[:space:]]* ]] || die "state dir must not contain white space: $STATE"
    if [[ -n "$(postfix_pid)$(dovecot_pid)" ]]; then
        die "a mail server is already running in $STATE; stop it first"
    fi
    rm -f "$SESSIONS_FILE" # stale, from a run that was never stopped
    # Postfix and the delivery script run as unprivileged users: they must be
    # able to reach into the state dir (mktemp -d makes it 0700).
    chmod 0755 "$STATE"
    if ! runuser -u nobody -- test -x "$STATE"; then
        die "user nobody cannot enter $STATE; put it under a world-searchable directory (e.g. /tmp)"
    fi

    local t0=${EPOCHREALTIME/./}
    mkdir -p "$STATE/bin" "$MAILDIR"
    install -m 0755 "$SETUP_DIR/deliver.py" "$STATE/bin/deliver.py"
    chown nobody:nogroup "$MAILDIR"
    chmod 0755 "$MAILDIR"

    local ports
    read -r -a ports <<<"$(pick_ports)"
    make_tls
    write_dovecot_config
    write_postfix_config "${ports[@]}"

    cat >"$ENV_FILE" <<EOF
SMTPC_TEST_HOST=127.0.0.1
SMTPC_TEST_PLAIN_PORT=${ports[0]}
SMTPC_TEST_SUBMISSION_PORT=${ports[1]}
SMTPC_TEST_SMTPS_PORT=${ports[2]}
SMTPC_TEST_SMALL_PORT=${ports[3]}
SMTPC_TEST_NOCHUNK_PORT=${ports[4]}
SMTPC_TEST_RCPTLIMIT_PORT=${ports[5]}
SMTPC_TEST_SINK_PORT=${ports[6]}
SMTPC_TEST_RECIPIENT_LIMIT=$RECIPIENT_LIMIT
SMTPC_TEST_ETRN_DOMAIN=$ETRN_DOMAIN
SMTPC_TEST_CA_FILE=$TLS/ca.pem
SMTPC_TEST_MAILDIR=$MAILDIR
SMTPC_TEST_USER=$TEST_USER
SMTPC_TEST_PASSWORD=$TEST_PASSWORD
SMTPC_TEST_UTF8_USER=$TEST_UTF8_USER
SMTPC_TEST_UTF8_PASSWORD=$TEST_UTF8_PASSWORD
SMTPC_TEST_REJECTED_RCPT=$REJECTED_RCPT
SMTPC_TEST_REJECTED_SENDER=$REJECTED_SENDER
SMTPC_TEST_STATE_DIR=$STATE
EOF
    chmod 0644 "$ENV_FILE"

    # Dovecot first, so that Postfix offers AUTH from its first connection.
    # Daemons get /dev/null and a log file: otherwise they keep our pipes open.
    rm -f "$DC_RUN/anvil-auth-penalty" "$SASL_SOCKET"
    if ! dovecot -c "$DC_CONF" </dev/null >>"$DC/start.log" 2>&1; then
        show_logs
        cmd_stop_quiet
        die "dovecot did not start"
    fi
    if ! postfix -c "$PF_ETC" start </dev/null >>"$PF/start.log" 2>&1; then
        show_logs
        cmd_stop_quiet
        die "postfix did not start"
    fi

    # Remember the daemons' sessions (each master is a session leader), so that
    # stop can make sure no child of theirs is left behind.
    local pid sessions=()
    for pid in "$(postfix_pid)" "$(dovecot_pid)"; do
        if [[ -n "$pid" && "$(session_of "$pid")" == "$pid" ]]; then
            sessions+=("$pid")
        fi
    done
    echo "${sessions[*]}" >"$SESSIONS_FILE"

    if ! python3 "$SETUP_DIR/check-ready.py" "$ENV_FILE" "$SASL_SOCKET" "$START_TIMEOUT"; then
        show_logs
        cmd_stop_quiet
        die "mail server in $STATE did not become ready within ${START_TIMEOUT}s"
    fi
    log "ready in $(((${EPOCHREALTIME/./} - t0) / 1000)) ms: plain ${ports[0]}, submission ${ports[1]}, smtps ${ports[2]}, small ${ports[3]}, nochunk ${ports[4]}, rcptlimit ${ports[5]}, sink ${ports[6]}; env file $ENV_FILE"
}

cmd_stop_quiet() { cmd_stop "$STATE" >/dev/null 2>&1 || true; }

cmd_stop() {
    if [[ ! -d "$1" ]]; then
        log "no state dir $1; nothing to stop"
        return 0
    fi
    set_paths "$(cd "$1" && pwd -P)"
    local sessions=() i
    if [[ -r "$SESSIONS_FILE" ]]; then
        read -r -a sessions <"$SESSIONS_FILE" || true
    fi
    # Prints every process this instance consists of.
    members() {
        {
            postfix_pid
            dovecot_pid
            pids_in_sessions "${sessions[@]}"
        } | sort -u
    }
    # SIGTERM to the masters and all their children at once: Dovecot's master
    # alone takes a second to wind its children down; this takes milliseconds.
    local left
    left=$(members)
    if [[ -n "$left" ]]; then
        # shellcheck disable=SC2086 # one pid per word
        kill -TERM $left 2>/dev/null || true
    fi
    # Wait up to 10 s, then no more politeness.
    for ((i = 0; i < 200; i++)); do
        left=$(members)
        [[ -n "$left" ]] || break
        sleep 0.05
    done
    if [[ -n "$left" ]]; then
        log "killing processes that did not stop: $(echo "$left" | tr '\n' ' ')"
        # shellcheck disable=SC2086 # one pid per word
        kill -KILL $left 2>/dev/null || true
        sleep 0.2
    fi
    rm -f "$SESSIONS_FILE"
    log "stopped the mail server in $STATE"
}

cmd_env() {
    [[ -f "$1/env" ]] || die "no env file in $1; run: $0 start $1"
    echo "$(cd "$1" && pwd -P)/env"
}

[[ $# -eq 2 ]] || usage
case "$1" in
start) cmd_start "$2" ;;
stop) cmd_stop "$2" ;;
env) cmd_env "$2" ;;
*) usage ;;
esac
