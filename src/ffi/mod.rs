//! The C boundary: every `extern "C"` function of `include/smtpc.h`.
//!
//! Nothing here knows SMTP. Each export checks its pointers and strings, runs its
//! body inside one panic boundary, and maps the Rust result to an `smtpc_status`.

#![allow(non_camel_case_types)]

pub mod status;
