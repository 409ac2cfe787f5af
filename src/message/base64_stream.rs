//! Base64 of an attached file or byte string, produced while the message stream is
//! read: 76-character lines separated by CRLF, from a fixed-size buffer, so memory
//! does not grow with the attachment.
//!
//! A file is read in chunks of [`CHUNK`] bytes (a multiple of 57, so every chunk
//! but the last encodes to whole 76-character lines); each chunk is encoded in one
//! call into a reusable buffer and then copied out line by line with CRLF between.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::fs::File;
use std::io::{self, Read};

/// Input bytes per encoded line.
const LINE_INPUT: usize = 57;
/// Characters per encoded line.
const LINE_OUTPUT: usize = 76;
/// Input bytes per chunk.
pub const CHUNK: usize = LINE_INPUT * 1024;

/// Exact encoded length of `len` input bytes: lines joined by CRLF, with no CRLF
/// after the last line (the multipart delimiter that follows begins with one).
pub fn encoded_len(len: u64) -> u64 {
    let chars = len.div_ceil(3) * 4;
    let lines = chars.div_ceil(LINE_OUTPUT as u64);
    chars + 2 * lines.saturating_sub(1)
}

/// Where the bytes come from.
pub enum Input<'a> {
    /// Bytes held by the message.
    Memory(&'a [u8]),
    /// A file opened when the stream was opened, with the size it had then.
    File {
        /// The open file.
        file: File,
        /// The path as shown in errors.
        label: String,
        /// Its size at open time: exactly this many bytes must be read.
        expected: u64,
        /// How many have been read so far.
        consumed: u64,
    },
}

/// One attachment's base64 body as a reader. See the module documentation.
pub struct Base64Reader<'a> {
    input: Input<'a>,
    /// Read buffer for file input; allocated on first use, dropped at the end.
    chunk: Vec<u8>,
    /// Base64 of one chunk without line breaks.
    scratch: Vec<u8>,
    /// Encoded output waiting to be read, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    /// Whether a line has been written (the next one is preceded by CRLF).
    started: bool,
    finished: bool,
    /// A failure is repeated on every later read: never a silently short body.
    failed: Option<(io::ErrorKind, String)>,
}

impl<'a> Base64Reader<'a> {
    /// A reader over `input`.
    pub fn new(input: Input<'a>) -> Base64Reader<'a> {
        Base64Reader {
            input,
            chunk: Vec::new(),
            scratch: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            started: false,
            finished: false,
            failed: None,
        }
    }

    /// The exact number of bytes this reader yields.
    pub fn len(&self) -> u64 {
        match &self.input {
            Input::Memory(data) => encoded_len(data.len() as u64),
            Input::File { expected, .. } => encoded_len(*expected),
        }
    }

    /// Encodes the next chunk into `out`; sets `finished` at the end of the input.
    fn refill(&mut self) -> io::Result<()> {
        let data: &[u8] = match &mut self.input {
            Input::Memory(rest) => {
                let (now, later) = rest.split_at(rest.len().min(CHUNK));
                *rest = later;
                now
            }
            Input::File {
                file,
                label,
                expected,
                consumed,
            } => {
                if self.chunk.is_empty() {
                    self.chunk = vec![0; CHUNK];
                }
                let want = (*expected - *consumed).min(CHUNK as u64) as usize;
                let got = read_full(file, &mut self.chunk[..want])
                    .map_err(|e| io::Error::new(e.kind(), format!("reading {label}: {e}")))?;
                *consumed += got as u64;
                if got < want {
                    return Err(changed(label, *expected, "it is shorter"));
                }
                if want == 0 {
                    // All announced bytes are read: the file must end here.
                    let mut probe = [0u8; 1];
                    let more = read_full(file, &mut probe)
                        .map_err(|e| io::Error::new(e.kind(), format!("reading {label}: {e}")))?;
                    if more > 0 {
                        return Err(changed(label, *expected, "it is longer"));
                    }
                }
                &self.chunk[..want]
            }
        };
        if data.is_empty() {
            self.finished = true;
            self.chunk = Vec::new();
            self.scratch = Vec::new();
            self.out = Vec::new();
            self.out_pos = 0;
            return Ok(());
        }
        let chars = data.len().div_ceil(3) * 4;
        self.scratch.resize(chars, 0);
        STANDARD
            .encode_slice(data, &mut self.scratch)
            .map_err(|e| io::Error::other(e.to_string()))?;
        self.out.clear();
        self.out.reserve(chars + 2 * chars.div_ceil(LINE_OUTPUT));
        for line in self.scratch.chunks(LINE_OUTPUT) {
            if self.started {
                self.out.extend_from_slice(b"\r\n");
            }
            self.out.extend_from_slice(line);
            self.started = true;
        }
        self.out_pos = 0;
        Ok(())
    }
}

/// The error for a file whose size changed after the message was opened: the
/// message length was announced from the old size, so no correct body is possible.
fn changed(label: &str, expected: u64, how: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("attachment {label} changed while the message was being sent: it had {expected} bytes when opened and now {how}"),
    )
}

/// Reads until `buf` is full or the end of the file.
fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

impl Read for Base64Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, text)) = &self.failed {
            return Err(io::Error::new(*kind, text.clone()));
        }
        while self.out_pos == self.out.len() {
            if self.finished || buf.is_empty() {
                return Ok(0);
            }
            if let Err(e) = self.refill() {
                self.failed = Some((e.kind(), e.to_string()));
                return Err(e);
            }
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo_random(len: usize) -> Vec<u8> {
        let mut x: u32 = 0x1234_5678;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect()
    }

    fn encode_all(data: &[u8], read_size: usize) -> Vec<u8> {
        let mut reader = Base64Reader::new(Input::Memory(data));
        let expected = reader.len();
        let mut out = Vec::new();
        let mut buf = vec![0; read_size];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out.len() as u64, expected);
        out
    }

    #[test]
    fn lines_are_76_with_crlf_between() {
        for len in [
            0,
            1,
            2,
            3,
            56,
            57,
            58,
            113,
            114,
            115,
            CHUNK - 1,
            CHUNK,
            CHUNK + 1,
            3 * CHUNK + 7,
        ] {
            let data = pseudo_random(len);
            let out = encode_all(&data, 7919);
            let text = std::str::from_utf8(&out).unwrap();
            let lines: Vec<&str> = if text.is_empty() {
                vec![]
            } else {
                text.split("\r\n").collect()
            };
            for (i, line) in lines.iter().enumerate() {
                if i + 1 < lines.len() {
                    assert_eq!(line.len(), 76, "len {len} line {i}");
                } else {
                    assert!(!line.is_empty() && line.len() <= 76);
                }
            }
            assert!(
                !text.contains('\n') || text.matches("\r\n").count() == text.matches('\n').count()
            );
            assert_eq!(STANDARD.decode(text.replace("\r\n", "")).unwrap(), data);
        }
    }

    #[test]
    fn read_sizes_do_not_matter() {
        let data = pseudo_random(CHUNK * 2 + 100);
        let whole = encode_all(&data, 1 << 20);
        for size in [1, 2, 75, 76, 77, 78, 4096] {
            assert_eq!(encode_all(&data, size), whole);
        }
    }

    #[test]
    fn encoded_len_formula() {
        assert_eq!(encoded_len(0), 0);
        assert_eq!(encoded_len(1), 4);
        assert_eq!(encoded_len(57), 76);
        assert_eq!(encoded_len(58), 76 + 2 + 4);
        assert_eq!(encoded_len(114), 76 + 2 + 76);
    }

    #[test]
    fn zero_length_read_buffer() {
        let mut reader = Base64Reader::new(Input::Memory(b"abc"));
        assert_eq!(reader.read(&mut []).unwrap(), 0);
        let mut buf = [0; 8];
        assert_eq!(reader.read(&mut buf).unwrap(), 4);
    }
}
