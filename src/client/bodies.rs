//! Where the driver gets message bodies from: built messages (opened again for a
//! further transaction) or bytes in memory. Memory stays flat: a body is read a
//! chunk at a time, never whole.

use crate::error::{Error, ErrorKind, Result};
use crate::message::{Message, MessageStream};
use std::io::Read;

/// The bodies of the messages of one send or batch, by message index.
pub(crate) trait Bodies {
    /// Reads the body of `message` at `offset` into `buf`; `offset` 0 starts it
    /// (again). Returns 0 at its end.
    fn read(&mut self, message: usize, offset: u64, buf: &mut [u8]) -> Result<usize>;

    /// The number of bytes the body of `message` yields (for progress).
    fn len(&self, message: usize) -> u64;
}

/// Bodies of built messages: the stream of the message being sent is kept open,
/// and opened again when a transaction restarts it.
pub(crate) struct MessageBodies<'a> {
    messages: &'a [&'a Message],
    lens: Vec<u64>,
    /// The open stream: its message, and how many bytes it has yielded.
    current: Option<(usize, u64, MessageStream<'a>)>,
}

impl<'a> MessageBodies<'a> {
    /// `first`, if given, is message 0's stream, already open.
    pub(crate) fn new(
        messages: &'a [&'a Message],
        lens: Vec<u64>,
        first: Option<MessageStream<'a>>,
    ) -> MessageBodies<'a> {
        MessageBodies {
            messages,
            lens,
            current: first.map(|s| (0, 0, s)),
        }
    }
}

impl Bodies for MessageBodies<'_> {
    fn read(&mut self, message: usize, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let reusable =
            matches!(&self.current, Some((m, pos, _)) if *m == message && *pos == offset);
        if !reusable {
            if offset != 0 {
                return Err(Error::new(
                    ErrorKind::File,
                    "the message body cannot be resumed in the middle",
                ));
            }
            let stream = self.messages[message].open()?;
            self.current = Some((message, 0, stream));
        }
        let Some((_, pos, stream)) = self.current.as_mut() else {
            unreachable!("opened above")
        };
        loop {
            match stream.read(buf) {
                Ok(n) => {
                    *pos += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::new(ErrorKind::File, e.to_string())),
            }
        }
    }

    fn len(&self, message: usize) -> u64 {
        self.lens.get(message).copied().unwrap_or(0)
    }
}

/// One body in memory (a raw send).
pub(crate) struct RawBody<'a> {
    data: &'a [u8],
}

impl<'a> RawBody<'a> {
    pub(crate) fn new(data: &'a [u8]) -> RawBody<'a> {
        RawBody { data }
    }
}

impl Bodies for RawBody<'_> {
    fn read(&mut self, _message: usize, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.data.len());
        let n = buf.len().min(self.data.len() - start);
        buf[..n].copy_from_slice(&self.data[start..start + n]);
        Ok(n)
    }

    fn len(&self, _message: usize) -> u64 {
        self.data.len() as u64
    }
}
