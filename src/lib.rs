//! # smtpc — an SMTP client with a stable C API
//!
//! The crate is built as a `cdylib`, a `staticlib` and an `rlib`. C and C++ programs
//! use it through `include/smtpc.h` (generated from [`ffi`]); Rust programs can use
//! the same functionality through [`Client`] and [`Message`].
//!
//! ## Module map
//!
//! - [`protocol`] — sans-IO SMTP: reply parser, command writer, EHLO capabilities,
//!   DATA transparency encoder, address checks, transaction outcome rules. No sockets,
//!   clocks or files: bytes in, values out, unit-tested on its own.
//! - [`transport`] — the only module that touches sockets: TCP connect with timeouts
//!   to every resolved address, TLS (implicit and STARTTLS upgrade) via native-tls.
//! - [`client`] — drives the protocol over a transport: connect, EHLO/HELO, TLS
//!   policy, AUTH, send with per-recipient report, RSET/NOOP/VRFY/QUIT, cancel.
//! - [`message`] — the streaming MIME builder: headers (RFC 2047/2231), bodies,
//!   attachments read from files while they are sent.
//! - [`error`] — the error type and its one mapping to `smtpc_status`.
//! - [`ffi`] — the C boundary only: panic boundary, NULL/UTF-8 checks, handles.

#![deny(missing_docs)]

pub mod client;
pub mod error;
pub mod ffi;
pub mod message;
pub mod protocol;
pub mod redact;
pub mod transport;

pub use client::{CancelHandle, Client, LogKind, RecipientResult, Report, TlsMode};
pub use error::{Error, ErrorKind, Result};
pub use message::Message;
pub use protocol::dsn::{DsnReturn, Notify};
