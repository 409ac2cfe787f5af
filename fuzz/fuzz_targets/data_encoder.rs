//! The DATA and BDAT encoders (`smtpc::protocol::data::DataEncoder`) on arbitrary
//! bytes, fed in pieces the fuzzer chooses (see `smtpc_fuzz::split_input`).
//!
//! Properties (the reference is `smtpc_fuzz::normalise_lines`: every CRLF, lone
//! CR and lone LF written as CRLF, the last line completed):
//! - the output in pieces equals the output in one piece, for DATA and BDAT;
//! - BDAT output is exactly the normalised input;
//! - DATA output is CRLF lines only, ends with the terminator `.` line, no line
//!   before it is a lone `.`, every line starting with '.' starts with "..", and
//!   removing the terminator and one leading dot per line gives the normalised
//!   input back;
//! - after `finish` the encoder starts afresh: a second message through the same
//!   encoder is encoded as by a new one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtpc::protocol::data::DataEncoder;
use smtpc_fuzz::{crlf_lines, normalise_lines, split_input};

fn encode(encoder: &mut DataEncoder, pieces: &[&[u8]], out: &mut Vec<u8>) {
    for piece in pieces {
        encoder.encode(piece, out);
    }
    encoder.finish(out);
}

fn encoded(bdat: bool, pieces: &[&[u8]]) -> Vec<u8> {
    let mut encoder = if bdat {
        DataEncoder::for_bdat()
    } else {
        DataEncoder::new()
    };
    let mut out = Vec::new();
    encode(&mut encoder, pieces, &mut out);
    out
}

/// Undoes DATA's transparency, checking its form on the way.
fn unstuff(data: &[u8]) -> Vec<u8> {
    let lines = crlf_lines(data);
    let (terminator, body) = lines.split_last().expect("no terminator");
    assert_eq!(*terminator, b".", "the last line is not the terminator");
    let mut out = Vec::with_capacity(data.len());
    for line in body {
        if line.starts_with(b".") {
            assert!(line.starts_with(b".."), "unstuffed dot line {line:?}");
            out.extend_from_slice(&line[1..]);
        } else {
            out.extend_from_slice(line);
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let (pieces, whole) = split_input(data);
    let expected = normalise_lines(whole);

    let bdat = encoded(true, &[whole]);
    assert_eq!(bdat, expected, "BDAT output is not the normalised input");
    assert_eq!(encoded(true, &pieces), bdat, "BDAT depends on the pieces");

    let dotted = encoded(false, &[whole]);
    assert_eq!(
        encoded(false, &pieces),
        dotted,
        "DATA depends on the pieces"
    );
    assert_eq!(
        unstuff(&dotted),
        expected,
        "DATA does not un-stuff to the input"
    );

    // A second message through the same encoder: the state is reset by finish.
    for bdat_mode in [false, true] {
        let mut encoder = if bdat_mode {
            DataEncoder::for_bdat()
        } else {
            DataEncoder::new()
        };
        let mut out = Vec::new();
        encode(&mut encoder, &pieces, &mut out);
        let first = out.len();
        encode(&mut encoder, &pieces, &mut out);
        assert_eq!(
            out[..first],
            out[first..],
            "finish does not reset the encoder"
        );
    }
});
