//! Jump hosts, shared by every host behind them. The first host that needs a bastion opens one
//! session to it (through the hops before it, if any) and hands it to a pump thread. Every host
//! behind that bastion then gets its own `direct-tcpip` channel on that one session, carried to
//! one end of a socketpair, which its inner session uses as if it were the TCP socket.
//!
//! So a run makes one connection and one authentication per bastion, whatever the fan-out. The
//! bastion's sshd `MaxStartups` (10 unauthenticated connections by default, then refusals)
//! no longer limits how many hosts can go through it. libssh2 sessions are not thread-safe:
//! the bastion's session lives on its pump thread only, and the hosts talk to it by message.

use super::session::{Connection, is_connection_lost, is_eagain};
use super::target::{Failure, Target};
use crate::event::FailureKind;
use std::collections::{HashMap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The bastions of one run, one session each.
#[derive(Default)]
pub struct Bastions {
    slots: Mutex<HashMap<String, Arc<Mutex<Slot>>>>,
}

#[derive(Default)]
enum Slot {
    #[default]
    Empty,
    Up(Handle),
    /// Could not be reached: the hosts queued behind it fail at once with the same reason.
    Failed {
        failure: Failure,
        at: Instant,
    },
}

/// How long a bastion that could not be reached is reported without a new attempt. Shorter
/// than `--retry`'s first back-off (1 s), so a retry does try again.
const REMEMBER_FAILURE: Duration = Duration::from_millis(500);

struct Handle {
    requests: Sender<Request>,
    /// Wakes the pump from poll when a request is queued.
    wake: UnixStream,
    alive: Arc<AtomicBool>,
}

/// A host asking for a tunnel to `host:port` from the bastion.
struct Request {
    host: String,
    port: u16,
    deadline: Instant,
    reply: Sender<Result<UnixStream, Refused>>,
}

enum Refused {
    Failed(Failure),
    /// The bastion's connection went away before the tunnel was opened: worth one new session.
    BastionLost,
}

/// What identifies a hop: where, as whom, with which keys, and through which hops.
fn key(hop: &Target) -> String {
    let mut key = format!(
        "{}@{}:{} {:?} {:?} {}",
        hop.user,
        hop.address,
        hop.port,
        hop.identity_files,
        hop.certificate_files,
        hop.known_hosts.display()
    );
    for earlier in &hop.jump {
        key.push_str(" via ");
        key.push_str(&self::key(earlier));
    }
    key
}

impl Bastions {
    /// A socket to `host:port` as `hop` sees it, through the run's session to `hop`, which
    /// `open` connects when there is none. A session that was lost (the bastion restarted, the
    /// network cut) is replaced once.
    pub(super) fn tunnel(
        &self,
        hop: &Target,
        host: &str,
        port: u16,
        deadline: Instant,
        open: &dyn Fn(&Target) -> Result<Connection, Failure>,
    ) -> Result<UnixStream, Failure> {
        let slot = self
            .slots
            .lock()
            .expect("bastions lock")
            .entry(key(hop))
            .or_default()
            .clone();
        let lost = || {
            Failure::new(
                FailureKind::Connect,
                format!("jump host {}: connection lost", hop.name),
            )
        };
        for _attempt in 0..2 {
            let (reply, answer) = mpsc::channel();
            {
                // Hosts behind a bastion that is being connected wait here for the outcome.
                let mut slot = slot.lock().expect("bastion slot lock");
                let handle = connected(&mut slot, hop, open)?;
                let request = Request {
                    host: host.to_string(),
                    port,
                    deadline,
                    reply,
                };
                if handle.requests.send(request).is_err() {
                    continue;
                }
                let _ = (&handle.wake).write(&[1]);
            }
            return match answer.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Ok(socket)) => Ok(socket),
                Ok(Err(Refused::Failed(failure))) => Err(failure),
                Ok(Err(Refused::BastionLost)) | Err(RecvTimeoutError::Disconnected) => continue,
                Err(RecvTimeoutError::Timeout) => Err(Failure::new(
                    FailureKind::Connect,
                    format!(
                        "jump host {}: opening the tunnel to {host}:{port} timed out",
                        hop.name
                    ),
                )),
            };
        }
        Err(lost())
    }
}

/// The slot's live session, connecting it first when there is none (or it was lost).
fn connected<'s>(
    slot: &'s mut Slot,
    hop: &Target,
    open: &dyn Fn(&Target) -> Result<Connection, Failure>,
) -> Result<&'s Handle, Failure> {
    if let Slot::Failed { failure, at } = &*slot
        && at.elapsed() < REMEMBER_FAILURE
    {
        return Err(failure.clone());
    }
    if !matches!(&*slot, Slot::Up(h) if h.alive.load(Ordering::SeqCst)) {
        *slot = match open(hop) {
            Ok(conn) => Slot::Up(spawn(conn)?),
            Err(f) => Slot::Failed {
                failure: Failure::new(f.kind, format!("jump host {}: {}", hop.name, f.reason)),
                at: Instant::now(),
            },
        };
    }
    match &*slot {
        Slot::Up(handle) => Ok(handle),
        Slot::Failed { failure, .. } => Err(failure.clone()),
        Slot::Empty => unreachable!("a slot is filled before use"),
    }
}

fn spawn(bastion: Connection) -> Result<Handle, Failure> {
    let fail = |e: std::io::Error| Failure::new(FailureKind::Connect, format!("tunnel: {e}"));
    let (requests, inbox) = mpsc::channel();
    let (wake, woken) = UnixStream::pair().map_err(fail)?;
    wake.set_nonblocking(true).map_err(fail)?;
    woken.set_nonblocking(true).map_err(fail)?;
    let alive = Arc::new(AtomicBool::new(true));
    let flag = alive.clone();
    std::thread::Builder::new()
        .name("hostctl-bastion".into())
        .stack_size(256 * 1024)
        .spawn(move || pump(bastion, inbox, woken, &flag))
        .map_err(fail)?;
    Ok(Handle {
        requests,
        wake,
        alive,
    })
}

/// Bytes waiting to be written on one side.
#[derive(Default)]
struct Pending {
    data: Vec<u8>,
    at: usize,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.at == self.data.len()
    }

    fn fill(&mut self, bytes: &[u8]) {
        self.data.clear();
        self.data.extend_from_slice(bytes);
        self.at = 0;
    }
}

/// One direction's step: read when nothing is pending, write what is. `Err` ends the tunnel
/// (that side closed or failed); `Ok(true)` means bytes moved.
fn carry(
    from: &mut impl Read,
    to: &mut impl Write,
    pending: &mut Pending,
    buf: &mut [u8],
) -> Result<bool, ()> {
    let mut progressed = false;
    if pending.is_empty() {
        match from.read(buf) {
            Ok(0) => return Err(()),
            Ok(n) => {
                pending.fill(&buf[..n]);
                progressed = true;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => return Err(()),
        }
    }
    if !pending.is_empty() {
        match to.write(&pending.data[pending.at..]) {
            Ok(n) => {
                pending.at += n;
                progressed = true;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => return Err(()),
        }
    }
    Ok(progressed)
}

/// One host's tunnel: its channel on the bastion, and the socket its inner session reads.
struct Tunnel {
    channel: ssh2::Channel,
    local: UnixStream,
    up: Pending,
    down: Pending,
}

/// The bastion's thread: opens the channels asked for, one at a time (libssh2 keeps one
/// channel open in progress per session), and carries every tunnel's bytes both ways. A
/// tunnel ends when its host's session or the target closes; the thread ends when the run
/// has no more use for the bastion, or the bastion's connection is lost.
fn pump(bastion: Connection, inbox: Receiver<Request>, woken: UnixStream, alive: &AtomicBool) {
    let mut pump = Pump {
        bastion,
        inbox,
        inbox_open: true,
        woken,
        queue: VecDeque::new(),
        tunnels: Vec::new(),
        buf: vec![0u8; 64 * 1024],
        lost: false,
    };
    loop {
        pump.take_requests();
        let opened = pump.open_next();
        let carried = pump.carry_all();
        if pump.lost || (!pump.inbox_open && pump.queue.is_empty() && pump.tunnels.is_empty()) {
            break;
        }
        if !opened && !carried {
            pump.wait();
        }
    }
    // From here on, hosts open a new session instead of queueing here. Whatever is queued
    // already learns that this one is gone; tunnels close before the session.
    alive.store(false, Ordering::SeqCst);
    let Pump {
        bastion,
        inbox,
        mut queue,
        tunnels,
        ..
    } = pump;
    queue.extend(inbox.try_iter());
    for request in queue {
        let _ = request.reply.send(Err(Refused::BastionLost));
    }
    for mut t in tunnels {
        t.close();
    }
    drop(bastion);
}

struct Pump {
    bastion: Connection,
    inbox: Receiver<Request>,
    inbox_open: bool,
    woken: UnixStream,
    queue: VecDeque<Request>,
    tunnels: Vec<Tunnel>,
    buf: Vec<u8>,
    /// The bastion's connection is gone: every tunnel with it.
    lost: bool,
}

impl Pump {
    fn take_requests(&mut self) {
        let mut drained = [0u8; 64];
        while matches!(self.woken.read(&mut drained), Ok(n) if n > 0) {}
        loop {
            match self.inbox.try_recv() {
                Ok(request) => self.queue.push_back(request),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.inbox_open = false;
                    break;
                }
            }
        }
    }

    /// Works on the oldest request; true when it was answered.
    fn open_next(&mut self) -> bool {
        let Some(request) = self.queue.front() else {
            return false;
        };
        let peer = self.bastion.peer();
        let target = format!("{}:{}", request.host, request.port);
        let channel = if Instant::now() >= request.deadline {
            Err(format!(
                "{peer} could not open a tunnel to {target} in time"
            ))
        } else {
            match self
                .bastion
                .session
                .channel_direct_tcpip(&request.host, request.port, None)
            {
                Ok(channel) => Ok(channel),
                Err(e) if is_eagain(&e) => return false,
                // Left queued: answered when the thread ends, so the host tries a new session.
                Err(e) if is_connection_lost(&e) => {
                    self.lost = true;
                    return false;
                }
                Err(e) => Err(format!(
                    "{peer} could not connect to {target}: {}",
                    e.message()
                )),
            }
        };
        let request = self.queue.pop_front().expect("front exists");
        let reply = channel
            .map_err(|reason| Failure::new(FailureKind::Connect, reason))
            .and_then(|channel| pair().map(|(ours, theirs)| (channel, ours, theirs)));
        match reply {
            // A host that gave up waiting has dropped its receiver: the channel goes too.
            Ok((channel, local, theirs)) => {
                if request.reply.send(Ok(theirs)).is_ok() {
                    self.tunnels.push(Tunnel {
                        channel,
                        local,
                        up: Pending::default(),
                        down: Pending::default(),
                    });
                }
            }
            Err(failure) => {
                let _ = request.reply.send(Err(Refused::Failed(failure)));
            }
        }
        true
    }

    /// One step of every tunnel, both ways; true when bytes moved or a tunnel ended.
    fn carry_all(&mut self) -> bool {
        let mut progressed = false;
        let (buf, session) = (&mut self.buf, &self.bastion.session);
        let mut lost = false;
        self.tunnels.retain_mut(|t| {
            let up = carry(&mut t.local, &mut t.channel, &mut t.up, buf);
            let down = up.and_then(|_| carry(&mut t.channel, &mut t.local, &mut t.down, buf));
            if let (Ok(sent), Ok(received)) = (up, down) {
                progressed |= sent || received;
                return true;
            }
            lost |=
                ssh2::Error::last_session_error(session).is_some_and(|e| is_connection_lost(&e));
            t.close();
            progressed = true;
            false
        });
        self.lost |= lost;
        progressed
    }

    /// Sleeps until the bastion, a tunnel or a new request has something, at most 200 ms.
    fn wait(&mut self) {
        let mut fds = vec![(self.woken.as_raw_fd(), libc::POLLIN)];
        for t in &self.tunnels {
            let mut events = 0;
            if t.up.is_empty() {
                events |= libc::POLLIN;
            }
            if !t.down.is_empty() {
                events |= libc::POLLOUT;
            }
            fds.push((t.local.as_raw_fd(), events));
        }
        self.lost |= self
            .bastion
            .poll_with(&fds, Duration::from_millis(200))
            .unwrap_or(true);
    }
}

impl Tunnel {
    fn close(&mut self) {
        let _ = self.local.shutdown(std::net::Shutdown::Both);
        let _ = self.channel.close();
    }
}

fn pair() -> Result<(UnixStream, UnixStream), Failure> {
    let fail = |e: std::io::Error| Failure::new(FailureKind::Connect, format!("socketpair: {e}"));
    let (ours, theirs) = UnixStream::pair().map_err(fail)?;
    ours.set_nonblocking(true).map_err(fail)?;
    Ok((ours, theirs))
}
