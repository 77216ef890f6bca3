//! How a session reaches its host: straight over TCP, or through its jump hosts, the last
//! hop's tunnel carrying it (that hop reached the same way, through the hops before it).
//!
//! This is the one module that knows both the session and the tunnels, so the dependency runs
//! one way: `session.rs` works over whatever socket it is given, and `tunnel.rs` asks its caller
//! to open the connection to a bastion.

use super::known_hosts::KnownHostsCache;
use super::session::{Connection, Credentials, Transport};
use super::target::{Failure, Target};
use super::tunnel::Bastions;
use crate::event::FailureKind;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// What opening a session needs besides the target: the run's credentials, known_hosts
/// cache, shared bastion sessions, and the Ctrl-C flag.
pub struct Reach<'a> {
    pub credentials: &'a Credentials,
    pub known_hosts: &'a KnownHostsCache,
    pub bastions: &'a Bastions,
    pub abort: &'a Arc<AtomicBool>,
}

impl Reach<'_> {
    /// Connects, verifies the host key and authenticates, all within the connect timeout.
    pub fn connect(&self, target: &Target) -> Result<Connection, Failure> {
        let deadline = Instant::now() + target.connect_timeout;
        let socket = match target.jump.split_last() {
            None => Transport::Tcp(tcp_connect(target, deadline, self.abort)?),
            Some((last, earlier)) => {
                // The last hop (reached through the ones before it) opens the tunnel.
                let mut hop = last.clone();
                hop.jump = earlier.to_vec();
                Transport::Unix(self.bastions.tunnel(
                    &hop,
                    &target.address,
                    target.port,
                    deadline,
                    &|hop| self.connect(hop),
                )?)
            }
        };
        // Messages about a host behind jump hosts name the route: the cut may be on the way.
        let mut peer = format!("{}:{}", target.address, target.port);
        if let Some(last) = target.jump.last() {
            peer.push_str(&format!(" via {}", last.name));
        }
        Connection::establish(
            socket,
            peer,
            target,
            self.credentials,
            self.known_hosts,
            self.abort,
            deadline,
        )
    }
}

fn tcp_connect(
    target: &Target,
    deadline: Instant,
    abort: &AtomicBool,
) -> Result<TcpStream, Failure> {
    let addrs: Vec<SocketAddr> = (target.address.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|e| {
            Failure::new(
                FailureKind::Connect,
                format!("cannot resolve `{}`: {e}", target.address),
            )
        })?
        .collect();
    let mut last = None;
    for addr in &addrs {
        if abort.load(Ordering::Relaxed) {
            return Err(Failure::new(
                FailureKind::Interrupted,
                "connect aborted by Ctrl-C",
            ));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(addr, left) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    let reason = match last {
        Some((addr, e))
            if e.kind() == std::io::ErrorKind::TimedOut
                || e.kind() == std::io::ErrorKind::WouldBlock =>
        {
            format!(
                "connect to {addr} timed out after {}",
                humantime::format_duration(target.connect_timeout)
            )
        }
        Some((addr, e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!(
                "connection refused by {addr} (is sshd running on port {}?)",
                target.port
            )
        }
        Some((addr, e)) => format!("connect to {addr}: {e}"),
        None if addrs.is_empty() => format!("`{}` resolves to no address", target.address),
        None => format!(
            "connect to {}:{} timed out after {}",
            target.address,
            target.port,
            humantime::format_duration(target.connect_timeout)
        ),
    };
    Err(Failure::new(FailureKind::Connect, reason))
}
