//! Reading input files with a size cap, so a path to `/dev/zero`, a huge log
//! file passed by mistake or a gigabyte of generated text is refused with a
//! clear message instead of being read into memory.

use std::io::{self, Read};
use std::path::Path;

use super::budget::{Bytes, MAX_INPUT_BYTES};

/// Reads a whole text file of at most [`MAX_INPUT_BYTES`]. Errors keep the
/// kinds `main` maps to exit codes: a folder is `IsADirectory`, text that is
/// too large or not UTF-8 is `InvalidData` (both bad input).
pub fn read_text(path: &Path) -> io::Result<String> {
    read_text_capped(path, MAX_INPUT_BYTES)
}

pub fn read_text_capped(path: &Path, max_bytes: u64) -> io::Result<String> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory, not a file",
        ));
    }
    read_capped_from(file, max_bytes)
}

/// [`read_text_capped`] for any reader (standard input for a `-` path): the
/// same size cap, byte-order mark and UTF-8 handling.
pub fn read_capped_from(reader: impl Read, max_bytes: u64) -> io::Result<String> {
    let mut bytes = Vec::new();
    reader.take(max_bytes + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "larger than {}: telsim reads input files of at most that size \
                 (a run reads scenarios up to 1/32 of --max-memory)",
                Bytes(max_bytes as f64)
            ),
        ));
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
            assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        }
    }
}
