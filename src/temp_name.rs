//! Names for hidden temporaries. A file is written under one beside its final name and then
//! renamed into place, so the final name never holds a partial file. Every temporary hostctl
//! makes, on a host or on the controller, is named `.NAME.hostctl-PID-UNIQUE.tmp`, so one left
//! behind by a killed run says whose it is.

use std::fmt::Display;
use std::sync::atomic::{AtomicU64, Ordering};

/// `.NAME.hostctl-PID-UNIQUE.tmp` beside `name`; without `name` (where no name may be derived
/// from what a host sent, and a 255-byte name must still have a temporary),
/// `.hostctl-PID-UNIQUE.tmp`.
pub fn hidden(name: Option<&str>, unique: impl Display) -> String {
    let pid = std::process::id();
    match name {
        Some(name) => format!(".{name}.hostctl-{pid}-{unique}.tmp"),
        None => format!(".hostctl-{pid}-{unique}.tmp"),
    }
}

/// A number this process has not handed out before: unique within the process.
pub fn next() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_are_hidden_and_say_whose_they_are() {
        let pid = std::process::id();
        assert_eq!(
            hidden(Some("app.conf"), "web01-1f"),
            format!(".app.conf.hostctl-{pid}-web01-1f.tmp")
        );
        assert_eq!(hidden(None, 7), format!(".hostctl-{pid}-7.tmp"));
        let (a, b) = (next(), next());
        assert!(b > a);
    }
}
