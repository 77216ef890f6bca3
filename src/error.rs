//! The binary's one error type: what stops an operation before or outside the per-host work
//! (a host that fails is data, not an `Error`).

use crate::audit::AuditError;
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
    /// `hostctl man DIR` could not write its pages.
    #[error("cannot write man pages into `{}`: {source}", dir.display())]
    ManPages {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}", misplaced(.0))]
    OptionAfterCommand(crate::cli::Misplaced),
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
            Error::Audit(_) => Exit::Audit,
            _ => Exit::Usage,
        }
        .code()
    }
}
