//! Consumers of events that write for people or scripts: blocks per host (default), live
//! prefixed lines (`--stream`), JSON lines (`--json`). Plus the summary every run ends with.

mod json;
mod outdir;
mod text;

pub use json::JsonRenderer;
pub use outdir::OutDir;
pub use text::{BlockRenderer, StreamRenderer};

use crate::event::{Bucket, Event, HostOutcome};
use crate::plan::{OutputMode, Plan};
use crate::status::Exit;
use std::time::Duration;

pub trait Renderer {
    fn event(&mut self, plan: &Plan, event: &Event);
    fn finish(&mut self, plan: &Plan, summary: &Summary);
}

pub fn for_plan(plan: &Plan, op_id: &str) -> Box<dyn Renderer> {
    match plan.output {
        OutputMode::Blocks => Box::new(BlockRenderer::new(plan, plan.gather)),
        OutputMode::Stream => Box::new(StreamRenderer::new(plan)),
        OutputMode::Json => Box::new(JsonRenderer::new(op_id)),
    }
}

/// Counts per bucket, and the exit status they add up to.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub hosts: usize,
    pub ok: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub unreachable: usize,
    pub skipped: usize,
    pub interrupted: bool,
    /// `--max-fail` stopped the run: some hosts were never started.
    pub stopped: bool,
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
        match outcome.status.bucket() {
            Bucket::Ok => self.ok += 1,
            Bucket::Failed => self.failed += 1,
            Bucket::Unreachable => self.unreachable += 1,
            Bucket::Skipped => self.skipped += 1,
        }
        if outcome.status == crate::event::Status::Unchanged {
            self.unchanged += 1;
        }
    }

    /// The exit status these results add up to.
    pub fn exit(&self) -> Exit {
        if self.interrupted {
            return Exit::Interrupted;
        }
        if self.stopped {
            return Exit::Stopped;
        }
        match (self.failed > 0, self.unreachable > 0) {
            (false, false) => Exit::Ok,
            (true, false) => Exit::Failed,
            (false, true) => Exit::Unreachable,
            (true, true) => Exit::FailedAndUnreachable,
        }
    }

    pub fn exit_code(&self) -> u8 {
        self.exit().code()
    }

    /// `6 hosts: 4 ok, 1 failed, 1 unreachable in 2.31s`
    pub fn line(&self) -> String {
        let mut parts = vec![format!("{} ok", self.ok)];
        if self.unchanged > 0 {
            parts[0] = format!("{} ok ({} unchanged)", self.ok, self.unchanged);
        }
        parts.push(format!("{} failed", self.failed));
        parts.push(format!("{} unreachable", self.unreachable));
        if self.skipped > 0 {
            parts.push(format!("{} skipped", self.skipped));
        }
        let mut line = format!(
            "{} host{}: {} in {}",
            self.hosts,
            if self.hosts == 1 { "" } else { "s" },
            parts.join(", "),
            seconds(self.elapsed)
        );
        if self.interrupted {
            line.push_str(" (interrupted)");
        } else if self.stopped {
            line.push_str(" (stopped by --max-fail)");
        }
        line
    }
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

    #[test]
    fn exit_codes_follow_the_buckets() {
        let mut s = Summary::new(3);
        assert_eq!(s.exit_code(), 0);
        s.failed = 1;
        assert_eq!(s.exit_code(), 1);
        s.unreachable = 1;
        assert_eq!(s.exit_code(), 5);
        s.failed = 0;
        assert_eq!(s.exit_code(), 4);
        s.interrupted = true;
        assert_eq!(s.exit_code(), 130);
    }

    #[test]
    fn summary_line_and_sizes() {
        let s = Summary {
            hosts: 6,
            ok: 4,
            failed: 1,
            unreachable: 1,
            elapsed: Duration::from_millis(2310),
            ..Summary::default()
        };
        assert_eq!(s.line(), "6 hosts: 4 ok, 1 failed, 1 unreachable in 2.31s");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 << 20), "3.0 MiB");
    }
}
