//! Running host-side work through sudo: the command of `run`, and every script of `push` and
//! `pull`.
//!
//! Without a password, `sudo -n` fails at once instead of prompting. With `--ask-become-pass`,
//! sudo gets a prompt unique to this run (`-S -p`), and the command first prints a marker unique
//! to this run. Stdin is held back until one of them appears. If the prompt appears first,
//! the password is sent once; a second prompt (a wrong password) closes stdin, so sudo fails
//! instead of waiting. If the marker appears first (a rule that needs no password), the password
//! is never sent, and so can never reach the command's stdin. The command's own input flows
//! only after the marker. Both are stripped from what is shown and logged. The password is
//! never in argv, output or the log.

use crate::event::Stream;
use crate::plan::Sudo;
use crate::ssh::{Connection, ExitStatus, Failure, shell_quote};
use std::cell::Cell;
use std::io::{ErrorKind, Read};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Runs host-side work as the plan's `Sudo` says: through sudo, or (without `--sudo`) as the
/// login user, with the same deadline handling either way.
pub struct SudoRunner {
    sudo: Option<Sudo>,
    /// The `--ask-become-pass` password and its newline; never logged.
    password_line: Option<String>,
    prompt: String,
    marker: String,
}

impl SudoRunner {
    pub fn new(sudo: Option<Sudo>, password: Option<String>) -> SudoRunner {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let tag = format!("{:x}{:x}", nanos, std::process::id());
        SudoRunner {
            sudo,
            password_line: password.map(|p| format!("{p}\n")),
            prompt: format!("[hostctl-sudo-{tag}]"),
            marker: format!("hostctl-become-{tag}"),
        }
    }

    pub fn active(&self) -> bool {
        self.sudo.is_some()
    }

    fn converses(&self) -> bool {
        self.sudo.as_ref().is_some_and(|s| s.ask_pass)
    }

    /// What the host's login shell runs: `script` itself, or wrapped as
    /// `[timeout -k 2 T] [sudo ... --] sh -c '[printf MARKER;] SCRIPT'`.
    pub fn command(&self, script: &str, timeout: Option<Duration>) -> String {
        if timeout.is_none() && !self.active() {
            return script.to_string();
        }
        let mut argv = String::new();
        if let Some(t) = timeout {
            // -k: SIGKILL the group if SIGTERM was not enough within 2s.
            argv.push_str(&format!("timeout -k 2 {:.3} ", t.as_secs_f64()));
        }
        let mut inner = script.to_string();
        if let Some(sudo) = &self.sudo {
            if sudo.ask_pass {
                // -k: ignore cached credentials, so a prompt means what it says.
                argv.push_str(&format!("sudo -k -S -p {} ", shell_quote(&self.prompt)));
                inner = format!("printf '%s\\n' {}; {script}", self.marker);
            } else {
                argv.push_str("sudo -n ");
            }
            if let Some(user) = &sudo.user {
                argv.push_str(&format!("-u {} ", shell_quote(user)));
            }
            argv.push_str("-- ");
        }
        argv.push_str(&format!("sh -c {}", shell_quote(&inner)));
        argv
    }

    /// Runs `script` on `conn` (through sudo when asked for), feeding `input` once the command
    /// has started, and giving `sink` the output without the conversation's markers.
    pub fn exec(
        &self,
        conn: &Connection,
        script: &str,
        timeout: Option<Duration>,
        deadline: Option<Instant>,
        input: &mut dyn Read,
        sink: &mut dyn FnMut(Stream, &[u8]),
    ) -> Result<ExitStatus, Failure> {
        self.exec_until(
            conn,
            script,
            timeout,
            deadline,
            input,
            sink,
            &Cell::new(false),
        )
    }

    /// `exec`, closing the channel as soon as `sink` sets `cut` (see `Connection::exec_until`).
    #[allow(clippy::too_many_arguments)]
    pub fn exec_until(
        &self,
        conn: &Connection,
        script: &str,
        timeout: Option<Duration>,
        deadline: Option<Instant>,
        input: &mut dyn Read,
        sink: &mut dyn FnMut(Stream, &[u8]),
        cut: &Cell<bool>,
    ) -> Result<ExitStatus, Failure> {
        let command = self.command(script, timeout);
        if !self.converses() {
            return conn.exec_until(&command, deadline, Some(input), sink, cut);
        }
        let phase = Rc::new(Cell::new(Phase::Waiting));
        let password = self.password_line.as_deref().unwrap_or("\n").as_bytes();
        let mut gate = Gate {
            phase: phase.clone(),
            password,
            sent: 0,
            rest: input,
        };
        let mut watch = Watch {
            phase,
            prompt: self.prompt.as_bytes(),
            marker: format!("{}\n", self.marker).into_bytes(),
            out: Vec::new(),
            err: Vec::new(),
        };
        let result = conn.exec_until(
            &command,
            deadline,
            Some(&mut gate),
            &mut |stream, data| watch.feed(stream, data, sink),
            cut,
        );
        watch.flush(sink);
        result
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Phase {
    /// Neither the prompt nor the marker yet: stdin holds.
    Waiting,
    /// sudo asked: send the password.
    Asked,
    /// Password sent: wait for the marker (or a second prompt).
    Sent,
    /// The command runs: its input flows.
    Started,
    /// sudo asked again: the password was wrong; close stdin.
    Refused,
}

/// Stdin as the conversation allows it.
struct Gate<'a> {
    phase: Rc<Cell<Phase>>,
    password: &'a [u8],
    sent: usize,
    rest: &'a mut dyn Read,
}

impl Read for Gate<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.phase.get() {
            Phase::Waiting | Phase::Sent => Err(ErrorKind::WouldBlock.into()),
            Phase::Asked => {
                let left = &self.password[self.sent..];
                let n = left.len().min(buf.len());
                buf[..n].copy_from_slice(&left[..n]);
                self.sent += n;
                if self.sent == self.password.len() {
                    self.phase.set(Phase::Sent);
                }
                Ok(n)
            }
            Phase::Started => self.rest.read(buf),
            Phase::Refused => Ok(0),
        }
    }
}

/// Watches the output for the prompt (stderr) and the marker (first stdout line), and passes
/// the rest on.
struct Watch<'a> {
    phase: Rc<Cell<Phase>>,
    prompt: &'a [u8],
    marker: Vec<u8>,
    /// stdout held until the marker line is complete.
    out: Vec<u8>,
    /// stderr that could still be the start of a prompt.
    err: Vec<u8>,
}

impl Watch<'_> {
    fn feed(&mut self, stream: Stream, data: &[u8], sink: &mut dyn FnMut(Stream, &[u8])) {
        match stream {
            Stream::Stdout if self.phase.get() == Phase::Started => sink(stream, data),
            Stream::Stdout => {
                self.out.extend_from_slice(data);
                if self.out.len() >= self.marker.len() {
                    if self.out.starts_with(&self.marker) {
                        self.phase.set(Phase::Started);
                        let rest = self.out.split_off(self.marker.len());
                        self.out.clear();
                        if !rest.is_empty() {
                            sink(stream, &rest);
                        }
                    } else {
                        // Not the marker: nothing to strip, pass it on.
                        sink(stream, &std::mem::take(&mut self.out));
                    }
                }
            }
            Stream::Stderr => {
                self.err.extend_from_slice(data);
                while let Some(at) = find(&self.err, self.prompt) {
                    if at > 0 {
                        sink(stream, &self.err[..at]);
                    }
                    self.err.drain(..at + self.prompt.len());
                    self.phase.set(match self.phase.get() {
                        Phase::Waiting => Phase::Asked,
                        Phase::Started => Phase::Started,
                        _ => Phase::Refused,
                    });
                }
                // Keep only what could still begin a prompt.
                let keep = (1..self.prompt.len().min(self.err.len() + 1))
                    .rev()
                    .find(|&k| self.err.ends_with(&self.prompt[..k]))
                    .unwrap_or(0);
                let emit = self.err.len() - keep;
                if emit > 0 {
                    sink(stream, &self.err[..emit]);
                    self.err.drain(..emit);
                }
            }
        }
    }

    fn flush(&mut self, sink: &mut dyn FnMut(Stream, &[u8])) {
        if !self.out.is_empty() {
            sink(Stream::Stdout, &std::mem::take(&mut self.out));
        }
        if !self.err.is_empty() {
            sink(Stream::Stderr, &std::mem::take(&mut self.err));
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// sudo's own complaints, in plain words (it exits 1, like many commands, so its stderr says
/// which it was).
pub fn sudo_failure(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    if text.contains("incorrect password") || text.contains("Sorry, try again") {
        Some("sudo: incorrect password".into())
    } else if text.contains("a password is required") || text.contains("no password was provided") {
        Some("sudo: a password is required (use --ask-become-pass)".into())
    } else if text.contains("is not in the sudoers file")
        || text.contains("is not allowed to execute")
    {
        let line = text
            .lines()
            .find(|l| l.contains("sudoers") || l.contains("not allowed"));
        Some(line.unwrap_or("sudo: not allowed").trim().to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch_run(chunks: &[(Stream, &str)]) -> (String, String, Phase) {
        let phase = Rc::new(Cell::new(Phase::Waiting));
        let mut f = Watch {
            phase: phase.clone(),
            prompt: b"[p]",
            marker: b"MARK\n".to_vec(),
            out: Vec::new(),
            err: Vec::new(),
        };
        let (mut out, mut err) = (String::new(), String::new());
        let mut sink = |s: Stream, d: &[u8]| match s {
            Stream::Stdout => out.push_str(&String::from_utf8_lossy(d)),
            Stream::Stderr => err.push_str(&String::from_utf8_lossy(d)),
        };
        for (s, d) in chunks {
            f.feed(*s, d.as_bytes(), &mut sink);
        }
        f.flush(&mut sink);
        let p = phase.get();
        (out, err, p)
    }

    #[test]
    fn the_prompt_and_marker_are_seen_across_chunks_and_stripped() {
        let (out, err, phase) = watch_run(&[
            (Stream::Stderr, "[p"),
            (Stream::Stderr, "]"),
            (Stream::Stdout, "MA"),
            (Stream::Stdout, "RK\nhello\n"),
        ]);
        assert_eq!(
            (out.as_str(), err.as_str(), phase),
            ("hello\n", "", Phase::Started)
        );
    }

    #[test]
    fn a_second_prompt_means_the_password_was_wrong() {
        let phase = Rc::new(Cell::new(Phase::Sent));
        let mut f = Watch {
            phase: phase.clone(),
            prompt: b"[p]",
            marker: b"MARK\n".to_vec(),
            out: Vec::new(),
            err: Vec::new(),
        };
        let mut seen = String::new();
        f.feed(Stream::Stderr, b"Sorry, try again.\n[p]", &mut |_, d| {
            seen.push_str(&String::from_utf8_lossy(d))
        });
        assert_eq!(phase.get(), Phase::Refused);
        assert_eq!(seen, "Sorry, try again.\n");
    }

    #[test]
    fn stdin_waits_then_sends_the_password_once_then_the_input() {
        let phase = Rc::new(Cell::new(Phase::Waiting));
        let mut rest: &[u8] = b"data";
        let mut gate = Gate {
            phase: phase.clone(),
            password: b"pw\n",
            sent: 0,
            rest: &mut rest,
        };
        let mut buf = [0u8; 16];
        assert_eq!(
            gate.read(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        phase.set(Phase::Asked);
        assert_eq!(gate.read(&mut buf).unwrap(), 3);
        assert_eq!(&buf[..3], b"pw\n");
        assert_eq!(
            gate.read(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        phase.set(Phase::Started);
        assert_eq!(gate.read(&mut buf).unwrap(), 4);
        // Without a prompt, the password is never sent.
        let phase = Rc::new(Cell::new(Phase::Started));
        let mut rest: &[u8] = b"x";
        let mut gate = Gate {
            phase,
            password: b"pw\n",
            sent: 0,
            rest: &mut rest,
        };
        assert_eq!(gate.read(&mut buf).unwrap(), 1);
        assert_eq!(&buf[..1], b"x");
    }

    /// sudo's own refusals, in each shape sudo words them; anything else is the command's.
    #[test]
    fn sudo_refusals_are_told_apart_from_the_commands_errors() {
        let told = |err: &[u8]| sudo_failure(err);
        for wrong in [
            &b"Sorry, try again.\n"[..],
            b"sudo: 1 incorrect password attempt\n",
        ] {
            assert_eq!(told(wrong).as_deref(), Some("sudo: incorrect password"));
        }
        for needs in [
            &b"sudo: a password is required\n"[..],
            b"sudo: no password was provided\n",
        ] {
            assert_eq!(
                told(needs).as_deref(),
                Some("sudo: a password is required (use --ask-become-pass)")
            );
        }
        assert_eq!(
            told(b"noise\n  hostctl is not in the sudoers file.  \n").as_deref(),
            Some("hostctl is not in the sudoers file.")
        );
        assert_eq!(
            told(b"Sorry, user hostctl is not allowed to execute '/bin/sh' as root\n").as_deref(),
            Some("Sorry, user hostctl is not allowed to execute '/bin/sh' as root")
        );
        for other in [
            &b""[..],
            b"sh: 1: cannot create /x: Permission denied\n",
            b"\xff\xfe\x1b[2J",
            b"sudoers",
        ] {
            assert_eq!(told(other), None, "{other:?}");
        }
    }
}
