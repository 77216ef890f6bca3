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
