//! OpenSSH `known_hosts`: parsed once per run, checked per host, appended for `--accept-new`.
//!
//! Every line gets the verdict OpenSSH 9.x gives it (hostfile.c, match.c, sshkey.c): fields
//! split on space and tab only, `@revoked` and `@cert-authority` markers (a line with any
//! other marker is ignored), a hashed `|1|salt|hash` field is one hash, comma lists with `!`
//! negation and `*`/`?` wildcards matched case-insensitively, a key whose label does not name
//! its type is no key, and a host on a port other than 22 also matches a line for its bare
//! name when no `[host]:port` line knows it. A host certificate is trusted when an
//! `@cert-authority` line for the host holds its CA and it passes `host_cert`'s checks, else
//! judged by the plain key inside it. Where hostctl is stricter, the item says so (`@revoked`
//! followed by a tab; a revoked key found by the bare name; nothing recorded for a host that
//! presents a certificate). Parsing ourselves,
//! rather than through libssh2, lets a changed key name the line that holds the old one, and
//! costs one read per file per run, not per host.

use super::host_cert::{self, CertIssue};
use super::pubkey::{self, Base, KeyError, Kind, PublicKey};
use hmac::{Hmac, KeyInit, Mac};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub struct KnownHosts {
    lines: Vec<Line>,
}

#[derive(Debug)]
struct Line {
    number: usize,
    marker: Marker,
    hosts: Hosts,
    key: Result<PublicKey, LineIssue>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    None,
    CertAuthority,
    Revoked,
}

#[derive(Debug)]
enum Hosts {
    /// A comma list of patterns, as written.
    Patterns(Vec<u8>),
    /// `|1|salt|hash`: matches a host whose hash with this salt gives back exactly `field`.
    Hashed { salt: [u8; 20], field: Vec<u8> },
}

/// Why a line that names a host says nothing about it (OpenSSH skips such lines too).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineIssue {
    #[error("unknown marker `{0}`")]
    Marker(String),
    #[error("no key after the host names")]
    NoKey,
    #[error("{0}")]
    Key(#[from] KeyError),
}

/// What known_hosts says about the key a host presented.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Match,
    /// A different key of the same type is recorded at `line`.
    Changed {
        line: usize,
    },
    /// The presented key is marked `@revoked` at `line`.
    Revoked {
        line: usize,
    },
    /// Keys of other types are recorded for this host (at `line`), not this one.
    OtherType {
        line: usize,
        recorded: &'static str,
    },
    /// Nothing recorded; `ignored` is a line that names the host but that OpenSSH (and so
    /// hostctl) cannot use, worth pointing out.
    Unknown {
        ignored: Option<(usize, LineIssue)>,
    },
}

/// Why a host key is not trusted; messages name the known_hosts file and line.
#[derive(Debug, thiserror::Error)]
pub enum HostKeyError {
    #[error(
        "HOST KEY CHANGED for {peer} ({key_type} {fingerprint}); {file}:{line} holds a different key. \
         This may be an attack. If the host was reinstalled, remove that line and reconnect with --accept-new"
    )]
    Changed {
        peer: String,
        key_type: &'static str,
        fingerprint: String,
        file: String,
        line: usize,
    },
    #[error("host key of {peer} ({key_type} {fingerprint}) is revoked ({file}:{line})")]
    Revoked {
        peer: String,
        key_type: &'static str,
        fingerprint: String,
        file: String,
        line: usize,
    },
    #[error(
        "{peer} presented a {key_type} host key ({fingerprint}) but {file}:{line} records a {recorded} key for it; \
         refusing to trust it without checking"
    )]
    OtherType {
        peer: String,
        key_type: &'static str,
        fingerprint: String,
        file: String,
        line: usize,
        recorded: &'static str,
    },
    #[error(
        "unknown host key for {peer} ({key_type} {fingerprint}); not in {file}{}. \
         Check the fingerprint, then rerun with --accept-new to record it",
        ignored.as_ref().map(|(line, why)| format!(" (line {line} names the host but is ignored: {why})")).unwrap_or_default()
    )]
    Unknown {
        peer: String,
        key_type: &'static str,
        fingerprint: String,
        file: String,
        ignored: Option<(usize, LineIssue)>,
    },
    #[error(
        "host certificate of {peer} ({key_type} {fingerprint}) is not trusted: {issue}, and its \
         key is not in {file}. {}{}",
        issue.hint(),
        if *accept_new { " (--accept-new records nothing for a host that presents a certificate)" } else { "" }
    )]
    Certificate {
        peer: String,
        key_type: &'static str,
        fingerprint: String,
        file: String,
        issue: CertIssue,
        accept_new: bool,
    },
    #[error("{source}; its host certificate is not trusted either: {issue}")]
    AlsoCertificate {
        source: Box<HostKeyError>,
        issue: CertIssue,
    },
    #[error("host certificate of {peer} is refused: {issue}. {}", issue.hint())]
    InvalidCertificate { peer: String, issue: CertIssue },
    #[error("server {peer} sent a host key hostctl cannot read: {source}")]
    Unreadable { peer: String, source: KeyError },
    #[error("cannot read known_hosts `{file}`: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("cannot record host key in {file}: {source}")]
    Record {
        file: String,
        source: std::io::Error,
    },
    #[error(
        "refusing to record a host key for `{host}` in {file}: the name holds `{bad}`, which known_hosts cannot hold as a plain name"
    )]
    BadName {
        host: String,
        file: String,
        bad: char,
    },
}

/// `host` for port 22, `[host]:port` otherwise, as OpenSSH writes and looks them up.
pub fn host_spec(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_ascii_lowercase()
    } else {
        format!("[{}]:{port}", host.to_ascii_lowercase())
    }
}

/// The key type named inside an SSH public key blob (`ssh-ed25519`, ...).
pub fn blob_type(blob: &[u8]) -> Option<&str> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    std::str::from_utf8(blob.get(4..4 + len)?).ok()
}

/// `SHA256:...` as `ssh-keygen -l` prints it.
pub fn fingerprint(key: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key);
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    )
}

/// OpenSSH's default `HostKeyAlgorithms` (9.x), in its order.
const DEFAULT_HOST_KEY_ALGORITHMS: &[&str] = &[
    "ssh-ed25519-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com",
    "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ssh-ed25519-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "rsa-sha2-512-cert-v01@openssh.com",
    "rsa-sha2-256-cert-v01@openssh.com",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-256",
];

impl KnownHosts {
    /// Reads a known_hosts file's bytes line by line as `hostkeys_foreach_file` does. Lines
    /// that OpenSSH would skip for every host are dropped here; lines that it skips only
    /// once they match (an unreadable key) are kept, to explain an unknown host.
    pub fn parse(text: &[u8]) -> KnownHosts {
        let mut lines = Vec::new();
        for (i, raw) in text.split(|&c| c == b'\n').enumerate() {
            // C strings: a NUL ends the line. A `\r` stays, as it does for OpenSSH.
            let raw = &raw[..raw.iter().position(|&c| c == 0).unwrap_or(raw.len())];
            if let Some(line) = parse_line(i + 1, raw) {
                lines.push(line);
            }
        }
        KnownHosts { lines }
    }

    pub fn load(path: &Path) -> std::io::Result<KnownHosts> {
        match std::fs::read(path) {
            Ok(text) => Ok(KnownHosts::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KnownHosts::default()),
            Err(e) => Err(e),
        }
    }

    /// The verdict on `key` for `host` on `port`, now.
    pub fn check(&self, host: &str, port: u16, key: &PublicKey) -> Verdict {
        self.check_at(host, port, key, host_cert::now()).0
    }

    /// OpenSSH's `check_host_key` at `now`: the verdict, and for a certificate that did not
    /// vouch for the host (OpenSSH then judges the plain key inside it), why not.
    pub fn check_at(
        &self,
        host: &str,
        port: u16,
        key: &PublicKey,
        now: u64,
    ) -> (Verdict, Option<CertIssue>) {
        self.check_name(host, port, key, now, false)
    }

    /// One pass of `check_host_key`, for `[host]:port` or (`bare`) the bare name.
    fn check_name(
        &self,
        host: &str,
        port: u16,
        key: &PublicKey,
        now: u64,
        bare: bool,
    ) -> (Verdict, Option<CertIssue>) {
        let name = host.to_ascii_lowercase();
        let spec = if bare {
            name.clone()
        } else {
            host_spec(host, port)
        };
        let mut key = key.clone();
        let mut issue = None;
        loop {
            let cert = key.cert().is_some();
            match self.status(spec.as_bytes(), &key) {
                // A CA vouches for the certificate: now the certificate must hold.
                Status::Ok if cert => match host_cert::check_host(&key, &name, now) {
                    Ok(()) => return (Verdict::Match, None),
                    Err(e) => issue = Some(e),
                },
                Status::Ok => return (Verdict::Match, issue),
                Status::Revoked(line) => return (Verdict::Revoked { line }, issue),
                Status::Changed { line, recorded } if recorded == key.kind() => {
                    return (Verdict::Changed { line }, issue);
                }
                Status::Changed { line, recorded } => {
                    let recorded = pubkey::kind_name(recorded);
                    return (Verdict::OtherType { line, recorded }, issue);
                }
                Status::New => {
                    // OpenSSH then checks the bare name ("checking without port
                    // identifier"), and trusts a match there. A revoked key there is refused
                    // outright: OpenSSH would go on as for an unknown key, and with
                    // accept-new record the revoked key.
                    if !bare && port != 22 {
                        match self.check_name(host, port, &key, now, true) {
                            (Verdict::Match, _) => return (Verdict::Match, issue),
                            (Verdict::Revoked { line }, inner) => {
                                return (Verdict::Revoked { line }, issue.or(inner));
                            }
                            _ => {}
                        }
                    }
                    let Some(ca) = key.cert().map(|c| fingerprint(&c.signature_key_blob)) else {
                        let ignored = self.ignored(spec.as_bytes()).or_else(|| {
                            (!bare && port != 22)
                                .then(|| self.ignored(name.as_bytes()))
                                .flatten()
                        });
                        return (Verdict::Unknown { ignored }, issue);
                    };
                    issue.get_or_insert(CertIssue::UnknownCa { fingerprint: ca });
                }
            }
            // No CA vouches for the certificate: judge the plain key inside it, as OpenSSH
            // does ("No matching CA found. Retry with plain key").
            key = key.plain();
        }
    }

    /// `check_hostkeys_by_key_or_type` for one host string. A certificate is known when an
    /// `@cert-authority` line holds its CA; a plain key when a plain line holds it, and any
    /// other plain key means "changed". A revoked key (or CA) beats both.
    fn status(&self, host: &[u8], key: &PublicKey) -> Status {
        let mut status = Status::New;
        if let Some(ca) = key.signature_key() {
            if self
                .usable(host, Marker::CertAuthority)
                .any(|l| l.key.as_ref().expect("usable").equal_public(ca))
            {
                status = Status::Ok;
            }
        } else {
            let mut same_type = false;
            for line in self.usable(host, Marker::None) {
                let recorded = line.key.as_ref().expect("usable");
                if recorded.equal(key) {
                    status = Status::Ok;
                    break;
                }
                // Name a line with a key of the presented type if there is one.
                if !same_type {
                    same_type = recorded.kind() == key.kind();
                    status = Status::Changed {
                        line: line.number,
                        recorded: recorded.kind(),
                    };
                }
            }
        }
        for line in self.usable(host, Marker::Revoked) {
            let revoked = line.key.as_ref().expect("usable");
            if revoked.equal_public(key)
                || key
                    .signature_key()
                    .is_some_and(|ca| revoked.equal_public(ca))
            {
                return Status::Revoked(line.number);
            }
        }
        status
    }

    /// Lines with a readable key and `marker` that match `host`.
    fn usable<'a>(&'a self, host: &'a [u8], marker: Marker) -> impl Iterator<Item = &'a Line> {
        self.lines
            .iter()
            .filter(move |l| l.marker == marker && l.key.is_ok() && l.matches(host))
    }

    /// The first line naming `host` that is skipped for what it holds.
    fn ignored(&self, host: &[u8]) -> Option<(usize, LineIssue)> {
        self.lines
            .iter()
            .filter(|l| l.marker != Marker::CertAuthority)
            .find_map(|l| match &l.key {
                Err(issue) if l.matches(host) => Some((l.number, issue.clone())),
                _ => None,
            })
    }

    /// The host-key algorithms to offer for this host, in the order OpenSSH's
    /// `order_hostkeyalgs` gives them, so the host presents the key OpenSSH would be shown:
    /// its default list as is when an ed25519 key is known, else certificate algorithms first
    /// when an `@cert-authority` line names the host, then those of known key types.
    ///
    /// With `accept_new` and no `@cert-authority` or `@revoked` line naming the host,
    /// certificates are not asked for: OpenSSH would fall back to the plain key inside one
    /// and record that, and hostctl never records anything for a certificate.
    pub fn host_key_algorithms(
        &self,
        host: &str,
        port: u16,
        accept_new: bool,
    ) -> Vec<&'static str> {
        let spec = host_spec(host, port);
        let bare = host.to_ascii_lowercase();
        let names_host = |marker: Marker| {
            self.usable(spec.as_bytes(), marker).next().is_some()
                || (port != 22 && self.usable(bare.as_bytes(), marker).next().is_some())
        };
        let offer_certs =
            !accept_new || names_host(Marker::CertAuthority) || names_host(Marker::Revoked);
        let has_ca = self
            .usable(spec.as_bytes(), Marker::CertAuthority)
            .next()
            .is_some();
        let known = |base: Base| {
            self.usable(spec.as_bytes(), Marker::None).any(|l| {
                let k = l.key.as_ref().expect("usable").kind();
                !k.cert && k.base == base
            })
        };
        let kind = |alg: &str| -> Kind {
            pubkey::kind_from_label(alg.as_bytes()).expect("OpenSSH's own names")
        };
        let all: Vec<&'static str> = DEFAULT_HOST_KEY_ALGORITHMS
            .iter()
            .copied()
            .filter(|a| offer_certs || !kind(a).cert)
            .collect();
        if known(Base::Ed25519) {
            return all;
        }
        let (mut first, last): (Vec<_>, Vec<_>) = all.iter().partition(|a| {
            let k = kind(a);
            (k.cert && has_ca) || known(k.base)
        });
        first.extend(last);
        first
    }
}

enum Status {
    Ok,
    Changed { line: usize, recorded: Kind },
    Revoked(usize),
    New,
}

impl Line {
    fn matches(&self, host: &[u8]) -> bool {
        match &self.hosts {
            Hosts::Patterns(patterns) => match_pattern_list(host, patterns) == 1,
            Hosts::Hashed { salt, field } => hash_host(salt, host).as_bytes() == field.as_slice(),
        }
    }
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn skip_blanks(s: &[u8]) -> &[u8] {
    &s[s.iter().position(|&c| !is_blank(c)).unwrap_or(s.len())..]
}

/// One line, as `hostkeys_foreach_file` reads it; `None` for lines no host can match.
fn parse_line(number: usize, raw: &[u8]) -> Option<Line> {
    let mut cp = skip_blanks(raw);
    if cp.is_empty() || cp[0] == b'#' {
        return None;
    }
    let mut marker = Marker::None;
    let mut bad_marker = None;
    if cp.first() == Some(&b'@') {
        let (m, rest) = read_marker(cp);
        match m {
            Ok(m) => marker = m,
            Err(name) => bad_marker = Some(name),
        }
        cp = rest;
    }
    let end = cp.iter().position(|&c| is_blank(c)).unwrap_or(cp.len());
    let hosts = parse_hosts(&cp[..end])?;
    let rest = skip_blanks(&cp[end..]);
    let key = match bad_marker {
        Some(name) => Err(LineIssue::Marker(name)),
        None if rest.is_empty() || rest[0] == b'#' => Err(LineIssue::NoKey),
        None => pubkey::read_text(rest).map_err(LineIssue::Key),
    };
    Some(Line {
        number,
        marker,
        hosts,
        key,
    })
}

/// `check_markers`: one `@cert-authority` or `@revoked` before the host names. OpenSSH ends
/// the marker at the line's first space (a tab only when the line has no space), so after
/// `@revoked<TAB>` it sees no valid marker and ignores the line: hostctl honours that
/// revocation instead (stricter). `@cert-authority<TAB>` stays ignored, as in OpenSSH.
fn read_marker(cp: &[u8]) -> (Result<Marker, String>, &[u8]) {
    let token_end = cp.iter().position(|&c| is_blank(c)).unwrap_or(cp.len());
    let token = &cp[..token_end];
    let name = String::from_utf8_lossy(token).into_owned();
    let rest = skip_blanks(&cp[token_end..]);
    if token_end == cp.len() {
        return (Err(name), rest);
    }
    let openssh_end = cp
        .iter()
        .position(|&c| c == b' ')
        .or_else(|| cp.iter().position(|&c| c == b'\t'))
        .expect("a blank follows the token");
    let marker = match token {
        b"@revoked" => Marker::Revoked,
        b"@cert-authority" if openssh_end == token_end => Marker::CertAuthority,
        _ => return (Err(name), rest),
    };
    // Only one marker is allowed.
    if rest.first() == Some(&b'@') {
        return (Err(name), rest);
    }
    (Ok(marker), rest)
}

fn parse_hosts(field: &[u8]) -> Option<Hosts> {
    if field.first() != Some(&b'|') {
        return Some(Hosts::Patterns(field.to_vec()));
    }
    // `extract_salt`: `|1|`, a base64 salt of 20 bytes, `|`. Anything else is a bad line.
    let rest = field.strip_prefix(b"|1|")?;
    let b64_len = rest.iter().position(|&c| c == b'|')?;
    if b64_len == 0 || b64_len > 1024 {
        return None;
    }
    let salt: [u8; 20] = pubkey::b64_pton(&rest[..b64_len])?.try_into().ok()?;
    Some(Hosts::Hashed {
        salt,
        field: field.to_vec(),
    })
}

/// `host_hash`: `|1|` base64(salt) `|` base64(HMAC-SHA1(salt, host)), as `ssh-keygen -H` writes.
fn hash_host(salt: &[u8; 20], host: &[u8]) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(salt).expect("any key length");
    mac.update(host);
    format!(
        "|1|{}|{}",
        pubkey::b64_encode(salt),
        pubkey::b64_encode(&mac.finalize().into_bytes())
    )
}

/// `match_pattern_list` with lowercasing: 1 if a pattern matches, -1 if a negated one
/// does, 0 otherwise. A pattern of 1023 bytes or more makes the whole list fail.
fn match_pattern_list(host: &[u8], list: &[u8]) -> i32 {
    let mut positive = 0;
    let mut i = 0;
    while i < list.len() {
        let negated = list[i] == b'!';
        if negated {
            i += 1;
        }
        let end = list[i..]
            .iter()
            .position(|&c| c == b',')
            .map_or(list.len(), |p| i + p);
        if end - i >= 1023 {
            return 0;
        }
        let pattern = list[i..end].to_ascii_lowercase();
        i = if end < list.len() { end + 1 } else { end };
        if match_pattern(host, &pattern) {
            if negated {
                return -1;
            }
            positive = 1;
        }
    }
    positive
}

/// `*` matches any run of bytes, `?` any one byte, all else itself.
fn match_pattern(text: &[u8], pattern: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Every known_hosts file a run uses, read once and shared by all hosts; appends for
/// `--accept-new` are serialized (in the process and, by `flock`, between processes) and
/// re-check the file as it is then, so parallel runs record each key once.
#[derive(Default)]
pub struct KnownHostsCache {
    files: Mutex<HashMap<PathBuf, Arc<KnownHosts>>>,
    append: Mutex<()>,
}

impl KnownHostsCache {
    pub fn get(&self, path: &Path) -> std::io::Result<Arc<KnownHosts>> {
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(kh) = files.get(path) {
            return Ok(kh.clone());
        }
        let kh = Arc::new(KnownHosts::load(path)?);
        files.insert(path.to_path_buf(), kh.clone());
        Ok(kh)
    }

    /// Checks the key `peer` presented for `host:port` against `path`; an unknown key is
    /// recorded when `accept_new` is set (like `StrictHostKeyChecking=accept-new`).
    pub fn verify(
        &self,
        path: &Path,
        host: &str,
        port: u16,
        blob: &[u8],
        accept_new: bool,
        peer: &str,
    ) -> Result<(), Box<HostKeyError>> {
        let key = PublicKey::from_blob(blob).map_err(|source| {
            Box::new(HostKeyError::Unreadable {
                peer: peer.to_string(),
                source,
            })
        })?;
        // A certificate OpenSSH cannot parse fails the key exchange, whatever known_hosts says.
        if key.cert().is_some() {
            host_cert::check_wellformed(&key).map_err(|issue| {
                Box::new(HostKeyError::InvalidCertificate {
                    peer: peer.to_string(),
                    issue,
                })
            })?;
        }
        let file = path.display().to_string();
        let kh = self.get(path).map_err(|source| {
            Box::new(HostKeyError::Read {
                file: file.clone(),
                source,
            })
        })?;
        let (verdict, issue) = kh.check_at(host, port, &key, host_cert::now());
        match verdict {
            Verdict::Match => {
                if let Some(issue) = issue {
                    tracing::info!(%peer, "host certificate not accepted ({issue}); its plain key is known");
                }
                Ok(())
            }
            Verdict::Unknown { .. } if accept_new && key.cert().is_none() => {
                self.record(path, host, port, blob, &key, peer)
            }
            verdict => Err(refusal(verdict, issue, accept_new, &file, &key, peer)),
        }
    }

    /// Appends `host:port key` under an exclusive lock, unless the file as it is now (another
    /// run may have written it since we read it) already decides the key.
    fn record(
        &self,
        path: &Path,
        host: &str,
        port: u16,
        blob: &[u8],
        key: &PublicKey,
        peer: &str,
    ) -> Result<(), Box<HostKeyError>> {
        let file = path.display().to_string();
        if let Some(bad) = host
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || "@?*#[]|'\"\\,!".contains(*c))
        {
            return Err(Box::new(HostKeyError::BadName {
                host: host.to_string(),
                file,
                bad,
            }));
        }
        let io = |source| {
            Box::new(HostKeyError::Record {
                file: file.clone(),
                source,
            })
        };
        let _guard = self.append.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let handle = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        let _lock = crate::flock::Lock::exclusive(&handle).map_err(io)?;
        let mut text = Vec::new();
        (&handle).read_to_end(&mut text).map_err(io)?;
        let now = KnownHosts::parse(&text);
        let verdict = now.check(host, port, key);
        if let Verdict::Unknown { .. } = verdict {
            let mut line = String::new();
            if !text.is_empty() && !text.ends_with(b"\n") {
                line.push('\n');
            }
            line.push_str(&format!(
                "{} {} {}\n",
                host_spec(host, port),
                pubkey::kind_name(key.kind()),
                pubkey::b64_encode(blob)
            ));
            (&handle).write_all(line.as_bytes()).map_err(io)?;
            text.extend_from_slice(line.as_bytes());
        }
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.insert(path.to_path_buf(), Arc::new(KnownHosts::parse(&text)));
        match verdict {
            Verdict::Unknown { .. } | Verdict::Match => Ok(()),
            other => Err(refusal(other, None, false, &file, key, peer)),
        }
    }
}

/// The error for a verdict that refuses the host (`Match` never reaches here).
fn refusal(
    verdict: Verdict,
    issue: Option<CertIssue>,
    accept_new: bool,
    file: &str,
    key: &PublicKey,
    peer: &str,
) -> Box<HostKeyError> {
    let peer = peer.to_string();
    let file = file.to_string();
    // A certificate that did not vouch was judged by its plain key: name that type then.
    let key_type = match (&verdict, &issue) {
        (Verdict::Changed { .. } | Verdict::OtherType { .. }, Some(_)) => {
            pubkey::kind_name(key.plain().kind())
        }
        _ => pubkey::kind_name(key.kind()),
    };
    // The key itself, as `ssh-keygen -l` fingerprints a certificate too.
    let fingerprint = fingerprint(key.plain_blob());
    let error = match verdict {
        Verdict::Unknown { .. } if issue.is_some() => {
            return Box::new(HostKeyError::Certificate {
                peer,
                key_type,
                fingerprint,
                file,
                issue: issue.expect("checked"),
                accept_new,
            });
        }
        Verdict::Match => unreachable!("a match is no refusal"),
        Verdict::Changed { line } => HostKeyError::Changed {
            peer,
            key_type,
            fingerprint,
            file,
            line,
        },
        Verdict::Revoked { line } => HostKeyError::Revoked {
            peer,
            key_type,
            fingerprint,
            file,
            line,
        },
        Verdict::OtherType { line, recorded } => HostKeyError::OtherType {
            peer,
            key_type,
            fingerprint,
            file,
            line,
            recorded,
        },
        Verdict::Unknown { ignored } => HostKeyError::Unknown {
            peer,
            key_type,
            fingerprint,
            file,
            ignored,
        },
    };
    match issue {
        Some(issue) => Box::new(HostKeyError::AlsoCertificate {
            source: Box::new(error),
            issue,
        }),
        None => Box::new(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(v: &[u8]) -> Vec<u8> {
        let mut b = (v.len() as u32).to_be_bytes().to_vec();
        b.extend_from_slice(v);
        b
    }

    fn ed(seed: u8) -> Vec<u8> {
        [string(b"ssh-ed25519"), string(&[seed; 32])].concat()
    }

    fn key(blob: &[u8]) -> PublicKey {
        PublicKey::from_blob(blob).unwrap()
    }

    fn line(hosts: &str, blob: &[u8]) -> String {
        format!(
            "{hosts} {} {}\n",
            blob_type(blob).unwrap(),
            pubkey::b64_encode(blob)
        )
    }

    fn parse(text: &str) -> KnownHosts {
        KnownHosts::parse(text.as_bytes())
    }

    fn unknown() -> Verdict {
        Verdict::Unknown { ignored: None }
    }

    #[test]
    fn plain_and_port_entries() {
        let (k1, k2) = (ed(1), ed(2));
        let kh = parse(&(line("web1,10.0.0.1", &k1) + &line("[web1]:2222", &k2)));
        assert_eq!(kh.check("web1", 22, &key(&k1)), Verdict::Match);
        assert_eq!(kh.check("WEB1", 22, &key(&k1)), Verdict::Match);
        assert_eq!(kh.check("10.0.0.1", 22, &key(&k1)), Verdict::Match);
        assert_eq!(kh.check("web1", 2222, &key(&k2)), Verdict::Match);
        assert_eq!(
            kh.check("web1", 22, &key(&k2)),
            Verdict::Changed { line: 1 }
        );
        assert_eq!(
            kh.check("web1", 2222, &key(&k1)),
            Verdict::Changed { line: 2 }
        );
        // With no `[host]:port` line, OpenSSH trusts the line for the bare name.
        assert_eq!(kh.check("10.0.0.1", 2222, &key(&k1)), Verdict::Match);
        assert_eq!(kh.check("10.0.0.1", 2222, &key(&k2)), unknown());
        assert_eq!(kh.check("web2", 22, &key(&k1)), unknown());
    }

    #[test]
    fn wildcards_negation_and_comments() {
        let k = ed(1);
        let text = format!(
            "# comment\n\n  \t\n{}",
            line("*.example.com,!bad.example.com", &k)
        );
        let kh = parse(&text);
        assert_eq!(kh.check("a.example.com", 22, &key(&k)), Verdict::Match);
        assert_eq!(kh.check("A.Example.COM", 22, &key(&k)), Verdict::Match);
        assert_eq!(kh.check("bad.example.com", 22, &key(&k)), unknown());
        assert_eq!(match_pattern_list(b"x", b"!y"), 0);
        assert_eq!(match_pattern_list(b"x", b"X"), 1);
        assert_eq!(match_pattern_list(b"x", b"?,!x"), -1);
        let long = format!("x,{}", "y".repeat(1023));
        assert_eq!(match_pattern_list(b"x", long.as_bytes()), 0);
        assert!(match_pattern(b"web01", b"*b*1"));
        assert!(!match_pattern(b"web", b"web?"));
    }

    #[test]
    fn hashed_entries_are_one_field() {
        let salt = *b"0123456789abcdefghij";
        let k = ed(1);
        let hashed = hash_host(&salt, b"[10.1.2.3]:2222");
        let kh = parse(&line(&hashed, &k));
        assert_eq!(kh.check("10.1.2.3", 2222, &key(&k)), Verdict::Match);
        assert_eq!(kh.check("10.1.2.3", 22, &key(&k)), unknown());
        // A hash with a name after it is no list: it matches nothing.
        let kh = parse(&line(&format!("{hashed},[10.1.2.3]:2222"), &k));
        assert_eq!(kh.check("10.1.2.3", 2222, &key(&k)), unknown());
        let kh = parse(&line("|1|!!!|!!!,h", &k));
        assert!(kh.lines.is_empty());
    }

    #[test]
    fn labels_markers_and_separators() {
        let k = ed(1);
        let b64 = pubkey::b64_encode(&k);
        let check = |text: String| parse(&text).check("h", 22, &key(&k));
        assert_eq!(check(format!("h ssh-ed25519 {b64}\r\n")), Verdict::Match);
        assert_eq!(check(format!("h\tssh-ed25519\t{b64}")), Verdict::Match);
        assert_eq!(
            check(format!("h ssh-rsa {b64}")),
            Verdict::Unknown {
                ignored: Some((
                    1,
                    LineIssue::Key(KeyError::LabelMismatch {
                        label: "ssh-rsa".into(),
                        key: "ssh-ed25519".into()
                    })
                ))
            }
        );
        assert!(matches!(
            check(format!("h\u{a0}ssh-ed25519 {b64}")),
            Verdict::Unknown { .. }
        ));
        assert!(matches!(
            check(format!("h\x0bssh-ed25519 {b64}")),
            Verdict::Unknown { .. }
        ));
        assert_eq!(
            check(format!("@foo h ssh-ed25519 {b64}")),
            Verdict::Unknown {
                ignored: Some((1, LineIssue::Marker("@foo".into())))
            }
        );
        assert_eq!(
            check(format!("@cert-authority h ssh-ed25519 {b64}")),
            unknown()
        );
        let revoked = format!("h ssh-ed25519 {b64}\n@revoked h ssh-ed25519 {b64}\n");
        assert_eq!(check(revoked), Verdict::Revoked { line: 2 });
        // Stricter than OpenSSH: a tab after `@revoked` still revokes.
        let tabbed = format!("h ssh-ed25519 {b64}\n@revoked\th ssh-ed25519 {b64}\n");
        assert_eq!(check(tabbed), Verdict::Revoked { line: 2 });
        let tabbed_ca = format!("@cert-authority\th ssh-ed25519 {b64}\n");
        assert!(matches!(check(tabbed_ca), Verdict::Unknown { .. }));
        let two = format!("h ssh-ed25519 {b64}\n@revoked @revoked h ssh-ed25519 {b64}\n");
        assert_eq!(check(two), Verdict::Match);
        // Invalid UTF-8 and NUL elsewhere do not spoil the file.
        let mut bytes = format!("h ssh-ed25519 {b64} ").into_bytes();
        bytes.push(0xff);
        bytes.extend_from_slice(b"\n\xfe\xff x\0y\n");
        assert_eq!(
            KnownHosts::parse(&bytes).check("h", 22, &key(&k)),
            Verdict::Match
        );
    }

    #[test]
    fn revoked_and_other_types() {
        let e = ed(1);
        let rsa = [
            string(b"ssh-rsa"),
            string(&[1, 0, 1]),
            string(&[&[0x00, 0xc1][..], &[0x55; 200]].concat()),
        ]
        .concat();
        let text = line("h", &rsa) + "@revoked " + &line("h", &e);
        let kh = parse(&text);
        assert_eq!(kh.check("h", 22, &key(&e)), Verdict::Revoked { line: 2 });
        assert_eq!(
            kh.check("h", 22, &key(&ed(2))),
            Verdict::OtherType {
                line: 1,
                recorded: "ssh-rsa"
            }
        );
        // A revoked line for the host: certificates are asked for, even with --accept-new.
        assert_eq!(
            kh.host_key_algorithms("h", 22, true)[0],
            "rsa-sha2-512-cert-v01@openssh.com"
        );
        let kh = parse(&line("h", &rsa));
        assert_eq!(
            kh.host_key_algorithms("h", 22, true),
            [
                "rsa-sha2-512",
                "rsa-sha2-256",
                "ssh-ed25519",
                "ecdsa-sha2-nistp256",
                "ecdsa-sha2-nistp384",
                "ecdsa-sha2-nistp521",
                "sk-ssh-ed25519@openssh.com",
                "sk-ecdsa-sha2-nistp256@openssh.com"
            ]
        );
        // A known ed25519 key keeps OpenSSH's own order.
        let kh = parse(&(line("h", &rsa) + &line("h", &e)));
        assert_eq!(kh.host_key_algorithms("h", 22, true)[0], "ssh-ed25519");
        // Without --accept-new, certificates as OpenSSH asks for them: first here.
        assert_eq!(
            kh.host_key_algorithms("h", 22, false)[0],
            "ssh-ed25519-cert-v01@openssh.com"
        );
        // An RSA key known: RSA algorithms (certificates included) first.
        let kh = parse(&line("h", &rsa));
        assert_eq!(
            kh.host_key_algorithms("h", 22, false)[..4],
            [
                "rsa-sha2-512-cert-v01@openssh.com",
                "rsa-sha2-256-cert-v01@openssh.com",
                "rsa-sha2-512",
                "rsa-sha2-256"
            ]
        );
        // A CA for the host: every certificate algorithm first, even with --accept-new.
        let kh = parse(&(line("h", &rsa) + "@cert-authority " + &line("*", &e)));
        let algs = kh.host_key_algorithms("h", 22, true);
        assert_eq!(algs[0], "ssh-ed25519-cert-v01@openssh.com");
        assert_eq!(algs[8], "rsa-sha2-512");
    }

    #[test]
    fn append_writes_a_line_that_checks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/known_hosts");
        let k = ed(9);
        let cache = KnownHostsCache::default();
        cache
            .verify(&path, "10.0.0.9", 2222, &k, true, "peer")
            .unwrap();
        // Recorded once, even when asked twice.
        cache
            .verify(&path, "10.0.0.9", 2222, &k, true, "peer")
            .unwrap();
        let kh = KnownHosts::load(&path).unwrap();
        assert_eq!(kh.check("10.0.0.9", 2222, &key(&k)), Verdict::Match);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("[10.0.0.9]:2222 ssh-ed25519 "), "{text}");
        assert_eq!(text.lines().count(), 1);
        // A file without a final newline gets one before the new line.
        std::fs::write(&path, "# no newline").unwrap();
        KnownHostsCache::default()
            .verify(&path, "10.0.0.9", 2222, &k, true, "peer")
            .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
        let err = KnownHostsCache::default()
            .verify(&path, "a,b", 2222, &k, true, "peer")
            .unwrap_err();
        assert!(err.to_string().contains("the name holds `,`"), "{err}");
    }
}
