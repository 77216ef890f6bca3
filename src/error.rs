//! The binary's one error type: what stops an operation before or outside the per-host work
//! (a host that fails is data, not an `Error`). It sits on top: it names each layer's error
//! type and maps it to an exit status; the layers below return their own types, never this one.

use crate::audit::AuditError;
use crate::audit::forward::{DestinationError, ForwardError};
use crate::audit::seal::{BadEpoch, SealError};
use crate::cli::Misplaced;
use crate::inventory::InventoryError;
use crate::inventory::pattern::PatternError;
use crate::manifest::ManifestError;
use crate::quantity::{BadAmount, BadDuration, BadSize, BadTime};
use crate::resolve::ResolveError;
use crate::status::Exit;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error(transparent)]
    Pattern(#[from] PatternError),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error("audit log: {0}")]
    Audit(#[from] AuditError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Records that will not reach a forwarding destination.
    #[error("audit forwarding: {0}")]
    Forward(#[from] ForwardError),
    /// `--audit-required` and a record did not reach a destination: hosts were held back.
    #[error("audit forwarding is required, and {source}: {}", held_back(*hosts, *not_started))]
    ForwardRequired {
        source: ForwardError,
        hosts: usize,
        not_started: usize,
    },
    /// `hostctl man DIR` could not write its pages.
    #[error("cannot write man pages into `{}`: {source}", dir.display())]
    ManPages {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    OptionAfterCommand(#[from] Misplaced),
}

/// What the command line asks for, or the local state it names, that hostctl refuses before it
/// contacts any host (exit 2). One enum, nested in [`Error::Usage`], because they share that
/// exit status and that moment; each variant carries the offending values.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("the command is empty")]
    EmptyCommand,
    #[error("pattern `{pattern}` selects no hosts")]
    NoHostsSelected { pattern: String },
    /// A flag's value its parser refused; the reason names the value.
    #[error("{flag}: {reason}")]
    BadValue { flag: String, reason: ValueError },
    #[error("--mode: `{mode}` is not an octal file mode like 0644")]
    BadMode { mode: String },
    #[error("--older-than: invalid age `{age}` (examples: `90d`, `12w`)")]
    BadAge { age: String },
    #[error("--verify-key: {0}")]
    VerifyKey(#[source] SealError),
    #[error(
        "--audit-required: no destination to require (add --audit-forward URL or `[audit] forward` in the inventory)"
    )]
    NothingToRequire,
    #[error("remote path `{}` must be non-empty UTF-8", path.display())]
    BadRemotePath { path: PathBuf },
    /// The local side of a push.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("cannot pull `{path}`: name a file or directory below /")]
    PullRoot { path: String },
    #[error("cannot pull `{path}`: its last component is `.` or `..`; name the directory itself")]
    PullDotName { path: String },
    #[error("`{path}` exists and is not a directory")]
    NotADirectory { path: String },
    #[error("--out-dir `{}`: {source}", dir.display())]
    OutDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("-I/--stdin: cannot read stdin: {source}")]
    StdinUnreadable { source: std::io::Error },
    #[error("-I/--stdin: more than {max_mib} MiB on stdin; push the file and run it instead")]
    StdinTooLarge { max_mib: u64 },
    #[error("{flag}: cannot read the password: {source}")]
    PasswordUnreadable {
        flag: String,
        source: std::io::Error,
    },
    /// `log verify`, `log forward`, `log prune`.
    #[error("no audit log at `{}`", dir.display())]
    NoLog { dir: PathBuf },
    /// The commands that read the log (`log`, `log show`, `log diff`) say where it is looked for.
    #[error("no audit log at `{}` (set --log-dir or HOSTCTL_LOG_DIR)", dir.display())]
    NoLogToRead { dir: PathBuf },
    #[error("no operation `{id}` in the log")]
    NoOperation { id: String },
    #[error(
        "`{id}` matches more than one operation ({}, ...); give more of the id",
        matches.join(", ")
    )]
    AmbiguousId { id: String, matches: Vec<String> },
    #[error("cannot write `{}`: {source}", path.display())]
    CannotWrite {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Why a flag's value was refused: the error of the parser that read it.
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    #[error(transparent)]
    Duration(#[from] BadDuration),
    #[error(transparent)]
    Size(#[from] BadSize),
    #[error(transparent)]
    Amount(#[from] BadAmount),
    #[error(transparent)]
    Time(#[from] BadTime),
    #[error(transparent)]
    Epoch(#[from] BadEpoch),
    #[error(transparent)]
    Destination(#[from] DestinationError),
}

fn held_back(hosts: usize, not_started: usize) -> String {
    match not_started {
        0 => "every host had already started".into(),
        n if n == hosts => "no host was contacted".into(),
        n => format!("{n} of {hosts} hosts were not started"),
    }
}

impl Error {
    /// The process exit status for this error.
    pub fn code(&self) -> u8 {
        match self {
            Error::Audit(_) | Error::Forward(_) | Error::ForwardRequired { .. } => Exit::Audit,
            _ => Exit::Usage,
        }
        .code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(msg: &str) -> std::io::Error {
        std::io::Error::other(msg.to_string())
    }

    /// Every usage error with sample values, its whole message and its exit status: the
    /// messages are part of hostctl's interface (scripts and tests match them). Each expected
    /// text is what the `format!` at its site produced before these variants existed.
    #[test]
    fn usage_errors_say_exactly_this() {
        use UsageError::*;
        let dir = PathBuf::from("/var/log/hostctl");
        let cases: Vec<(UsageError, &str)> = vec![
            (
                StdinUnreadable {
                    source: io("broken pipe"),
                },
                "-I/--stdin: cannot read stdin: broken pipe",
            ),
            (
                StdinTooLarge { max_mib: 64 },
                "-I/--stdin: more than 64 MiB on stdin; push the file and run it instead",
            ),
            (
                PasswordUnreadable {
                    flag: "--ask-become-pass".into(),
                    source: io("no tty"),
                },
                "--ask-become-pass: cannot read the password: no tty",
            ),
            (
                OutDir {
                    dir: PathBuf::from("out/x"),
                    source: io("permission denied"),
                },
                "--out-dir `out/x`: permission denied",
            ),
            (
                NoLogToRead { dir: dir.clone() },
                "no audit log at `/var/log/hostctl` (set --log-dir or HOSTCTL_LOG_DIR)",
            ),
            (
                NoLog { dir: dir.clone() },
                "no audit log at `/var/log/hostctl`",
            ),
            (
                NoOperation { id: "1a2b".into() },
                "no operation `1a2b` in the log",
            ),
            (
                AmbiguousId {
                    id: "1a".into(),
                    matches: vec!["1a20cc58".into(), "1a2f3300".into()],
                },
                "`1a` matches more than one operation (1a20cc58, 1a2f3300, ...); give more of the id",
            ),
            (
                CannotWrite {
                    path: PathBuf::from("week.html"),
                    source: io("disk full"),
                },
                "cannot write `week.html`: disk full",
            ),
            (EmptyCommand, "the command is empty"),
            (
                BadRemotePath {
                    path: PathBuf::from(""),
                },
                "remote path `` must be non-empty UTF-8",
            ),
            (
                BadMode {
                    mode: "0999".into(),
                },
                "--mode: `0999` is not an octal file mode like 0644",
            ),
            (
                PullRoot { path: "//".into() },
                "cannot pull `//`: name a file or directory below /",
            ),
            (
                PullDotName {
                    path: "/etc/..".into(),
                },
                "cannot pull `/etc/..`: its last component is `.` or `..`; name the directory itself",
            ),
            (
                NotADirectory { path: "got".into() },
                "`got` exists and is not a directory",
            ),
            (
                BadValue {
                    flag: "--batch".into(),
                    reason: BadAmount { text: "0".into() }.into(),
                },
                "--batch: invalid amount `0` (examples: `5`, `25%`)",
            ),
            (
                NothingToRequire,
                "--audit-required: no destination to require (add --audit-forward URL or `[audit] forward` in the inventory)",
            ),
            (
                NoHostsSelected {
                    pattern: "web,&db".into(),
                },
                "pattern `web,&db` selects no hosts",
            ),
            (
                BadAge { age: "soon".into() },
                "--older-than: invalid age `soon` (examples: `90d`, `12w`)",
            ),
            (
                Manifest(ManifestError::DirWithoutRecursive {
                    path: PathBuf::from("site"),
                }),
                "`site` is a directory (use -r to copy it)",
            ),
            (
                VerifyKey(SealError::NotAKey {
                    path: PathBuf::from("audit.key"),
                }),
                "--verify-key: `audit.key`: not a hostctl verification key (it starts with `hostctl-seal-v1:`)",
            ),
            (
                BadValue {
                    flag: "--timeout".into(),
                    reason: BadDuration {
                        text: "soon".into(),
                    }
                    .into(),
                },
                "--timeout: invalid duration `soon` (examples: `10s`, `1m30s`, `500ms`)",
            ),
        ];
        for (usage, text) in cases {
            let error = Error::from(usage);
            assert_eq!(error.to_string(), text);
            assert_eq!(error.code(), Exit::Usage.code(), "{text}");
        }
    }

    /// What each layer's own error exits with once it is an `Error`.
    #[test]
    fn each_layer_exits_with_its_status() {
        let undelivered = || ForwardError::Undelivered {
            url: "syslog+tcp://logs:514".into(),
            reason: "connection refused".into(),
        };
        let misplaced = Misplaced {
            options: vec!["-b".into()],
            as_options: "hostctl run -b ls".into(),
            as_command: "hostctl run -- ls -b".into(),
        };
        let cases: Vec<(Error, Exit)> = vec![
            (misplaced.into(), Exit::Usage),
            (
                PatternError::NoMatch { term: "x*".into() }.into(),
                Exit::Usage,
            ),
            (
                ResolveError::TooDeep { host: "x".into() }.into(),
                Exit::Usage,
            ),
            (io("x").into(), Exit::Usage),
            (
                AuditError::Open {
                    path: PathBuf::from("logs"),
                    source: io("denied"),
                }
                .into(),
                Exit::Audit,
            ),
            (undelivered().into(), Exit::Audit),
            (
                Error::ForwardRequired {
                    source: undelivered(),
                    hosts: 2,
                    not_started: 2,
                },
                Exit::Audit,
            ),
        ];
        for (error, exit) in cases {
            assert_eq!(error.code(), exit.code(), "{error}");
        }
    }
}
