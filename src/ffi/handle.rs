//! The machinery every export shares: the panic boundary, the casts between C
//! handle pointers and the Rust values behind them, and the C string helpers.
//!
//! Nothing in this file is visible in the C header (no `pub` items reach cbindgen):
//! it is the one place where raw pointers are cast and where `catch_unwind` is used.

use super::status::{smtpc_status, status_of, SMTPC_ERR_PANIC, SMTPC_ERR_STATE, SMTPC_OK};
use crate::error::{Error, ErrorKind, Result};
use crate::protocol::reply::Reply;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, TryLockError};

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

/// What the getters of a handle describe: the last call's failure and the reply
/// that caused it (or the last reply), as the C strings they return.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) error: CString,
    pub(crate) reply_code: u32,
    pub(crate) reply: CString,
    pub(crate) reply_enhanced: CString,
}

impl Outcome {
    /// Sets the error text ("" after a success).
    pub(crate) fn set_error(&mut self, text: &str) {
        set_c_string(&mut self.error, text);
    }

    /// Sets the reply the getters show (none: code 0, empty texts).
    pub(crate) fn set_reply(&mut self, reply: Option<&Reply>) {
        let (code, text, enhanced) = match reply {
            Some(r) => (
                u32::from(r.code),
                r.wire_lines().join("\n"),
                r.enhanced.map(|e| e.to_string()).unwrap_or_default(),
            ),
            None => (0, String::new(), String::new()),
        };
        self.reply_code = code;
        set_c_string(&mut self.reply, &text);
        set_c_string(&mut self.reply_enhanced, &enhanced);
    }
}

/// What a C handle points at: the Rust value behind a lock, the poison flag set by
/// a caught panic, the last outcome for the getters, and `S`, the part other threads
/// may use without the lock (the client's cancel handle).
///
/// Calls never wait for the lock: a call on a handle that another call is using (a
/// second thread, or a callback calling back in) fails with `SMTPC_ERR_STATE`.
pub(crate) struct Handle<T, S = ()> {
    shared: S,
    poisoned: AtomicBool,
    value: RwLock<T>,
    outcome: Mutex<Outcome>,
}

impl<T, S> Handle<T, S> {
    pub(crate) fn new(value: T, shared: S) -> Handle<T, S> {
        Handle {
            shared,
            poisoned: AtomicBool::new(false),
            value: RwLock::new(value),
            outcome: Mutex::new(Outcome::default()),
        }
    }

    /// The part usable without the lock.
    pub(crate) fn shared(&self) -> &S {
        &self.shared
    }

    pub(crate) fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }

    pub(crate) fn poison(&self) {
        self.poisoned.store(true, Ordering::Release);
    }

    fn outcome(&self) -> MutexGuard<'_, Outcome> {
        // Our own flag, not the mutex's, says whether the handle is usable.
        self.outcome.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A call that may change the value: refused (`SMTPC_ERR_STATE`) on a busy or
    /// unusable handle; `body` runs inside the panic boundary (a panic poisons the
    /// handle) and `record` then sets the outcome from the value and the result.
    pub(crate) fn modify(
        &self,
        func: &str,
        body: impl FnOnce(&mut T) -> Result<()>,
        record: impl FnOnce(&T, &Result<()>, &mut Outcome),
    ) -> smtpc_status {
        let mut value = match self.value.try_write() {
            Ok(value) => value,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return SMTPC_ERR_STATE,
        };
        if self.is_poisoned() {
            self.outcome().set_error(&unusable(func));
            return SMTPC_ERR_STATE;
        }
        let status = catch_panic(|| {
            let result = body(&mut value);
            record(&value, &result, &mut self.outcome());
            match result {
                Ok(()) => SMTPC_OK,
                Err(e) => status_of(&e),
            }
        });
        status.unwrap_or_else(|| {
            self.poison();
            let mut outcome = self.outcome();
            outcome.set_reply(None);
            outcome.set_error(&format!(
                "{func}: internal error (a bug in smtpc was caught); this handle is now \
                 unusable, only its _free function may be called on it"
            ));
            SMTPC_ERR_PANIC
        })
    }

    /// A call that only reads the value (several may run at once): a STATE error
    /// naming `func` when the value is being modified or the handle is unusable. A
    /// panic in `body` poisons the handle and goes on to the caller's boundary.
    pub(crate) fn read<R>(&self, func: &str, body: impl FnOnce(&T) -> Result<R>) -> Result<R> {
        let value = self.read_guard(func)?;
        match catch_panic(|| body(&value)) {
            Some(result) => result,
            None => {
                self.poison();
                // Re-raise so the caller's own handle is poisoned too: the panic may
                // have left it mid-operation.
                std::panic::resume_unwind(Box::new("panic while reading a handle"))
            }
        }
    }

    /// The value held for reading until the guard is dropped (for a call that uses
    /// several handles at once); a STATE error as [`Handle::read`].
    pub(crate) fn read_guard(&self, func: &str) -> Result<RwLockReadGuard<'_, T>> {
        let value = match self.value.try_read() {
            Ok(value) => value,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return Err(Error::new(
                    ErrorKind::State,
                    format!("{func}: the handle is being used by another call"),
                ))
            }
        };
        if self.is_poisoned() {
            return Err(Error::new(ErrorKind::State, unusable(func)));
        }
        Ok(value)
    }

    /// Records the outcome of a read-only call (e.g. writing a message to a file).
    pub(crate) fn record(&self, record: impl FnOnce(&mut Outcome)) {
        record(&mut self.outcome());
    }

    /// A getter: `fallback` while another call holds the handle or when the getter
    /// panics (which poisons the handle).
    pub(crate) fn get<R>(&self, fallback: R, body: impl FnOnce(&T, &Outcome) -> R) -> R
    where
        R: Copy,
    {
        let Ok(value) = self.value.try_read() else {
            return fallback;
        };
        let outcome = self.outcome();
        catch_panic(|| body(&value, &outcome)).unwrap_or_else(|| {
            self.poison();
            fallback
        })
    }
}

fn unusable(func: &str) -> String {
    format!(
        "{func}: this handle is unusable after an internal error; only its _free function \
         may be called on it"
    )
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
