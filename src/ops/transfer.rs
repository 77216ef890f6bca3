//! What push and pull share on the controller: progress, and the split between a host that
//! failed (reachable, but the copy could not be done) and a host that was lost (session dropped,
//! timeout, Ctrl-C). The scripts they send are `protocol`'s; the local manifest is plan-time
//! data (`crate::manifest`).
//!
//! Transport is a plain exec channel per file (`cat > temp`, `cat file`). Measured with
//! `bench/run transport` (BENCHMARKS.md): exec and libssh2's SCP move data at about the same
//! speed, libssh2's SFTP 15-35% slower. SCP cannot verify or rename on the host; exec does the
//! temporary, the digest check and the rename in one round trip, with no SFTP subsystem needed.

use crate::event::{HostOutcome, Status};
use crate::executor::HostContext;
use crate::ssh::Failure;
use std::io::Read;
use std::time::Instant;

/// Why one host's transfer stopped.
pub enum StepError {
    /// The host answered, but the copy cannot go on (sudo refused, the controller cannot
    /// write).
    Failed(StepFailure),
    /// The session was lost, timed out, or was aborted.
    Lost(Failure),
}

/// Why a reachable host's transfer had to stop.
#[derive(Debug, thiserror::Error)]
pub enum StepFailure {
    /// sudo's refusal in `ops::sudo`'s words (one shape of it is a line of sudo's stderr).
    #[error("{0}")]
    Sudo(String),
    /// The controller cannot write what the host sent.
    #[error("cannot write `{}`: {source}", path.display())]
    LocalWrite {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl From<Failure> for StepError {
    fn from(f: Failure) -> StepError {
        StepError::Lost(f)
    }
}

impl StepError {
    pub fn into_outcome(self, started: Instant) -> HostOutcome {
        let status = match self {
            StepError::Failed(reason) => Status::Failed {
                exit_code: None,
                signal: None,
                reason: Some(reason.to_string()),
            },
            StepError::Lost(f) => Status::Unreachable {
                kind: f.kind,
                reason: f.reason,
            },
        };
        HostOutcome::new(status, started.elapsed())
    }
}

/// Reports transfer progress to the executor at most every `STEP` bytes.
pub struct Meter<'a> {
    cx: &'a HostContext,
    unreported: u64,
}

const STEP: u64 = 1 << 20;

impl<'a> Meter<'a> {
    pub fn new(cx: &'a HostContext) -> Meter<'a> {
        Meter { cx, unreported: 0 }
    }

    pub fn add(&mut self, n: u64) {
        self.unreported += n;
        if self.unreported >= STEP {
            self.cx.progress(self.unreported);
            self.unreported = 0;
        }
    }

    pub fn flush(&mut self) {
        if self.unreported > 0 {
            self.cx.progress(self.unreported);
            self.unreported = 0;
        }
    }
}

/// Counts bytes read through it, for progress.
pub struct Counting<'a, R> {
    pub inner: R,
    pub meter: Meter<'a>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.add(n as u64);
        Ok(n)
    }
}
