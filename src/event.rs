//! The one vocabulary the executor, the renderers and the audit log share: what happened to
//! which host, and when.

use crate::status::HostStatus;
use std::sync::Arc;
use std::time::Duration;

/// Which host an event is about: what every consumer prints or records of it, so none needs
/// the plan. Cheap to clone (two shared strings).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostId {
    /// Its place in the run's host order (0, 1, ...): results are sorted by it, never used to
    /// look the host up.
    pub order: usize,
    pub name: Arc<str>,
    pub address: Arc<str>,
}

impl HostId {
    pub fn new(order: usize, name: &str, address: &str) -> HostId {
        HostId {
            order,
            name: name.into(),
            address: address.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Something that happened during an operation.
#[derive(Debug)]
pub enum Event {
    Host(HostEvent),
    /// Ctrl-C: the first stops new hosts from starting, the second (or SIGTERM) aborts running
    /// ones.
    Interrupted {
        abort: bool,
    },
}

#[derive(Debug)]
pub struct HostEvent {
    pub host: HostId,
    /// Since the operation started.
    pub elapsed: Duration,
    pub kind: HostEventKind,
}

#[derive(Debug)]
pub enum HostEventKind {
    Started,
    Output {
        stream: Stream,
        data: Vec<u8>,
    },
    /// Bytes moved so far, for progress displays of transfers.
    Progress {
        bytes: u64,
    },
    Finished(Box<HostOutcome>),
}

/// How one host's part of an operation ended.
#[derive(Debug, Clone)]
pub struct HostOutcome {
    pub status: Status,
    pub duration: Duration,
    pub stdout: Captured,
    pub stderr: Captured,
    /// Bytes received from / sent to the host (payload, not SSH framing).
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// For transfers: what was moved where.
    pub transfer: Option<TransferReport>,
}

impl HostOutcome {
    pub fn new(status: Status, duration: Duration) -> HostOutcome {
        HostOutcome {
            status,
            duration,
            stdout: Captured::default(),
            stderr: Captured::default(),
            bytes_in: 0,
            bytes_out: 0,
            transfer: None,
        }
    }
}

/// How one host ended, with what there is to say about it. `kind()` gives its name in the one
/// vocabulary (`status::HostStatus`).
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Command exited 0.
    Ok,
    /// Transfer: content written to the host (or fetched from it).
    Changed,
    /// Transfer: the host already had identical content.
    Unchanged,
    /// The command ran and failed, or the operation failed on a reachable host.
    Failed {
        exit_code: Option<i32>,
        signal: Option<String>,
        reason: Option<String>,
    },
    /// Stopped by `--timeout`.
    Timeout { reason: String },
    /// Could not connect, authenticate or verify the host key, or the connection was lost. A
    /// `kind` of `Timeout` or `Interrupted` names a timeout or an abort (see `Status::lost`).
    Unreachable { kind: FailureKind, reason: String },
    /// Stopped by a second Ctrl-C or SIGTERM.
    Aborted { reason: String },
    /// Never started (interrupted, or `--max-fail` reached, before its turn).
    Skipped { reason: String },
}

impl Status {
    /// A host whose session ended without a result: timed out, aborted, or unreachable.
    pub fn lost(kind: FailureKind, reason: String) -> Status {
        match kind {
            FailureKind::Timeout => Status::Timeout { reason },
            FailureKind::Interrupted => Status::Aborted { reason },
            _ => Status::Unreachable { kind, reason },
        }
    }

    pub fn kind(&self) -> HostStatus {
        match self {
            Status::Ok => HostStatus::Ok,
            Status::Changed => HostStatus::Changed,
            Status::Unchanged => HostStatus::Unchanged,
            Status::Failed { .. } => HostStatus::Failed,
            Status::Timeout { .. }
            | Status::Unreachable {
                kind: FailureKind::Timeout,
                ..
            } => HostStatus::Timeout,
            Status::Aborted { .. }
            | Status::Unreachable {
                kind: FailureKind::Interrupted,
                ..
            } => HostStatus::Aborted,
            Status::Unreachable { .. } => HostStatus::Unreachable,
            Status::Skipped { .. } => HostStatus::Skipped,
        }
    }

    /// Short name used in output and the audit log.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Status::Ok | Status::Unchanged => Some(0),
            Status::Failed { exit_code, .. } => *exit_code,
            _ => None,
        }
    }

    /// The plain-language reason, when there is one.
    pub fn reason(&self) -> Option<String> {
        match self {
            Status::Failed {
                reason: Some(r), ..
            } => Some(r.clone()),
            Status::Failed {
                signal: Some(s), ..
            } => Some(format!("killed by signal {s}")),
            Status::Timeout { reason }
            | Status::Unreachable { reason, .. }
            | Status::Aborted { reason }
            | Status::Skipped { reason } => Some(reason.clone()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    Connect,
    HostKey,
    Auth,
    Timeout,
    Session,
    Interrupted,
}

/// What a transfer moved, for the audit log and JSON output.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TransferReport {
    pub files: Vec<FileReport>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileReport {
    pub local: String,
    pub remote: String,
    pub bytes: u64,
    pub sha256: String,
    pub changed: bool,
}

/// Output kept in memory, up to a limit; `total` counts everything that arrived.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Captured {
    pub data: Vec<u8>,
    pub total: u64,
    pub limit: usize,
}

impl Captured {
    pub fn with_limit(limit: usize) -> Captured {
        Captured {
            data: Vec::new(),
            total: 0,
            limit,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.limit.saturating_sub(self.data.len());
        self.data.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    pub fn truncated(&self) -> bool {
        self.total > self.data.len() as u64
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// The same output cut to a smaller limit (the audit log keeps less than the screen).
    pub fn capped(&self, limit: usize) -> Captured {
        Captured {
            data: self.data[..self.data.len().min(limit)].to_vec(),
            total: self.total,
            limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_keeps_the_head_and_counts_everything() {
        let mut c = Captured::with_limit(4);
        c.push(b"abc");
        c.push(b"defg");
        assert_eq!(c.data, b"abcd");
        assert_eq!(c.total, 7);
        assert!(c.truncated());
        assert_eq!(c.capped(2).data, b"ab");
        assert!(!Captured::with_limit(4).truncated());
    }
}
