//! Human output. Blocks: each host's output printed whole when it finishes, never interleaved,
//! with a progress line on a terminal. Stream: lines as they arrive, prefixed by host.

use super::groups;
use super::out::{Out, Renderer};
use super::summary::Summary;
use crate::cli::GatherMode;
use crate::event::{Captured, Event, HostEventKind, HostId, HostOutcome, Status, Stream};
use crate::show::{bytes, seconds, visible};
use crate::status::HostStatus;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::Write;

/// What the operation does, as the blocks and the progress line show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    Run,
    /// Each host is sent up to `bytes` (the manifest's total).
    Push {
        bytes: u64,
    },
    Pull,
}

/// `=== web02: FAILED, exit 3, 0.10s` / `=== web03: UNREACHABLE, 0.00s: connection refused ...`
pub fn header(name: &str, outcome: &HostOutcome, colour: bool) -> String {
    header_with(name, outcome, Some(outcome.duration), colour)
}

/// The header, with the duration left out for gathered groups (it differs per host).
fn header_with(
    name: &str,
    outcome: &HostOutcome,
    duration: Option<std::time::Duration>,
    colour: bool,
) -> String {
    let status = &outcome.status;
    let mut h = format!("=== {name}: ");
    let word = match status.kind().succeeded() {
        true => status.name().to_string(),
        false => status.name().to_uppercase(),
    };
    h.push_str(&paint(status.kind(), &word, colour));
    if let Some(code) = status
        .exit_code()
        .filter(|_| matches!(status, Status::Ok | Status::Failed { .. }))
    {
        h.push_str(&format!(", exit {code}"));
    }
    if let Some(d) = duration {
        h.push_str(&format!(", {}", seconds(d)));
    }
    if let Some(reason) = status.reason() {
        h.push_str(&format!(": {}", visible(&reason)));
    }
    h
}

/// A status word in its colour: green for ok and unchanged, yellow for changed, red for
/// failed, magenta for timeout and unreachable, dim for aborted and skipped.
fn paint(status: HostStatus, word: &str, colour: bool) -> String {
    use anstyle::{AnsiColor, Style};
    if !colour {
        return word.to_string();
    }
    let style = match status {
        HostStatus::Ok | HostStatus::Unchanged => {
            Style::new().fg_color(Some(AnsiColor::Green.into()))
        }
        HostStatus::Changed => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        HostStatus::Failed => Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
        HostStatus::Timeout | HostStatus::Unreachable => Style::new()
            .bold()
            .fg_color(Some(AnsiColor::Magenta.into())),
        HostStatus::Aborted | HostStatus::Skipped => Style::new().dimmed(),
    };
    format!("{style}{word}{style:#}")
}

fn truncation_note(label: &str, c: &Captured) -> Option<String> {
    c.truncated().then(|| {
        format!(
            "[hostctl: {label} truncated: kept {} of {}; --stream shows all of it]\n",
            bytes(c.data.len() as u64),
            bytes(c.total)
        )
    })
}

/// `  changed  ./app.conf -> web01:/etc/app/app.conf (1.2 KiB, sha256 3a7bd3e2…)`
fn transfer_lines(name: &str, outcome: &HostOutcome, pull: bool) -> String {
    let mut out = String::new();
    for f in outcome.transfer.iter().flat_map(|t| &t.files) {
        let state = if f.changed { "changed  " } else { "unchanged" };
        let (from, to) = if pull {
            (format!("{name}:{}", f.remote), f.local.clone())
        } else {
            (f.local.clone(), format!("{name}:{}", f.remote))
        };
        let detail = match f.sha256.get(..8) {
            Some(short) => format!(" ({}, sha256 {short}…)", bytes(f.bytes)),
            None => " (symlink)".to_string(),
        };
        out.push_str(&format!(
            "  {state} {} -> {}{detail}\n",
            visible(&from),
            visible(&to)
        ));
    }
    out
}

fn block(name: &str, outcome: &HostOutcome, pull: bool, colour: bool) -> Vec<u8> {
    block_with(name, outcome, pull, Some(outcome.duration), colour)
}

fn block_with(
    name: &str,
    outcome: &HostOutcome,
    pull: bool,
    duration: Option<std::time::Duration>,
    colour: bool,
) -> Vec<u8> {
    let mut out = format!(
        "{}\n{}",
        header_with(name, outcome, duration, colour),
        transfer_lines(name, outcome, pull)
    )
    .into_bytes();
    let mut body = |c: &Captured| {
        out.extend_from_slice(&c.data);
        if !c.data.is_empty() && !c.data.ends_with(b"\n") {
            out.push(b'\n');
        }
    };
    body(&outcome.stdout);
    if let Some(note) = truncation_note("stdout", &outcome.stdout) {
        out.extend_from_slice(note.as_bytes());
    }
    // A pull's stderr is what the host's tools said, raw: the header gives the reason in the
    // operator's words, and -v and the audit log keep the raw text.
    if !outcome.stderr.data.is_empty() && !pull {
        out.extend_from_slice(format!("--- {name} stderr\n").as_bytes());
        out.extend_from_slice(&outcome.stderr.data);
        if !outcome.stderr.data.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    if let Some(note) = truncation_note("stderr", &outcome.stderr).filter(|_| !pull) {
        out.extend_from_slice(note.as_bytes());
    }
    out
}

fn interrupt_note(abort: bool) -> &'static str {
    if abort {
        "hostctl: aborting: stopping the command on the running hosts\n"
    } else {
        "hostctl: interrupted: starting no more hosts, waiting for running ones (Ctrl-C again to abort them)\n"
    }
}

/// While the progress line is drawn, the terminal must not echo `^C` into it: the echo moves
/// the cursor under the bar, and the frame it cut stays in the scrollback after Ctrl-C. The
/// terminal's own setting comes back when the renderer goes.
struct NoEchoCtl {
    fd: i32,
    saved: libc::termios,
}

impl NoEchoCtl {
    fn new() -> Option<NoEchoCtl> {
        let fd = libc::STDERR_FILENO;
        // SAFETY: tcgetattr/tcsetattr on a descriptor we only read the settings of and write
        // back, with a termios the kernel filled in.
        unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::isatty(fd) != 1 || libc::tcgetattr(fd, &mut saved) != 0 {
                return None;
            }
            if saved.c_lflag & libc::ECHOCTL == 0 {
                return None;
            }
            let mut quiet = saved;
            quiet.c_lflag &= !libc::ECHOCTL;
            (libc::tcsetattr(fd, libc::TCSANOW, &quiet) == 0).then_some(NoEchoCtl { fd, saved })
        }
    }
}

impl Drop for NoEchoCtl {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new` on the same descriptor.
        unsafe { libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved) };
    }
}

pub struct BlockRenderer {
    hosts: usize,
    colour: bool,
    progress: Option<ProgressBar>,
    _no_echo_ctl: Option<NoEchoCtl>,
    /// Transfers count bytes on the bar; commands count hosts.
    by_bytes: bool,
    pull: bool,
    /// Bytes each push host is expected to send, and has sent (to shrink the bar's length
    /// when a host turns out unchanged or fails).
    expected: u64,
    sent: HashMap<HostId, u64>,
    done: usize,
    failures: usize,
    /// `--gather`/`--diff`: outcomes held until the end, then grouped.
    gathered: Option<Vec<(HostId, HostOutcome)>>,
    gather: GatherMode,
    diff: bool,
}

impl BlockRenderer {
    /// `progress`: draw the progress line on stderr (a terminal); `colour`: colour the status
    /// words. Both are the caller's to decide, for the writers it hands over.
    pub fn new(
        hosts: usize,
        work: Work,
        gather: Option<GatherMode>,
        diff: bool,
        progress: bool,
        colour: bool,
    ) -> BlockRenderer {
        let (by_bytes, pull, expected) = match work {
            Work::Push { bytes } => (true, false, bytes),
            Work::Pull => (true, true, 0),
            Work::Run => (false, false, 0),
        };
        let progress = progress.then(|| {
            let (len, template) = match (by_bytes, pull) {
                (false, _) => (Some(hosts as u64), "{spinner} {pos}/{len} hosts done {msg} [{elapsed}]"),
                (true, false) => (
                    Some(expected * hosts as u64),
                    "{spinner} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec}, {eta} left, {msg} [{elapsed}]",
                ),
                (true, true) => (None, "{spinner} {binary_bytes} {binary_bytes_per_sec} {msg} [{elapsed}]"),
            };
            let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
            bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        // Hosts done out of how many, from the first frame on.
        if let Some(bar) = &progress
            && by_bytes
        {
            bar.set_message(format!("0/{hosts} hosts done"));
        }
        BlockRenderer {
            hosts,
            colour,
            _no_echo_ctl: progress.as_ref().and_then(|_| NoEchoCtl::new()),
            progress,
            by_bytes,
            pull,
            expected,
            sent: HashMap::new(),
            done: 0,
            failures: 0,
            gathered: gather.map(|_| Vec::new()),
            gather: gather.unwrap_or(GatherMode::Exact),
            diff,
        }
    }

    fn hosts_message(&self) -> String {
        let hosts = self.hosts;
        let mut m = if self.by_bytes {
            format!("{}/{hosts} hosts done", self.done)
        } else {
            String::new()
        };
        if self.failures > 0 {
            m.push_str(&format!(" ({} not ok)", self.failures));
        }
        m
    }

    /// Writes with the progress line out of the way.
    fn print(&self, to: &mut dyn Write, bytes: &[u8]) {
        match &self.progress {
            Some(bar) => bar.suspend(|| to.write_all(bytes)),
            None => to.write_all(bytes),
        }
        .unwrap_or(())
    }
}

impl Renderer for BlockRenderer {
    fn event(&mut self, event: &Event, out: &mut Out) {
        match event {
            Event::Host(e) => match &e.kind {
                HostEventKind::Progress { bytes } => {
                    *self.sent.entry(e.host.clone()).or_default() += bytes;
                    if let Some(bar) = &self.progress {
                        bar.inc(*bytes);
                    }
                }
                HostEventKind::Finished(outcome) => {
                    // push: the host's stderr is hostctl's own scripts talking; the reason
                    // says what failed, -v, --json and the audit record keep the raw text.
                    let mut shown;
                    let outcome = if self.by_bytes && !self.pull {
                        shown = (**outcome).clone();
                        shown.stderr = Captured::default();
                        &shown
                    } else {
                        &**outcome
                    };
                    match &mut self.gathered {
                        Some(held) => held.push((e.host.clone(), outcome.clone())),
                        None => self.print(
                            out.stdout,
                            &block(&e.host.name, outcome, self.pull, self.colour),
                        ),
                    }
                    self.done += 1;
                    if !outcome.status.kind().succeeded() {
                        self.failures += 1;
                    }
                    if let Some(bar) = &self.progress {
                        if !self.by_bytes {
                            bar.inc(1);
                        } else if !self.pull {
                            let sent = self.sent.remove(&e.host).unwrap_or(0);
                            let unsent = self.expected.saturating_sub(sent);
                            bar.set_length(bar.length().unwrap_or(0).saturating_sub(unsent));
                        }
                        bar.set_message(self.hosts_message());
                    }
                }
                _ => {}
            },
            Event::Interrupted { abort } => {
                self.print(out.stderr, interrupt_note(*abort).as_bytes())
            }
        }
    }

    fn finish(&mut self, summary: &Summary, out: &mut Out) {
        if let Some(bar) = self.progress.take() {
            bar.finish_and_clear();
        }
        if let Some(held) = self.gathered.take() {
            let groups = groups::group(held, self.gather);
            let _ = out.stdout.write_all(&match self.diff {
                true => diffed(&groups, self.pull, self.colour),
                false => gathered(&groups, self.pull, self.colour),
            });
        }
        let _ = writeln!(out.stdout, "{}", summary.line());
    }
}

/// Hosts whose output and result are the same, printed once under their folded names;
/// largest group first, ties in host order, no durations: the same results print the same.
fn gathered(groups: &[groups::Group], pull: bool, colour: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for g in groups {
        out.extend(group_block(g, pull, colour));
    }
    out
}

fn group_block(g: &groups::Group, pull: bool, colour: bool) -> Vec<u8> {
    let mut label = g.label();
    if g.similar {
        label.push_str(&format!(
            " [similar: `{}` is each host's own name or address]",
            groups::PLACEHOLDER
        ));
    }
    block_with(&label, &g.outcome, pull, None, colour)
}

/// `--diff`: the largest group that succeeded printed whole, then every other group that
/// succeeded as a unified diff against it; groups that did not succeed print as `--gather` has
/// them, since their reason says more than a diff would.
fn diffed(groups: &[groups::Group], pull: bool, colour: bool) -> Vec<u8> {
    let Some(reference) = groups.iter().find(|g| g.outcome.status.kind().succeeded()) else {
        return gathered(groups, pull, colour);
    };
    let base = reference.label();
    let mut out = group_block(reference, pull, colour);
    for g in groups.iter().filter(|g| !std::ptr::eq(*g, reference)) {
        if !g.outcome.status.kind().succeeded() {
            out.extend(group_block(g, pull, colour));
            continue;
        }
        let label = g.label();
        out.extend(
            format!(
                "{} (differs from {base})\n",
                header_with(&label, &g.outcome, None, colour)
            )
            .into_bytes(),
        );
        for (name, ours, theirs) in [
            ("stdout", &reference.outcome.stdout, &g.outcome.stdout),
            ("stderr", &reference.outcome.stderr, &g.outcome.stderr),
        ] {
            let diff = crate::diff::unified(
                &ours.text(),
                &theirs.text(),
                &format!("{base} {name}"),
                &format!("{label} {name}"),
            );
            out.extend(diff.into_bytes());
        }
    }
    out
}

/// Lines as they arrive: `web01: text`. Remote stdout goes to stdout, remote stderr to stderr.
pub struct StreamRenderer {
    width: usize,
    colour: bool,
    partial: HashMap<(HostId, bool), Vec<u8>>,
}

/// A line longer than this is printed in pieces rather than held back.
const MAX_PARTIAL: usize = 64 * 1024;

impl StreamRenderer {
    /// `names`: every host's name, to line the prefixes up.
    pub fn new<'n>(names: impl IntoIterator<Item = &'n str>, colour: bool) -> StreamRenderer {
        let width = names.into_iter().map(str::len).max().unwrap_or(0);
        StreamRenderer {
            width,
            colour,
            partial: HashMap::new(),
        }
    }

    fn emit(&self, out: &mut Out, name: &str, stderr: bool, line: &[u8]) {
        let mut bytes = format!("{name:>width$}: ", width = self.width).into_bytes();
        bytes.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        let to = match stderr {
            true => &mut *out.stderr,
            false => &mut *out.stdout,
        };
        let _ = to.write_all(&bytes);
    }
}

impl Renderer for StreamRenderer {
    fn wants_output(&self) -> bool {
        true
    }

    fn event(&mut self, event: &Event, out: &mut Out) {
        let e = match event {
            Event::Host(e) => e,
            Event::Interrupted { abort } => {
                let _ = out.stderr.write_all(interrupt_note(*abort).as_bytes());
                return;
            }
        };
        let name = &e.host.name;
        match &e.kind {
            HostEventKind::Output { stream, data } => {
                let is_err = *stream == Stream::Stderr;
                let key = (e.host.clone(), is_err);
                let mut buf = self.partial.remove(&key).unwrap_or_default();
                buf.extend_from_slice(data);
                let mut start = 0;
                while let Some(nl) = buf[start..].iter().position(|&b| b == b'\n') {
                    self.emit(out, name, is_err, &buf[start..start + nl + 1]);
                    start += nl + 1;
                }
                buf.drain(..start);
                if buf.len() > MAX_PARTIAL {
                    self.emit(out, name, is_err, &buf);
                    buf.clear();
                }
                self.partial.insert(key, buf);
            }
            HostEventKind::Finished(outcome) => {
                for is_err in [false, true] {
                    if let Some(rest) = self
                        .partial
                        .remove(&(e.host.clone(), is_err))
                        .filter(|b| !b.is_empty())
                    {
                        self.emit(out, name, is_err, &rest);
                    }
                }
                let _ = writeln!(out.stdout, "{}", header(name, outcome, self.colour));
            }
            _ => {}
        }
    }

    fn finish(&mut self, summary: &Summary, out: &mut Out) {
        let _ = writeln!(out.stdout, "{}", summary.line());
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::event::{FileReport, HostEvent, TransferReport};
    use std::time::Duration;

    pub fn host(order: usize, name: &str) -> HostId {
        HostId::new(order, name, &format!("10.0.0.{}", order + 1))
    }

    pub fn finished(host: HostId, outcome: HostOutcome) -> Event {
        Event::Host(HostEvent {
            host,
            elapsed: Duration::ZERO,
            kind: HostEventKind::Finished(Box::new(outcome)),
        })
    }

    pub fn output(host: HostId, stream: Stream, data: &str) -> Event {
        Event::Host(HostEvent {
            host,
            elapsed: Duration::ZERO,
            kind: HostEventKind::Output {
                stream,
                data: data.as_bytes().to_vec(),
            },
        })
    }

    pub fn outcome(status: Status, stdout: &str, stderr: &str) -> HostOutcome {
        let mut o = HostOutcome::new(status, Duration::from_millis(120));
        o.stdout = Captured::with_limit(1024);
        o.stdout.push(stdout.as_bytes());
        o.stderr = Captured::with_limit(1024);
        o.stderr.push(stderr.as_bytes());
        o
    }

    pub fn summary(hosts: usize, statuses: &[HostStatus]) -> Summary {
        let mut s = Summary::new(hosts);
        for status in statuses {
            s.counts.add(*status);
        }
        s.elapsed = Duration::from_millis(1500);
        s
    }

    /// Feeds `events` to `renderer`, finishes it with `summary`, and returns what it wrote
    /// to stdout and to stderr.
    pub fn render(
        renderer: &mut dyn Renderer,
        events: Vec<Event>,
        summary: &Summary,
    ) -> (String, String) {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut out = Out {
            stdout: &mut stdout,
            stderr: &mut stderr,
        };
        for event in events {
            renderer.event(&event, &mut out);
        }
        renderer.finish(summary, &mut out);
        (
            String::from_utf8(stdout).unwrap(),
            String::from_utf8(stderr).unwrap(),
        )
    }

    fn failed(code: i32) -> Status {
        Status::Failed {
            exit_code: Some(code),
            signal: None,
            reason: None,
        }
    }

    #[test]
    fn a_block_per_host_then_the_summary_line() {
        let mut r = BlockRenderer::new(2, Work::Run, None, false, false, false);
        let events = vec![
            finished(host(1, "web02"), outcome(failed(3), "partial", "oops\n")),
            finished(host(0, "web01"), outcome(Status::Ok, "up 3 days\n", "")),
        ];
        let s = summary(2, &[HostStatus::Ok, HostStatus::Failed]);
        let (stdout, stderr) = render(&mut r, events, &s);
        assert_eq!(
            stdout,
            "=== web02: FAILED, exit 3, 0.12s\n\
             partial\n\
             --- web02 stderr\n\
             oops\n\
             === web01: ok, exit 0, 0.12s\n\
             up 3 days\n\
             2 hosts: 1 ok, 1 failed in 1.50s\n"
        );
        assert_eq!(stderr, "");
    }

    #[test]
    fn a_push_block_lists_files_and_leaves_out_the_scripts_stderr() {
        let mut r = BlockRenderer::new(1, Work::Push { bytes: 5 }, None, false, false, false);
        let mut o = outcome(Status::Changed, "", "mv: noise\n");
        o.transfer = Some(TransferReport {
            files: vec![FileReport {
                local: "./app.conf".into(),
                remote: "/etc/app.conf".into(),
                bytes: 1300,
                sha256: "3a7bd3e2aa".into(),
                changed: true,
            }],
        });
        let s = summary(1, &[HostStatus::Changed]);
        let (stdout, _) = render(&mut r, vec![finished(host(0, "web01"), o)], &s);
        assert_eq!(
            stdout,
            "=== web01: changed, 0.12s\n\
             \x20 changed   ./app.conf -> web01:/etc/app.conf (1.3 KiB, sha256 3a7bd3e2…)\n\
             1 host: 1 changed in 1.50s\n"
        );
    }

    #[test]
    fn gathered_hosts_print_once_under_their_folded_names() {
        let mut r = BlockRenderer::new(3, Work::Run, Some(GatherMode::Exact), false, false, false);
        let events = vec![
            finished(host(2, "web03"), outcome(Status::Ok, "v2\n", "")),
            finished(host(1, "web02"), outcome(Status::Ok, "v1\n", "")),
            finished(host(0, "web01"), outcome(Status::Ok, "v1\n", "")),
        ];
        let s = summary(3, &[HostStatus::Ok; 3]);
        let (stdout, _) = render(&mut r, events, &s);
        assert_eq!(
            stdout,
            "=== web[01-02] (2): ok, exit 0\n\
             v1\n\
             === web03: ok, exit 0\n\
             v2\n\
             3 hosts: 3 ok in 1.50s\n"
        );
    }

    #[test]
    fn stream_prefixes_whole_lines_and_keeps_stderr_on_stderr() {
        let mut r = StreamRenderer::new(["web01", "db1"], false);
        assert!(r.wants_output());
        let db = host(1, "db1");
        let events = vec![
            output(db.clone(), Stream::Stdout, "one\ntw"),
            output(db.clone(), Stream::Stderr, "warn\n"),
            output(db.clone(), Stream::Stdout, "o\nthree"),
            Event::Interrupted { abort: false },
            finished(db, outcome(Status::Ok, "", "")),
        ];
        let s = summary(2, &[HostStatus::Ok]);
        let (stdout, stderr) = render(&mut r, events, &s);
        assert_eq!(
            stdout,
            "  db1: one\n  db1: two\n  db1: three\n=== db1: ok, exit 0, 0.12s\n\
             2 hosts: 1 ok in 1.50s\n"
        );
        assert_eq!(
            stderr,
            "  db1: warn\n\
             hostctl: interrupted: starting no more hosts, waiting for running ones (Ctrl-C again to abort them)\n"
        );
    }

    #[test]
    fn colour_is_the_callers_choice() {
        let o = outcome(failed(1), "", "");
        assert_eq!(
            header("web01", &o, false),
            "=== web01: FAILED, exit 1, 0.12s"
        );
        assert_eq!(
            header("web01", &o, true),
            "=== web01: \u{1b}[1m\u{1b}[31mFAILED\u{1b}[0m, exit 1, 0.12s"
        );
    }
}
