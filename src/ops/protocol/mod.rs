//! The host-side shell protocol: every script push and pull send to a host, and the replies
//! hostctl accepts from them. Scripts are built here from values hostctl chose (paths,
//! sizes, digests), every path single-quoted, so no file name can inject commands. Replies are
//! parsed here from bytes: nothing a host sends is trusted, and anything a script cannot have
//! printed is refused (`None`, or a reason), never a panic.
//!
//! The hosts need a POSIX sh and GNU coreutils (cat, head, sha256sum, stat, tee, mv -T, ln -T,
//! dirname, readlink) and GNU find.
//! Hashing on the host prefers `openssl dgst` when installed: coreutils' SHA-256 does not use
//! the CPU's SHA instructions and measured 4.6x slower (0.23 s against 0.05 s for 64 MiB),
//! the largest single cost of a push on the host.

pub mod pull;
pub mod push;

use crate::ssh::ExitStatus;

/// Shell function `h`: SHA-256 of stdin as 64 hex digits, with OpenSSL's fast path if present.
pub const SHA256_FN: &str = "h() { if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r | cut -c1-64; \
     else sha256sum | cut -c1-64; fi; }\n";

/// The last non-empty stderr line, without the `sh: 1: ` noise, or the exit status.
pub fn reason_from(stderr: &[u8], exit: &ExitStatus) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().rev().map(str::trim).find(|l| !l.is_empty());
    match line {
        Some(l) => l
            .trim_start_matches("sh: 1: ")
            .trim_start_matches("sh: ")
            .to_string(),
        None => match (&exit.code, &exit.signal) {
            (_, Some(sig)) => format!("killed by signal {sig}"),
            (Some(code), _) => format!("exit {code}"),
            _ => "no exit status".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit(code: Option<i32>, signal: Option<&str>) -> ExitStatus {
        ExitStatus {
            code,
            signal: signal.map(String::from),
            bytes_in: 0,
            bytes_out: 0,
        }
    }

    /// A failed step's reason: the host's last non-empty stderr line without the shell's
    /// prefix, else the exit status.
    #[test]
    fn the_reason_is_the_last_words_on_stderr_or_the_exit_status() {
        let failed = exit(Some(1), None);
        assert_eq!(
            reason_from(b"sh: 1: cannot create /x: Permission denied\n", &failed),
            "cannot create /x: Permission denied"
        );
        assert_eq!(
            reason_from(b"sh: /x: Read-only\n\n  \n", &failed),
            "/x: Read-only"
        );
        assert_eq!(reason_from(b"first\n  second  \r\n", &failed), "second");
        assert_eq!(reason_from(b"", &failed), "exit 1");
        assert_eq!(
            reason_from(b" \n", &exit(Some(1), Some("KILL"))),
            "killed by signal KILL"
        );
        assert_eq!(reason_from(b"", &exit(None, None)), "no exit status");
        // From a hostile host: bytes that are not UTF-8 are replaced, control characters are
        // kept for the renderer to show visibly, a megabyte line is taken whole (stderr is
        // capped where it is read).
        assert_eq!(reason_from(b"bad \xff\n", &failed), "bad \u{fffd}");
        assert_eq!(reason_from(b"\x1b[2Jx\n", &failed), "\u{1b}[2Jx");
        let long = "e".repeat(1 << 20);
        assert_eq!(reason_from(long.as_bytes(), &failed), long);
    }
}
