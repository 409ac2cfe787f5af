//! The DATA transparency encoder (RFC 5321 sections 4.1.1.4 and 4.5.2), streaming.
//!
//! Bare LF and bare CR become CRLF, a dot at the start of a line is doubled, and
//! [`DataEncoder::finish`] always ends with `CRLF.CRLF` (adding the CRLF when the data
//! did not end in a line break). Input may be split at any byte, including between
//! a CR and its LF.

/// Streaming encoder state; one per message.
#[derive(Debug)]
pub struct DataEncoder {
    // implementation detail: at start of line? a CR pending?
}

impl DataEncoder {
    /// An encoder at the start of the message (dot-stuffing on).
    pub fn new() -> DataEncoder {
        todo!()
    }

    /// An encoder for BDAT chunks: line ends normalised to CRLF, no dot-stuffing,
    /// and [`DataEncoder::finish`] only completes the last line (no terminator).
    pub fn for_bdat() -> DataEncoder {
        todo!()
    }

    /// Appends the encoded form of `input` to `out`.
    pub fn encode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        todo!()
    }

    /// Completes the last line if needed and, for DATA, appends `.\r\n`.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        todo!()
    }
}

impl Default for DataEncoder {
    fn default() -> Self {
        DataEncoder::new()
    }
}
