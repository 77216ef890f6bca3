//! Running one command on a connection: stdin streamed in, stdout and stderr drained together.
//!
//! Both output streams share the channel's window, so reading one while the other fills would
//! deadlock; the loop below reads whichever has data and only sleeps when neither does.

use super::session::{Connection, Stop, is_eagain};
use super::target::Failure;
use crate::event::{FailureKind, Stream};
use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

const CHUNK: usize = 64 * 1024;
/// How long a cut-off command's channel gets to close before it is dropped unclosed.
const CUT_GRACE: Duration = Duration::from_secs(5);

/// How the remote command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitStatus {
    pub code: Option<i32>,
    pub signal: Option<String>,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

impl Connection {
    /// Runs `command`, feeding it `input` (then EOF) and passing every output chunk to `sink`.
    /// An input that reads `WouldBlock` is asked again later (it may wait on the output).
    /// Memory stays at a fixed buffer whatever the sizes involved.
    pub fn exec(
        &self,
        command: &str,
        deadline: Option<Instant>,
        input: Option<&mut dyn Read>,
        sink: &mut dyn FnMut(Stream, &[u8]),
    ) -> Result<ExitStatus, Failure> {
        self.exec_until(command, deadline, input, sink, &Cell::new(false))
    }

    /// `exec`, but once `sink` sets `cut` nothing more is read: the channel is closed at once
    /// and the status has neither code nor signal. A host that sends more than it announced is
    /// cut off, not drained.
    pub fn exec_until(
        &self,
        command: &str,
        deadline: Option<Instant>,
        mut input: Option<&mut dyn Read>,
        sink: &mut dyn FnMut(Stream, &[u8]),
        cut: &Cell<bool>,
    ) -> Result<ExitStatus, Failure> {
        let fail = |stop: Stop, what: &str| self.failure(stop, FailureKind::Session, what);
        let mut channel = self
            .wait(deadline, || self.session.channel_session())
            .map_err(|s| fail(s, "opening a session channel"))?;
        self.wait(deadline, || channel.exec(command))
            .map_err(|s| fail(s, "starting the command"))?;

        let mut buf = vec![0u8; CHUNK];
        let mut pending: Vec<u8> = Vec::new();
        let mut pending_at = 0;
        let mut input_done = input.is_none();
        let mut eof_sent = false;
        let (mut out_eof, mut err_eof) = (false, false);
        let (mut bytes_in, mut bytes_out) = (0u64, 0u64);
        loop {
            let mut progressed = false;
            // Feed stdin while the channel takes it.
            while !eof_sent {
                if pending_at == pending.len() && !input_done {
                    pending.resize(CHUNK, 0);
                    let read = input
                        .as_mut()
                        .expect("input present until done")
                        .read(&mut pending);
                    let n = match read {
                        Ok(n) => n,
                        // The input is not ready yet (it waits on what the host says first).
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {
                            pending.clear();
                            pending_at = 0;
                            break;
                        }
                        Err(e) => {
                            return Err(Failure::new(
                                FailureKind::Session,
                                format!("reading local input: {e}"),
                            ));
                        }
                    };
                    pending.truncate(n);
                    pending_at = 0;
                    input_done = n == 0;
                }
                if pending_at < pending.len() {
                    match channel.write(&pending[pending_at..]) {
                        Ok(n) => {
                            pending_at += n;
                            bytes_out += n as u64;
                            progressed = true;
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => return Err(self.stream_failure("sending input", e)),
                    }
                } else {
                    match channel.send_eof() {
                        Ok(()) => eof_sent = true,
                        Err(e) if is_eagain(&e) => break,
                        Err(e) => return Err(fail(Stop::Ssh(e), "closing input")),
                    }
                }
            }
            for (stream, eof) in [
                (Stream::Stdout, &mut out_eof),
                (Stream::Stderr, &mut err_eof),
            ] {
                if *eof {
                    continue;
                }
                let id = if stream == Stream::Stdout { 0 } else { 1 };
                match channel.stream(id).read(&mut buf) {
                    Ok(0) => *eof = true,
                    Ok(n) => {
                        bytes_in += n as u64;
                        sink(stream, &buf[..n]);
                        progressed = true;
                        if cut.get() {
                            // sshd answers a close by dropping the command; a peer that never
                            // answers does not hold us past the grace period.
                            let grace = Instant::now() + CUT_GRACE;
                            let until = deadline.map_or(grace, |d| d.min(grace));
                            let _ = self.wait(Some(until), || channel.close());
                            return Ok(ExitStatus {
                                code: None,
                                signal: None,
                                bytes_in,
                                bytes_out,
                            });
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => return Err(self.stream_failure("the command", e)),
                }
            }
            if out_eof && err_eof {
                break;
            }
            if !progressed {
                self.poll(deadline).map_err(|s| fail(s, "the command"))?;
            }
        }
        // exit_status is only valid once the close has arrived.
        self.wait(deadline, || channel.wait_close())
            .map_err(|s| fail(s, "waiting for the command to close"))?;
        let code = channel.exit_status().ok();
        let signal = channel.exit_signal().ok().and_then(|s| s.exit_signal);
        let code = if signal.is_some() { None } else { code };
        Ok(ExitStatus {
            code,
            signal,
            bytes_in,
            bytes_out,
        })
    }

    /// After the run was aborted: lets this connection do one more short exchange (stopping
    /// the command on the host). Its waits end at their deadline, no longer at the abort.
    pub fn ignore_abort(&mut self) {
        self.abort = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    }

    /// A failed channel read or write: a lost connection says so plainly, the rest say what
    /// libssh2 said.
    fn stream_failure(&self, what: &str, e: std::io::Error) -> Failure {
        let reason = match ssh2::Error::last_session_error(&self.session) {
            Some(ssh) if super::session::is_connection_lost(&ssh) => {
                format!("{what}: connection to {} was lost", self.peer)
            }
            _ => format!("{what} on {}: {e}", self.peer),
        };
        Failure::new(FailureKind::Session, reason)
    }
}
