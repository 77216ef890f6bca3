//! What push and pull share: the local manifest (walked and hashed once, before any host is
//! contacted), small remote scripts, and the split between a host that failed (reachable, but
//! the copy could not be done) and a host that was lost (session dropped, timeout, Ctrl-C).
//!
//! Transport is a plain exec channel per file (`cat > temp`, `cat file`). Measured with
//! `bench/run transport` (BENCHMARKS.md): exec and libssh2's SCP move data at about the same
//! speed, libssh2's SFTP 15-35% slower. SCP cannot verify or rename on the host; exec does the
//! temporary, the digest check and the rename in one round trip, with no SFTP subsystem needed.
//! Every path reaches the remote shell single-quoted, so no file name can inject commands.
//! The hosts need a POSIX sh and GNU coreutils (cat, head, sha256sum, stat, tee, mv) and find.
//! Hashing on the host prefers `openssl dgst` when installed: coreutils' SHA-256 does not use
//! the CPU's SHA instructions and measured 4.6x slower (0.23 s against 0.05 s for 64 MiB),
//! the largest single cost of a push on the host.

use super::privilege::Become;
use crate::event::{FailureKind, HostOutcome, Status};
use crate::executor::HostContext;
use crate::ssh::{Connection, Failure};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Why one host's transfer stopped.
pub enum StepError {
    /// The host answered, but the copy cannot be done there (missing directory, permission
    /// denied, digest mismatch).
    Failed(String),
    /// The session was lost, timed out, or was aborted.
    Lost(Failure),
}

impl From<Failure> for StepError {
    fn from(f: Failure) -> StepError {
        StepError::Lost(f)
    }
}

impl StepError {
    pub fn into_outcome(self, started: Instant) -> HostOutcome {
        let status = match self {
            StepError::Failed(reason) => Status::Failed {
                exit_code: None,
                signal: None,
                reason: Some(reason),
            },
            StepError::Lost(f) => Status::Unreachable {
                kind: f.kind,
                reason: f.reason,
            },
        };
        HostOutcome::new(status, started.elapsed())
    }
}

/// Shell function `h`: SHA-256 of stdin as 64 hex digits, with OpenSSL's fast path if present.
pub const SHA256_FN: &str = "h() { if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r | cut -c1-64; \
     else sha256sum | cut -c1-64; fi; }\n";

/// Runs a small control script; its stdout on success, else its stderr as the reason.
pub fn script(
    conn: &Connection,
    privilege: &Become,
    text: &str,
    deadline: Option<Instant>,
) -> Result<String, StepError> {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let exit = privilege.exec(
        conn,
        text,
        None,
        deadline,
        &mut std::io::empty(),
        &mut |stream, data| {
            let buf = if stream == crate::event::Stream::Stdout {
                &mut out
            } else {
                &mut err
            };
            if buf.len() < 1 << 20 {
                buf.extend_from_slice(data);
            }
        },
    )?;
    if exit.code == Some(0) {
        return Ok(String::from_utf8_lossy(&out).into_owned());
    }
    let sudo = privilege
        .active()
        .then(|| super::privilege::sudo_failure(&err))
        .flatten();
    Err(StepError::Failed(
        sudo.unwrap_or_else(|| reason_from(&err, &exit)),
    ))
}

/// The last non-empty stderr line, without the `sh: 1: ` noise, or the exit status.
pub fn reason_from(stderr: &[u8], exit: &crate::ssh::ExitStatus) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().rev().map(str::trim).find(|l| !l.is_empty());
    match line {
        Some(l) => l
            .trim_start_matches("sh: 1: ")
            .trim_start_matches("sh: ")
            .to_string(),
        None => match (&exit.code, &exit.signal) {
            (_, Some(sig)) => format!("killed by signal {sig}"),
            (Some(code), _) => format!("exit {code}"),
            _ => "no exit status".into(),
        },
    }
}

/// Reports transfer progress to the executor at most every `STEP` bytes.
pub struct Meter<'a> {
    cx: &'a HostContext,
    unreported: u64,
}

const STEP: u64 = 1 << 20;

impl<'a> Meter<'a> {
    pub fn new(cx: &'a HostContext) -> Meter<'a> {
        Meter { cx, unreported: 0 }
    }

    pub fn add(&mut self, n: u64) {
        self.unreported += n;
        if self.unreported >= STEP {
            self.cx.progress(self.unreported);
            self.unreported = 0;
        }
    }

    pub fn flush(&mut self) {
        if self.unreported > 0 {
            self.cx.progress(self.unreported);
            self.unreported = 0;
        }
    }
}

/// Counts bytes read through it, for progress.
pub struct Counting<'a, R> {
    pub inner: R,
    pub meter: Meter<'a>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.add(n as u64);
        Ok(n)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a local file, read in fixed chunks.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex(&hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

/// One thing to create on the hosts, with its path relative to where the source lands.
#[derive(Debug, Clone)]
pub struct Entry {
    pub local: PathBuf,
    /// `/`-joined, starting with the source's own name (`site/css/a.css`).
    pub rel: String,
    pub kind: EntryKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    File {
        size: u64,
        mode: u32,
        sha256: String,
    },
    Dir {
        mode: u32,
    },
    Symlink {
        target: String,
    },
}

/// Local sources walked and hashed (each file read once here, and once per host to send).
#[derive(Debug, Clone)]
pub struct Manifest {
    pub entries: Vec<Entry>,
    /// How many sources were given, and whether the single one is a directory.
    pub sources: usize,
    pub single_dir: bool,
}

impl Manifest {
    pub fn build(sources: &[PathBuf], recursive: bool) -> Result<Manifest, String> {
        let mut entries = Vec::new();
        for source in sources {
            let meta = std::fs::symlink_metadata(source)
                .map_err(|e| format!("cannot read `{}`: {e}", source.display()))?;
            let name = source
                .file_name()
                .map(|n| n.to_owned())
                .or_else(|| {
                    source
                        .canonicalize()
                        .ok()?
                        .file_name()
                        .map(|n| n.to_owned())
                })
                .ok_or_else(|| {
                    format!("`{}` has no file name to copy it under", source.display())
                })?;
            let name = utf8(Path::new(&name))?;
            if meta.is_dir() && !recursive {
                return Err(format!(
                    "`{}` is a directory (use -r to copy it)",
                    source.display()
                ));
            }
            walk(source, &name, &mut entries)?;
        }
        let single_dir = sources.len() == 1
            && entries
                .first()
                .is_some_and(|e| matches!(e.kind, EntryKind::Dir { .. }));
        Ok(Manifest {
            entries,
            sources: sources.len(),
            single_dir,
        })
    }

    pub fn total_bytes(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| match e.kind {
                EntryKind::File { size, .. } => size,
                _ => 0,
            })
            .sum()
    }
}

fn walk(path: &Path, rel: &str, out: &mut Vec<Entry>) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let mode = meta.permissions().mode() & 0o7777;
    let kind = if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path)
            .map_err(|e| format!("cannot read link `{}`: {e}", path.display()))?;
        EntryKind::Symlink {
            target: utf8(&target)?,
        }
    } else if meta.is_dir() {
        EntryKind::Dir { mode }
    } else if meta.is_file() {
        let sha256 =
            sha256_file(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        EntryKind::File {
            size: meta.len(),
            mode,
            sha256,
        }
    } else {
        return Err(format!(
            "`{}` is not a regular file, directory or symlink",
            path.display()
        ));
    };
    let is_dir = matches!(kind, EntryKind::Dir { .. });
    out.push(Entry {
        local: path.to_path_buf(),
        rel: rel.to_string(),
        kind,
    });
    if is_dir {
        let mut children: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot list `{}`: {e}", path.display()))?
            .filter_map(|e| e.ok())
            .collect();
        children.sort_by_key(|e| e.file_name());
        for child in children {
            let name = utf8(Path::new(&child.file_name()))?;
            walk(&child.path(), &format!("{rel}/{name}"), out)?;
        }
    }
    Ok(())
}

fn utf8(path: &Path) -> Result<String, String> {
    path.to_str().map(str::to_string).ok_or_else(|| {
        format!(
            "`{}` is not valid UTF-8; hostctl copies only UTF-8 names",
            path.display()
        )
    })
}

/// Joins remote paths with `/`, without doubling it.
pub fn join(dir: &str, rel: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{rel}")
    } else {
        format!("{dir}/{rel}")
    }
}

/// The remote parent directory of `path` (`.` for a bare name).
pub fn parent(path: &str) -> &str {
    match path.trim_end_matches('/').rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

pub fn base(path: &str) -> &str {
    let p = path.trim_end_matches('/');
    p.rsplit('/').next().unwrap_or(p)
}

/// A name for a temporary next to `target`: hidden, unique per process and host.
pub fn temp_name(target: &str, host: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tag: String = host
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect();
    format!(
        "{}/.{}.hostctl-{}-{tag}-{nanos:x}.tmp",
        parent(target),
        base(target),
        std::process::id()
    )
}

pub fn lost(kind: FailureKind, reason: impl Into<String>) -> StepError {
    StepError::Lost(Failure::new(kind, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_path_helpers() {
        assert_eq!(join("/tmp", "a"), "/tmp/a");
        assert_eq!(join("/tmp/", "a"), "/tmp/a");
        assert_eq!(parent("/tmp/a"), "/tmp");
        assert_eq!(parent("/a"), "/");
        assert_eq!(parent("a"), ".");
        assert_eq!(base("/tmp/dir/"), "dir");
        assert!(temp_name("/tmp/my file", "web01").starts_with("/tmp/.my file.hostctl-"));
    }

    #[test]
    fn manifest_walks_trees_in_order_and_refuses_dirs_without_r() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        std::fs::create_dir_all(site.join("css")).unwrap();
        std::fs::create_dir_all(site.join("empty")).unwrap();
        std::fs::write(site.join("index.html"), "hi").unwrap();
        std::fs::write(site.join("css/a.css"), "x").unwrap();
        std::os::unix::fs::symlink("index.html", site.join("home.html")).unwrap();
        let m = Manifest::build(std::slice::from_ref(&site), true).unwrap();
        let rels: Vec<&str> = m.entries.iter().map(|e| e.rel.as_str()).collect();
        assert_eq!(
            rels,
            [
                "site",
                "site/css",
                "site/css/a.css",
                "site/empty",
                "site/home.html",
                "site/index.html"
            ]
        );
        assert_eq!(
            m.entries[4].kind,
            EntryKind::Symlink {
                target: "index.html".into()
            }
        );
        assert!(m.single_dir);
        assert_eq!(m.total_bytes(), 3);
        assert_eq!(
            Manifest::build(&[site], false).unwrap_err(),
            format!(
                "`{}` is a directory (use -r to copy it)",
                dir.path().join("site").display()
            )
        );
        let missing = dir.path().join("nope");
        assert!(
            Manifest::build(&[missing], false)
                .unwrap_err()
                .starts_with("cannot read `")
        );
    }
}
