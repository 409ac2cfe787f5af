//! The machinery every export shares: the panic boundary, the casts between C
//! handle pointers and the Rust values behind them, and the C string helpers.
//!
//! Nothing in this file is visible in the C header (no `pub` items reach cbindgen):
//! it is the one place where raw pointers are cast and where `catch_unwind` is used.

use crate::error::{Error, ErrorKind, Result};
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `body` and reports whether it panicked. This is the only `catch_unwind` of
/// the crate: every export runs its body through it (directly, through [`guard`], or
/// through a handle's `call`), so no panic ever unwinds into C.
///
/// The panic payload is dropped on purpose: the default panic hook has already
/// printed it to stderr, and a payload formatted from arbitrary data must not end up
/// in a `last_error` text a program might log (it could hold a secret).
pub(crate) fn catch_panic<T>(body: impl FnOnce() -> T) -> Option<T> {
    // AssertUnwindSafe: after a panic the state the closure touched is never used
    // again — handles are poisoned by the caller and refuse further work.
    catch_unwind(AssertUnwindSafe(body)).ok()
}

/// The panic boundary for exports without a poisonable handle: `body`'s value, or
/// `on_panic` (SMTPC_ERR_PANIC, NULL, "", false or 0) when it panicked.
pub(crate) fn guard<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    catch_panic(body).unwrap_or(on_panic)
}

/// Ties a C-visible opaque type (an empty marker struct such as `smtpc_client`) to
/// the Rust value a pointer to it really points at, which lives in a `Box`. All
/// conversions between the two go through these methods, so the API code has no
/// pointer casts of its own and a mix-up between handle types does not compile.
pub(crate) trait BoxCastPtr: Sized {
    /// The Rust value behind the C handle.
    type Rust;

    /// Moves `value` to the heap and returns the pointer handed to C. The caller
    /// (C) owns it and gives it back to [`BoxCastPtr::free`] exactly once.
    fn into_raw(value: Self::Rust) -> *mut Self {
        Box::into_raw(Box::new(value)).cast()
    }

    /// Borrows the value behind `ptr`; `None` when `ptr` is NULL.
    ///
    /// Only shared references are ever made: handles mutate through their own
    /// locks, so another thread may hold a reference at the same time (cancel).
    ///
    /// # Safety
    /// `ptr` is NULL or came from [`BoxCastPtr::into_raw`] of the same type and has
    /// not been freed; the value outlives the returned reference.
    unsafe fn try_ref<'a>(ptr: *const Self) -> Option<&'a Self::Rust> {
        // SAFETY: per the contract above, a non-NULL ptr points at a live Self::Rust.
        unsafe { ptr.cast::<Self::Rust>().as_ref() }
    }

    /// Takes ownership back and drops the value; NULL is a no-op.
    ///
    /// # Safety
    /// `ptr` is NULL or came from [`BoxCastPtr::into_raw`] of the same type and has
    /// not been freed; nothing uses it afterwards.
    unsafe fn free(ptr: *mut Self) {
        if !ptr.is_null() {
            // SAFETY: per the contract above, ptr is a live Box<Self::Rust>.
            drop(unsafe { Box::from_raw(ptr.cast::<Self::Rust>()) });
        }
    }
}

/// Writes `value` through an out-parameter the caller has already checked for NULL.
///
/// # Safety
/// `out` is non-NULL, aligned and writable.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: per the contract above.
    unsafe { out.write(value) }
}

/// A `SMTPC_ERR_NULL_ARGUMENT` error naming the function and the argument.
pub(crate) fn null_arg(func: &str, arg: &str) -> Error {
    Error::new(ErrorKind::NullArgument, format!("{func}: {arg} is NULL"))
}

/// Fails with `SMTPC_ERR_NULL_ARGUMENT` when `ptr` is NULL.
pub(crate) fn require<T>(ptr: *const T, func: &str, arg: &str) -> Result<()> {
    if ptr.is_null() {
        Err(null_arg(func, arg))
    } else {
        Ok(())
    }
}

/// A required `const char *` argument as `&str`: NULL gives NULL_ARGUMENT, invalid
/// UTF-8 gives INVALID_ARGUMENT. Error texts name the argument, never its value.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string that stays valid for `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, func: &str, arg: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(null_arg(func, arg));
    }
    // SAFETY: non-NULL and NUL-terminated per the contract above.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes
        .to_str()
        .map_err(|_| Error::invalid(format!("{func}: {arg} is not valid UTF-8")))
}

/// An optional `const char *` argument: NULL gives `None`.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(
    ptr: *const c_char,
    func: &str,
    arg: &str,
) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { str_arg(ptr, func, arg) }.map(Some)
    }
}

/// Rejects CR and LF in a value that goes on an SMTP command line or into a header
/// (NUL cannot occur: the C string ends there). The checks of the Rust API run as
/// well; this one guarantees the C contract and names the C argument.
pub(crate) fn single_line<'a>(value: &'a str, func: &str, arg: &str) -> Result<&'a str> {
    if value.contains(['\r', '\n']) {
        Err(Error::invalid(format!("{func}: {arg} contains CR or LF")))
    } else {
        Ok(value)
    }
}

/// A required single-line string argument: [`str_arg`] then [`single_line`].
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn line_arg<'a>(ptr: *const c_char, func: &str, arg: &str) -> Result<&'a str> {
    // SAFETY: forwarded contract.
    single_line(unsafe { str_arg(ptr, func, arg) }?, func, arg)
}

/// An optional single-line string argument: [`opt_str_arg`] then [`single_line`].
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_line_arg<'a>(
    ptr: *const c_char,
    func: &str,
    arg: &str,
) -> Result<Option<&'a str>> {
    // SAFETY: forwarded contract.
    match unsafe { opt_str_arg(ptr, func, arg) }? {
        Some(value) => single_line(value, func, arg).map(Some),
        None => Ok(None),
    }
}

/// A byte input (`const uint8_t *` + length): NULL with length 0 is the empty slice,
/// NULL with a length is NULL_ARGUMENT.
///
/// # Safety
/// `ptr` is NULL or points at `len` readable bytes that stay valid for `'a`.
pub(crate) unsafe fn bytes_arg<'a>(
    ptr: *const u8,
    len: usize,
    func: &str,
    arg: &str,
) -> Result<&'a [u8]> {
    if len == 0 {
        Ok(&[])
    } else if ptr.is_null() {
        Err(null_arg(func, arg))
    } else {
        // SAFETY: non-NULL with len readable bytes per the contract above.
        Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
    }
}

/// The static empty C string returned by string getters when there is nothing to
/// return (NULL handle, out of range, after a panic): never NULL.
pub(crate) fn empty_c_str() -> *const c_char {
    b"\0".as_ptr().cast()
}

/// A C string of `text`, with any NUL byte replaced by U+FFFD so the whole text
/// survives (server replies cannot normally hold NUL, but a C string must not).
pub(crate) fn to_c_string(text: &str) -> CString {
    let bytes = if text.contains('\0') {
        text.replace('\0', "\u{FFFD}").into_bytes()
    } else {
        text.as_bytes().to_vec()
    };
    // No NUL is left, so this cannot fail; fall back to "" rather than unwrap.
    CString::new(bytes).unwrap_or_default()
}

/// Replaces `slot` with `text` unless it already holds exactly that text, so a
/// pointer the caller got earlier stays valid when nothing changed.
pub(crate) fn set_c_string(slot: &mut CString, text: &str) {
    if slot.as_bytes() != text.as_bytes() {
        *slot = to_c_string(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::status::{SMTPC_ERR_PANIC, SMTPC_OK};

    #[test]
    fn guard_maps_a_panic_to_its_default() {
        let status = guard(SMTPC_ERR_PANIC, || -> u32 {
            panic!("deliberate test panic")
        });
        assert_eq!(status, SMTPC_ERR_PANIC);
        let text = guard(empty_c_str(), || -> *const c_char { panic!("deliberate") });
        // SAFETY: empty_c_str is a static NUL-terminated string.
        assert_eq!(unsafe { CStr::from_ptr(text) }.to_bytes(), b"");
        assert!(!guard(false, || -> bool { panic!("deliberate") }));
        assert_eq!(guard(SMTPC_ERR_PANIC, || SMTPC_OK), SMTPC_OK);
    }

    #[test]
    fn catch_panic_catches_todo() {
        let r: Option<u32> = catch_panic(|| todo!());
        assert!(r.is_none());
    }

    #[test]
    fn string_helpers() {
        let c = |b: &'static [u8]| CStr::from_bytes_with_nul(b).unwrap();
        let good = c(b"hello\0");
        // SAFETY: static C strings.
        unsafe {
            assert_eq!(str_arg(good.as_ptr(), "f", "a").unwrap(), "hello");
            let e = str_arg(std::ptr::null(), "f", "host").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::NullArgument);
            assert_eq!(e.message(), "f: host is NULL");
            let bad = c(b"\xff\xfe\0");
            let e = str_arg(bad.as_ptr(), "f", "user").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert_eq!(e.message(), "f: user is not valid UTF-8");
            assert_eq!(opt_str_arg(std::ptr::null(), "f", "a").unwrap(), None);
            let e = line_arg(c(b"a\r\nRCPT\0").as_ptr(), "f", "name").unwrap_err();
            assert_eq!(e.message(), "f: name contains CR or LF");
            assert_eq!(bytes_arg(std::ptr::null(), 0, "f", "d").unwrap(), b"");
            let e = bytes_arg(std::ptr::null(), 3, "f", "data").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::NullArgument);
        }
        assert_eq!(to_c_string("a\0b").to_str().unwrap(), "a\u{FFFD}b");
        let mut slot = to_c_string("x");
        let before = slot.as_ptr();
        set_c_string(&mut slot, "x");
        assert_eq!(slot.as_ptr(), before);
        set_c_string(&mut slot, "y");
        assert_eq!(slot.to_str().unwrap(), "y");
    }
}
