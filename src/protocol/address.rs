//! Mailbox checks for envelope addresses (RFC 5321 section 4.1.2, RFC 6531).

use crate::error::Result;

/// Longest accepted address in bytes (RFC 5321 path limit less the angle brackets).
pub const MAX_ADDRESS_LEN: usize = 254;

/// Checks an envelope address (`local@domain`, no angle brackets). `what` names it
/// in the error ("sender", "recipient 3", ...). Refused with
/// [`crate::ErrorKind::InvalidArgument`]: empty, longer than [`MAX_ADDRESS_LEN`],
/// CR/LF/NUL or other control characters, `<`, `>`, white space outside a quoted
/// local part, no `@`, an empty local part or domain.
pub fn check_address(address: &str, what: &str) -> Result<()> {
    todo!()
}

/// Whether the address needs SMTPUTF8 (contains non-ASCII characters).
pub fn needs_smtputf8(address: &str) -> bool {
    todo!()
}
