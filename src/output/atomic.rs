use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file written under a temporary name in the destination folder and
/// renamed into place only by [`AtomicFile::commit`]. Dropping it uncommitted
/// deletes the temporary: an interrupted or failed run never leaves a
/// complete-looking CSV behind.
///
/// The protection is against interrupted and failed runs, not power loss:
/// there is no `fsync` (it cost 5–20 ms per file on this project's VM, more
/// than simulating 100 000 calls).
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        let temp = Self::temp_name(target)?;
        let file = File::create(&temp)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// Takes over an already written file (on the same file system) as the
    /// start of `target`'s content, without copying it: it is moved to the
    /// temporary name and further writes append to it.
    pub fn adopt(existing: &Path, target: &Path) -> io::Result<AtomicFile> {
        let temp = Self::temp_name(target)?;
        fs::rename(existing, &temp)?;
        let file = match fs::OpenOptions::new().append(true).open(&temp) {
            Ok(f) => f,
            Err(e) => {
                let _ = fs::remove_file(&temp);
                return Err(e);
            }
        };
        Ok(AtomicFile {
            target: target.to_path_buf(),
            temp,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    fn temp_name(target: &Path) -> io::Result<PathBuf> {
        let name = target
            .file_name()
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "output path has no file name")
            })?
            .to_string_lossy();
        Ok(target.with_file_name(format!(".{name}.partial-{}", std::process::id())))
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("not committed yet")
    }

    /// Flushes the data, leaving the rename to [`commit`].
    ///
    /// [`commit`]: AtomicFile::commit
    pub fn finish(&mut self) -> io::Result<()> {
        self.writer().flush()
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    pub fn commit(mut self) -> io::Result<PathBuf> {
        self.finish()?;
        self.writer = None;
        fs::rename(&self.temp, &self.target)?;
        Ok(self.target.clone())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// A hidden scratch folder inside the output folder for per-replication
/// parts; removed with everything in it when dropped.
pub struct StagingDir {
    path: PathBuf,
}

impl StagingDir {
    pub fn create(out_dir: &Path) -> io::Result<StagingDir> {
        let path = out_dir.join(format!(".telsim-staging-{}", std::process::id()));
        if path.exists() {
            fs::remove_dir_all(&path)?;
        }
        fs::create_dir_all(&path)?;
        Ok(StagingDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_files_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("calls.csv");
        {
            let mut f = AtomicFile::create(&target).unwrap();
            writeln!(f.writer(), "half a row").unwrap();
        }
        assert!(!target.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        let mut f = AtomicFile::create(&target).unwrap();
        writeln!(f.writer(), "a,b").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "a,b\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn adopted_files_are_moved_and_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("part");
        let target = dir.path().join("calls.csv");
        fs::write(&part, "h\n1\n").unwrap();
        {
            let mut f = AtomicFile::adopt(&part, &target).unwrap();
            writeln!(f.writer(), "2").unwrap();
        }
        // Dropped uncommitted: nothing left, not even the adopted part.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        fs::write(&part, "h\n1\n").unwrap();
        let mut f = AtomicFile::adopt(&part, &target).unwrap();
        writeln!(f.writer(), "2").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "h\n1\n2\n");
        assert!(!part.exists());
    }
}
