//! The SMTP reply parser (`smtpc::protocol::reply::ReplyParser`) on arbitrary
//! bytes, cut into pieces at points the fuzzer chooses (see
//! `smtpc_fuzz::split_input`).
//!
//! Properties:
//! - fed in pieces (unconsumed bytes carried over, as the client does) it gives
//!   exactly the replies it gives when fed the bytes whole, fails exactly when the
//!   whole input fails, with the same error kind (Protocol), and ends in the same
//!   idle / partial state;
//! - it always makes progress: a call without a reply consumes all its input, a
//!   call with one consumes 1..=len bytes, and after an error it is idle;
//! - it is bounded: no reply has more than `MAX_REPLY_LINES` lines or a line text
//!   longer than `MAX_LINE_LEN` characters, and the code is 200..=599;
//! - a reply written back with `Reply::wire_lines` parses to the same reply, and
//!   `one_line`/`text` do not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpc::protocol::reply::{Reply, ReplyParser, MAX_LINE_LEN, MAX_REPLY_LINES};
use smtpc::ErrorKind;

/// What feeding a sequence of pieces produced.
#[derive(Debug, PartialEq)]
struct Outcome {
    replies: Vec<Reply>,
    /// The kind of the error that stopped the parse, if any.
    error: Option<ErrorKind>,
    /// Whether the parser ended with nothing buffered.
    idle: bool,
}

fn feed(pieces: &[&[u8]]) -> Outcome {
    let mut parser = ReplyParser::new();
    let mut replies = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    for piece in pieces {
        pending.extend_from_slice(piece);
        loop {
            match parser.parse(&pending) {
                Err(e) => {
                    assert!(parser.is_idle(), "not reset after an error");
                    return Outcome {
                        replies,
                        error: Some(e.kind()),
                        idle: true,
                    };
                }
                Ok((used, Some(reply))) => {
                    assert!((1..=pending.len()).contains(&used), "used {used}");
                    check_reply(&reply);
                    pending.drain(..used);
                    replies.push(reply);
                }
                Ok((used, None)) => {
                    assert_eq!(used, pending.len(), "incomplete input must be buffered");
                    pending.clear();
                    break;
                }
            }
        }
    }
    Outcome {
        replies,
        error: None,
        idle: parser.is_idle(),
    }
}

fn check_reply(reply: &Reply) {
    assert!((200..=599).contains(&reply.code), "code {}", reply.code);
    assert!(!reply.lines.is_empty() && reply.lines.len() <= MAX_REPLY_LINES);
    for line in &reply.lines {
        assert!(line.chars().count() <= MAX_LINE_LEN);
        assert!(!line.contains('\n'));
    }
    if let Some(enhanced) = reply.enhanced {
        assert_eq!(u16::from(enhanced.class), reply.code / 100);
    }
    let _ = (reply.one_line(), reply.text());

    // Written back as on the wire, it parses to itself (when it still fits: U+FFFD
    // replacing one invalid byte takes three).
    let mut wire = Vec::new();
    for line in reply.wire_lines() {
        wire.extend_from_slice(line.as_bytes());
        wire.extend_from_slice(b"\r\n");
    }
    let longest = reply.lines.iter().map(String::len).max().unwrap_or(0);
    if longest + 6 <= MAX_LINE_LEN && !wire.contains(&0) {
        let again = ReplyParser::new()
            .parse(&wire)
            .expect("re-parsing wire_lines");
        assert_eq!(again, (wire.len(), Some(reply.clone())));
    }
}

fuzz_target!(|data: &[u8]| {
    let (pieces, whole) = smtpc_fuzz::split_input(data);
    let at_once = feed(&[whole]);
    let in_pieces = feed(&pieces);
    assert_eq!(in_pieces, at_once, "pieces {pieces:?}");
    if let Some(kind) = at_once.error {
        assert_eq!(kind, ErrorKind::Protocol);
    }
});
