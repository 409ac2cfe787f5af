//! The C boundary: every `extern "C"` function of `include/smtpc.h`.
//!
//! Nothing here knows SMTP. Each export checks its pointers and strings, runs its
//! body inside one panic boundary, and maps the Rust result to an `smtpc_status`.
//! The shared machinery — the panic boundary (`catch_panic`, `guard`), the one
//! trait that casts between C handle pointers and the Rust values behind them
//! (`BoxCastPtr`), and the NULL / UTF-8 / CR-LF argument checks — is in the private
//! `handle` module.
//!
//! Every export is an `unsafe extern "C" fn` whose `# Safety` section states what
//! the C caller guarantees (pointers NULL or live, strings NUL-terminated); the
//! functions themselves check for NULL and trust nothing else.
//!
//! The modules are public so that Rust tests can call the exports exactly as C
//! does; everything is also re-exported here.

#![allow(non_camel_case_types)]

// build.rs hands every file of src/ffi to cbindgen on its own; the
// `cbindgen:ignore` line keeps cbindgen from reading each file a second time
// through these declarations (which would declare every function twice).

/// `smtpc_client`: one SMTP session — options, commands, getters.
///
/// cbindgen:ignore
pub mod client;
/// The log and progress callbacks of a client.
///
/// cbindgen:ignore
pub mod client_callbacks;
/// Panic boundary, handle casts, argument checks.
///
/// cbindgen:ignore
mod handle;
/// `smtpc_message`: the MIME message builder.
///
/// cbindgen:ignore
pub mod message;
/// `smtpc_report`: the outcome of one send.
///
/// cbindgen:ignore
pub mod report;
/// Status codes, their texts, the version.
///
/// cbindgen:ignore
pub mod status;

pub use client::*;
pub use client_callbacks::*;
pub use message::*;
pub use report::*;
pub use status::*;
