//! What push and pull share: small remote scripts, progress, and the split between a host that
//! failed (reachable, but the copy could not be done) and a host that was lost (session dropped,
//! timeout, Ctrl-C). The local manifest is plan-time data: `crate::manifest`.
//!
//! Transport is a plain exec channel per file (`cat > temp`, `cat file`). Measured with
//! `bench/run transport` (BENCHMARKS.md): exec and libssh2's SCP move data at about the same
//! speed, libssh2's SFTP 15-35% slower. SCP cannot verify or rename on the host; exec does the
//! temporary, the digest check and the rename in one round trip, with no SFTP subsystem needed.
//! Every path reaches the remote shell single-quoted, so no file name can inject commands.
//! The hosts need a POSIX sh and GNU coreutils (cat, head, sha256sum, stat, tee, mv -T, ln -T,
//! dirname, readlink) and GNU find.
//! Hashing on the host prefers `openssl dgst` when installed: coreutils' SHA-256 does not use
//! the CPU's SHA instructions and measured 4.6x slower (0.23 s against 0.05 s for 64 MiB),
//! the largest single cost of a push on the host.

use crate::event::{HostOutcome, Status};
use crate::executor::HostContext;
use crate::manifest::{base, parent};
use crate::ssh::Failure;
use std::io::Read;
use std::time::Instant;

/// Why one host's transfer stopped.
pub enum StepError {
    /// The host answered, but the copy cannot be done there (missing directory, permission
    /// denied, digest mismatch).
    Failed(String),
    /// The session was lost, timed out, or was aborted.
    Lost(Failure),
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
                reason: Some(reason),
            },
            StepError::Lost(f) => Status::Unreachable {
                kind: f.kind,
                reason: f.reason,
            },
        };
        HostOutcome::new(status, started.elapsed())
    }
}

/// Shell function `h`: SHA-256 of stdin as 64 hex digits, with OpenSSL's fast path if present.
pub const SHA256_FN: &str = "h() { if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r | cut -c1-64; \
     else sha256sum | cut -c1-64; fi; }\n";

/// The last non-empty stderr line, without the `sh: 1: ` noise, or the exit status.
pub fn reason_from(stderr: &[u8], exit: &crate::ssh::ExitStatus) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().rev().map(str::trim).find(|l| !l.is_empty());
    match line {
        Some(l) => l
            .trim_start_matches("sh: 1: ")
            .trim_start_matches("sh: ")
            .to_string(),
        None => match (&exit.code, &exit.signal) {
            (_, Some(sig)) => format!("killed by signal {sig}"),
            (Some(code), _) => format!("exit {code}"),
            _ => "no exit status".into(),
        },
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

/// A name for a temporary next to `target`: hidden, unique per process and host.
pub fn temp_name(target: &str, host: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tag: String = host
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect();
    let name = crate::temp_name::hidden(Some(base(target)), format_args!("{tag}-{nanos:x}"));
    format!("{}/{name}", parent(target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_are_hidden_beside_their_target() {
        assert!(temp_name("/tmp/my file", "web01").starts_with("/tmp/.my file.hostctl-"));
    }
}
