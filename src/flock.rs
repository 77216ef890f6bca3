//! Advisory whole-file locks (`flock(2)`), released when the guard drops.

use std::fs::File;
use std::os::fd::AsRawFd;

pub struct Lock<'a> {
    file: &'a File,
}

impl<'a> Lock<'a> {
    /// Blocks until this process holds the only exclusive lock on `file`.
    pub fn exclusive(file: &'a File) -> std::io::Result<Lock<'a>> {
        let fd = file.as_raw_fd();
        loop {
            // SAFETY: flock on a valid, open descriptor that outlives the guard's use.
            if unsafe { libc::flock(fd, libc::LOCK_EX) } == 0 {
                return Ok(Lock { file });
            }
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        // SAFETY: unlocking a descriptor we locked; failure only means it is already closed.
        unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
    }
}
