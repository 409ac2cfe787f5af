//! Opening the files a caller names — attachments, inline parts, the CA file —
//! without ever blocking: only regular files are read.
//!
//! Opening a FIFO for reading blocks in the kernel until a writer appears (no
//! timeout or cancel reaches it), and a device such as `/dev/zero` never ends. So
//! the path is checked with `stat` first (which does not open it), then opened —
//! on Unix with `O_NONBLOCK`, so that a FIFO swapped in between the two does not
//! block either — and checked again on the open file before `O_NONBLOCK` is
//! cleared. On Windows a file opened by path does not block; the checks on the
//! metadata refuse what is not a regular file (directories, devices, pipes).
//!
//! A leaf: used by the message builder (attachments, `write_file`) and by the
//! transport (the CA file).

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::path::Path;

/// What kind of non-regular file `meta` describes, for an error message.
fn kind_of(meta: &Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    "a device or other special file"
}

/// `Ok` for a regular file; otherwise an error saying what it is instead.
pub(crate) fn require_regular(meta: &Metadata) -> io::Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not a regular file ({})", kind_of(meta)),
    ))
}

/// Refuses, without opening it, a path that exists and is not a regular file
/// (following symbolic links). A path that does not exist (or cannot be looked
/// at) passes: opening it later reports that.
pub(crate) fn refuse_special(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) => require_regular(&meta),
        Err(_) => Ok(()),
    }
}

/// Opens `path` for reading if it is a regular file, without blocking (see the
/// module documentation), and returns it with its metadata. The returned file
/// is in ordinary blocking mode.
pub(crate) fn open_regular(path: &Path) -> io::Result<(File, Metadata)> {
    require_regular(&std::fs::metadata(path)?)?;
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NOCTTY: a terminal swapped in does not become the controlling one.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    require_regular(&meta)?;
    #[cfg(unix)]
    clear_nonblocking(&file)?;
    Ok((file, meta))
}

/// Puts `file` back in blocking mode (reads of a regular file never wait anyway,
/// but the descriptor should not surprise whoever reads it).
#[cfg(unix)]
fn clear_nonblocking(file: &File) -> io::Result<()> {
    use std::os::unix::io::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor owned by `file`, which outlives the calls;
    // F_GETFL and F_SETFL take and return plain integers.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "smtpc-regular-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn opens_regular_files_in_blocking_mode() {
        let dir = temp("ok");
        let path = dir.join("a.txt");
        std::fs::write(&path, b"hello").unwrap();
        let (file, meta) = open_regular(&path).unwrap();
        assert_eq!(meta.len(), 5);
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: F_GETFL on a live descriptor.
            let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
            assert_eq!(flags & libc::O_NONBLOCK, 0);
        }
        drop(file);
        assert!(refuse_special(&path).is_ok());
        assert!(refuse_special(&dir.join("missing")).is_ok());
        assert!(open_regular(&dir.join("missing")).is_err());
        let err = open_regular(&dir).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
        assert!(refuse_special(&dir).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn refuses_fifos_and_devices_at_once() {
        use std::os::unix::ffi::OsStrExt;
        let dir = temp("fifo");
        let fifo = dir.join("p");
        let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = open_regular(&fifo).unwrap_err();
        assert!(err.to_string().contains("a FIFO"), "{err}");
        assert!(refuse_special(&fifo).is_err());
        let err = open_regular(Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("character device"), "{err}");
        assert!(refuse_special(Path::new("/dev/null")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
