//! Output files that are either complete or absent, and sets of files that are all new or all
//! old: write to a temporary file (or a staging folder) in the target folder, then rename into
//! place (a rename within one folder is atomic). Outputs never destroy anything: a device or a
//! pipe (`/dev/null`, `/dev/stdout`) is written through, a symlink is followed to its target and
//! stays a symlink, and an output that is one of the command's inputs is refused.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// What an output path is now.
enum Target {
    /// Nothing there yet, or a regular file: write a temporary file and rename it.
    Replace(PathBuf),
    /// A device, pipe or socket: write into it, never replace it.
    WriteThrough(PathBuf),
}

/// Resolve an output path: follow symlinks to what they point at, refuse folders.
fn target(path: &Path) -> Result<Target> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Target::Replace(path.to_path_buf()))
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    let (resolved, meta) = if meta.file_type().is_symlink() {
        // /dev/stdout -> /proc/self/fd/1 -> pipe:[N]: not a path, but writable through the link
        if let Ok(m) = std::fs::metadata(path) {
            if !m.is_file() && !m.is_dir() {
                return Ok(Target::WriteThrough(path.to_path_buf()));
            }
        }
        let resolved = std::fs::canonicalize(path).map_err(|_| {
            Error::Usage(format!(
                "--out {}: a symlink to a file that does not exist; give the file itself",
                path.display()
            ))
        })?;
        let meta = std::fs::metadata(&resolved).map_err(|e| Error::io(&resolved, e))?;
        (resolved, meta)
    } else {
        (path.to_path_buf(), meta)
    };
    if meta.is_dir() {
        Err(Error::Usage(format!(
            "--out {}: is a folder; give a file name",
            path.display()
        )))
    } else if meta.is_file() {
        Ok(Target::Replace(resolved))
    } else {
        Ok(Target::WriteThrough(resolved))
    }
}

/// Write `path` atomically with the bytes produced by `fill`.
///
/// On any error (including one returned by `fill`) the temporary file is removed and `path` is
/// left as it was. A symlink is followed (the link stays a link); a device or a pipe is written
/// through; a folder is refused.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> Result<()>,
{
    let path = match target(path)? {
        Target::Replace(p) => p,
        Target::WriteThrough(p) => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .map_err(|e| Error::io(&p, e))?;
            let mut w = BufWriter::new(file);
            fill(&mut w)?;
            return w.flush().map_err(|e| Error::io(&p, e));
        }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".mbdrisk-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        fill(&mut w)?;
        w.flush().map_err(|e| Error::io(&path, e))?;
    }
    // Temporary files are created private (0600); outputs are ordinary files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(&path, e))?;
    }
    tmp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
    Ok(())
}

/// Write a whole string atomically.
pub fn write_string_atomic(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, |w| {
        w.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))
    })
}

/// Refuse outputs that are one of the inputs (same file after resolving links and `..`):
/// `score --data x.csv --out x.csv` would otherwise replace the patient file with its scores.
///
/// # Errors
/// [`Error::Usage`] naming the output and the input it would overwrite.
pub fn refuse_overwriting_inputs(outputs: &[PathBuf], inputs: &[&Path]) -> Result<()> {
    let inputs: Vec<(PathBuf, &Path)> = inputs
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok().map(|c| (c, *p)))
        .collect();
    for out in outputs {
        let Ok(c) = std::fs::canonicalize(out) else {
            continue; // does not exist yet: cannot be an input
        };
        if let Some((_, input)) = inputs.iter().find(|(i, _)| *i == c) {
            return Err(Error::Usage(format!(
                "the output {} is the input {}: it would be overwritten; write the output elsewhere",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// A set of files written into one folder all-or-nothing: each file is written into a staging
/// folder inside the target folder, and [`OutputSet::commit`] moves them into place, putting
/// the old files back if a move fails. Dropping the set without committing leaves the folder
/// as it was.
pub struct OutputSet {
    dir: PathBuf,
    staging: tempfile::TempDir,
    names: Vec<String>,
}

impl OutputSet {
    /// Start a set of outputs in `dir` (created if needed).
    ///
    /// # Errors
    /// [`Error::Io`] when the folder cannot be created; [`Error::Usage`] when `dir` is a file.
    pub fn begin(dir: &Path) -> Result<OutputSet> {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::Usage(format!(
                "--out {}: is a file; give a folder for these outputs",
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let staging = tempfile::Builder::new()
            .prefix(".mbdrisk-staging-")
            .tempdir_in(dir)
            .map_err(|e| Error::io(dir, e))?;
        Ok(OutputSet {
            dir: dir.to_path_buf(),
            staging,
            names: Vec::new(),
        })
    }

    /// The final paths of the files added so far.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.names.iter().map(|n| self.dir.join(n)).collect()
    }

    /// Stage the file `name` with the bytes produced by `fill`.
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails; [`Error::Usage`] for a name given twice.
    pub fn write<F>(&mut self, name: &str, fill: F) -> Result<()>
    where
        F: FnOnce(&mut dyn Write) -> Result<()>,
    {
        if self.names.iter().any(|n| n == name) {
            return Err(Error::Analysis(format!("output {name} written twice")));
        }
        let path = self.staging.path().join(name);
        let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        let mut w = BufWriter::new(file);
        fill(&mut w)?;
        w.flush().map_err(|e| Error::io(self.dir.join(name), e))?;
        self.names.push(name.to_string());
        Ok(())
    }

    /// Stage a text file.
    ///
    /// # Errors
    /// As [`OutputSet::write`].
    pub fn write_str(&mut self, name: &str, text: &str) -> Result<()> {
        self.write_bytes(name, text.as_bytes())
    }

    /// Stage a file of bytes.
    ///
    /// # Errors
    /// As [`OutputSet::write`].
    pub fn write_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let shown = self.dir.join(name);
        self.write(name, |w| {
            w.write_all(bytes).map_err(|e| Error::io(&shown, e))
        })
    }

    /// Move every staged file into place. Existing files of the same names are moved aside
    /// first and put back if any move fails, so the folder holds the whole new set or the
    /// whole old one. Targets that are not regular files (links, devices, folders) are refused
    /// before anything moves.
    ///
    /// # Errors
    /// [`Error::Usage`] for a target that is not a regular file; [`Error::Io`] when a move
    /// fails (after the rollback).
    pub fn commit(self) -> Result<()> {
        for name in &self.names {
            let target = self.dir.join(name);
            if let Ok(m) = std::fs::symlink_metadata(&target) {
                if !m.is_file() {
                    return Err(Error::Usage(format!(
                        "{}: exists and is not a regular file (a link, device or folder); it is left as it is: write the outputs to another folder",
                        target.display()
                    )));
                }
            }
        }
        #[cfg(unix)]
        for name in &self.names {
            use std::os::unix::fs::PermissionsExt;
            let p = self.staging.path().join(name);
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644))
                .map_err(|e| Error::io(&p, e))?;
        }
        let old = |name: &str| self.staging.path().join(format!(".old.{name}"));
        // (name, whether an old file was moved aside)
        let mut done: Vec<(&str, bool)> = Vec::new();
        let mut failure = None;
        for name in &self.names {
            let target = self.dir.join(name);
            let had_old = target.exists();
            if had_old {
                if let Err(e) = std::fs::rename(&target, old(name)) {
                    failure = Some(Error::io(&target, e));
                    break;
                }
            }
            if let Err(e) = std::fs::rename(self.staging.path().join(name), &target) {
                if had_old {
                    let _ = std::fs::rename(old(name), &target);
                }
                failure = Some(Error::io(&target, e));
                break;
            }
            done.push((name, had_old));
        }
        if let Some(e) = failure {
            for (name, had_old) in done.into_iter().rev() {
                let target = self.dir.join(name);
                if had_old {
                    let _ = std::fs::rename(old(name), &target);
                } else {
                    let _ = std::fs::remove_file(&target);
                }
            }
            return Err(e);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_fill_leaves_no_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.csv");
        let r = write_atomic(&path, |w| {
            w.write_all(b"partial").map_err(|e| Error::io("x", e))?;
            Err(Error::Analysis("boom".into()))
        });
        assert!(r.is_err());
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
    }

    #[test]
    fn a_set_is_all_new_or_all_old() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a.txt"), "old a").expect("seed");
        std::fs::write(dir.path().join("b.txt"), "old b").expect("seed");
        // a set that fails while staging changes nothing
        let mut set = OutputSet::begin(dir.path()).expect("begin");
        set.write_str("a.txt", "new a").expect("stage");
        let r = set.write("b.txt", |_| Err(Error::Analysis("boom".into())));
        assert!(r.is_err());
        drop(set);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.txt")).expect("a"),
            "old a"
        );
        // a set whose second target cannot be replaced leaves the first file old too
        std::fs::remove_file(dir.path().join("b.txt")).expect("rm");
        std::fs::create_dir(dir.path().join("b.txt")).expect("dir in the way");
        let mut set = OutputSet::begin(dir.path()).expect("begin");
        set.write_str("a.txt", "new a").expect("stage");
        set.write_str("b.txt", "new b").expect("stage");
        assert!(set.commit().is_err());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.txt")).expect("a"),
            "old a"
        );
        // a complete set replaces both, and no staging folder is left behind
        std::fs::remove_dir(dir.path().join("b.txt")).expect("rmdir");
        let mut set = OutputSet::begin(dir.path()).expect("begin");
        set.write_str("a.txt", "new a").expect("stage");
        set.write_str("b.txt", "new b").expect("stage");
        set.commit().expect("commit");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.txt")).expect("b"),
            "new b"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(left.len(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn links_and_devices_are_never_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real.csv");
        std::fs::write(&real, "old").expect("seed");
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        write_string_atomic(&link, "new").expect("through the link");
        assert!(std::fs::symlink_metadata(&link)
            .expect("meta")
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).expect("real"), "new");
        write_string_atomic(Path::new("/dev/null"), "gone").expect("device");
        assert!(!std::fs::metadata("/dev/null").expect("meta").is_file());
        let e = write_string_atomic(dir.path(), "x").expect_err("a folder");
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn an_input_is_never_an_output() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("x.csv");
        std::fs::write(&data, "a\n1\n").expect("seed");
        let same = dir.path().join(".").join("x.csv");
        let e = refuse_overwriting_inputs(&[same], &[&data]).expect_err("same file");
        assert!(e.to_string().contains("would be overwritten"), "{e}");
        refuse_overwriting_inputs(&[dir.path().join("y.csv")], &[&data]).expect("other file");
    }

    #[test]
    fn successful_write_is_complete() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("a.txt");
        write_string_atomic(&path, "hello").expect("write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "hello");
    }
}
