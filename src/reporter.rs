//! The one consumer of a run's events. `Reporter` owns everything that reads them (the
//! renderer, the `--out-dir` writer, the status counts and the audit recorder) and hands each
//! event to each in turn, so nothing else in a run looks at events. Only `for_plan`, which
//! builds it for the command line, picks hostctl's stdout and stderr; anything else (tests)
//! hands it writers of its own.

use crate::audit::AuditError;
use crate::audit::forward::ForwardError;
use crate::audit::record::End;
use crate::audit::recorder::Recorder;
use crate::event::{Event, HostEventKind};
use crate::executor::{Consumer, RunEnd};
use crate::plan::{Operation, OutputMode, Plan, PushSpec};
use crate::render::{
    BlockRenderer, JsonRenderer, Out, OutDir, Renderer, StreamRenderer, Summary, Work,
};
use std::io::Write;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

pub struct Reporter<'a> {
    op: String,
    renderer: Box<dyn Renderer>,
    out_dir: Option<OutDir>,
    summary: Summary,
    recorder: Recorder<'a>,
    /// Shared with the executor: set to start no more hosts.
    halt: Arc<OnceLock<String>>,
    /// `--audit-required`: the first record that did not reach its destinations.
    unforwarded: Option<ForwardError>,
    started: Instant,
    stdout: Box<dyn Write>,
    stderr: Box<dyn Write>,
}

/// How the run ended, for the caller to turn into the exit status or an error.
pub struct Finished {
    pub code: u8,
    /// Hosts never started.
    pub skipped: usize,
    /// The closing audit records.
    pub recorded: Result<(), AuditError>,
    pub unforwarded: Option<ForwardError>,
}

/// The pieces a `Reporter` is made of, for `Reporter::new`.
pub struct Parts<'a> {
    pub op: String,
    pub renderer: Box<dyn Renderer>,
    pub out_dir: Option<OutDir>,
    pub summary: Summary,
    pub recorder: Recorder<'a>,
    pub halt: Arc<OnceLock<String>>,
    /// When the operation started (the summary's elapsed time).
    pub started: Instant,
    pub stdout: Box<dyn Write>,
    pub stderr: Box<dyn Write>,
}

impl<'a> Reporter<'a> {
    pub fn new(parts: Parts<'a>) -> Reporter<'a> {
        Reporter {
            op: parts.op,
            renderer: parts.renderer,
            out_dir: parts.out_dir,
            summary: parts.summary,
            recorder: parts.recorder,
            halt: parts.halt,
            unforwarded: None,
            started: parts.started,
            stdout: parts.stdout,
            stderr: parts.stderr,
        }
    }

    /// The reporter for the command line: the renderer `plan` asks for, on hostctl's own
    /// stdout and stderr, with colour and a progress line where those are terminals.
    pub fn for_plan(
        plan: &Plan,
        op: &str,
        recorder: Recorder<'a>,
        started: Instant,
        halt: Arc<OnceLock<String>>,
    ) -> Reporter<'a> {
        use std::io::IsTerminal;
        // anstream's rules: a terminal that takes colour; `NO_COLOR` off, `CLICOLOR_FORCE` on.
        let colour =
            anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
        let work = match &plan.operation {
            Operation::Push(PushSpec { manifest, .. }) => Work::Push {
                bytes: manifest.total_bytes(),
            },
            Operation::Pull(_) => Work::Pull,
            Operation::Run(_) => Work::Run,
        };
        let renderer: Box<dyn Renderer> = match plan.output {
            OutputMode::Blocks => Box::new(BlockRenderer::new(
                plan.targets.len(),
                work,
                plan.gather,
                plan.diff,
                std::io::stderr().is_terminal(),
                colour,
            )),
            OutputMode::Stream => Box::new(StreamRenderer::new(
                plan.targets.iter().map(|t| t.name.as_str()),
                colour,
            )),
            OutputMode::Json => Box::new(JsonRenderer::new(op, plan.diff)),
        };
        let mut summary = Summary::new(plan.targets.len());
        summary.max_fail = plan.max_fail;
        Reporter::new(Parts {
            op: op.to_string(),
            renderer,
            out_dir: plan.out_dir.as_deref().map(OutDir::new),
            summary,
            recorder,
            halt,
            started,
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
        })
    }

    /// Hands one event to each consumer: the renderer, the `--out-dir` files, the counts,
    /// the audit log (which may stop new hosts).
    fn write_event(&mut self, event: Event) {
        let mut out = Out {
            stdout: &mut *self.stdout,
            stderr: &mut *self.stderr,
        };
        self.renderer.event(&event, &mut out);
        if let Some(dir) = &mut self.out_dir {
            dir.event(&event, &mut *self.stderr);
        }
        let Event::Host(e) = &event else { return };
        if let HostEventKind::Finished(outcome) = &e.kind {
            self.summary.add(outcome);
        }
        if !self.recorder.event(e) {
            let _ = self
                .halt
                .set("not started: the audit log could not be written".into());
        }
        // `--audit-required`: this host's record reached every destination before its slot
        // goes to another host, or no other host starts.
        if matches!(e.kind, HostEventKind::Finished(_))
            && self.unforwarded.is_none()
            && let Err(err) = self.recorder.forwarded()
        {
            self.unforwarded = Some(err);
            let _ = self.halt.set(
                "not started: an audit record did not reach its destination (--audit-required)"
                    .into(),
            );
        }
    }

    /// The summary, then the audit log's closing records.
    pub fn finish(mut self, end: RunEnd) -> Finished {
        let s = &mut self.summary;
        s.interrupted = end.interrupted;
        s.stopped = end.stopped;
        s.max_fail_reached = end.max_fail_reached;
        // The audit log failed, or a record it had to forward (`--audit-required`) did not arrive.
        s.audit_failed = self.recorder.failed() || self.unforwarded.is_some();
        s.elapsed = self.started.elapsed();
        let mut out = Out {
            stdout: &mut *self.stdout,
            stderr: &mut *self.stderr,
        };
        self.renderer.finish(&self.summary, &mut out);
        let code = self.summary.exit_code();
        let recorded = self.recorder.finish(End {
            op: self.op,
            counts: self.summary.counts,
            interrupted: self.summary.interrupted,
            exit_code: code as i32,
            duration_ms: self.summary.elapsed.as_millis() as u64,
        });
        Finished {
            code,
            skipped: self.summary.counts.skipped,
            recorded,
            unforwarded: self.unforwarded,
        }
    }
}

impl Consumer for Reporter<'_> {
    /// Live output is wanted by `--stream`, by `--out-dir`'s files, and by
    /// `--no-log-output`'s digests.
    fn wants_output(&self) -> bool {
        self.renderer.wants_output() || self.out_dir.is_some() || self.recorder.wants_output()
    }

    fn event(&mut self, event: Event) {
        self.write_event(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditLog;
    use crate::audit::record::Start;
    use crate::event::{Captured, HostEvent, HostId, HostOutcome, Status};
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;

    /// A writer the test can read after the reporter is done with it.
    #[derive(Clone, Default)]
    struct Buffer(Rc<RefCell<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Buffer {
        fn text(&self) -> String {
            String::from_utf8(self.0.borrow().clone()).unwrap()
        }
    }

    fn event(host: &HostId, kind: HostEventKind) -> Event {
        Event::Host(HostEvent {
            host: host.clone(),
            elapsed: Duration::ZERO,
            kind,
        })
    }

    fn finished(host: &HostId, status: Status, stdout: &str) -> Event {
        let mut outcome = HostOutcome::new(status, Duration::from_millis(250));
        outcome.stdout = Captured::with_limit(1024);
        outcome.stdout.push(stdout.as_bytes());
        event(host, HostEventKind::Finished(Box::new(outcome)))
    }

    /// Every consumer sees the same events: the renderer prints each host's block and the
    /// summary, the counts make the exit status, and the audit log gets the start, one record
    /// per host and the end record with the same counts.
    #[test]
    fn each_event_reaches_the_renderer_the_counts_and_the_audit_log() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::open(dir.path()).unwrap();
        let hosts = [
            HostId::new(0, "web1", "10.0.0.1"),
            HostId::new(1, "web2", "10.0.0.2"),
        ];
        let start = Start {
            op: "op1".into(),
            operation: "run".into(),
            pattern: "web".into(),
            hosts: hosts.iter().map(|h| h.name.to_string()).collect(),
            command: Some("uptime".into()),
            ..Start::default()
        };
        let recorder = Recorder::start(&mut log, start, 2, false).unwrap();
        let (stdout, stderr) = (Buffer::default(), Buffer::default());
        let halt = Arc::new(OnceLock::new());
        let mut reporter = Reporter::new(Parts {
            op: "op1".into(),
            renderer: Box::new(BlockRenderer::new(2, Work::Run, None, false, false, false)),
            out_dir: None,
            summary: Summary::new(2),
            recorder,
            halt: halt.clone(),
            started: Instant::now(),
            stdout: Box::new(stdout.clone()),
            stderr: Box::new(stderr.clone()),
        });
        assert!(!reporter.wants_output(), "blocks alone need no live output");
        for host in &hosts {
            reporter.event(event(host, HostEventKind::Started));
        }
        reporter.event(finished(&hosts[1], Status::Ok, "up 2 days\n"));
        let failed = Status::Failed {
            exit_code: Some(3),
            signal: None,
            reason: None,
        };
        reporter.event(finished(&hosts[0], failed, "no such file\n"));
        let end = reporter.finish(RunEnd {
            interrupted: false,
            stopped: false,
            max_fail_reached: false,
        });

        assert_eq!(end.code, 1);
        assert_eq!(end.skipped, 0);
        assert!(end.recorded.is_ok());
        assert!(halt.get().is_none());
        // Blocks in the order hosts finished, then the summary (its time redacted).
        let text = stdout.text();
        let (blocks, summary) = text.split_at(text.rfind("2 hosts:").unwrap());
        assert_eq!(
            blocks,
            "=== web2: ok, exit 0, 0.25s\nup 2 days\n=== web1: FAILED, exit 3, 0.25s\nno such file\n"
        );
        assert!(
            summary.starts_with("2 hosts: 1 ok, 1 failed in ") && summary.ends_with("s\n"),
            "{summary:?}"
        );
        assert_eq!(stderr.text(), "");
        let records: Vec<serde_json::Value> = crate::audit::read_lines(dir.path())
            .unwrap()
            .iter()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let kinds: Vec<&str> = records
            .iter()
            .map(|r| r["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["start", "host", "host", "end"]);
        assert_eq!(records[1]["host"], "web2");
        assert_eq!(records[2]["host"], "web1");
        assert_eq!(records[2]["status"], "failed");
        assert_eq!(records[3]["ok"], 1);
        assert_eq!(records[3]["failed"], 1);
        assert_eq!(records[3]["exit_code"], 1);
    }

    /// `--stream`, `--out-dir` and `--no-log-output` each ask for live output; the reporter
    /// asks the executor for it when any of them does, and only then.
    #[test]
    fn live_output_is_asked_for_by_the_consumers_that_need_it() {
        fn wants(stream: bool, withhold_output: bool, out_dir: bool) -> bool {
            let dir = tempfile::tempdir().unwrap();
            let mut log = AuditLog::open(dir.path()).unwrap();
            let start = Start {
                op: "op2".into(),
                hosts: vec!["web1".into()],
                ..Start::default()
            };
            let recorder = Recorder::start(&mut log, start, 1, withhold_output).unwrap();
            let renderer: Box<dyn Renderer> = match stream {
                true => Box::new(StreamRenderer::new(["web1"], false)),
                false => Box::new(BlockRenderer::new(1, Work::Run, None, false, false, false)),
            };
            let reporter = Reporter::new(Parts {
                op: "op2".into(),
                renderer,
                out_dir: out_dir.then(|| OutDir::new(&dir.path().join("out"))),
                summary: Summary::new(1),
                recorder,
                halt: Arc::new(OnceLock::new()),
                started: Instant::now(),
                stdout: Box::new(Buffer::default()),
                stderr: Box::new(Buffer::default()),
            });
            reporter.wants_output()
        }
        assert!(!wants(false, false, false));
        assert!(wants(true, false, false));
        assert!(wants(false, true, false));
        assert!(wants(false, false, true));
    }
}
