//! The binary's one error type: what stops an operation before or outside the per-host work
//! (a host that fails is data, not an `Error`).

use crate::audit::AuditError;
use crate::audit::forward::ForwardError;
use crate::inventory::{InventoryError, PatternError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error(transparent)]
    Pattern(#[from] PatternError),
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
    #[error("audit forwarding is required, and {source}: {}", if *not_started == *hosts { "no host was contacted".to_string() } else { format!("{not_started} of {hosts} hosts were not started") })]
    ForwardRequired {
        source: ForwardError,
        hosts: usize,
        not_started: usize,
    },
}

impl Error {
    /// The process exit status for this error.
    pub fn code(&self) -> u8 {
        match self {
            Error::Audit(_) | Error::Forward(_) | Error::ForwardRequired { .. } => 3,
            _ => 2,
        }
    }
}
