//! The DATA transparency encoder (RFC 5321 sections 4.1.1.4 and 4.5.2), streaming.
//!
//! Bare LF and bare CR become CRLF, a dot at the start of a line is doubled, and
//! [`DataEncoder::finish`] always ends with `CRLF.CRLF` (adding the CRLF when the data
//! did not end in a line break). Input may be split at any byte, including between
//! a CR and its LF.

/// Streaming encoder state; one per message.
#[derive(Debug)]
pub struct DataEncoder {
    /// DATA (dot-stuffing and terminator) rather than BDAT.
    dot_stuffing: bool,
    /// The next byte starts a line (true at the start: the first byte may be a dot).
    at_line_start: bool,
    /// The last input byte was a CR, already written as CRLF: an LF that follows,
    /// even in the next chunk, belongs to it and is dropped.
    after_cr: bool,
}

impl DataEncoder {
    /// An encoder at the start of the message (dot-stuffing on).
    pub fn new() -> DataEncoder {
        DataEncoder {
            dot_stuffing: true,
            at_line_start: true,
            after_cr: false,
        }
    }

    /// An encoder for BDAT chunks: line ends normalised to CRLF, no dot-stuffing,
    /// and [`DataEncoder::finish`] only completes the last line (no terminator).
    pub fn for_bdat() -> DataEncoder {
        DataEncoder {
            dot_stuffing: false,
            ..DataEncoder::new()
        }
    }

    /// Appends the encoded form of `input` to `out`.
    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut rest = input;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        // Output is the input plus a little; reserve once instead of growing often.
        out.reserve(rest.len() + rest.len() / 32 + 4);
        while let Some(&first) = rest.first() {
            if self.at_line_start && self.dot_stuffing && first == b'.' {
                out.push(b'.');
            }
            // Copy the run up to the next line break in one go.
            let Some(brk) = memchr::memchr2(b'\n', b'\r', rest) else {
                out.extend_from_slice(rest);
                self.at_line_start = false;
                return;
            };
            out.extend_from_slice(&rest[..brk]);
            out.extend_from_slice(b"\r\n");
            self.at_line_start = true;
            let was_cr = rest[brk] == b'\r';
            rest = &rest[brk + 1..];
            if was_cr {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
    }

    /// Completes the last line if needed and, for DATA, appends `.\r\n`.
    ///
    /// The encoder is then back at the start of a new message.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        if self.dot_stuffing {
            out.extend_from_slice(b".\r\n");
        }
        self.at_line_start = true;
        self.after_cr = false;
    }
}

impl Default for DataEncoder {
    fn default() -> Self {
        DataEncoder::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_all(mut enc: DataEncoder, pieces: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for piece in pieces {
            enc.encode(piece, &mut out);
        }
        enc.finish(&mut out);
        out
    }

    fn data(input: &[u8]) -> Vec<u8> {
        encode_all(DataEncoder::new(), &[input])
    }

    fn bdat(input: &[u8]) -> Vec<u8> {
        encode_all(DataEncoder::for_bdat(), &[input])
    }

    /// An obviously correct byte-at-a-time model of the encoder, as the oracle.
    fn reference(input: &[u8], dot_stuffing: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut line_start = true;
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            if b == b'\r' || b == b'\n' {
                out.extend_from_slice(b"\r\n");
                line_start = true;
                if b == b'\r' && input.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            } else {
                if line_start && dot_stuffing && b == b'.' {
                    out.push(b'.');
                }
                out.push(b);
                line_start = false;
            }
            i += 1;
        }
        if !line_start {
            out.extend_from_slice(b"\r\n");
        }
        if dot_stuffing {
            out.extend_from_slice(b".\r\n");
        }
        out
    }

    /// A tiny deterministic PRNG (xorshift64*), so the tests need no crate.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn line_endings_are_normalised() {
        assert_eq!(data(b"a\r\nb"), b"a\r\nb\r\n.\r\n");
        assert_eq!(data(b"a\nb\n"), b"a\r\nb\r\n.\r\n");
        assert_eq!(data(b"a\rb\r"), b"a\r\nb\r\n.\r\n");
        assert_eq!(
            data(b"a\n\rb"),
            b"a\r\n\r\nb\r\n.\r\n",
            "LF CR is two breaks"
        );
        assert_eq!(data(b"a\r\r\nb"), b"a\r\n\r\nb\r\n.\r\n");
        assert_eq!(data(b"\n\n"), b"\r\n\r\n.\r\n");
    }

    #[test]
    fn dots_at_line_start_are_doubled() {
        assert_eq!(data(b"."), b"..\r\n.\r\n");
        assert_eq!(data(b".hidden\r\n.\r\n"), b"..hidden\r\n..\r\n.\r\n");
        assert_eq!(data(b"a\n.b\r.c\r\n.d"), b"a\r\n..b\r\n..c\r\n..d\r\n.\r\n");
        assert_eq!(data(b"a.b ..c"), b"a.b ..c\r\n.\r\n", "only at line start");
        assert_eq!(data(b"..\n"), b"...\r\n.\r\n", "only the first dot");
    }

    #[test]
    fn terminator() {
        assert_eq!(data(b""), b".\r\n");
        assert_eq!(data(b"x"), b"x\r\n.\r\n");
        assert_eq!(data(b"x\r\n"), b"x\r\n.\r\n");
        assert_eq!(data(b"x\r"), b"x\r\n.\r\n");
        // The classic smuggling attempt is neutralised.
        assert_eq!(
            data(b"hi\r\n.\r\nMAIL FROM:<x>\r\n"),
            b"hi\r\n..\r\nMAIL FROM:<x>\r\n.\r\n"
        );
    }

    #[test]
    fn bdat_mode() {
        assert_eq!(bdat(b""), b"");
        assert_eq!(bdat(b".a\n.b"), b".a\r\n.b\r\n");
        assert_eq!(bdat(b"x\r\n"), b"x\r\n");
        assert_eq!(bdat(b"x\r"), b"x\r\n");
        assert_eq!(bdat(b"\r\n.\r\n"), b"\r\n.\r\n");
    }

    #[test]
    fn cr_and_lf_split_across_chunks_are_one_break() {
        let out = encode_all(DataEncoder::new(), &[b"a\r", b"\n.b"]);
        assert_eq!(out, b"a\r\n..b\r\n.\r\n");
        let out = encode_all(DataEncoder::new(), &[b"a\r", b"", b"", b"\nb"]);
        assert_eq!(out, b"a\r\nb\r\n.\r\n", "empty chunks keep the pending CR");
        let out = encode_all(DataEncoder::new(), &[b"a\r", b"\r", b"\n"]);
        assert_eq!(out, b"a\r\n\r\n.\r\n");
        let out = encode_all(DataEncoder::new(), &[b"a", b".", b"\n", b".", b"x"]);
        assert_eq!(out, b"a.\r\n..x\r\n.\r\n");
    }

    #[test]
    fn finish_resets_for_the_next_message() {
        let mut enc = DataEncoder::new();
        let mut out = Vec::new();
        enc.encode(b"one\r", &mut out);
        enc.finish(&mut out);
        enc.encode(b"\n.two", &mut out);
        enc.finish(&mut out);
        assert_eq!(out, b"one\r\n.\r\n\r\n..two\r\n.\r\n");
        assert_eq!(encode_all(DataEncoder::default(), &[b"."]), data(b"."));
    }

    #[test]
    fn matches_reference_at_every_split_point() {
        let input: &[u8] = b".a\r\n.\r\r\n\n.\r.b\rc..\n\r\n.";
        for dots in [true, false] {
            let make = || {
                if dots {
                    DataEncoder::new()
                } else {
                    DataEncoder::for_bdat()
                }
            };
            let expected = reference(input, dots);
            assert_eq!(encode_all(make(), &[input]), expected);
            for split in 0..=input.len() {
                let out = encode_all(make(), &[&input[..split], &input[split..]]);
                assert_eq!(out, expected, "split at {split}, dots {dots}");
            }
            let bytes: Vec<&[u8]> = input.chunks(1).collect();
            assert_eq!(encode_all(make(), &bytes), expected);
        }
    }

    #[test]
    fn random_chunking_equals_one_piece() {
        let alphabet = b"\r\n.a";
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..2000 {
            let len = rng.below(64);
            let input: Vec<u8> = (0..len).map(|_| alphabet[rng.below(4)]).collect();
            let dots = round % 2 == 0;
            let make = || {
                if dots {
                    DataEncoder::new()
                } else {
                    DataEncoder::for_bdat()
                }
            };
            let whole = encode_all(make(), &[&input]);
            assert_eq!(whole, reference(&input, dots), "input {input:?}");

            let mut pieces = Vec::new();
            let mut rest = &input[..];
            while !rest.is_empty() {
                let n = rng.below(rest.len().min(8) + 1);
                pieces.push(&rest[..n]);
                rest = &rest[n..];
            }
            assert_eq!(
                encode_all(make(), &pieces),
                whole,
                "input {input:?} in {pieces:?}"
            );
        }
    }

    /// The output never contains a bare CR or LF, and un-stuffing gives back the
    /// normalised input: the transformation loses nothing.
    #[test]
    fn output_is_well_formed_and_reversible() {
        let mut rng = Rng(42);
        for _ in 0..500 {
            let input: Vec<u8> = (0..rng.below(80))
                .map(|_| b"\r\n.a"[rng.below(4)])
                .collect();
            let out = data(&input);
            assert!(out.ends_with(b"\r\n.\r\n") || out == b".\r\n");
            let body = &out[..out.len() - 3];
            let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
            assert_eq!(lines.last(), Some(&&b""[..]));
            let mut decoded = Vec::new();
            for line in &lines[..lines.len() - 1] {
                let line = line.strip_suffix(b"\r").expect("every LF follows a CR");
                assert!(!line.contains(&b'\r'), "no bare CR in {out:?}");
                decoded.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
                decoded.extend_from_slice(b"\r\n");
            }
            let normalised = reference(&input, false);
            assert_eq!(decoded, normalised, "input {input:?}");
        }
    }
}
