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
mod target;
mod tunnel;
mod user_cert;

pub use exec::ExitStatus;
pub use route::Reach;
pub use session::{Connection, Credentials};
pub use target::{Failure, Target};
pub use tunnel::Bastions;

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
