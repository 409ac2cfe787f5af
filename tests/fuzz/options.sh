# libFuzzer options per target, for run.sh and negative-controls.sh (sourced).

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
