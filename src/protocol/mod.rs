//! Sans-IO SMTP: everything about the protocol that can be decided from bytes and
//! values alone. Nothing here opens a socket, reads a clock or touches a file.
//!
//! - [`session`]: the whole client conversation as a state machine (bytes in,
//!   bytes and events out), with [`sasl`] for AUTH.
//! - [`reply`], [`command`], [`extensions`], [`data`]: the wire codecs.
//! - [`envelope`], [`dsn`], [`address`]: what a message is sent with, validated.
//! - [`rules`]: what each reply means; [`report`]: the outcome per recipient.

pub mod address;
pub mod command;
pub mod data;
pub mod dsn;
pub mod envelope;
pub mod extensions;
pub mod reply;
pub mod report;
pub mod rules;
pub mod sasl;
pub mod session;
