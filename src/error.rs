//! The binary's one error type: what stops an operation before or outside the per-host work
//! (a host that fails is data, not an `Error`).

use crate::audit::AuditError;
use crate::inventory::{InventoryError, PatternError};
use crate::resolve::ResolveError;

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
}

impl Error {
    /// The process exit status for this error.
    pub fn code(&self) -> u8 {
        match self {
            Error::Audit(_) => 3,
            _ => 2,
        }
    }
}
