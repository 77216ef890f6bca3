//! Space set aside in the log directory when an operation starts, for its closing records. When
//! the disk fills up mid-run, freeing it leaves room to record what was lost and to end the
//! operation properly, so the log can tell a full disk from a kill.
//!
//! Each reserve is a `.reserve.<op>` file, preallocated and locked by its process for its
//! lifetime: one whose lock is free was left by a killed process and is removed.

use super::private;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

const PREFIX: &str = ".reserve.";
const PAGE: u64 = 4096;

/// Room for the closing records when up to `running` hosts lose theirs: an `incomplete`
/// record naming each with its status (about 100 bytes besides the name), the end record, and
/// one more page in the daily file and for the head anchor, which a filesystem allocates whole.
pub fn room(running: usize, longest_name: usize) -> u64 {
    let records = 2048 + running as u64 * (longest_name as u64 + 100);
    (records.div_ceil(PAGE) + 2) * PAGE
}

pub struct Reserve {
    path: PathBuf,
    file: File,
}

impl Reserve {
    /// The caller holds the directory lock, so no other hostctl creates or removes a reserve
    /// meanwhile.
    pub fn take(dir: &Path, op: &str, bytes: u64) -> std::io::Result<Reserve> {
        remove_stale(dir);
        let path = dir.join(format!("{PREFIX}{op}"));
        let file = private::open(
            &path,
            OpenOptions::new().write(true).create(true).truncate(true),
        )?;
        // From here on, dropping `reserve` removes the file again.
        let reserve = Reserve { path, file };
        crate::flock::try_exclusive(&reserve.file)?;
        allocate(&reserve.file, bytes)?;
        Ok(reserve)
    }
}

impl Drop for Reserve {
    fn drop(&mut self) {
        // Shrinking frees the space at once; removing alone would wait for the file to close.
        let _ = self.file.set_len(0);
        let _ = std::fs::remove_file(&self.path);
    }
}

fn allocate(file: &File, bytes: u64) -> std::io::Result<()> {
    loop {
        // SAFETY: fallocate on an open descriptor; mode 0 allocates and extends the file.
        if unsafe { libc::fallocate(file.as_raw_fd(), 0, 0, bytes as libc::off_t) } == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            // A filesystem without fallocate: zeros take the space just the same.
            Some(libc::EOPNOTSUPP) => {
                let mut file = file;
                return file.write_all(&vec![0u8; bytes as usize]);
            }
            _ => return Err(err),
        }
    }
}

/// Removes the reserves of processes that are gone (their lock died with them).
fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        let ours = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(PREFIX));
        if !ours {
            continue;
        }
        // Its space is freed when `file`, the last open copy, closes right after.
        if let Ok(file) = File::open(&path)
            && crate::flock::try_exclusive(&file).unwrap_or(false)
        {
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserve_holds_its_space_until_dropped_and_stale_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".reserve.killed");
        std::fs::write(&stale, vec![0u8; 8192]).unwrap();
        let reserve = Reserve::take(dir.path(), "op1", room(1, 5)).unwrap();
        assert!(!stale.exists(), "a reserve nobody holds is removed");
        let path = dir.path().join(".reserve.op1");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 3 * PAGE);
        // A second operation leaves a live reserve alone.
        let other = Reserve::take(dir.path(), "op2", PAGE).unwrap();
        assert!(path.exists());
        drop(reserve);
        assert!(!path.exists());
        drop(other);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn room_grows_with_the_hosts_that_may_lose_their_records() {
        assert_eq!(room(1, 10), 3 * PAGE);
        assert!(room(64, 30) > room(1, 30));
        assert_eq!(room(64, 30) % PAGE, 0);
    }
}
