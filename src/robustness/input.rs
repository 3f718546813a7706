//! The one guarded way to read an input file, used by every verb for every
//! file it reads (scenario, topology, `summary.csv`, `intervals.csv`,
//! `calls.csv`, `sweep.csv`, shard manifests): only regular files are read
//! (a FIFO, a device such as `/dev/zero`, a socket, a directory or a link
//! to one is refused before anything is read, so nothing can block or grow
//! without bound), and no more than a cap of bytes is ever read.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::budget::{Bytes, MAX_INPUT_BYTES};

/// Largest table read back whole (`summary.csv`, `sweep.csv`): far above
/// any run's (a few MB for thousands of portals), small enough to hold.
pub const MAX_TABLE_BYTES: u64 = 256 << 20;
/// Largest file streamed row by row (`calls.csv`, `intervals.csv` for
/// `report`): only a few numbers per row are kept, so the cap guards against
/// a file that never ends rather than against memory.
pub const MAX_STREAM_BYTES: u64 = 64 << 30;

/// Opens `path` for reading if it is a regular file (links followed).
/// Refusals keep the kinds `main` maps to exit code 2: a directory is
/// `IsADirectory`, anything else that is not a regular file `InvalidInput`.
/// The type is checked before the open (opening a FIFO blocks until a writer
/// comes) and again on the opened file, which is opened non-blocking in case
/// the path was swapped in between.
pub fn open_regular(path: &Path) -> io::Result<File> {
    check_regular(&std::fs::metadata(path)?)?;
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?
    };
    check_regular(&file.metadata()?)?;
    Ok(file)
}

fn check_regular(meta: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() {
        return Ok(());
    }
    if t.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory, not a file",
        ));
    }
    let what = if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("is {what}: telsim reads only regular files"),
    ))
}

fn too_large(max_bytes: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "larger than {}: telsim reads input files of at most that size \
             (a run reads scenarios up to 1/32 of --max-memory)",
            Bytes(max_bytes as f64)
        ),
    )
}

/// A reader that fails with `InvalidData` once more than its cap has been
/// read, for files streamed rather than read whole.
pub struct Capped<R> {
    inner: R,
    left: u64,
    max: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // One byte beyond the cap tells "exactly the cap" from "more".
        let want = (buf.len() as u64).min(self.left + 1) as usize;
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            self.left = 0;
            return Err(too_large(self.max));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Opens a regular file for streaming at most `max_bytes` from it.
pub fn open_capped(path: &Path, max_bytes: u64) -> io::Result<Capped<File>> {
    Ok(Capped {
        inner: open_regular(path)?,
        left: max_bytes,
        max: max_bytes,
    })
}

/// Reads a whole text file of at most [`MAX_INPUT_BYTES`]. Errors keep the
/// kinds `main` maps to exit codes: a folder is `IsADirectory`, a special
/// file `InvalidInput`, text that is too large or not UTF-8 is
/// `InvalidData` (all bad input).
pub fn read_text(path: &Path) -> io::Result<String> {
    read_text_capped(path, MAX_INPUT_BYTES)
}

pub fn read_text_capped(path: &Path, max_bytes: u64) -> io::Result<String> {
    let file = open_regular(path)?;
    read_capped_from(file, max_bytes)
}

/// [`read_text_capped`] for any reader (standard input for a `-` path): the
/// same size cap, byte-order mark and UTF-8 handling.
pub fn read_capped_from(reader: impl Read, max_bytes: u64) -> io::Result<String> {
    let mut bytes = Vec::new();
    reader.take(max_bytes + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(max_bytes));
    }
    // Byte-order marks from Windows editors are not part of the text.
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(body) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let at = e.valid_up_to();
            let line = 1 + body[..at].iter().filter(|&&b| b == b'\n').count();
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "line {line}: stream did not contain valid UTF-8 (byte {at} is not UTF-8 text)"
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_size_strips_bom_and_refuses_folders() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.ron");
        std::fs::write(&f, b"\xEF\xBB\xBFScenario()").unwrap();
        assert_eq!(read_text(&f).unwrap(), "Scenario()");
        let e = read_text_capped(&f, 4).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("larger than 4 B"), "{e}");
        let e = read_text(dir.path()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::IsADirectory);
        std::fs::write(&f, b"ok\n\xFF").unwrap();
        let e = read_text(&f).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    #[test]
    fn an_endless_device_is_refused_not_read() {
        if Path::new("/dev/zero").exists() {
            let e = read_text(Path::new("/dev/zero")).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            assert!(e.to_string().contains("a device"), "{e}");
            let e = open_capped(Path::new("/dev/zero"), 1 << 40).err().unwrap();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        }
    }

    /// A FIFO with no writer would block `open` forever: refused at once.
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f.ron");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a node.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_text(&fifo).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("FIFO"), "{e}");
        // A link to a folder is a folder.
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(dir.path(), &link).unwrap();
        assert_eq!(
            read_text(&link).unwrap_err().kind(),
            io::ErrorKind::IsADirectory
        );
    }

    #[test]
    fn streams_stop_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("c.csv");
        std::fs::write(&f, vec![b'x'; 1000]).unwrap();
        let mut s = String::new();
        open_capped(&f, 1000)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s.len(), 1000);
        let e = open_capped(&f, 999)
            .unwrap()
            .read_to_string(&mut String::new())
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }
}
