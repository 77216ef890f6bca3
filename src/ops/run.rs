//! `hostctl run`: one shell command on each host.
//!
//! With `--timeout`, the command is wrapped in coreutils `timeout` on the host, which kills its
//! whole process group when time is up: closing an SSH channel does not stop a remote command
//! (without a pty, sshd sends it no signal), so the host itself must enforce the limit.

use super::Shared;
use super::privilege::sudo_failure;
use crate::event::{Captured, FailureKind, HostOutcome, Status, Stream};
use crate::executor::{HostContext, Job};
use crate::plan::RunSpec;
use crate::ssh::{Connection, Reach, Target};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long past `--timeout` we wait for the host's own `timeout` to report before giving up.
const GRACE: Duration = Duration::from_secs(5);
/// Exit status of coreutils `timeout` when it had to stop the command.
const TIMED_OUT: i32 = 124;
/// What a shell reports for a child killed by SIGKILL.
const KILLED: i32 = 128 + 9;

pub struct RunJob {
    pub shared: Arc<Shared>,
    pub spec: RunSpec,
}

impl Job for RunJob {
    fn run(&self, target: &Target, cx: &mut HostContext) -> HostOutcome {
        let started = Instant::now();
        let conn = match self.shared.connect(target, cx) {
            Ok(c) => c,
            Err(outcome) => return outcome.finish(started),
        };
        let limit = self.shared.output_limit;
        let (mut stdout, mut stderr) = (Captured::with_limit(limit), Captured::with_limit(limit));
        let deadline = self.spec.timeout.map(|t| Instant::now() + t + GRACE);
        let privilege = &self.shared.privilege;
        // Without -I the command's stdin ends at once (after a sudo password, if any).
        let input: &[u8] = self.shared.input.as_ref().map_or(&[], |i| &i.data);
        let result = privilege.exec(
            &conn,
            &self.spec.command,
            self.spec.timeout,
            deadline,
            &mut std::io::Cursor::new(input),
            &mut |stream, data| {
                cx.output(stream, data);
                match stream {
                    Stream::Stdout => stdout.push(data),
                    Stream::Stderr => stderr.push(data),
                }
            },
        );
        let elapsed = started.elapsed();
        let (status, bytes_in) = match result {
            Ok(exit) => {
                // `timeout` exits 124 when the command ended on SIGTERM; a command that ignored
                // it is KILLed with its whole group, `timeout` included (or its shell says 137).
                let stopped = exit.code == Some(TIMED_OUT)
                    || exit.code == Some(KILLED)
                    || exit.signal.as_deref() == Some("KILL");
                let timed_out = self.spec.timeout.is_some_and(|t| stopped && elapsed >= t);
                let status = if timed_out {
                    timeout_status(self.spec.timeout.expect("checked"))
                } else if exit.code == Some(0) {
                    Status::Ok
                } else {
                    let reason = privilege
                        .active()
                        .then(|| sudo_failure(&stderr.data))
                        .flatten();
                    Status::Failed {
                        exit_code: exit.code,
                        signal: exit.signal,
                        reason,
                    }
                };
                (status, exit.bytes_in)
            }
            Err(f) if f.kind == FailureKind::Timeout => {
                (timeout_status(self.spec.timeout.unwrap_or_default()), 0)
            }
            Err(f) => (Status::lost(f.kind, f.reason), 0),
        };
        drop(conn);
        let mut outcome = HostOutcome::new(status, elapsed);
        outcome.stdout = stdout;
        outcome.stderr = stderr;
        outcome.bytes_in = bytes_in;
        outcome
    }
}

fn timeout_status(limit: Duration) -> Status {
    Status::Timeout {
        reason: format!(
            "command timed out after {} (stopped on the host)",
            humantime::format_duration(limit)
        ),
    }
}

/// Opening a connection failed: the host's outcome, with its duration still to set.
pub struct Unreachable(pub Status);

impl Unreachable {
    pub fn finish(self, started: Instant) -> HostOutcome {
        HostOutcome::new(self.0, started.elapsed())
    }
}

impl Shared {
    /// Connects, retrying (`--retry`) only when the host could not be reached at all: a wrong
    /// key or a changed host key will not fix itself, and nothing has run yet.
    pub fn connect(&self, target: &Target, cx: &HostContext) -> Result<Connection, Unreachable> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let reach = Reach {
                credentials: &self.credentials,
                known_hosts: &self.known_hosts,
                bastions: &self.bastions,
                abort: &cx.abort,
            };
            match Connection::open(target, &reach) {
                Ok(conn) => return Ok(conn),
                Err(f) if f.kind == FailureKind::Connect && attempt <= self.retry => {
                    // Back off 1s, 2s, 3s...; Ctrl-C (abort) cuts the wait short.
                    let until = Instant::now() + Duration::from_secs(attempt as u64);
                    while Instant::now() < until
                        && !cx.abort.load(std::sync::atomic::Ordering::Relaxed)
                    {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
                Err(mut f) => {
                    if attempt > 1 {
                        f.reason = format!("{} (after {attempt} attempts)", f.reason);
                    }
                    return Err(Unreachable(Status::lost(f.kind, f.reason)));
                }
            }
        }
    }
}
