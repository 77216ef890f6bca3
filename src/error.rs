//! The binary's one error type: what stops an operation before or outside the per-host work
//! (a host that fails is data, not an `Error`).

use crate::audit::AuditError;
use crate::audit::forward::ForwardError;
use crate::inventory::{InventoryError, PatternError};
use crate::resolve::ResolveError;
use crate::status::Exit;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error(transparent)]
    Pattern(#[from] PatternError),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error("{0}")]
    Usage(String),
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
    #[error("{}", misplaced(.0))]
    OptionAfterCommand(crate::cli::Misplaced),
}

fn held_back(hosts: usize, not_started: usize) -> String {
    match not_started {
        0 => "every host had already started".into(),
        n if n == hosts => "no host was contacted".into(),
        n => format!("{n} of {hosts} hosts were not started"),
    }
}

fn misplaced(m: &crate::cli::Misplaced) -> String {
    let list: Vec<String> = m.options.iter().map(|o| format!("`{o}`")).collect();
    let (list, is) = match list.len() {
        1 => (list[0].clone(), "is also an option of hostctl"),
        _ => (list.join(", "), "are also options of hostctl"),
    };
    format!(
        "{list} after the command {is}; nothing was run\n  \
         as hostctl's option:      {}\n  \
         as part of the command:   {}\n\
         put the option before the command, or after `--` to pass it to the remote command",
        m.as_options, m.as_command
    )
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
    use std::path::PathBuf;

    fn io(msg: &str) -> std::io::Error {
        std::io::Error::other(msg.to_string())
    }

    /// Every usage error with sample values, its whole message and its exit status: the
    /// messages are part of hostctl's interface (scripts and tests match them).
    #[test]
    fn usage_errors_say_exactly_this() {
        let dir = PathBuf::from("/var/log/hostctl");
        let cases: Vec<(Error, &str)> = vec![
            (
                Error::Usage(format!("-I/--stdin: cannot read stdin: {}", io("broken pipe"))),
                "-I/--stdin: cannot read stdin: broken pipe",
            ),
            (
                Error::Usage(format!(
                    "-I/--stdin: more than {} MiB on stdin; push the file and run it instead",
                    (64u64 << 20) >> 20
                )),
                "-I/--stdin: more than 64 MiB on stdin; push the file and run it instead",
            ),
            (
                Error::Usage(format!(
                    "{}: cannot read the password: {}",
                    "--ask-become-pass",
                    io("no tty")
                )),
                "--ask-become-pass: cannot read the password: no tty",
            ),
            (
                Error::Usage(format!(
                    "--out-dir `{}`: {}",
                    PathBuf::from("out/x").display(),
                    io("permission denied")
                )),
                "--out-dir `out/x`: permission denied",
            ),
            (
                Error::Usage(format!(
                    "no audit log at `{}` (set --log-dir or HOSTCTL_LOG_DIR)",
                    dir.display()
                )),
                "no audit log at `/var/log/hostctl` (set --log-dir or HOSTCTL_LOG_DIR)",
            ),
            (
                Error::Usage(format!("no audit log at `{}`", dir.display())),
                "no audit log at `/var/log/hostctl`",
            ),
            (
                Error::Usage(format!("no operation `{}` in the log", "1a2b")),
                "no operation `1a2b` in the log",
            ),
            (
                Error::Usage(format!(
                    "`{}` matches more than one operation ({}, ...); give more of the id",
                    "1a",
                    ["1a20cc58", "1a2f3300"].join(", ")
                )),
                "`1a` matches more than one operation (1a20cc58, 1a2f3300, ...); give more of the id",
            ),
            (
                Error::Usage(format!(
                    "cannot write `{}`: {}",
                    PathBuf::from("week.html").display(),
                    io("disk full")
                )),
                "cannot write `week.html`: disk full",
            ),
            (
                Error::Usage("the command is empty".into()),
                "the command is empty",
            ),
            (
                Error::Usage(format!(
                    "remote path `{}` must be non-empty UTF-8",
                    PathBuf::from("").display()
                )),
                "remote path `` must be non-empty UTF-8",
            ),
            (
                Error::Usage(format!(
                    "--mode: `{}` is not an octal file mode like 0644",
                    "0999"
                )),
                "--mode: `0999` is not an octal file mode like 0644",
            ),
            (
                Error::Usage(format!(
                    "cannot pull `{}`: name a file or directory below /",
                    "//"
                )),
                "cannot pull `//`: name a file or directory below /",
            ),
            (
                Error::Usage(format!(
                    "cannot pull `{}`: its last component is `.` or `..`; name the directory itself",
                    "/etc/.."
                )),
                "cannot pull `/etc/..`: its last component is `.` or `..`; name the directory itself",
            ),
            (
                Error::Usage(format!("`{}` exists and is not a directory", "got")),
                "`got` exists and is not a directory",
            ),
            (
                Error::Usage(format!("{}: {}", "--batch", "`0` must be at least 1")),
                "--batch: `0` must be at least 1",
            ),
            (
                Error::Usage(
                    "--audit-required: no destination to require (add --audit-forward URL or `[audit] forward` in the inventory)".into(),
                ),
                "--audit-required: no destination to require (add --audit-forward URL or `[audit] forward` in the inventory)",
            ),
            (
                Error::Usage(format!("pattern `{}` selects no hosts", "web,&db")),
                "pattern `web,&db` selects no hosts",
            ),
            (
                Error::Usage(format!(
                    "--older-than: invalid age `{}` (examples: `90d`, `12w`)",
                    "soon"
                )),
                "--older-than: invalid age `soon` (examples: `90d`, `12w`)",
            ),
            (
                Error::Usage(
                    crate::ops::transfer::ManifestError::DirWithoutRecursive {
                        path: PathBuf::from("site"),
                    }
                    .to_string(),
                ),
                "`site` is a directory (use -r to copy it)",
            ),
            (
                Error::Usage(format!(
                    "--verify-key: {}",
                    crate::audit::seal::SealError::NotAKey {
                        path: PathBuf::from("audit.key"),
                    }
                )),
                "--verify-key: `audit.key`: not a hostctl verification key (it starts with `hostctl-seal-v1:`)",
            ),
            (
                Error::Usage(format!(
                    "{}: {}",
                    "--timeout", "invalid duration `soon` (examples: `10s`, `1m30s`, `500ms`)"
                )),
                "--timeout: invalid duration `soon` (examples: `10s`, `1m30s`, `500ms`)",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
            assert_eq!(error.code(), Exit::Usage.code(), "{text}");
        }
    }
}
