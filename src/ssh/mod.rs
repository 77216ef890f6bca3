//! The only place that touches `ssh2`: connect, verify host keys, authenticate, run commands
//! and move bytes. Each `Connection` lives on one thread; nothing here prints.

mod agent;
mod exec;
mod host_cert;
mod keys;
pub mod known_hosts;
mod pubkey;
mod route;
mod session;
mod tunnel;
mod user_cert;

pub use exec::ExitStatus;
pub use route::Reach;
pub use session::{Connection, Credentials};
pub use tunnel::Bastions;

use crate::event::FailureKind;
use std::path::PathBuf;
use std::time::Duration;

/// Everything needed to reach one host.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    /// Empty: the usual `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa` that exist.
    pub identity_files: Vec<PathBuf>,
    /// User certificates, each offered with the identity file whose key it certifies. Empty:
    /// each identity file's `<identity>-cert.pub`, when there is one.
    pub certificate_files: Vec<PathBuf>,
    /// `IdentitiesOnly yes`: offer only the identity and certificate files, and agent keys
    /// that are theirs, as ssh does.
    pub identities_only: bool,
    pub known_hosts: PathBuf,
    pub connect_timeout: Duration,
    /// Keepalive interval, so idle NAT and firewalls keep long, quiet commands connected.
    pub keepalive: Duration,
    /// Record unknown host keys (`--accept-new`, or ssh_config `StrictHostKeyChecking`).
    pub accept_new: bool,
    /// Jump hosts, first hop first; reached in turn, each verified like any host.
    pub jump: Vec<Target>,
}

/// Why a host could not be worked with.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub kind: FailureKind,
    pub reason: String,
}

impl Failure {
    pub fn new(kind: FailureKind, reason: impl Into<String>) -> Failure {
        Failure {
            kind,
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Quotes `s` for a POSIX shell: safe for any bytes a file name can hold.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn shell_quote_survives_quotes_and_spaces() {
        assert_eq!(super::shell_quote("a b"), "'a b'");
        assert_eq!(super::shell_quote("it's"), r"'it'\''s'");
        assert_eq!(super::shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
    }
}
