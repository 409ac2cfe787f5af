# Shared by run.sh and negative-controls.sh (sourced after `cd` to the repo):
# rustup's cargo on PATH, the nightly toolchain and cargo-fuzz installed when
# missing, the argument check and the libFuzzer options of each target.

if [[ -z "${HOME:-}" ]]; then
    HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
    export HOME
fi
PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_TERM_COLOR=never

# Prints $1 when it is a positive whole number of seconds, else the usage
# ($2: the argument's name) and exits 2.
seconds_arg() {
    if ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
        echo "usage: $0 [$2]" >&2
        exit 2
    fi
    echo "$1"
}

install_fuzz_tools() {
    if ! rustup run nightly rustc --version >/dev/null 2>&1; then
        rustup toolchain install nightly --profile minimal
    fi
    if ! cargo fuzz --version >/dev/null 2>&1; then
        cargo install cargo-fuzz --locked
    fi
}

# Inputs longer than libFuzzer's default of 4096 bytes where the limits need them
# (the reply parser's 4096-byte lines and 1000-line replies, large attachments),
# and for the message targets long inputs from the start (-len_control=0): folding
# and line limits only show past 76 characters.
fuzz_options() {
    case $1 in
        reply_parser) echo "-max_len=8192" ;;
        message_builder | body_encoding) echo "-max_len=16384 -len_control=0" ;;
        header_encoding) echo "-max_len=4096 -len_control=0" ;;
        *) echo "-max_len=4096" ;;
    esac
}
