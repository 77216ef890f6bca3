//! Jump hosts: a `direct-tcpip` channel through a bastion, pumped into one end of a socketpair by
//! a thread of its own; the inner session uses the other end as if it were the TCP socket. The
//! bastion's session lives on that thread only, and the tunnel ends when either side closes
//! (the inner session dropped, or the bastion or target went away).

use super::Failure;
use super::session::{Connection, Stop};
use crate::event::FailureKind;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

pub fn open(
    bastion: Connection,
    host: &str,
    port: u16,
    deadline: Instant,
) -> Result<UnixStream, Failure> {
    let channel = bastion
        .wait(Some(deadline), || {
            bastion.session.channel_direct_tcpip(host, port, None)
        })
        .map_err(|stop| match stop {
            Stop::Ssh(e) => Failure::new(
                FailureKind::Connect,
                format!(
                    "{} could not connect to {host}:{port}: {}",
                    bastion.peer(),
                    e.message()
                ),
            ),
            other => bastion.failure(other, FailureKind::Connect, "opening the tunnel"),
        })?;
    let (ours, theirs) = UnixStream::pair()
        .map_err(|e| Failure::new(FailureKind::Connect, format!("socketpair: {e}")))?;
    ours.set_nonblocking(true)
        .map_err(|e| Failure::new(FailureKind::Connect, format!("socketpair: {e}")))?;
    std::thread::Builder::new()
        .name("hostctl-tunnel".into())
        .stack_size(256 * 1024)
        .spawn(move || pump(bastion, channel, ours))
        .map_err(|e| Failure::new(FailureKind::Connect, format!("tunnel thread: {e}")))?;
    Ok(theirs)
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

fn pump(bastion: Connection, mut channel: ssh2::Channel, mut local: UnixStream) {
    let mut buf = vec![0u8; 64 * 1024];
    let (mut up, mut down) = (Pending::default(), Pending::default());
    // Inner session -> bastion channel, then back. Either side closing ends the tunnel: the
    // inner session gone, or the target closed (the inner session then sees EOF).
    while let Ok(sent) = carry(&mut local, &mut channel, &mut up, &mut buf) {
        let Ok(received) = carry(&mut channel, &mut local, &mut down, &mut buf) else {
            break;
        };
        let progressed = sent || received;
        if !progressed {
            let mut events = 0;
            if up.is_empty() {
                events |= libc::POLLIN;
            }
            if !down.is_empty() {
                events |= libc::POLLOUT;
            }
            if bastion
                .poll_with(local.as_raw_fd(), events, Duration::from_millis(200))
                .is_err()
            {
                break;
            }
        }
    }
    let _ = local.shutdown(std::net::Shutdown::Both);
    let _ = channel.close();
    drop(channel);
    drop(bastion);
}
