//! Forwarding: every record the writer puts in the local log also goes to each destination
//! (`syslog+udp://`, `syslog+tcp://`, `syslog+tls://`, `journald`), so the site's log pipeline
//! holds a copy the controller cannot rewrite.
//!
//! The writer hands each record to `Forwarder::push` under the audit lock, which queues it in
//! every destination's spool (`spool.rs`) in log order. One thread per destination delivers the
//! spool in order and moves past a batch only once the collector confirmed it (`syslog.rs`,
//! `journald.rs`). A collector that is down just leaves the messages queued: they go out at
//! the start of the next operation, or with `hostctl log forward`. With `required`, the caller
//! waits for each record to be confirmed (`wait`) and stops when it cannot be.

use super::link::{Envelope, Link, OpContext};
use super::record::{Line, Record};
use super::spool::{PushError, Spool};
use super::{journald, syslog};

pub use super::syslog::Transport;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Default bound of each destination's spool.
pub const DEFAULT_SPOOL_SIZE: u64 = 64 << 20;

/// Where the spools live, under the log directory.
pub const SPOOL_DIR: &str = "forward";

/// Between attempts while a collector is down (new records do not retry sooner).
const RETRY: Duration = Duration::from_secs(2);

/// Where records go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Destination {
    Syslog {
        transport: Transport,
        host: String,
        port: u16,
    },
    /// The native journal protocol on this unix datagram socket.
    Journald { socket: PathBuf },
}

pub const JOURNALD_SOCKET: &str = "/run/systemd/journal/socket";

/// The forms a destination may take, named in the refusals.
const EXPECTED: &str = "expected `syslog+udp://HOST:PORT`, `syslog+tcp://HOST:PORT`, `syslog+tls://HOST:PORT` or `journald`";

/// Why a destination URL (`--audit-forward`, `[audit] forward`) is refused; `url` is as
/// written, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    #[error(
        "`{url}`: a journald socket is an absolute path (`journald:///run/systemd/journal/socket`)"
    )]
    RelativeSocket { url: String },
    #[error("unknown audit destination `{url}`: {}", EXPECTED)]
    Unknown { url: String },
    #[error("`{url}`: unclosed `[` in the address")]
    Unclosed { url: String },
    #[error("`{url}`: invalid host `{host}` ({})", EXPECTED)]
    BadHost { url: String, host: String },
    #[error("`{url}`: invalid port `{port}` (1-65535)")]
    BadPort { url: String, port: String },
}

impl Destination {
    /// `syslog+udp://HOST[:PORT]`, `syslog+tcp://HOST[:PORT]`, `syslog+tls://HOST[:PORT]`
    /// (IPv6 in brackets), `journald`, or `journald:///SOCKET`.
    pub fn parse(text: &str) -> Result<Destination, DestinationError> {
        let t = text.trim();
        let url = || t.to_string();
        if t == "journald" {
            return Ok(Destination::Journald {
                socket: PathBuf::from(JOURNALD_SOCKET),
            });
        }
        if let Some(path) = t.strip_prefix("journald://") {
            if !path.starts_with('/') {
                return Err(DestinationError::RelativeSocket { url: url() });
            }
            return Ok(Destination::Journald {
                socket: PathBuf::from(path),
            });
        }
        let (transport, rest, default_port) = if let Some(r) = t.strip_prefix("syslog+udp://") {
            (Transport::Udp, r, 514)
        } else if let Some(r) = t.strip_prefix("syslog+tcp://") {
            (Transport::Tcp, r, 514)
        } else if let Some(r) = t.strip_prefix("syslog+tls://") {
            (Transport::Tls, r, 6514)
        } else {
            return Err(DestinationError::Unknown { url: url() });
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| DestinationError::Unclosed { url: url() })?;
            (host, after.strip_prefix(':'))
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        if host.is_empty() || host.contains(['/', '@', '?', '#', ' ']) {
            return Err(DestinationError::BadHost {
                url: url(),
                host: host.into(),
            });
        }
        let port = match port {
            None => default_port,
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| {
                DestinationError::BadPort {
                    url: url(),
                    port: p.into(),
                }
            })?,
        };
        Ok(Destination::Syslog {
            transport,
            host: host.to_string(),
            port,
        })
    }

    /// The canonical form, as `parse` reads it back.
    pub fn url(&self) -> String {
        match self {
            Destination::Journald { socket } if socket == Path::new(JOURNALD_SOCKET) => {
                "journald".into()
            }
            Destination::Journald { socket } => format!("journald://{}", socket.display()),
            Destination::Syslog {
                transport,
                host,
                port,
            } => {
                let scheme = match transport {
                    Transport::Udp => "udp",
                    Transport::Tcp => "tcp",
                    Transport::Tls => "tls",
                };
                if host.contains(':') {
                    format!("syslog+{scheme}://[{host}]:{port}")
                } else {
                    format!("syslog+{scheme}://{host}:{port}")
                }
            }
        }
    }

    /// Its spool's directory name: readable, and unique through a digest of the URL.
    pub fn spool_name(&self) -> String {
        let url = self.url();
        let readable: String = url
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let digest = super::files::hash_line(&url);
        format!("{}-{}", readable.trim_matches('_'), &digest[..8])
    }
}

/// How records are forwarded: the inventory's `[audit]` table and the command line, merged.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub destinations: Vec<Destination>,
    /// No host is contacted until the start record reached every destination; a record that
    /// cannot be delivered stops new hosts.
    pub required: bool,
    /// Bound of each destination's spool, in bytes.
    pub spool_size: Option<u64>,
    /// CA certificates (PEM) that `syslog+tls` collectors must chain to.
    pub ca_file: Option<PathBuf>,
}

/// What a destination's spool keeps besides the messages, so `hostctl log forward` can deliver
/// them without the inventory.
#[derive(Debug, Serialize, Deserialize)]
pub struct SpoolConfig {
    pub destination: Destination,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub spool_size: Option<u64>,
}

/// Why a record did not reach a destination.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ForwardError {
    #[error("`{url}`: {reason}")]
    Undelivered { url: String, reason: String },
    #[error(
        "`{url}`: the spool is full ({pending} of {limit} bytes waiting): {dropped} record{} not forwarded (they are in the local log); raise `[audit] spool_size`",
        if *dropped == 1 { "" } else { "s" }
    )]
    SpoolFull {
        url: String,
        pending: u64,
        limit: u64,
        dropped: u64,
    },
    #[error("`{url}`: cannot use the spool in `{}`: {reason}", dir.display())]
    Spool {
        url: String,
        dir: PathBuf,
        reason: String,
    },
}

/// The link for a destination.
pub fn link(dest: &Destination, ca_file: Option<&Path>) -> Result<Box<dyn Link>, String> {
    Ok(match dest {
        Destination::Syslog {
            transport,
            host,
            port,
        } => Box::new(syslog::SyslogLink::new(*transport, host, *port, ca_file)?),
        Destination::Journald { socket } => Box::new(journald::JournaldLink::new(socket)),
    })
}

/// A destination's delivery state, shared by its thread and the writer.
#[derive(Default)]
struct Progress {
    /// Records pushed by this process so far.
    pushed: u64,
    /// Every record pushed before this count has been delivered.
    delivered: u64,
    /// The last attempt that failed: the push count when it read the spool, and why.
    failed: Option<(u64, String)>,
    /// Deliver now, even while backing off.
    urgent: bool,
    wake: bool,
    quit: bool,
    /// Records the spool refused.
    dropped: u64,
    full: Option<(u64, u64)>,
    /// A record could not be queued at all (not a full spool).
    spool_error: Option<String>,
}

struct Shared {
    progress: Mutex<Progress>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One destination: its spool and the thread that delivers it.
struct Outlet {
    dest: Destination,
    spool: Arc<Spool>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Outlet {
    fn open(log_dir: &Path, config: SpoolConfig) -> Result<Outlet, ForwardError> {
        let dest = &config.destination;
        let dir = log_dir.join(SPOOL_DIR).join(dest.spool_name());
        let spool_err = |reason: String| ForwardError::Spool {
            url: dest.url(),
            dir: dir.clone(),
            reason,
        };
        let limit = config.spool_size.unwrap_or(DEFAULT_SPOOL_SIZE);
        let spool = Arc::new(Spool::open(&dir, limit).map_err(|e| spool_err(e.to_string()))?);
        let text = serde_json::to_string_pretty(&config).expect("config serializes");
        super::private::open(
            &dir.join("destination.json"),
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true),
        )
        .and_then(|mut f| std::io::Write::write_all(&mut f, (text + "\n").as_bytes()))
        .map_err(|e| spool_err(e.to_string()))?;
        let link =
            link(dest, config.ca_file.as_deref()).map_err(|reason| ForwardError::Undelivered {
                url: dest.url(),
                reason,
            })?;
        Ok(Outlet::start(dest.clone(), spool, link))
    }

    fn start(dest: Destination, spool: Arc<Spool>, link: Box<dyn Link>) -> Outlet {
        let shared = Arc::new(Shared {
            progress: Mutex::new(Progress {
                wake: true, // what earlier runs left in the spool goes first
                ..Progress::default()
            }),
            changed: Condvar::new(),
        });
        let thread = {
            let (spool, shared) = (spool.clone(), shared.clone());
            std::thread::Builder::new()
                .name("audit-forward".into())
                .spawn(move || deliver_loop(&spool, &shared, link))
                .expect("spawn the forwarding thread")
        };
        Outlet {
            dest,
            spool,
            shared,
            thread: Some(thread),
        }
    }

    fn push(&self, message: &[u8]) {
        let result = self.spool.push(message);
        let mut p = self.shared.lock();
        match result {
            Ok(()) => {
                p.pushed += 1;
                p.wake = true;
            }
            Err(PushError::Full { pending, limit }) => {
                p.dropped += 1;
                p.full = Some((pending, limit));
            }
            Err(PushError::Io(e)) => {
                p.dropped += 1;
                p.spool_error.get_or_insert(e.to_string());
            }
        }
        self.shared.changed.notify_all();
    }

    /// Waits until every record pushed so far was delivered, or an attempt made after the
    /// last push failed, or the deadline passed.
    fn wait(&self, deadline: Instant) -> Result<(), ForwardError> {
        let mut p = self.shared.lock();
        let target = p.pushed;
        p.urgent = true;
        p.wake = true;
        self.shared.changed.notify_all();
        loop {
            if let Some((pending, limit)) = p.full {
                return Err(ForwardError::SpoolFull {
                    url: self.dest.url(),
                    pending,
                    limit,
                    dropped: p.dropped,
                });
            }
            if let Some(reason) = &p.spool_error {
                return Err(ForwardError::Spool {
                    url: self.dest.url(),
                    dir: self.spool.dir().to_path_buf(),
                    reason: reason.clone(),
                });
            }
            if p.delivered >= target {
                return Ok(());
            }
            if let Some((at, reason)) = &p.failed
                && *at >= target
            {
                return Err(ForwardError::Undelivered {
                    url: self.dest.url(),
                    reason: reason.clone(),
                });
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ForwardError::Undelivered {
                    url: self.dest.url(),
                    reason: "timed out waiting for the collector".into(),
                });
            }
            p = self
                .shared
                .changed
                .wait_timeout(p, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn stop(&mut self) {
        self.shared.lock().quit = true;
        self.shared.changed.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Outlet {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The destination's thread: deliver whenever woken, back off while the collector is down.
fn deliver_loop(spool: &Spool, shared: &Shared, mut link: Box<dyn Link>) {
    let mut last_failure: Option<Instant> = None;
    loop {
        let mut p = shared.lock();
        loop {
            if p.quit {
                return;
            }
            let backing_off = last_failure.is_some_and(|t| t.elapsed() < RETRY) && !p.urgent;
            if p.wake && !backing_off {
                break;
            }
            let wait = match last_failure {
                Some(t) if p.wake => RETRY.saturating_sub(t.elapsed()),
                _ => Duration::from_secs(3600),
            };
            p = shared
                .changed
                .wait_timeout(p, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        p.wake = false;
        p.urgent = false;
        drop(p);
        match drain(spool, shared, link.as_mut()) {
            Ok(()) => last_failure = None,
            Err((at, reason)) => {
                last_failure = Some(Instant::now());
                let mut p = shared.lock();
                p.failed = Some((at, reason));
                p.wake = true; // still something to send: try again after the pause
                shared.changed.notify_all();
            }
        }
    }
}

/// Delivers the spool to its end; on failure returns the push count the failed read saw.
fn drain(spool: &Spool, shared: &Shared, link: &mut dyn Link) -> Result<(), (u64, String)> {
    let seen = || shared.lock().pushed;
    let fail = |at: u64, e: &dyn std::fmt::Display| (at, e.to_string());
    let at = seen();
    let _sending = spool.sending().map_err(|e| fail(at, &e))?;
    loop {
        let at = seen();
        let batch = spool.next_batch().map_err(|e| fail(at, &e))?;
        let Some(batch) = batch else {
            let mut p = shared.lock();
            p.delivered = p.delivered.max(at);
            p.failed = None;
            shared.changed.notify_all();
            return Ok(());
        };
        let lines: Vec<&[u8]> = batch.lines().collect();
        link.deliver(&lines).map_err(|e| fail(at, &e))?;
        spool.confirm(&batch).map_err(|e| fail(at, &e))?;
    }
}

/// Forwards the records one process writes.
pub struct Forwarder {
    outlets: Vec<Outlet>,
    required: bool,
    ops: HashMap<String, OpContext>,
    hostname: String,
}

impl Forwarder {
    /// Opens each destination's spool and starts delivering what earlier runs left in it.
    pub fn start(log_dir: &Path, settings: &Settings) -> Result<Forwarder, ForwardError> {
        let configs = settings.destinations.iter().map(|dest| SpoolConfig {
            destination: dest.clone(),
            ca_file: settings.ca_file.clone(),
            spool_size: settings.spool_size,
        });
        Forwarder::with(log_dir, configs, settings.required)
    }

    /// For the records `hostctl log` commands write (`prune`, `seal init`), which read no
    /// inventory: every destination that has a spool in the log directory, as it recorded
    /// itself there. None when there is none.
    pub fn from_spools(log_dir: &Path) -> Result<Option<Forwarder>, ForwardError> {
        let configs = spools(log_dir).map_err(|e| ForwardError::Spool {
            url: "every destination".into(),
            dir: log_dir.join(SPOOL_DIR),
            reason: e.to_string(),
        })?;
        if configs.is_empty() {
            return Ok(None);
        }
        let forwarder = Forwarder::with(log_dir, configs.into_iter().map(|(_, c)| c), false)?;
        Ok(Some(forwarder))
    }

    fn with(
        log_dir: &Path,
        configs: impl Iterator<Item = SpoolConfig>,
        required: bool,
    ) -> Result<Forwarder, ForwardError> {
        let mut outlets: Vec<Outlet> = Vec::new();
        for config in configs {
            if outlets.iter().any(|o| o.dest == config.destination) {
                continue;
            }
            outlets.push(Outlet::open(log_dir, config)?);
        }
        let operator = super::stamp::operator();
        Ok(Forwarder {
            outlets,
            required,
            ops: HashMap::new(),
            hostname: operator.rsplit('@').next().unwrap_or("-").to_string(),
        })
    }

    pub fn required(&self) -> bool {
        self.required
    }

    /// Queues one written record for every destination (called under the audit lock, so
    /// every spool holds the records in log order).
    pub fn push(&mut self, line: &Line, text: &str, hash: &str) {
        if let Record::Start(s) = &line.record {
            self.ops.insert(
                s.op.clone(),
                OpContext {
                    operator: s.operator.clone(),
                    operation: s.operation.clone(),
                    pattern: s.pattern.clone(),
                },
            );
        }
        let entry = Envelope::new(line, hash, &self.ops, &self.hostname);
        let message = entry.to_spool(text);
        for outlet in &self.outlets {
            outlet.push(&message);
        }
    }

    /// Waits until every record pushed so far reached every destination (in parallel), up to
    /// `timeout`; the first destination that could not be reached is the error.
    pub fn wait(&self, timeout: Duration) -> Result<(), ForwardError> {
        let deadline = Instant::now() + timeout;
        let mut first = None;
        for outlet in &self.outlets {
            if let Err(e) = outlet.wait(deadline) {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// At the end of an operation: one last delivery attempt per destination, then what is
    /// still pending (a warning each) and what was lost (the error).
    pub fn finish(mut self, timeout: Duration) -> Finish {
        let deadline = Instant::now() + timeout;
        let mut finish = Finish::default();
        for outlet in &self.outlets {
            match outlet.wait(deadline) {
                Ok(()) => {}
                Err(e @ (ForwardError::SpoolFull { .. } | ForwardError::Spool { .. })) => {
                    finish.lost.push(e)
                }
                Err(e) => {
                    let (records, bytes) = outlet.spool.pending().unwrap_or((0, 0));
                    finish.pending.push(Pending {
                        url: outlet.dest.url(),
                        records,
                        bytes,
                        reason: e.to_string(),
                    });
                }
            }
        }
        for outlet in &mut self.outlets {
            outlet.stop();
        }
        finish
    }
}

/// How forwarding ended for one operation.
#[derive(Debug, Default)]
pub struct Finish {
    /// Destinations that still have records waiting (sent later).
    pub pending: Vec<Pending>,
    /// Records that will never be forwarded (a full spool, a broken spool).
    pub lost: Vec<ForwardError>,
}

#[derive(Debug)]
pub struct Pending {
    pub url: String,
    pub records: u64,
    pub bytes: u64,
    pub reason: String,
}

/// How long `--audit-required` waits for a record to be confirmed.
pub const REQUIRED_WAIT: Duration = Duration::from_secs(15);

/// How long the end of an operation waits for the last records to go out.
pub const FINISH_WAIT: Duration = Duration::from_secs(10);

/// With `required`: whether everything written so far reached every destination.
pub fn confirmed(forwarder: Option<&Forwarder>) -> Result<(), ForwardError> {
    match forwarder {
        Some(f) if f.required() => f.wait(REQUIRED_WAIT),
        _ => Ok(()),
    }
}

/// The end of an operation's forwarding (the log's forwarder, taken from it): a warning on
/// stderr for each destination that still has records waiting; the error when records were
/// lost (a full spool).
pub fn conclude(forwarder: Option<Forwarder>) -> Result<(), ForwardError> {
    let Some(forwarder) = forwarder else {
        return Ok(());
    };
    let finish = forwarder.finish(FINISH_WAIT);
    for p in &finish.pending {
        eprintln!(
            "hostctl: warning: audit forwarding: {}; {} record{} ({}) wait in the spool: they go first in the next operation, or now with `hostctl log forward`",
            p.reason,
            p.records,
            if p.records == 1 { "" } else { "s" },
            crate::show::bytes(p.bytes)
        );
    }
    match finish.lost.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Every spool under the log directory, with its configuration (for `hostctl log forward`).
pub fn spools(log_dir: &Path) -> std::io::Result<Vec<(PathBuf, SpoolConfig)>> {
    let root = log_dir.join(SPOOL_DIR);
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(&root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let dir = entry?.path();
        let Ok(text) = std::fs::read_to_string(dir.join("destination.json")) else {
            continue;
        };
        if let Ok(config) = serde_json::from_str::<SpoolConfig>(&text) {
            out.push((dir, config));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// What `hostctl log forward` did for one destination.
#[derive(Debug, Serialize)]
pub struct Drained {
    pub url: String,
    pub sent: u64,
    pub pending: u64,
    pub pending_bytes: u64,
    pub error: Option<String>,
}

/// Delivers one destination's spool now, in order; reports what was sent and what is left.
pub fn drain_now(log_dir: &Path, dest: &Destination, ca_file: Option<&Path>) -> Drained {
    let url = dest.url();
    let dir = log_dir.join(SPOOL_DIR).join(dest.spool_name());
    let failed = |error: String| Drained {
        url: url.clone(),
        sent: 0,
        pending: 0,
        pending_bytes: 0,
        error: Some(error),
    };
    if !dir.is_dir() {
        return Drained {
            url: url.clone(),
            sent: 0,
            pending: 0,
            pending_bytes: 0,
            error: None,
        };
    }
    let spool = match Spool::open(&dir, u64::MAX) {
        Ok(s) => s,
        Err(e) => return failed(format!("cannot open the spool in `{}`: {e}", dir.display())),
    };
    let (before, _) = spool.pending().unwrap_or((0, 0));
    let result = if before == 0 {
        Ok(())
    } else {
        match link(dest, ca_file) {
            Ok(mut link) => {
                let shared = Shared {
                    progress: Mutex::new(Progress::default()),
                    changed: Condvar::new(),
                };
                drain(&spool, &shared, link.as_mut()).map_err(|(_, e)| e)
            }
            Err(e) => Err(e),
        }
    };
    let (pending, pending_bytes) = spool.pending().unwrap_or((0, 0));
    Drained {
        url,
        sent: before.saturating_sub(pending),
        pending,
        pending_bytes,
        error: result.err(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_parse_and_print_back() {
        for (text, url) in [
            ("syslog+udp://10.0.0.1:514", "syslog+udp://10.0.0.1:514"),
            (
                "syslog+tcp://logs.example.com",
                "syslog+tcp://logs.example.com:514",
            ),
            (
                "syslog+tls://logs.example.com",
                "syslog+tls://logs.example.com:6514",
            ),
            (
                "syslog+tls://[2001:db8::1]:6514/",
                "syslog+tls://[2001:db8::1]:6514",
            ),
            ("journald", "journald"),
            ("journald:///run/j.sock", "journald:///run/j.sock"),
        ] {
            let dest = Destination::parse(text).unwrap();
            assert_eq!(dest.url(), url);
            assert_eq!(Destination::parse(url).unwrap(), dest);
        }
        for (bad, message) in [
            ("syslog://x", "unknown audit destination `syslog://x`"),
            (
                "syslog+tcp://x:0",
                "`syslog+tcp://x:0`: invalid port `0` (1-65535)",
            ),
            (
                "syslog+tcp://x:http",
                "`syslog+tcp://x:http`: invalid port `http` (1-65535)",
            ),
            ("syslog+udp://:514", "`syslog+udp://:514`: invalid host ``"),
            (
                "journald://run/j",
                "`journald://run/j`: a journald socket is an absolute path",
            ),
        ] {
            let err = Destination::parse(bad).unwrap_err().to_string();
            assert!(err.starts_with(message), "{bad}: {err}");
        }
    }

    /// Every refusal of a destination, whole: `--audit-forward` and `[audit] forward` show them.
    #[test]
    fn bad_destinations_say_exactly_this() {
        let expected = "expected `syslog+udp://HOST:PORT`, `syslog+tcp://HOST:PORT`, `syslog+tls://HOST:PORT` or `journald`";
        for (bad, message) in [
            (
                " syslog://x ",
                format!("unknown audit destination `syslog://x`: {expected}"),
            ),
            (
                "journald://run/j",
                "`journald://run/j`: a journald socket is an absolute path (`journald:///run/systemd/journal/socket`)".to_string(),
            ),
            (
                "syslog+tls://[::1",
                "`syslog+tls://[::1`: unclosed `[` in the address".to_string(),
            ),
            (
                "syslog+udp://a@b:514",
                format!("`syslog+udp://a@b:514`: invalid host `a@b` ({expected})"),
            ),
            (
                "syslog+tcp://x:99999",
                "`syslog+tcp://x:99999`: invalid port `99999` (1-65535)".to_string(),
            ),
        ] {
            assert_eq!(Destination::parse(bad).unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn spool_names_are_readable_and_distinct() {
        let a = Destination::parse("syslog+tcp://127.0.0.1:514").unwrap();
        let b = Destination::parse("syslog+udp://127.0.0.1:514").unwrap();
        assert!(a.spool_name().starts_with("syslog_tcp___127.0.0.1_514-"));
        assert_ne!(a.spool_name(), b.spool_name());
    }
}
