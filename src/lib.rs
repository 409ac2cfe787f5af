//! # smtpc — an SMTP client with a stable C API
//!
//! The crate is built as a `cdylib`, a `staticlib` and an `rlib`. C and C++ programs
//! use it through `include/smtpc.h` (generated from [`ffi`]); Rust programs can use
//! the same functionality through [`Client`] and [`Message`].
//!
//! ## Module map
//!
//! The layers, each using only the ones below it:
//!
//! - [`ffi`] — the C boundary only: panic boundary, NULL/UTF-8 checks, one generic
//!   handle (lock, poison flag, last outcome) behind `smtpc_client`, `smtpc_message`
//!   and `smtpc_report`, and the only mapping of errors, TLS modes and log kinds to
//!   C numbers.
//! - [`client`] — a thin blocking driver: runs a [`protocol::session::Session`] over
//!   a [`transport::Pipe`], feeds it message bodies, keeps time (each reply within
//!   the I/O timeout), cancel, the transcript (log lines through the redactor) and
//!   the last reply / error.
//! - [`message`] — the streaming MIME builder: headers (RFC 2047/2231), bodies,
//!   attachments read from files while they are sent; it produces the envelope
//!   ([`protocol::envelope::Envelope`]) and the byte stream of a send.
//! - [`protocol`] — sans-IO SMTP, no sockets, clocks or files:
//!   [`protocol::session`] is the whole conversation as a state machine (bytes in,
//!   bytes and events out: greeting, EHLO/HELO, STARTTLS, AUTH via
//!   [`protocol::sasl`], MAIL/RCPT/DATA/BDAT with PIPELINING, batches, 452 retries,
//!   RSET/NOOP/VRFY/ETRN/QUIT); the codecs (reply parser, command writer, EHLO
//!   capabilities, DATA/BDAT encoder); the envelope with DSN; the outcome rules and
//!   the per-recipient report. Unit-tested on its own.
//! - [`transport`] — the only module that touches sockets: a byte pipe (TCP to
//!   every resolved address, TLS via native-tls) whose every wait ends by a
//!   deadline and notices a cancel; it parses nothing.
//! - [`error`], [`redact`] and `regular_file` — leaves: the error type (kind,
//!   message, the reply that caused it, the report), the secret remover the
//!   transcript and the reply parser use, and the opening of caller-named files
//!   that refuses FIFOs and devices without blocking.

#![deny(missing_docs)]

pub mod client;
pub mod error;
pub mod ffi;
pub mod message;
pub mod protocol;
pub mod redact;
mod regular_file;
pub mod transport;

pub use client::{CancelHandle, Client, LogKind, RecipientResult, Report, TlsMode};
pub use error::{Error, ErrorKind, Result};
pub use message::Message;
pub use protocol::dsn::{DsnReturn, Notify};
