//! The audit log's record types: one JSON object per line, each carrying the hash of the line
//! before it (`prev`), so any edit, deletion or reordering breaks the chain.

use crate::event::{HostOutcome, TransferReport};
use serde::{Deserialize, Serialize};

/// `prev` of the first record of a log directory.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One line of the log as stored. `prev` comes first so a reader can check the chain
/// without parsing the rest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Line {
    pub prev: String,
    pub time: String,
    #[serde(flatten)]
    pub record: Record,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// Written before any host is contacted.
    Start(Start),
    /// One per host, as each finishes.
    Host(HostResult),
    /// Written when the operation ends; its absence means the run was killed.
    End(End),
    /// The writer found a truncated last line (a crash mid-write) and continued after it.
    Segment { reason: String },
    /// `log prune` removed whole daily files; the oldest remaining record carries
    /// `first_prev` as its `prev`, which `log verify` accepts as the chain's new start.
    Prune(Prune),
    /// The writer found the head anchor missing (`head` null) or naming another line than the
    /// last one on disk (`last`): the newest records were removed or edited since the last
    /// write. Recorded so that moving the anchor on does not hide it; `log verify` fails here.
    Anchor { head: Option<String>, last: String },
    /// A record could not be written (a full disk): hostctl stopped starting hosts, wrote
    /// nothing more, then used the space set aside at the start for this and the end record.
    Incomplete(Incomplete),
    /// `hostctl log seal init`: every record from this one on is sealed (`seal.rs`); sealed
    /// itself with the verification key named by `key_id`.
    SealInit(SealInit),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealInit {
    pub operator: String,
    /// Names the verification key (a digest of it, not the key).
    pub key_id: String,
    /// When the key steps: a duration (`15m`) or `operation`.
    pub epochs: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Incomplete {
    pub op: String,
    /// The write error.
    pub reason: String,
    /// Hosts that ran but whose records were not written: their status, without output.
    pub hosts: Vec<Brief>,
}

/// A host's result in short.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Brief {
    pub host: String,
    pub status: String,
    #[serde(default)]
    pub exit_code: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prune {
    pub operator: String,
    pub older_than: String,
    pub removed: Vec<String>,
    pub first_prev: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Start {
    pub op: String,
    /// `user@machine` that ran hostctl.
    pub operator: String,
    /// Its process id, so `log list` can tell a running operation from a killed one.
    #[serde(default)]
    pub pid: u32,
    /// The full command line.
    pub argv: Vec<String>,
    pub cwd: String,
    pub inventory: String,
    /// `run`, `push` or `pull`.
    pub operation: String,
    pub pattern: String,
    pub hosts: Vec<String>,
    /// Every group those hosts belonged to, as the inventory said at the time.
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// `run -I`: what the command was given on stdin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<InputDigest>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// The pattern's `@` terms (`@last:failed`): which operation each was read from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub selected_from: Vec<Selected>,
}

/// One `@` term (`@last:failed`) and the operation it was read from (`select.rs`), for the
/// start record and `--dry-run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selected {
    pub term: String,
    pub op: String,
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputDigest {
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostResult {
    pub op: String,
    pub host: String,
    pub address: String,
    pub status: String,
    #[serde(default)]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: u64,
    /// When the host finished, since the operation started (so its start is this minus
    /// `duration_ms`): the report's timeline. Absent in records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_ms: Option<u64>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub stdout: Output,
    pub stderr: Output,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<TransferReport>,
}

/// Captured output: the kept text, how many bytes there were in all, and whether it was cut.
/// With `--no-log-output` the text is withheld and the SHA-256 of the whole stream kept instead.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Output {
    pub text: String,
    pub bytes: u64,
    pub truncated: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// How the operation ended: hosts per status (one field per status name; records written
/// before `changed`, `unchanged`, `timeout` and `aborted` existed hold only `ok`, `failed`,
/// `unreachable` and `skipped`, and still read), and the exit status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct End {
    pub op: String,
    #[serde(flatten)]
    pub counts: crate::status::Counts,
    pub interrupted: bool,
    pub exit_code: i32,
    pub duration_ms: u64,
}

/// The audit log keeps less output than the screen: enough to see what happened.
pub const AUDIT_OUTPUT_LIMIT: usize = 64 * 1024;

impl HostResult {
    pub fn new(op: &str, host: &str, address: &str, outcome: &HostOutcome) -> HostResult {
        let output = |c: &crate::event::Captured| {
            let kept = c.capped(AUDIT_OUTPUT_LIMIT);
            Output {
                text: kept.text(),
                bytes: kept.total,
                truncated: kept.truncated(),
                ..Output::default()
            }
        };
        let (signal, reason) = match &outcome.status {
            crate::event::Status::Failed { signal, .. } => {
                (signal.clone(), outcome.status.reason())
            }
            _ => (None, outcome.status.reason()),
        };
        HostResult {
            op: op.to_string(),
            host: host.to_string(),
            address: address.to_string(),
            status: outcome.status.name().to_string(),
            exit_code: outcome.status.exit_code(),
            signal,
            reason,
            duration_ms: outcome.duration.as_millis() as u64,
            finished_ms: None,
            bytes_in: outcome.bytes_in,
            bytes_out: outcome.bytes_out,
            stdout: output(&outcome.stdout),
            stderr: output(&outcome.stderr),
            transfer: outcome.transfer.clone(),
        }
    }
}

impl HostResult {
    /// `--no-log-output`: keeps each stream's size and the SHA-256 of all of it, not its text.
    pub fn withhold_output(&mut self, [stdout, stderr]: [String; 2]) {
        for (output, sha256) in [(&mut self.stdout, stdout), (&mut self.stderr, stderr)] {
            output.text.clear();
            output.truncated = false;
            output.withheld = true;
            output.sha256 = Some(sha256);
        }
    }

    pub fn brief(&self) -> Brief {
        Brief {
            host: self.host.clone(),
            status: self.status.clone(),
            exit_code: self.exit_code,
        }
    }
}
