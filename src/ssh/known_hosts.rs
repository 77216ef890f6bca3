//! OpenSSH `known_hosts`: parsed once per run, checked per host, appended for `--accept-new`.
//!
//! Understands plain, `[host]:port`, comma lists, `!negation`, `*`/`?` wildcards, hashed
//! (`|1|salt|hash`) entries and `@revoked`; `@cert-authority` lines are skipped (hostctl does not
//! verify host certificates). Parsing ourselves, rather than through libssh2, lets a changed key
//! name the line that holds the old one, and costs one read per file per run, not per host.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub struct KnownHosts {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    line: usize,
    revoked: bool,
    patterns: Vec<HostPattern>,
    key_type: String,
    key: Vec<u8>,
}

#[derive(Debug)]
enum HostPattern {
    Plain { pattern: String, negated: bool },
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
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
        recorded: String,
    },
    Unknown,
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

impl KnownHosts {
    pub fn parse(text: &str) -> KnownHosts {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let mut first = fields.next().unwrap_or_default();
            let mut revoked = false;
            if first.starts_with('@') {
                if first != "@revoked" {
                    continue; // @cert-authority and unknown markers
                }
                revoked = true;
                first = fields.next().unwrap_or_default();
            }
            let (Some(key_type), Some(key_b64)) = (fields.next(), fields.next()) else {
                continue;
            };
            let Ok(key) = B64.decode(key_b64) else {
                continue;
            };
            let patterns = first.split(',').filter_map(parse_pattern).collect();
            entries.push(Entry {
                line: line_no,
                revoked,
                patterns,
                key_type: key_type.to_string(),
                key,
            });
        }
        KnownHosts { entries }
    }

    pub fn load(path: &Path) -> std::io::Result<KnownHosts> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(KnownHosts::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KnownHosts::default()),
            Err(e) => Err(e),
        }
    }

    pub fn check(&self, host: &str, port: u16, key: &[u8]) -> Verdict {
        let spec = host_spec(host, port);
        let key_type = blob_type(key).unwrap_or_default();
        let mut verdict = Verdict::Unknown;
        for entry in self.entries.iter().filter(|e| e.matches(&spec)) {
            if entry.revoked {
                if entry.key == key {
                    return Verdict::Revoked { line: entry.line };
                }
                continue;
            }
            if entry.key == key {
                verdict = Verdict::Match;
            } else if entry.key_type == key_type || same_family(&entry.key_type, key_type) {
                if verdict != Verdict::Match {
                    verdict = Verdict::Changed { line: entry.line };
                }
            } else if verdict == Verdict::Unknown {
                verdict = Verdict::OtherType {
                    line: entry.line,
                    recorded: entry.key_type.clone(),
                };
            }
        }
        verdict
    }

    /// The host-key algorithms to prefer for this host: those recorded for it, so the server
    /// offers a key we can check instead of one of another type.
    pub fn preferred_algorithms(&self, host: &str, port: u16) -> Vec<&'static str> {
        let spec = host_spec(host, port);
        let mut out = Vec::new();
        for entry in self
            .entries
            .iter()
            .filter(|e| !e.revoked && e.matches(&spec))
        {
            let algs: &[&'static str] = match entry.key_type.as_str() {
                "ssh-ed25519" => &["ssh-ed25519"],
                "ecdsa-sha2-nistp256" => &["ecdsa-sha2-nistp256"],
                "ecdsa-sha2-nistp384" => &["ecdsa-sha2-nistp384"],
                "ecdsa-sha2-nistp521" => &["ecdsa-sha2-nistp521"],
                "ssh-rsa" => &["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
                _ => &[],
            };
            for alg in algs {
                if !out.contains(alg) {
                    out.push(*alg);
                }
            }
        }
        out
    }
}

fn same_family(a: &str, b: &str) -> bool {
    a.starts_with("ecdsa-") && b.starts_with("ecdsa-")
}

fn parse_pattern(text: &str) -> Option<HostPattern> {
    if let Some(rest) = text.strip_prefix("|1|") {
        let (salt, hash) = rest.split_once('|')?;
        return Some(HostPattern::Hashed {
            salt: B64.decode(salt).ok()?,
            hash: B64.decode(hash).ok()?,
        });
    }
    let (negated, pattern) = match text.strip_prefix('!') {
        Some(p) => (true, p),
        None => (false, text),
    };
    Some(HostPattern::Plain {
        pattern: pattern.to_ascii_lowercase(),
        negated,
    })
}

impl Entry {
    fn matches(&self, spec: &str) -> bool {
        let mut positive = false;
        for p in &self.patterns {
            match p {
                HostPattern::Plain { pattern, negated } => {
                    if crate::wildcard::matches(pattern, spec) {
                        if *negated {
                            return false;
                        }
                        positive = true;
                    }
                }
                HostPattern::Hashed { salt, hash } => {
                    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(salt) else {
                        continue;
                    };
                    mac.update(spec.as_bytes());
                    if mac.verify_slice(hash).is_ok() {
                        positive = true;
                    }
                }
            }
        }
        positive
    }
}

/// Every known_hosts file a run uses, read once and shared by all hosts; appends for
/// `--accept-new` are serialized so parallel hosts never interleave lines.
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

    /// Records `key` for `host:port`, like OpenSSH's `StrictHostKeyChecking=accept-new`.
    pub fn append(&self, path: &Path, host: &str, port: u16, key: &[u8]) -> std::io::Result<()> {
        let _guard = self.append.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let _lock = crate::flock::Lock::exclusive(&file)?;
        let line = format!(
            "{} {} {}\n",
            host_spec(host, port),
            blob_type(key).unwrap_or("unknown"),
            B64.encode(key)
        );
        (&file).write_all(line.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(kind: &str, body: &[u8]) -> Vec<u8> {
        let mut b = (kind.len() as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind.as_bytes());
        b.extend_from_slice(body);
        b
    }

    fn line(hosts: &str, key: &[u8]) -> String {
        format!("{hosts} {} {}\n", blob_type(key).unwrap(), B64.encode(key))
    }

    #[test]
    fn plain_and_port_entries() {
        let k1 = blob("ssh-ed25519", b"one");
        let k2 = blob("ssh-ed25519", b"two");
        let kh = KnownHosts::parse(&(line("web1,10.0.0.1", &k1) + &line("[web1]:2222", &k2)));
        assert_eq!(kh.check("web1", 22, &k1), Verdict::Match);
        assert_eq!(kh.check("WEB1", 22, &k1), Verdict::Match);
        assert_eq!(kh.check("10.0.0.1", 22, &k1), Verdict::Match);
        assert_eq!(kh.check("web1", 2222, &k2), Verdict::Match);
        assert_eq!(kh.check("web1", 22, &k2), Verdict::Changed { line: 1 });
        assert_eq!(kh.check("web1", 2222, &k1), Verdict::Changed { line: 2 });
        // A key recorded without a port does not vouch for another port.
        assert_eq!(kh.check("10.0.0.1", 2222, &k1), Verdict::Unknown);
        assert_eq!(kh.check("web2", 22, &k1), Verdict::Unknown);
    }

    #[test]
    fn wildcards_negation_and_comments() {
        let k = blob("ssh-ed25519", b"k");
        let text = format!(
            "# comment\n\n{}",
            line("*.example.com,!bad.example.com", &k)
        );
        let kh = KnownHosts::parse(&text);
        assert_eq!(kh.check("a.example.com", 22, &k), Verdict::Match);
        assert_eq!(kh.check("bad.example.com", 22, &k), Verdict::Unknown);
    }

    #[test]
    fn hashed_entries() {
        // `ssh-keygen -H` form: |1|base64(salt)|base64(HMAC-SHA1(salt, host))
        let salt = b"0123456789abcdefghij";
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(salt).unwrap();
        mac.update(b"[10.1.2.3]:2222");
        let hash = mac.finalize().into_bytes();
        let k = blob("ssh-ed25519", b"k");
        let kh = KnownHosts::parse(&line(
            &format!("|1|{}|{}", B64.encode(salt), B64.encode(hash)),
            &k,
        ));
        assert_eq!(kh.check("10.1.2.3", 2222, &k), Verdict::Match);
        assert_eq!(kh.check("10.1.2.3", 22, &k), Verdict::Unknown);
    }

    #[test]
    fn revoked_and_other_types() {
        let ed = blob("ssh-ed25519", b"k");
        let rsa = blob("ssh-rsa", b"r");
        let text = line("h", &rsa) + "@revoked " + &line("h", &ed);
        let kh = KnownHosts::parse(&text);
        assert_eq!(kh.check("h", 22, &ed), Verdict::Revoked { line: 2 });
        let other = blob("ecdsa-sha2-nistp256", b"e");
        assert_eq!(
            kh.check("h", 22, &other),
            Verdict::OtherType {
                line: 1,
                recorded: "ssh-rsa".into()
            }
        );
        assert_eq!(
            kh.preferred_algorithms("h", 22),
            ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
        );
    }

    #[test]
    fn append_writes_a_line_that_checks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/known_hosts");
        let k = blob("ssh-ed25519", b"new");
        let cache = KnownHostsCache::default();
        cache.append(&path, "10.0.0.9", 2222, &k).unwrap();
        let kh = KnownHosts::load(&path).unwrap();
        assert_eq!(kh.check("10.0.0.9", 2222, &k), Verdict::Match);
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .starts_with("[10.0.0.9]:2222 ssh-ed25519 ")
        );
    }
}
