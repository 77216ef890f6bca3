//! `hostctl run`: one shell command on each host.
//!
//! Closing an SSH channel does not stop a remote command (without a pty, sshd sends it no
//! signal), so the host itself must be able to stop it. Every command is started under
//! coreutils `timeout` as the leader of its own process group (as root when through sudo), after
//! one line on stdout that tells hostctl that group's id (stripped from the output). `--timeout`
//! is `timeout`'s own limit; an abort (a second Ctrl-C, or SIGTERM) sends SIGTERM to the group
//! through a second channel on the same connection, through sudo when the command ran so. Either
//! way `timeout -k 2` KILLs the group 2 s later if anything in it ignored SIGTERM.

use super::shared::Shared;
use super::sudo::{SudoRunner, sudo_failure};
use crate::event::{Captured, FailureKind, HostOutcome, Status, Stream};
use crate::executor::{HostContext, Job};
use crate::plan::RunSpec;
use crate::ssh::{Connection, ExitStatus, Failure, Reach, Target, shell_quote};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long past `--timeout` we wait for the host's own `timeout` to report before giving up.
const GRACE: Duration = Duration::from_secs(5);
/// How long stopping an aborted command on its host may take (one short exchange).
const STOP_WAIT: Duration = Duration::from_secs(5);
/// Exit status of coreutils `timeout` when it had to stop the command.
const TIMED_OUT: i32 = 124;
/// What a shell reports for a child killed by SIGKILL.
const KILLED: i32 = 128 + 9;
/// Output before the process-group line (login shell start-up files) longer than this is not
/// waited on: the line is taken as missing.
const MAX_BEFORE_MARKER: usize = 64 * 1024;

pub struct RunJob {
    pub shared: Arc<Shared>,
    pub spec: RunSpec,
    /// Starts the line that reports the command's process group, unique to this run.
    marker: String,
}

impl RunJob {
    pub fn new(shared: Arc<Shared>, spec: RunSpec) -> RunJob {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        RunJob {
            shared,
            spec,
            marker: format!("hostctl-pgid-{:x}{:x}", nanos, std::process::id()),
        }
    }
}

/// The script that starts `spec.command` under `timeout`, after printing `marker` and its
/// process id on one line. Without sudo the login shell runs it (and `$SHELL` the command, as
/// always); through sudo, `sh` does. Its pid is the process group's: the login shell is a
/// session leader (sshd made it one), and `timeout` makes itself a group leader under sudo.
/// A host without `timeout` still runs the command (an abort then ends the group with SIGTERM
/// alone); `--timeout` needs it.
pub fn script(spec: &RunSpec, marker: &str, sudo: &SudoRunner) -> String {
    let shell = if sudo.active() {
        "sh"
    } else {
        "\"${SHELL:-/bin/sh}\""
    };
    let mut script = format!(
        "hostctl_cmd={}; printf '%s %s\\n' {marker} \"$$\"; ",
        shell_quote(&spec.command)
    );
    match spec.timeout {
        Some(t) => script.push_str(&format!(
            "exec timeout -k 2 {:.3} {shell} -c \"$hostctl_cmd\"",
            t.as_secs_f64()
        )),
        None => script.push_str(&format!(
            "command -v timeout >/dev/null 2>&1 && exec timeout -k 2 0 {shell} -c \"$hostctl_cmd\"; \
             exec {shell} -c \"$hostctl_cmd\""
        )),
    }
    script
}

impl Job for RunJob {
    fn run(&self, target: &Target, cx: &mut HostContext) -> HostOutcome {
        let started = Instant::now();
        let mut conn = match self.shared.connect(target, cx) {
            Ok(c) => c,
            Err(outcome) => return outcome.finish(started),
        };
        let limit = self.shared.output_limit;
        let (mut stdout, mut stderr) = (Captured::with_limit(limit), Captured::with_limit(limit));
        let deadline = self.spec.timeout.map(|t| Instant::now() + t + GRACE);
        let sudo = &self.shared.sudo;
        // Without -I the command's stdin ends at once (after a sudo password, if any).
        let input: &[u8] = self.shared.input.as_ref().map_or(&[], |i| &i.data);
        let mut group = GroupLine::new(&self.marker);
        let mut keep = |stream: Stream, data: &[u8]| {
            cx.output(stream, data);
            match stream {
                Stream::Stdout => stdout.push(data),
                Stream::Stderr => stderr.push(data),
            }
        };
        let result = sudo.exec(
            &conn,
            &script(&self.spec, &self.marker, sudo),
            None,
            deadline,
            &mut std::io::Cursor::new(input),
            &mut |stream, data| group.feed(stream, data, &mut keep),
        );
        group.flush(&mut keep);
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
                    let reason = sudo.active().then(|| sudo_failure(&stderr.data)).flatten();
                    Status::Failed {
                        exit_code: exit.code,
                        signal: exit.signal,
                        reason,
                    }
                };
                (status, exit.bytes_in.saturating_sub(group.stripped))
            }
            // The host's own `timeout` should have ended it well before this deadline: it did
            // not (missing, broken, or lying), so the command may still be running there.
            Err(f) if f.kind == FailureKind::Timeout => (
                kill_on_host(
                    &mut conn,
                    sudo,
                    group.pgid,
                    self.spec.timeout.unwrap_or_default(),
                ),
                0,
            ),
            Err(f) if f.kind == FailureKind::Interrupted => {
                (stop_on_host(&mut conn, sudo, group.pgid), 0)
            }
            Err(f) => (Status::lost(f.kind, f.reason), 0),
        };
        drop(conn);
        let mut outcome = HostOutcome::new(status, started.elapsed());
        outcome.stdout = stdout;
        outcome.stderr = stderr;
        outcome.bytes_in = bytes_in;
        outcome
    }
}

/// After an abort: SIGTERM to the command's process group on the host (its `timeout` KILLs
/// the group 2 s later if need be), through sudo when the command ran so.
fn stop_on_host(conn: &mut Connection, sudo: &SudoRunner, pgid: Option<u32>) -> Status {
    let Some(pgid) = pgid else {
        return Status::Aborted {
            reason: "aborted before the host reported the command's process; \
                     if it had started, it may still be running there"
                .into(),
        };
    };
    conn.ignore_abort();
    let result = signal_group(conn, sudo, pgid, "TERM");
    let reason = match result {
        Ok(exit) if exit.code == Some(0) => "aborted: the command was stopped on the host".into(),
        Ok(_) => "aborted: the command had already ended on the host".into(),
        Err(f) => format!("aborted, but stopping the command on the host failed: {f}"),
    };
    Status::Aborted { reason }
}

/// Sends `signal` to the command's process group on the host, or (in the instant before
/// `timeout` made its own group) to the process itself, through the same sudo as the command.
/// `-s`: dash's kill reads `-TERM -- -PGID` as a bad number, and the group would go untouched.
fn signal_group(
    conn: &Connection,
    sudo: &SudoRunner,
    pgid: u32,
    signal: &str,
) -> Result<ExitStatus, Failure> {
    let kill = format!("kill -s {signal} -- -{pgid} 2>/dev/null || kill -s {signal} {pgid}");
    sudo.exec(
        conn,
        &kill,
        None,
        Some(Instant::now() + STOP_WAIT),
        &mut std::io::empty(),
        &mut |_, _| {},
    )
}

/// After `--timeout` and its grace passed without the host's `timeout` ending the command:
/// KILL its process group from here, and say what is known of it.
fn kill_on_host(
    conn: &mut Connection,
    sudo: &SudoRunner,
    pgid: Option<u32>,
    limit: Duration,
) -> Status {
    let after = humantime::format_duration(limit);
    let Some(pgid) = pgid else {
        return Status::Timeout {
            reason: format!(
                "command timed out after {after}; the host never reported its process, so it may still be running there"
            ),
        };
    };
    let result = signal_group(conn, sudo, pgid, "KILL");
    let reason = match result {
        Ok(exit) if exit.code == Some(0) => format!(
            "command timed out after {after}; the host's `timeout` did not stop it, so hostctl killed its process group"
        ),
        Ok(_) => format!(
            "command timed out after {after}; the host's `timeout` did not report, and its process group had already ended"
        ),
        Err(f) => format!(
            "command timed out after {after}; the host's `timeout` did not stop it, and neither could hostctl ({f}): it may still be running there"
        ),
    };
    Status::Timeout { reason }
}

/// Takes the process-group line out of the command's stdout: the first line that is the
/// marker and a number. Lines before it (printed by login-shell start-up files) pass through.
struct GroupLine {
    marker: Vec<u8>,
    /// Stdout held until a whole line is there to compare.
    held: Vec<u8>,
    /// Still looking for the line.
    looking: bool,
    pgid: Option<u32>,
    /// Bytes of the line itself, which are not the command's output.
    stripped: u64,
}

impl GroupLine {
    fn new(marker: &str) -> GroupLine {
        GroupLine {
            marker: format!("{marker} ").into_bytes(),
            held: Vec::new(),
            looking: true,
            pgid: None,
            stripped: 0,
        }
    }

    fn feed(&mut self, stream: Stream, data: &[u8], sink: &mut dyn FnMut(Stream, &[u8])) {
        if stream == Stream::Stderr || !self.looking {
            return sink(stream, data);
        }
        self.held.extend_from_slice(data);
        while let Some(nl) = self.held.iter().position(|&b| b == b'\n') {
            let pgid = self.held[..nl]
                .strip_prefix(self.marker.as_slice())
                .and_then(|n| std::str::from_utf8(n).ok())
                .and_then(|n| n.parse().ok());
            if pgid.is_some() {
                self.pgid = pgid;
                self.looking = false;
                self.stripped = nl as u64 + 1;
                let rest = self.held.split_off(nl + 1);
                self.held.clear();
                if !rest.is_empty() {
                    sink(stream, &rest);
                }
                return;
            }
            sink(stream, &self.held[..=nl]);
            self.held.drain(..=nl);
        }
        if self.held.len() > MAX_BEFORE_MARKER {
            self.looking = false;
            sink(stream, &std::mem::take(&mut self.held));
        }
    }

    fn flush(&mut self, sink: &mut dyn FnMut(Stream, &[u8])) {
        if !self.held.is_empty() {
            sink(Stream::Stdout, &std::mem::take(&mut self.held));
        }
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
            match reach.connect(target) {
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
                    if f.kind == FailureKind::Interrupted {
                        f.reason = "aborted while connecting: nothing was started".into();
                    } else if attempt > 1 {
                        f.reason = format!("{} (after {attempt} attempts)", f.reason);
                    }
                    return Err(Unreachable(Status::lost(f.kind, f.reason)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&str]) -> (String, Option<u32>) {
        let mut g = GroupLine::new("M-1");
        let mut out = String::new();
        for c in chunks {
            g.feed(Stream::Stdout, c.as_bytes(), &mut |_, d| {
                out.push_str(&String::from_utf8_lossy(d))
            });
        }
        g.flush(&mut |_, d| out.push_str(&String::from_utf8_lossy(d)));
        (out, g.pgid)
    }

    #[test]
    fn the_group_line_is_found_across_chunks_and_stripped() {
        assert_eq!(
            split(&["M-1 4", "2\nhello\n"]),
            ("hello\n".into(), Some(42))
        );
        // Start-up noise before it passes; a look-alike without a number is output.
        assert_eq!(
            split(&["motd\nM-1 x\n", "M-1 7\n", "M-1 8\n"]),
            ("motd\nM-1 x\nM-1 8\n".into(), Some(7))
        );
        assert_eq!(split(&["no newline"]), ("no newline".into(), None));
    }

    #[test]
    fn the_script_starts_the_command_under_timeout_in_its_own_group() {
        let spec = RunSpec {
            command: "echo 'hi'".into(),
            timeout: Some(Duration::from_millis(1500)),
            stdin: false,
        };
        let plain = SudoRunner::new(None, None);
        assert_eq!(
            script(&spec, "M", &plain),
            r#"hostctl_cmd='echo '\''hi'\'''; printf '%s %s\n' M "$$"; exec timeout -k 2 1.500 "${SHELL:-/bin/sh}" -c "$hostctl_cmd""#
        );
    }
}
