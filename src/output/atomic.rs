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

    /// Where the content is until [`commit`](AtomicFile::commit) (to read
    /// back what was staged, after [`finish`](AtomicFile::finish)).
    pub fn staged_path(&self) -> &Path {
        &self.temp
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

/// Removes what runs killed outright (`kill -9`, a second Ctrl-C, a power
/// cut) left in `out_dir`: hidden temporaries `.NAME.partial-PID` and
/// staging folders `.telsim-staging-PID` of processes that no longer exist.
/// Those of live processes (another run writing to the same folder) are
/// kept, as is everything when liveness cannot be told (no `/proc`). Returns
/// what was removed. Called once a run has written its outputs.
pub fn sweep_stale(out_dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let own = std::process::id();
    for entry in fs::read_dir(out_dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(pid) = leftover_pid(&name.to_string_lossy()) else {
            continue;
        };
        if pid == own || process_may_live(pid) {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            fs::remove_dir_all(&path)?;
        } else {
            fs::remove_file(&path)?;
        }
        removed.push(path);
    }
    removed.sort();
    Ok(removed)
}

/// The PID in the name of a temporary of [`AtomicFile`] or a
/// [`StagingDir`], if it is one.
fn leftover_pid(name: &str) -> Option<u32> {
    let pid = if let Some(rest) = name.strip_prefix(".telsim-staging-") {
        rest
    } else if name.starts_with('.') {
        name.rsplit_once(".partial-")?.1
    } else {
        return None;
    };
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether process `pid` may exist: false only when `/proc` exists and has
/// no entry for it.
fn process_may_live(pid: u32) -> bool {
    let proc_fs = Path::new("/proc");
    !proc_fs.join("self").exists() || proc_fs.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leftovers of a dead process go; a live process's temporaries, other
    /// hidden files and the outputs stay.
    #[test]
    fn stale_temporaries_of_dead_processes_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Above Linux's largest PID (2^22): never a live process.
        let dead = 4_194_999u32;
        let own = std::process::id();
        fs::write(d.join(format!(".calls.csv.partial-{dead}")), "half").unwrap();
        fs::write(d.join(format!(".summary.csv.partial-{own}")), "mine").unwrap();
        fs::create_dir(d.join(format!(".telsim-staging-{dead}"))).unwrap();
        fs::write(d.join(format!(".telsim-staging-{dead}/calls-1.csv")), "x").unwrap();
        fs::write(d.join("calls.csv"), "done").unwrap();
        fs::write(d.join(".keep.partial-12ab"), "not a pid").unwrap();
        let removed = sweep_stale(d).unwrap();
        if !Path::new("/proc/self").exists() {
            assert!(removed.is_empty(), "liveness unknown: keep everything");
            return;
        }
        let names: Vec<String> = removed
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            vec![
                format!(".calls.csv.partial-{dead}"),
                format!(".telsim-staging-{dead}")
            ]
        );
        assert!(d.join(format!(".summary.csv.partial-{own}")).exists());
        assert!(d.join("calls.csv").exists());
        assert!(d.join(".keep.partial-12ab").exists());
    }

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
