//! The summary every run ends with: hosts per status, and the exit status they add up to.

use crate::event::HostOutcome;
use crate::show::seconds;
use crate::status::{Counts, Exit};
use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::show::bytes;
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
}
