//! One SSH connection over a socket it is given (`route.rs` picks it): handshake, host-key
//! verification, authentication. The session runs non-blocking and every wait goes through
//! `Connection::wait`, which polls the socket, so deadlines, Ctrl-C and keepalives work
//! everywhere.

use super::keys::LoadedKey;
use super::known_hosts::KnownHostsCache;
use super::target::{Failure, Target};
use super::user_cert::UserCert;
use crate::event::FailureKind;
use ssh2::{ErrorCode, MethodType, Session};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

const LIBSSH2_ERROR_EAGAIN: i32 = -37;
/// Wake-ups at least this often to notice Ctrl-C and send keepalives.
const TICK: Duration = Duration::from_millis(200);

/// Secrets and agents shared by every host of a run.
#[derive(Default)]
pub struct Credentials {
    /// From `--ask-pass`; never logged.
    pub password: Option<String>,
    /// ssh-agent's socket (`SSH_AUTH_SOCK`).
    pub agent: Option<PathBuf>,
    /// Identity files and certificates, each parsed once for the whole run.
    pub keys: super::keys::KeyCache,
    /// The agent's identities, listed once for the whole run.
    agent_identities: OnceLock<Result<Vec<Arc<AgentKey>>, String>>,
}

/// One identity the agent holds, ready to sign through it.
struct AgentKey {
    key: Arc<LoadedKey>,
    /// Its certificate view, when it is one.
    cert: Option<Arc<UserCert>>,
    comment: String,
}

impl Credentials {
    pub fn from_env(password: Option<String>) -> Credentials {
        Credentials {
            password,
            agent: std::env::var_os("SSH_AUTH_SOCK")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
            ..Default::default()
        }
    }

    fn agent_identities(&self) -> Option<&Result<Vec<Arc<AgentKey>>, String>> {
        let socket = self.agent.as_ref()?;
        Some(self.agent_identities.get_or_init(|| {
            let listed = super::agent::identities(socket).map_err(|e| e.to_string())?;
            Ok(listed
                .into_iter()
                .map(|identity| {
                    let name = format!("`{}` in ssh-agent", identity.comment);
                    let cert = UserCert::from_blob(name, identity.blob.clone()).ok();
                    Arc::new(AgentKey {
                        key: Arc::new(LoadedKey::from_agent(socket, identity.blob)),
                        cert: cert.map(Arc::new),
                        comment: identity.comment,
                    })
                })
                .collect())
        }))
    }
}

/// A direct TCP connection, or one end of a socketpair that a jump host's channel feeds.
pub(super) enum Transport {
    Tcp(TcpStream),
    Unix(std::os::unix::net::UnixStream),
}

impl Transport {
    fn try_clone(&self) -> std::io::Result<Transport> {
        Ok(match self {
            Transport::Tcp(s) => Transport::Tcp(s.try_clone()?),
            Transport::Unix(s) => Transport::Unix(s.try_clone()?),
        })
    }
}

impl AsRawFd for Transport {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Transport::Tcp(s) => s.as_raw_fd(),
            Transport::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// Why a wait ended without the operation completing.
pub(crate) enum Stop {
    Ssh(ssh2::Error),
    Deadline,
    Aborted,
    Io(std::io::Error),
}

pub struct Connection {
    // Field order matters: the session is freed before the socket closes.
    pub(crate) session: Session,
    socket: Transport,
    pub(super) abort: Arc<AtomicBool>,
    pub(crate) peer: String,
}

impl Connection {
    /// Over `socket` to `target` (`peer` names it in messages): the handshake, the host-key
    /// check and authentication, all before `deadline`.
    pub(super) fn establish(
        socket: Transport,
        peer: String,
        target: &Target,
        credentials: &Credentials,
        known_hosts: &KnownHostsCache,
        abort: &Arc<AtomicBool>,
        deadline: Instant,
    ) -> Result<Connection, Failure> {
        let mut session = Session::new()
            .map_err(|e| Failure::new(FailureKind::Session, format!("libssh2: {e}")))?;
        let clone = socket
            .try_clone()
            .map_err(|e| Failure::new(FailureKind::Connect, e.to_string()))?;
        match clone {
            Transport::Tcp(s) => session.set_tcp_stream(s),
            Transport::Unix(s) => session.set_tcp_stream(s),
        }
        session.set_blocking(false);
        let kh = known_hosts.get(&target.known_hosts).map_err(|e| {
            Failure::new(
                FailureKind::HostKey,
                format!(
                    "cannot read known_hosts `{}`: {e}",
                    target.known_hosts.display()
                ),
            )
        })?;
        prefer_host_key_types(
            &session,
            &kh.host_key_algorithms(&target.address, target.port, target.accept_new),
        );
        prefer_fast_ciphers(&session);
        let mut conn = Connection {
            session,
            socket,
            abort: abort.clone(),
            peer,
        };
        conn.handshake(deadline)?;
        tracing::debug!(
            host = %target.name,
            kex = conn.session.methods(MethodType::Kex).unwrap_or("?"),
            hostkey = conn.session.methods(MethodType::HostKey).unwrap_or("?"),
            cipher = conn.session.methods(MethodType::CryptCs).unwrap_or("?"),
            mac = conn.session.methods(MethodType::MacCs).unwrap_or("?"),
            "handshake done"
        );
        conn.verify_host_key(target, known_hosts)?;
        conn.authenticate(target, credentials, deadline)?;
        conn.session.set_keepalive(
            false,
            target.keepalive.as_secs().clamp(1, u32::MAX as u64) as u32,
        );
        Ok(conn)
    }

    fn handshake(&mut self, deadline: Instant) -> Result<(), Failure> {
        let peer = self.peer.clone();
        // handshake() takes &mut Session, so it cannot go through `wait`'s shared borrow.
        loop {
            match self.session.handshake() {
                Ok(()) => return Ok(()),
                Err(e) if is_eagain(&e) => {}
                Err(e) => {
                    return Err(Failure::new(
                        FailureKind::Connect,
                        format!("SSH handshake with {peer} failed: {}", e.message()),
                    ));
                }
            }
            self.poll(Some(deadline))
                .map_err(|stop| self.failure(stop, FailureKind::Connect, "SSH handshake"))?;
        }
    }

    fn verify_host_key(&self, target: &Target, cache: &KnownHostsCache) -> Result<(), Failure> {
        let (key, _) = self
            .session
            .host_key()
            .ok_or_else(|| Failure::new(FailureKind::HostKey, "server sent no host key"))?;
        cache
            .verify(
                &target.known_hosts,
                &target.address,
                target.port,
                key,
                target.accept_new,
                &self.peer,
            )
            .map_err(|e| Failure::new(FailureKind::HostKey, e.to_string()))
    }

    /// Public-key authentication in OpenSSH's order (sshconnect2.c `pubkey_prepare`): the
    /// `certificate_file`s, the agent's identities (with the certificates `ssh-add` loads),
    /// then each identity file followed by its `<identity>-cert.pub`; then a password. A
    /// certificate the host refused is explained from its own fields.
    fn authenticate(
        &self,
        target: &Target,
        credentials: &Credentials,
        deadline: Instant,
    ) -> Result<(), Failure> {
        let user = target.user.as_str();
        let auth_err = |stop| self.failure(stop, FailureKind::Auth, "authentication");
        let methods = match self.wait(Some(deadline), || self.session.auth_methods(user)) {
            Ok(m) => m.to_string(),
            Err(_) if self.session.authenticated() => return Ok(()),
            Err(stop) => return Err(auth_err(stop)),
        };
        let mut log = AuthLog::default();
        if methods.contains("publickey") {
            match self.publickey(target, credentials, deadline, &mut log) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(stop) => return Err(auth_err(stop)),
            }
        }
        if let Some(password) = &credentials.password
            && methods.contains("password")
        {
            match self.wait(Some(deadline), || {
                self.session.userauth_password(user, password)
            }) {
                Ok(()) => return Ok(()),
                Err(Stop::Ssh(_)) => log.tried.push("password".into()),
                Err(stop) => return Err(auth_err(stop)),
            }
        }
        if log.tried.is_empty() {
            log.tried
                .push("nothing usable (no agent, no identity file)".into());
        }
        let mut reason = format!(
            "permission denied for user `{user}` on {} (server accepts: {methods}; tried: {})",
            self.peer,
            log.tried.join(", ")
        );
        let now = std::time::SystemTime::now();
        for refusal in log.refused.iter().flat_map(|c| c.refusal(user, now)) {
            reason.push_str("; ");
            reason.push_str(&refusal.to_string());
        }
        Err(Failure::new(FailureKind::Auth, reason))
    }

    /// Every public key to offer, in order. True once one is accepted.
    fn publickey(
        &self,
        target: &Target,
        credentials: &Credentials,
        deadline: Instant,
        log: &mut AuthLog,
    ) -> Result<bool, Stop> {
        let files = identity_files(target);
        let agent: &[Arc<AgentKey>] = match credentials.agent_identities() {
            Some(Ok(list)) if list.is_empty() => {
                log.tried.push("ssh-agent (no identities)".into());
                &[]
            }
            Some(Ok(list)) => list,
            Some(Err(e)) => {
                log.tried.push(format!("ssh-agent ({e})"));
                &[]
            }
            None => &[],
        };
        let loaded = |path: &PathBuf| credentials.keys.get(path);
        // 1. Configured certificates, each signed by the key it certifies: an identity
        //    file's, else the agent's.
        for path in &target.certificate_files {
            let cert = match credentials.keys.certificate(path) {
                Ok(cert) => cert,
                Err(e) => {
                    log.tried.push(format!("{} ({e})", path.display()));
                    continue;
                }
            };
            let certifies = |key: &LoadedKey| key.public().is_some_and(|k| cert.certifies(k));
            let signer = files
                .iter()
                .filter_map(loaded)
                .find(|k| certifies(k))
                .or_else(|| {
                    agent
                        .iter()
                        .find(|a| certifies(&a.key))
                        .map(|a| a.key.clone())
                });
            let shown = path.display().to_string();
            let done = match signer {
                Some(key) => {
                    self.offer(target, deadline, &shown, Via::Key(&key), Some(&cert), log)?
                }
                None => {
                    log.tried.push(format!(
                        "{shown} (neither an identity file nor the agent holds its key)"
                    ));
                    false
                }
            };
            if done {
                return Ok(true);
            }
        }
        // 2. The agent's identities, those of the identity files (or their certificates)
        //    first, as OpenSSH orders them.
        let file_blobs: Vec<Vec<u8>> = files
            .iter()
            .filter(|_| !agent.is_empty())
            .flat_map(|f| {
                let key = loaded(f).map(|k| k.public_blob().to_vec());
                let cert = certificate_next_to(f)
                    .and_then(|c| credentials.keys.certificate(&c).ok())
                    .map(|c| c.blob.clone());
                key.into_iter().chain(cert)
            })
            .collect();
        let (mine, others): (Vec<_>, Vec<_>) = agent
            .iter()
            .partition(|a| file_blobs.iter().any(|b| b == a.key.public_blob()));
        // IdentitiesOnly: the agent signs for the identity files' keys, and offers no other.
        let others = match target.identities_only {
            true => Vec::new(),
            false => others,
        };
        for identity in mine.iter().chain(&others) {
            let shown = format!("`{}` in ssh-agent", identity.comment);
            // A certificate's blob is the identity's own: offering it changes nothing but
            // the explanation if it is refused.
            let cert = identity.cert.as_ref();
            if self.offer(target, deadline, &shown, Via::Key(&identity.key), cert, log)? {
                return Ok(true);
            }
        }
        let in_agent = |blob: &[u8]| agent.iter().any(|a| a.key.public_blob() == blob);
        // 3. Identity files, each followed by its certificate unless certificates are
        //    configured (then those replace them, as in OpenSSH).
        for path in &files {
            if !path.exists() {
                log.tried.push(format!("{} (missing)", path.display()));
                continue;
            }
            let key = loaded(path);
            let shown = path.display().to_string();
            let done = match &key {
                Some(k) if in_agent(k.public_blob()) => false,
                Some(k) => self.offer(target, deadline, &shown, Via::Key(k), None, log)?,
                None => self.offer(target, deadline, &shown, Via::File(path, None), None, log)?,
            };
            if done {
                return Ok(true);
            }
            if !target.certificate_files.is_empty() {
                continue;
            }
            let Some(cert_path) = certificate_next_to(path) else {
                continue;
            };
            let cert = match credentials.keys.certificate(&cert_path) {
                Ok(cert) => cert,
                Err(e) => {
                    log.tried.push(format!("{} ({e})", cert_path.display()));
                    continue;
                }
            };
            if in_agent(&cert.blob) {
                continue;
            }
            let shown = cert_path.display().to_string();
            let done = match &key {
                Some(k) if k.public().is_some_and(|p| cert.certifies(p)) => {
                    self.offer(target, deadline, &shown, Via::Key(k), Some(&cert), log)?
                }
                Some(_) => {
                    log.tried.push(format!(
                        "{shown} (certifies a key other than {})",
                        path.display()
                    ));
                    false
                }
                None => self.offer(
                    target,
                    deadline,
                    &shown,
                    Via::File(path, Some(&cert_path)),
                    Some(&cert),
                    log,
                )?,
            };
            if done {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// One public-key attempt, offering `cert` in place of the key's own public key when
    /// given. True when accepted.
    fn offer(
        &self,
        target: &Target,
        deadline: Instant,
        shown: &str,
        via: Via,
        cert: Option<&Arc<UserCert>>,
        log: &mut AuthLog,
    ) -> Result<bool, Stop> {
        let user = target.user.as_str();
        let mut signed = super::keys::Signed::default();
        let attempt = match via {
            Via::Key(key) => self
                .wait(Some(deadline), || {
                    super::keys::authenticate(
                        &self.session,
                        user,
                        key,
                        cert.map(|c| c.blob.as_slice()),
                        &mut signed,
                    )
                })
                .map(|()| {
                    let algorithm = signed.algorithm.take().unwrap_or_default();
                    match key.is_in_agent() {
                        true => format!("{algorithm}, signed by ssh-agent"),
                        false => format!("{algorithm}, signed in-process"),
                    }
                }),
            Via::File(key, public) => self
                .wait(Some(deadline), || {
                    self.session.userauth_pubkey_file(user, public, key, None)
                })
                .map(|()| "signed by libssh2 from the key file".to_string()),
        };
        match attempt {
            Ok(how) => {
                tracing::debug!(host = %target.name, identity = %shown, "authenticated ({how})");
                Ok(true)
            }
            Err(Stop::Ssh(e)) => {
                if let Some(error) = signed.error {
                    // Not the host's refusal: nothing was signed.
                    log.tried.push(format!("{shown} ({error})"));
                } else if e.code() == ErrorCode::Session(-16) {
                    log.tried.push(format!(
                        "{shown} (unreadable or passphrase-protected: use ssh-agent)"
                    ));
                } else {
                    log.tried.push(shown.to_string());
                    log.refused.extend(cert.cloned());
                }
                Ok(false)
            }
            Err(stop) => Err(stop),
        }
    }

    /// Repeats `op` until it stops saying "would block", waiting on the socket in between.
    pub(crate) fn wait<T>(
        &self,
        deadline: Option<Instant>,
        mut op: impl FnMut() -> Result<T, ssh2::Error>,
    ) -> Result<T, Stop> {
        loop {
            match op() {
                Ok(v) => return Ok(v),
                Err(e) if is_eagain(&e) => self.poll(deadline)?,
                Err(e) => return Err(Stop::Ssh(e)),
            }
        }
    }

    /// Sleeps until the socket is ready in the direction libssh2 is blocked on, the deadline
    /// passes, or the run is aborted; sends keepalives when due.
    pub(crate) fn poll(&self, deadline: Option<Instant>) -> Result<(), Stop> {
        if self.abort.load(Ordering::Relaxed) {
            return Err(Stop::Aborted);
        }
        let now = Instant::now();
        let mut wait = TICK;
        if let Some(d) = deadline {
            if now >= d {
                return Err(Stop::Deadline);
            }
            wait = wait.min(d - now);
        }
        let events = self.blocked_on();
        poll_fds(&mut [(self.socket.as_raw_fd(), events)], wait).map_err(Stop::Io)?;
        if self.session.authenticated() {
            // Errors surface on the next real operation; a failed keepalive is not one.
            let _ = self.session.keepalive_send();
        }
        Ok(())
    }

    /// The poll events for the direction libssh2 is waiting on.
    fn blocked_on(&self) -> libc::c_short {
        match self.session.block_directions() {
            ssh2::BlockDirections::Outbound => libc::POLLOUT,
            ssh2::BlockDirections::Both => libc::POLLIN | libc::POLLOUT,
            _ => libc::POLLIN,
        }
    }

    /// Waits on this session's socket and on `others` at once (a bastion's tunnels), at most
    /// `wait`; sends keepalives when due. True when the session's socket hung up or failed.
    pub(crate) fn poll_with(
        &self,
        others: &[(RawFd, libc::c_short)],
        wait: Duration,
    ) -> std::io::Result<bool> {
        let mut fds = Vec::with_capacity(others.len() + 1);
        fds.push((self.socket.as_raw_fd(), self.blocked_on()));
        fds.extend_from_slice(others);
        let revents = poll_fds(&mut fds, wait)?;
        let _ = self.session.keepalive_send();
        Ok(revents[0] & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0)
    }

    /// Turns a `Stop` into a host failure with a plain reason.
    pub(crate) fn failure(&self, stop: Stop, kind: FailureKind, what: &str) -> Failure {
        match stop {
            Stop::Deadline => Failure::new(
                if kind == FailureKind::Session {
                    FailureKind::Timeout
                } else {
                    kind
                },
                format!("{what} with {} timed out", self.peer),
            ),
            Stop::Aborted => Failure::new(
                FailureKind::Interrupted,
                format!("{what} aborted by Ctrl-C"),
            ),
            Stop::Io(e) => Failure::new(
                FailureKind::Session,
                format!("{what} with {}: {e}", self.peer),
            ),
            Stop::Ssh(e) => Failure::new(kind, describe_ssh_error(&e, &self.peer, what)),
        }
    }

    pub fn peer(&self) -> &str {
        &self.peer
    }
}

impl Drop for Connection {
    /// libssh2 frees channels and the session with blocking close exchanges; with a dead peer
    /// and no timeout that hangs forever. Bound it, then let the socket go.
    fn drop(&mut self) {
        let aborted = self.abort.load(Ordering::Relaxed);
        self.session.set_timeout(if aborted { 200 } else { 2000 });
        self.session.set_blocking(true);
        let _ = self.session.disconnect(None, "hostctl done", None);
    }
}

pub(crate) fn is_eagain(e: &ssh2::Error) -> bool {
    e.code() == ErrorCode::Session(LIBSSH2_ERROR_EAGAIN)
}

fn describe_ssh_error(e: &ssh2::Error, peer: &str, what: &str) -> String {
    if is_connection_lost(e) {
        format!("{what}: connection to {peer} was closed")
    } else {
        format!("{what} on {peer} failed: {}", e.message())
    }
}

/// libssh2's errors for a session whose socket is gone (not one channel's trouble):
/// SOCKET_SEND, SOCKET_DISCONNECT, SOCKET_RECV.
pub(crate) fn is_connection_lost(e: &ssh2::Error) -> bool {
    matches!(e.code(), ErrorCode::Session(-7 | -13 | -43))
}

/// Offers exactly the host-key algorithms known_hosts ordered for this host (OpenSSH's list),
/// those libssh2 supports: never `ssh-rsa` (SHA-1) or `ssh-dss`, which OpenSSH no longer
/// accepts either.
fn prefer_host_key_types(session: &Session, ordered: &[&str]) {
    let Ok(supported) = session.supported_algs(MethodType::HostKey) else {
        return;
    };
    let prefs: Vec<&str> = ordered
        .iter()
        .copied()
        .filter(|a| supported.contains(a))
        .collect();
    let _ = session.method_pref(MethodType::HostKey, &prefs.join(","));
}

/// With AES instructions, AES-GCM (through OpenSSL) moves bulk data several times faster per
/// CPU than libssh2's portable chacha20-poly1305, on both ends; without them, chacha20 first.
fn prefer_fast_ciphers(session: &Session) {
    #[cfg(target_arch = "x86_64")]
    let aes = std::arch::is_x86_feature_detected!("aes")
        && std::arch::is_x86_feature_detected!("pclmulqdq");
    #[cfg(target_arch = "aarch64")]
    let aes = std::arch::is_aarch64_feature_detected!("aes");
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let aes = false;
    let gcm = "aes128-gcm@openssh.com,aes256-gcm@openssh.com";
    let chacha = "chacha20-poly1305@openssh.com";
    let rest = "aes128-ctr,aes192-ctr,aes256-ctr";
    let prefs = if aes {
        format!("{gcm},{chacha},{rest}")
    } else {
        format!("{chacha},{gcm},{rest}")
    };
    for dir in [MethodType::CryptCs, MethodType::CryptSc] {
        let _ = session.method_pref(dir, &prefs);
    }
}

/// How an offered key signs.
enum Via<'a> {
    /// In-process, or through the agent.
    Key(&'a LoadedKey),
    /// libssh2 reads the private key file (and the public key or certificate file).
    File(&'a Path, Option<&'a Path>),
}

/// What was offered and refused, for the message when nothing worked.
#[derive(Default)]
struct AuthLog {
    tried: Vec<String>,
    /// Certificates the host refused, to explain from their own fields.
    refused: Vec<Arc<UserCert>>,
}

/// `<identity>-cert` or `<identity>-cert.pub`, as ssh(1) looks for them (`sshkey_load_public`).
fn certificate_next_to(identity: &Path) -> Option<PathBuf> {
    let base = identity.as_os_str().to_os_string();
    ["-cert", "-cert.pub"]
        .iter()
        .map(|suffix| {
            let mut name = base.clone();
            name.push(suffix);
            PathBuf::from(name)
        })
        .find(|p| p.is_file())
}

fn identity_files(target: &Target) -> Vec<PathBuf> {
    if !target.identity_files.is_empty() {
        return target.identity_files.clone();
    }
    let ssh = crate::os::home_dir().join(".ssh");
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|f| ssh.join(f))
        .filter(|p| p.exists())
        .collect()
}

/// poll(2) over `fds`; the events that came back, in the same order.
fn poll_fds(
    fds: &mut [(RawFd, libc::c_short)],
    wait: Duration,
) -> std::io::Result<Vec<libc::c_short>> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|&(fd, events)| libc::pollfd {
            fd,
            events,
            revents: 0,
        })
        .collect();
    let ms = wait.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
    // SAFETY: `pfds` is a valid array of pollfd for the duration of the call.
    let rc = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) };
    if rc < 0 {
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    Ok(pfds.iter().map(|p| p.revents).collect())
}
