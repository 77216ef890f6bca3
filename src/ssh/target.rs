//! What a connection is asked to reach (`Target`), and why it could not (`Failure`): the
//! words every part of `ssh/` and its callers share.

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
