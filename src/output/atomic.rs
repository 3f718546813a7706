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
        Ok(target.with_file_name(format!("{PARTIAL_PREFIX}{}-{name}", std::process::id())))
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

/// Names telsim gives its own scratch files and folders, each followed by
/// the writing process's PID: [`sweep_stale`] removes only these (a user's
/// `.notes.partial-12` is not telsim's).
const PARTIAL_PREFIX: &str = ".telsim-partial-";
const STAGING_PREFIX: &str = ".telsim-staging-";
const OLD_PREFIX: &str = ".telsim-old-";

fn scratch_name(prefix: &str, name: &std::ffi::OsStr) -> String {
    format!("{prefix}{}-{}", std::process::id(), name.to_string_lossy())
}

/// Commits staged files as one set: afterwards either every target holds
/// its new content and every path in `remove` is gone, or (on an error)
/// every target and every path in `remove` is as it was before. Targets
/// that are folders are refused before anything moves. Old files are first
/// moved aside under hidden names, then the new ones renamed in, then the
/// old ones deleted; a failed rename moves everything back. (Rename is
/// atomic per file, not across files: a kill -9 between two renames can
/// still leave the hidden `.telsim-old-PID-*` copies, which the next run
/// sweeps away.)
pub fn commit_set(mut files: Vec<AtomicFile>, remove: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    for f in &mut files {
        f.finish()?;
    }
    let targets: Vec<PathBuf> = files.iter().map(|f| f.target.clone()).collect();
    for t in targets.iter().chain(remove) {
        if fs::symlink_metadata(t).is_ok_and(|m| m.is_dir()) {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                format!(
                    "{}: a folder is in the way of an output file; no file of this run was \
                     put in place",
                    t.display()
                ),
            ));
        }
    }
    // Phase 1: the old files aside.
    let mut aside: Vec<(PathBuf, PathBuf)> = Vec::new();
    let restore = |aside: &[(PathBuf, PathBuf)]| {
        for (orig, backup) in aside.iter().rev() {
            let _ = fs::rename(backup, orig);
        }
    };
    for t in targets.iter().chain(remove) {
        if fs::symlink_metadata(t).is_err() {
            continue;
        }
        let name = t.file_name().unwrap_or_default();
        let backup = t.with_file_name(scratch_name(OLD_PREFIX, name));
        if let Err(e) = fs::rename(t, &backup) {
            restore(&aside);
            return Err(with_path(e, t));
        }
        aside.push((t.clone(), backup));
    }
    // Phase 2: the new files in.
    for i in 0..files.len() {
        if let Err(e) = fs::rename(&files[i].temp, &files[i].target) {
            for f in &files[..i] {
                let _ = fs::rename(&f.target, &f.temp);
            }
            restore(&aside);
            return Err(with_path(e, &files[i].target));
        }
    }
    for f in &mut files {
        f.writer = None;
    }
    // Phase 3: the old files away (a leftover is swept by a later run).
    for (_, backup) in &aside {
        let _ = fs::remove_file(backup);
    }
    Ok(targets)
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// A whole output folder (a sweep's, a merge's) built under a hidden name
/// beside its destination and swapped in by [`DirCommit::commit`]: the
/// destination holds either the complete old folder or the complete new one,
/// never old point folders beside new ones. Dropped uncommitted, the
/// staging folder is removed and the destination is untouched.
pub struct DirCommit {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl DirCommit {
    /// `own` names what may be in the destination already (the entries this
    /// kind of folder holds): anything else there means the folder is not
    /// one telsim wrote (`--out .`), and replacing it is refused.
    pub fn create(target: &Path, own: &[&str]) -> io::Result<DirCommit> {
        let mut abs = std::path::absolute(target)?;
        // `--out link` to a folder elsewhere replaces that folder, keeping
        // the link.
        if fs::symlink_metadata(&abs).is_ok_and(|m| m.file_type().is_symlink()) && abs.is_dir() {
            abs = fs::canonicalize(&abs)?;
        }
        let (Some(parent), Some(name)) = (abs.parent(), abs.file_name()) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: not a folder telsim can replace", target.display()),
            ));
        };
        fs::create_dir_all(parent)?;
        if fs::symlink_metadata(&abs).is_ok_and(|m| !m.is_dir()) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{}: exists and is not a folder", target.display()),
            ));
        }
        if abs.is_dir() {
            for entry in fs::read_dir(&abs)? {
                let entry = entry?.file_name();
                let n = entry.to_string_lossy();
                if !own.contains(&n.as_ref()) && leftover_pid(&n).is_none() {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!(
                            "{}: holds '{n}', which telsim did not write there; \
                             choose an empty folder or one written by the same command",
                            target.display()
                        ),
                    ));
                }
            }
        }
        let staging = parent.join(scratch_name(STAGING_PREFIX, name));
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir(&staging)?;
        Ok(DirCommit {
            target: abs,
            staging,
            committed: false,
        })
    }

    /// Where the new folder's content is written.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Swaps the staging folder in: the old folder is renamed aside, the new
    /// one renamed to the destination, the old one deleted. If the second
    /// rename fails, the old folder is renamed back.
    pub fn commit(mut self) -> io::Result<()> {
        let name = self.target.file_name().unwrap_or_default().to_owned();
        let old = self.target.with_file_name(scratch_name(OLD_PREFIX, &name));
        let had_old = fs::symlink_metadata(&self.target).is_ok();
        if had_old {
            if old.exists() {
                fs::remove_dir_all(&old)?;
            }
            fs::rename(&self.target, &old).map_err(|e| with_path(e, &self.target))?;
        }
        if let Err(e) = fs::rename(&self.staging, &self.target) {
            if had_old {
                let _ = fs::rename(&old, &self.target);
            }
            return Err(with_path(e, &self.target));
        }
        self.committed = true;
        if had_old {
            let _ = fs::remove_dir_all(&old);
        }
        // Staging folders of sweeps killed outright beside this one.
        if let Some(parent) = self.target.parent() {
            let _ = sweep_stale(parent);
        }
        Ok(())
    }
}

impl Drop for DirCommit {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
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
        let path = out_dir.join(format!("{STAGING_PREFIX}{}", std::process::id()));
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
/// cut) left in `out_dir`: hidden temporaries `.telsim-partial-PID-NAME`,
/// old copies `.telsim-old-PID-NAME` and staging folders
/// `.telsim-staging-PID[-NAME]` of processes that no longer exist.
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
    let rest = [STAGING_PREFIX, PARTIAL_PREFIX, OLD_PREFIX]
        .iter()
        .find_map(|p| name.strip_prefix(p))?;
    let pid = rest.split_once('-').map_or(rest, |(pid, _)| pid);
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
        fs::write(d.join(format!(".telsim-partial-{dead}-calls.csv")), "half").unwrap();
        fs::write(d.join(format!(".telsim-partial-{own}-summary.csv")), "mine").unwrap();
        fs::write(d.join(format!(".telsim-old-{dead}-alerts.csv")), "old").unwrap();
        fs::create_dir(d.join(format!(".telsim-staging-{dead}"))).unwrap();
        fs::write(d.join(format!(".telsim-staging-{dead}/calls-1.csv")), "x").unwrap();
        fs::write(d.join("calls.csv"), "done").unwrap();
        fs::write(d.join(".keep.partial-12ab"), "not a pid").unwrap();
        // A user's file that merely looks like a temporary is not telsim's.
        fs::write(d.join(format!(".x.partial-{dead}")), "user's").unwrap();
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
                format!(".telsim-old-{dead}-alerts.csv"),
                format!(".telsim-partial-{dead}-calls.csv"),
                format!(".telsim-staging-{dead}")
            ]
        );
        assert!(d
            .join(format!(".telsim-partial-{own}-summary.csv"))
            .exists());
        assert!(d.join(format!(".x.partial-{dead}")).exists());
        assert!(d.join("calls.csv").exists());
        assert!(d.join(".keep.partial-12ab").exists());
    }

    fn staged(dir: &Path, name: &str, text: &str) -> AtomicFile {
        let mut f = AtomicFile::create(&dir.join(name)).unwrap();
        f.writer().write_all(text.as_bytes()).unwrap();
        f
    }

    /// A folder in the way of one file: nothing moves, no temporary stays.
    #[test]
    fn a_set_is_committed_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for n in ["a.csv", "b.csv", "stale.csv"] {
            fs::write(d.join(n), "old").unwrap();
        }
        fs::create_dir_all(d.join("c.csv/x")).unwrap();
        let set = vec![
            staged(d, "a.csv", "new"),
            staged(d, "b.csv", "new"),
            staged(d, "c.csv", "new"),
        ];
        let e = commit_set(set, &[d.join("stale.csv")]).unwrap_err();
        assert!(e.to_string().contains("c.csv"), "{e}");
        for n in ["a.csv", "b.csv", "stale.csv"] {
            assert_eq!(fs::read_to_string(d.join(n)).unwrap(), "old", "{n}");
        }
        let mut names: Vec<_> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.csv", "b.csv", "c.csv", "stale.csv"]);

        fs::remove_dir_all(d.join("c.csv")).unwrap();
        let set = vec![staged(d, "a.csv", "new"), staged(d, "c.csv", "new")];
        commit_set(set, &[d.join("stale.csv")]).unwrap();
        let mut names: Vec<_> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.csv", "b.csv", "c.csv"]);
        assert_eq!(fs::read_to_string(d.join("c.csv")).unwrap(), "new");
    }

    #[test]
    fn a_folder_is_swapped_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sweep");
        fs::create_dir_all(out.join("points/0001")).unwrap();
        fs::write(out.join("sweep.csv"), "old").unwrap();
        {
            let c = DirCommit::create(&out, &["sweep.csv", "points"]).unwrap();
            fs::write(c.path().join("sweep.csv"), "new").unwrap();
            // Dropped: the old folder stays as it was.
        }
        assert_eq!(fs::read_to_string(out.join("sweep.csv")).unwrap(), "old");
        let c = DirCommit::create(&out, &["sweep.csv", "points"]).unwrap();
        fs::create_dir_all(c.path().join("points/0000")).unwrap();
        fs::write(c.path().join("sweep.csv"), "new").unwrap();
        c.commit().unwrap();
        assert_eq!(fs::read_to_string(out.join("sweep.csv")).unwrap(), "new");
        assert!(!out.join("points/0001").exists());
        assert!(out.join("points/0000").exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        // Through a link: the folder it points to is replaced, the link kept.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&out, &link).unwrap();
        let c = DirCommit::create(&link, &["sweep.csv", "points"]).unwrap();
        fs::write(c.path().join("sweep.csv"), "newer").unwrap();
        c.commit().unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(link.join("sweep.csv")).unwrap(), "newer");
        fs::remove_file(&link).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let e = DirCommit::create(&out, &["sweep.csv", "points"])
            .err()
            .unwrap();
        assert!(e.to_string().contains("notes.txt"), "{e}");
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
