//! Sans-IO SMTP: everything about the protocol that can be decided from bytes and
//! values alone. Nothing here opens a socket, reads a clock or touches a file.

pub mod address;
pub mod command;
pub mod data;
pub mod extensions;
pub mod reply;
pub mod transaction;
