//! Consumers of events that write for people or scripts: blocks per host (default), live
//! prefixed lines (`--stream`), JSON lines (`--json`). Plus the summary every run ends with.
//! They write to the writers they are handed (`Out`), never to the process's own stdout.

mod groups;
mod json;
mod outdir;
mod text;

pub use json::JsonRenderer;
pub use outdir::OutDir;
pub use text::{BlockRenderer, StreamRenderer, Work};

use crate::event::{Event, HostOutcome};
use crate::status::{Counts, Exit};
use std::io::Write;
use std::time::Duration;

/// Where a renderer writes: hostctl's stdout and stderr for the command line, buffers in
/// tests. Write errors are ignored: a closed pipe (`| head`) is not worth dying over mid-run.
pub struct Out<'a> {
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
}

pub trait Renderer {
    /// Whether it shows output as it arrives, and so needs `Output` events.
    fn wants_output(&self) -> bool {
        false
    }
    fn event(&mut self, event: &Event, out: &mut Out);
    fn finish(&mut self, summary: &Summary, out: &mut Out);
}

/// Hosts per status, and the exit status they add up to.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub hosts: usize,
    pub counts: Counts,
    pub interrupted: bool,
    /// `--max-fail` stopped the run: some hosts were never started.
    pub stopped: bool,
    /// `--max-fail`'s limit, and whether that many hosts did not succeed (even when no host
    /// was left to stop).
    pub max_fail: Option<usize>,
    pub max_fail_reached: bool,
    /// A record could not be written to the audit log.
    pub audit_failed: bool,
    pub elapsed: Duration,
}

impl Summary {
    pub fn new(hosts: usize) -> Summary {
        Summary {
            hosts,
            ..Summary::default()
        }
    }

    pub fn add(&mut self, outcome: &HostOutcome) {
        self.counts.add(outcome.status.kind());
    }

    /// The exit status these results add up to.
    pub fn exit(&self) -> Exit {
        match self.audit_failed {
            true => Exit::Audit,
            false => Exit::for_run(&self.counts, self.interrupted, self.stopped),
        }
    }

    pub fn exit_code(&self) -> u8 {
        self.exit().code()
    }

    /// `6 hosts: 4 ok, 1 failed, 1 unreachable in 2.31s`: each status that is not zero.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} host{}: {} in {}",
            self.hosts,
            if self.hosts == 1 { "" } else { "s" },
            self.counts.describe(),
            seconds(self.elapsed)
        );
        if self.interrupted {
            line.push_str(" (interrupted)");
        } else if self.stopped {
            line.push_str(" (stopped by --max-fail)");
        } else if let Some(limit) = self.max_fail.filter(|_| self.max_fail_reached) {
            line.push_str(&format!(
                " (--max-fail {limit} reached when every host had started: nothing was stopped)"
            ));
        }
        line
    }
}

/// A note for the operator on stderr, outside the results (so `--json` stays clean).
pub fn note(stderr: &mut dyn Write, text: &str) {
    let _ = writeln!(stderr, "hostctl: note: {text}");
}

/// Text a host chose (a file name, a message in a reason) as hostctl's own lines show it on a
/// terminal: control characters escaped (`\u{1b}`), so a host can never send the terminal a
/// command (retitle it, clear it, rewrite what was printed above). Host output itself is
/// printed raw, as ssh prints it.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    text.chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect::<String>()
        .into()
}

pub fn seconds(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

/// `1.0 MiB`
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::HostStatus;

    #[test]
    fn summary_line_and_sizes() {
        let mut s = Summary {
            hosts: 6,
            elapsed: Duration::from_millis(2310),
            ..Summary::default()
        };
        for status in [HostStatus::Ok; 4] {
            s.counts.add(status);
        }
        s.counts.add(HostStatus::Failed);
        s.counts.add(HostStatus::Unreachable);
        assert_eq!(s.line(), "6 hosts: 4 ok, 1 failed, 1 unreachable in 2.31s");
        s.interrupted = true;
        s.counts.add(HostStatus::Aborted);
        assert_eq!(
            s.line(),
            "6 hosts: 4 ok, 1 failed, 1 unreachable, 1 aborted in 2.31s (interrupted)"
        );
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 << 20), "3.0 MiB");
    }

    #[test]
    fn visible_escapes_what_a_terminal_would_obey() {
        assert_eq!(
            visible("a\u{1b}]0;x\u{7}b\r\n"),
            "a\\u{1b}]0;x\\u{7}b\\r\\n"
        );
        assert_eq!(visible("café `it's` fine"), "café `it's` fine");
        assert_eq!(visible("del\u{7f} c1\u{9b}"), "del\\u{7f} c1\\u{9b}");
    }
}
