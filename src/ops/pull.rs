//! `hostctl pull`: files from every host into `LOCAL_DIR/<host>/`, so hosts never overwrite
//! each other.
//!
//! Each file streams into a hidden local temporary while being hashed; the host hashes the very
//! bytes it sends (`tee /dev/fd/3 < file | h`: one read of the file, so a growing log file
//! still verifies), and the temporary is renamed only when both digests agree.

use super::Shared;
use super::privilege::Become;
use super::transfer::{Meter, SHA256_FN, StepError, base, hex, join, reason_from, script};
use crate::event::{FileReport, HostOutcome, Status, Stream, TransferReport};
use crate::executor::{HostContext, Job};
use crate::plan::PullSpec;
use crate::ssh::{Connection, Target, shell_quote as q};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

pub struct PullJob {
    pub shared: Arc<Shared>,
    pub spec: PullSpec,
}

/// One thing found on the host, relative to the pulled path (`""` is the path itself).
#[derive(Debug, PartialEq)]
enum Found {
    File { rel: String, mode: u32 },
    Dir { rel: String, mode: u32 },
    Link { rel: String, target: String },
}

impl Job for PullJob {
    fn run(&self, target: &Target, cx: &mut HostContext) -> HostOutcome {
        let started = Instant::now();
        let conn = match self.shared.connect(target, cx) {
            Ok(c) => c,
            Err(u) => return u.finish(started),
        };
        let deadline = self.spec.timeout.map(|t| started + t);
        let host_dir = self.spec.local_dir.join(&target.name);
        let mut report = TransferReport { files: Vec::new() };
        let mut bytes_in = 0;
        for remote in &self.spec.remotes {
            match self.pull_one(&conn, remote, &host_dir, cx, deadline, &mut report) {
                Ok(n) => bytes_in += n,
                Err(e) => {
                    let mut outcome = e.into_outcome(started);
                    outcome.bytes_in = bytes_in;
                    outcome.transfer = Some(report);
                    return outcome;
                }
            }
        }
        let mut outcome = HostOutcome::new(Status::Changed, started.elapsed());
        outcome.bytes_in = bytes_in;
        outcome.transfer = Some(report);
        outcome
    }
}

impl PullJob {
    fn pull_one(
        &self,
        conn: &Connection,
        remote: &str,
        host_dir: &Path,
        cx: &HostContext,
        deadline: Option<Instant>,
        report: &mut TransferReport,
    ) -> Result<u64, StepError> {
        let found = self.list(conn, remote, deadline)?;
        let root = host_dir.join(base(remote));
        let mut bytes = 0;
        for item in found {
            let local = |rel: &str| {
                if rel.is_empty() {
                    root.clone()
                } else {
                    root.join(rel)
                }
            };
            let remote_of = |rel: &str| {
                if rel.is_empty() {
                    remote.to_string()
                } else {
                    join(remote, rel)
                }
            };
            match item {
                Found::Dir { rel, mode } => {
                    let dir = local(&rel);
                    std::fs::create_dir_all(&dir).map_err(|e| local_err(&dir, e))?;
                    // Keep the host's mode, but stay able to write into it.
                    let _ = std::fs::set_permissions(
                        &dir,
                        std::fs::Permissions::from_mode(mode | 0o700),
                    );
                }
                Found::Link { rel, target } => {
                    let path = local(&rel);
                    make_parent(&path)?;
                    let _ = std::fs::remove_file(&path);
                    std::os::unix::fs::symlink(&target, &path).map_err(|e| local_err(&path, e))?;
                    report.files.push(FileReport {
                        local: path.display().to_string(),
                        remote: remote_of(&rel),
                        bytes: 0,
                        sha256: String::new(),
                        changed: true,
                    });
                }
                Found::File { rel, mode } => {
                    let path = local(&rel);
                    let from = remote_of(&rel);
                    let (n, sha256) = fetch(
                        conn,
                        &self.shared.privilege,
                        &from,
                        &path,
                        mode,
                        self.spec.fsync,
                        cx,
                        deadline,
                    )?;
                    bytes += n;
                    report.files.push(FileReport {
                        local: path.display().to_string(),
                        remote: from,
                        bytes: n,
                        sha256,
                        changed: true,
                    });
                }
            }
        }
        Ok(bytes)
    }

    fn list(
        &self,
        conn: &Connection,
        remote: &str,
        deadline: Option<Instant>,
    ) -> Result<Vec<Found>, StepError> {
        if !self.spec.recursive {
            let text = format!(
                "f={}; if [ -d \"$f\" ]; then echo dir; elif [ ! -e \"$f\" ]; then echo none; \
                 elif [ ! -r \"$f\" ]; then echo unreadable; elif [ -f \"$f\" ]; then echo \"file $(stat -c %a -- \"$f\")\"; \
                 else echo other; fi",
                q(remote)
            );
            let answer = script(conn, &self.shared.privilege, &text, deadline)?;
            return match answer.trim().split_once(' ') {
                Some(("file", mode)) => Ok(vec![Found::File {
                    rel: String::new(),
                    mode: u32::from_str_radix(mode, 8).unwrap_or(0o644),
                }]),
                _ => Err(StepError::Failed(match answer.trim() {
                    "dir" => format!("`{remote}` is a directory on the host (use -r)"),
                    "none" => format!("`{remote}`: no such file on the host"),
                    "unreadable" => format!("`{remote}`: permission denied"),
                    _ => format!("`{remote}` is not a regular file"),
                })),
            };
        }
        // GNU find: type, octal mode, path below the start, NUL, link target, NUL.
        let answer = script(
            conn,
            &self.shared.privilege,
            &format!("find {} -printf '%y %m %P\\0%l\\0'", q(remote)),
            deadline,
        )?;
        let mut fields = answer.split('\0');
        let mut out = Vec::new();
        while let (Some(head), Some(link)) = (fields.next(), fields.next()) {
            let mut parts = head.splitn(3, ' ');
            let (Some(kind), Some(mode), Some(rel)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let mode = u32::from_str_radix(mode, 8).unwrap_or(0o644);
            let rel = rel.to_string();
            out.push(match kind {
                "f" => Found::File { rel, mode },
                "d" => Found::Dir { rel, mode },
                "l" => Found::Link {
                    rel,
                    target: link.to_string(),
                },
                _ => continue, // sockets, fifos, devices: not copied
            });
        }
        Ok(out)
    }
}

fn local_err(path: &Path, e: std::io::Error) -> StepError {
    StepError::Failed(format!("cannot write `{}`: {e}", path.display()))
}

fn make_parent(path: &Path) -> Result<(), StepError> {
    match path.parent() {
        Some(dir) => std::fs::create_dir_all(dir).map_err(|e| local_err(dir, e)),
        None => Ok(()),
    }
}

/// Streams one remote file into `path` through a verified temporary.
#[allow(clippy::too_many_arguments)]
fn fetch(
    conn: &Connection,
    privilege: &Become,
    remote: &str,
    path: &Path,
    mode: u32,
    fsync: bool,
    cx: &HostContext,
    deadline: Option<Instant>,
) -> Result<(u64, String), StepError> {
    make_parent(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = path.with_file_name(format!(
        ".{name}.hostctl-{}-{nanos:x}.tmp",
        std::process::id()
    ));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode((mode & 0o7777) | 0o600)
        .open(&tmp)
        .map_err(|e| local_err(&tmp, e))?;
    let cleanup = TempGuard(Some(tmp.clone()));
    // Chunks arrive 64 KiB at a time: written as they are, without another buffer's copy.
    let mut writer = file;
    let mut hasher = Sha256::new();
    let mut meter = Meter::new(cx);
    let (mut write_error, mut stderr) = (None, Vec::new());
    let text = format!(
        "{SHA256_FN}{{ tee /dev/fd/3 < {} | h >&2; }} 3>&1",
        q(remote)
    );
    let exit = privilege.exec(
        conn,
        &text,
        None,
        deadline,
        &mut std::io::empty(),
        &mut |stream, data| match stream {
            Stream::Stdout => {
                hasher.update(data);
                meter.add(data.len() as u64);
                if write_error.is_none() {
                    write_error = writer.write_all(data).err();
                }
            }
            Stream::Stderr => {
                if stderr.len() < 64 * 1024 {
                    stderr.extend_from_slice(data);
                }
            }
        },
    );
    meter.flush();
    let exit = exit?;
    if let Some(e) = write_error {
        return Err(local_err(&tmp, e));
    }
    let text = String::from_utf8_lossy(&stderr);
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let sent = lines
        .pop()
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    if exit.code != Some(0) || !lines.is_empty() {
        return Err(StepError::Failed(format!(
            "{remote}: {}",
            reason_from(lines.join("\n").as_bytes(), &exit)
        )));
    }
    let got = hex(&hasher.finalize());
    if got != sent {
        return Err(StepError::Failed(format!(
            "{remote}: digest mismatch: host sent {sent}, received {got}"
        )));
    }
    if fsync {
        writer.sync_all().map_err(|e| local_err(&tmp, e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| local_err(path, e))?;
    cleanup.keep();
    if fsync && let Some(dir) = path.parent() {
        // The rename itself is durable only once the directory is.
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| local_err(dir, e))?;
    }
    Ok((exit.bytes_in - stderr.len() as u64, got))
}

/// Removes a temporary unless the transfer completed.
struct TempGuard(Option<PathBuf>);

impl TempGuard {
    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}
