//! Advisory whole-file locks (`flock(2)`), released when the guard drops.

use std::fs::File;
use std::os::fd::AsRawFd;

pub struct Lock<'a> {
    file: &'a File,
}

impl<'a> Lock<'a> {
    /// Blocks until this process holds the only exclusive lock on `file`.
    pub fn exclusive(file: &'a File) -> std::io::Result<Lock<'a>> {
        flock(file, libc::LOCK_EX)?;
        Ok(Lock { file })
    }

    /// Blocks until no one holds an exclusive lock on `file` (readers share).
    pub fn shared(file: &'a File) -> std::io::Result<Lock<'a>> {
        flock(file, libc::LOCK_SH)?;
        Ok(Lock { file })
    }
}

/// Takes an exclusive lock without waiting; it lasts until `file` is closed. False when
/// another open file holds a lock on it.
pub fn try_exclusive(file: &File) -> std::io::Result<bool> {
    match flock(file, libc::LOCK_EX | libc::LOCK_NB) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(false),
        Err(e) => Err(e),
    }
}

fn flock(file: &File, operation: libc::c_int) -> std::io::Result<()> {
    loop {
        // SAFETY: flock on a valid, open descriptor.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        // SAFETY: unlocking a descriptor we locked; failure only means it is already closed.
        unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
    }
}
