//! `hostctl pull`: files from every host into `LOCAL_DIR/<host>/`, so hosts never overwrite
//! each other.
//!
//! Nothing the host sends is trusted. One listing per REMOTE (GNU find: readable or not, type,
//! mode, size, name, link target) says what there is. Each name in it must be a relative path
//! below the pulled root, or that entry is refused. Each size is binding: the host is asked for
//! exactly that many bytes (`head -c`, so a growing log file still verifies), and a host that
//! sends more is cut off there. Locally every path is reached one component at a time from a
//! directory descriptor (`host_dir`), so no symlink on the controller is ever followed.
//!
//! A file whose local copy has the listed size is hashed on both sides first and left alone
//! when the digests agree (`unchanged`). Others stream into a hidden temporary beside the
//! target while being hashed; the host hashes the very bytes it sends, and the temporary is
//! renamed only when both digests agree.
//!
//! A problem with one entry (a refused name, an unreadable file, a size lie) fails that entry
//! and the pull goes on; the host ends `failed`, with the reasons. A lost connection or a local
//! write error stops the host at once.

mod host_dir;

use super::protocol::pull::{self as protocol, FindCause, Kind, Listed, remote_of};
use super::protocol::reason_from;
use super::shared::Shared;
use super::transfer::{Meter, StepError, StepFailure};
use crate::digest::{hex, sha256_of};
use crate::event::{Captured, FileReport, HostOutcome, Status, Stream, TransferReport};
use crate::executor::{HostContext, Job};
use crate::manifest::base;
use crate::plan::PullSpec;
use crate::ssh::{Connection, ExitStatus, Target};
use host_dir::{Dir, HostDir};
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Instant;

pub struct PullJob {
    pub shared: Arc<Shared>,
    pub spec: PullSpec,
}

/// More listing than this from one REMOTE is refused (about 300,000 entries): a host must not
/// be able to fill the controller's memory with names.
const MAX_LISTING: usize = 32 << 20;
/// Messages kept from one host-side step; a host that says more is cut off.
const MAX_MESSAGES: usize = 64 << 10;
/// Problems spelled out in the host's reason; `-v` lists every one.
const SHOWN_PROBLEMS: usize = 3;

/// Why one entry was not pulled, or why the host had to stop.
enum EntryError {
    /// This entry only: the pull goes on.
    Skip(String),
    /// The whole host: lost connection, local write error.
    Stop(StepError),
}

impl From<StepError> for EntryError {
    fn from(e: StepError) -> EntryError {
        EntryError::Stop(e)
    }
}

impl Job for PullJob {
    fn run(&self, target: &Target, cx: &mut HostContext) -> HostOutcome {
        let started = Instant::now();
        let conn = match self.shared.connect(target, cx) {
            Ok(c) => c,
            Err(u) => return u.finish(started),
        };
        let host = match HostDir::open(&self.spec.local_dir, &target.name) {
            Ok(h) => h,
            Err(e) => {
                let path = self.spec.local_dir.join(&target.name);
                return local_err(&path, e).into_outcome(started);
            }
        };
        let mut pull = Pull {
            job: self,
            conn: &conn,
            host: &host,
            name: &target.name,
            cx,
            deadline: self.spec.timeout.map(|t| started + t),
            umask: host_dir::umask(),
            report: TransferReport { files: Vec::new() },
            problems: Vec::new(),
            stderr: Captured::with_limit(self.shared.output_limit),
            bytes_in: 0,
        };
        let mut stopped = None;
        for remote in &self.spec.remotes {
            if let Err(e) = pull.remote(remote) {
                stopped = Some(e);
                break;
            }
        }
        let changed = host.altered.get() || pull.report.files.iter().any(|f| f.changed);
        let status = match pull.problems.len() {
            0 if changed => Status::Changed,
            0 => Status::Unchanged,
            n => {
                let mut reason = pull.problems[..n.min(SHOWN_PROBLEMS)].join("; ");
                if n > SHOWN_PROBLEMS {
                    reason.push_str(&format!(
                        "; and {} more not pulled (-v lists them)",
                        n - SHOWN_PROBLEMS
                    ));
                }
                Status::Failed {
                    exit_code: None,
                    signal: None,
                    reason: Some(reason),
                }
            }
        };
        let mut outcome = match stopped {
            Some(e) => e.into_outcome(started),
            None => HostOutcome::new(status, started.elapsed()),
        };
        outcome.bytes_in = pull.bytes_in;
        outcome.stderr = pull.stderr;
        outcome.transfer = Some(pull.report);
        outcome
    }
}

/// One host's pull in progress.
struct Pull<'a> {
    job: &'a PullJob,
    conn: &'a Connection,
    host: &'a HostDir,
    name: &'a str,
    cx: &'a HostContext,
    deadline: Option<Instant>,
    umask: u32,
    report: TransferReport,
    /// Entries not pulled, each with its reason in the operator's words.
    problems: Vec<String>,
    /// What the host's tools said, raw: for `-v` and the audit log.
    stderr: Captured,
    bytes_in: u64,
}

/// Output of one host-side step, capped.
struct Said {
    out: Vec<u8>,
    err: Vec<u8>,
    exit: ExitStatus,
    /// The host sent more than the cap and was cut off.
    cut: bool,
}

impl Pull<'_> {
    /// Pulls one REMOTE (a file, or with -r a tree) into `LOCAL_DIR/<host>/<its name>`.
    fn remote(&mut self, remote: &str) -> Result<(), StepError> {
        let Some(mut listed) = self.list(remote)? else {
            return Ok(());
        };
        // find walks in directory order, which differs between hosts; sorted by name, the same
        // tree reads the same everywhere (and `--gather` can fold it). A directory still comes
        // before what it holds.
        listed.sort_by(|a, b| a.rel.cmp(&b.rel));
        let root = base(remote);
        let mut entries = Vec::with_capacity(listed.len());
        for entry in listed {
            let from = remote_of(remote, &entry.rel);
            if !entry.readable {
                self.problem(self.denied(&from));
                continue;
            }
            let mut names = vec![root.to_string()];
            names.extend(
                entry
                    .rel
                    .split('/')
                    .filter(|c| !c.is_empty())
                    .map(String::from),
            );
            entries.push((names, from, entry.kind));
        }
        let same = self.unchanged_candidates(&entries)?;
        for ((names, from, kind), same) in entries.iter().zip(same) {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            match self.apply(&names, from, kind, same) {
                Ok(()) => {}
                Err(EntryError::Skip(reason)) => self.problem(reason),
                Err(EntryError::Stop(e)) => return Err(e),
            }
        }
        Ok(())
    }

    fn problem(&mut self, reason: String) {
        tracing::info!(host = self.name, "not pulled: {reason}");
        self.problems.push(reason);
    }

    /// `permission denied reading /root (try --sudo)`.
    fn denied(&self, path: &str) -> String {
        let hint = if self.job.shared.sudo.active() {
            ""
        } else {
            " (try --sudo)"
        };
        format!("permission denied reading {path}{hint}")
    }

    /// Keeps what the host's tools said, for `-v` and the audit log.
    fn said(&mut self, step: &str, err: &[u8]) {
        let text = String::from_utf8_lossy(err);
        if text.trim().is_empty() {
            return;
        }
        tracing::info!(
            host = self.name,
            "{step}: the host said: {}",
            text.trim_end()
        );
        self.stderr.push(err);
        if !err.ends_with(b"\n") {
            self.stderr.push(b"\n");
        }
    }

    /// Runs a host-side step; its stdout up to `max_out` bytes (the host is cut off past it),
    /// its stderr up to `MAX_MESSAGES`.
    fn exec(&self, text: &str, max_out: usize) -> Result<Said, StepError> {
        let cut = Cell::new(false);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let exit = self.job.shared.sudo.exec_until(
            self.conn,
            text,
            None,
            self.deadline,
            &mut std::io::empty(),
            &mut |stream, data| {
                let (buf, max) = match stream {
                    Stream::Stdout => (&mut out, max_out),
                    Stream::Stderr => (&mut err, MAX_MESSAGES),
                };
                if buf.len() + data.len() > max {
                    cut.set(true);
                } else {
                    buf.extend_from_slice(data);
                }
            },
            &cut,
        )?;
        Ok(Said {
            out,
            err,
            exit,
            cut: cut.get(),
        })
    }

    /// What REMOTE is on the host, or `None` when it cannot be pulled at all (a problem is
    /// recorded). Without -r only REMOTE itself is listed, following a symlink; with -r the
    /// tree below it, symlinks as symlinks.
    fn list(&mut self, remote: &str) -> Result<Option<Vec<Listed>>, StepError> {
        let recursive = self.job.spec.recursive;
        let text = protocol::listing_script(remote, recursive);
        let said = self.exec(&text, MAX_LISTING)?;
        self.said("listing", &said.err);
        if let Some(sudo) = self.sudo_failure(&said.err) {
            return Err(StepError::Failed(StepFailure::Sudo(sudo)));
        }
        if said.cut {
            self.problem(format!(
                "the host's listing of `{remote}` is larger than {} MiB; pull a smaller tree",
                MAX_LISTING >> 20
            ));
            return Ok(None);
        }
        let (listed, mut refused) = protocol::parse_listing(&said.out, remote);
        refused.sort();
        for m in refused {
            self.problem(m);
        }
        if listed.is_empty() {
            let reason = if said.exit.code != Some(0) || !said.err.is_empty() {
                self.find_failure(remote, &said)
            } else {
                format!("`{remote}`: the host listed nothing to pull")
            };
            self.problem(reason);
            return Ok(None);
        }
        if said.exit.code != Some(0) {
            // Entries vanished or appeared while find walked: the rest is still good.
            self.problem(format!(
                "listing `{remote}` on the host: {}",
                reason_from(&said.err, &said.exit).trim_start_matches("find: ")
            ));
        }
        if recursive {
            return Ok(Some(listed));
        }
        let mut listed = listed;
        listed.retain(|e| e.rel.is_empty());
        let Some(only) = listed.pop() else {
            self.problem(format!("`{remote}`: the host listed something else"));
            return Ok(None);
        };
        let reason = match only.kind {
            _ if !only.readable => self.denied(remote),
            Kind::File { .. } => return Ok(Some(vec![only])),
            Kind::Dir { .. } => format!("`{remote}` is a directory on the host (use -r)"),
            _ => format!("`{remote}` is not a regular file"),
        };
        self.problem(reason);
        Ok(None)
    }

    /// sudo's own refusal, which stops the host.
    fn sudo_failure(&self, err: &[u8]) -> Option<String> {
        self.job
            .shared
            .sudo
            .active()
            .then(|| super::sudo::sudo_failure(err))
            .flatten()
    }

    /// Why find listed nothing, in the operator's words: find's message ends in the cause
    /// (`find: '/root': Permission denied`).
    fn find_failure(&self, remote: &str, said: &Said) -> String {
        let raw = reason_from(&said.err, &said.exit);
        match protocol::find_cause(&raw) {
            FindCause::Denied => self.denied(remote),
            FindCause::Missing => format!("`{remote}`: no such file on the host"),
            FindCause::NotDir => {
                format!("`{remote}`: a parent of it is not a directory on the host")
            }
            FindCause::Other => format!(
                "cannot list `{remote}` on the host: {}",
                raw.trim_start_matches("find: ")
            ),
        }
    }

    /// For each file whose local copy has the listed size and the same SHA-256 as the host's
    /// (asked in batches of 200): that copy's mode and digest. `None`: to be fetched.
    fn unchanged_candidates(
        &mut self,
        entries: &[(Vec<String>, String, Kind)],
    ) -> Result<Vec<Option<(u32, String)>>, StepError> {
        let mut same = vec![None; entries.len()];
        let mut asks: Vec<(usize, String, u32)> = Vec::new();
        for (i, (names, _, kind)) in entries.iter().enumerate() {
            let Kind::File { size, .. } = kind else {
                continue;
            };
            let (file_name, dirs) = names.split_last().expect("a root name");
            let dirs: Vec<&str> = dirs.iter().map(String::as_str).collect();
            let Ok(Some(dir)) = self.host.existing_dir(&dirs) else {
                continue;
            };
            let Ok(Some((file, local_size, mode))) = dir.regular_file(file_name) else {
                continue;
            };
            if local_size != *size {
                continue;
            }
            let Ok(digest) = sha256_of(file) else {
                continue;
            };
            asks.push((i, digest, mode));
        }
        for batch in asks.chunks(200) {
            let text = protocol::digests_script(batch.iter().map(|(i, _, _)| {
                let (_, from, kind) = &entries[*i];
                let Kind::File { size, .. } = kind else {
                    unreachable!("only files are asked")
                };
                (from.as_str(), *size)
            }));
            let said = match self.exec(&text, protocol::digests_reply_max(batch.len())) {
                Ok(said) => said,
                Err(StepError::Lost(f)) => return Err(StepError::Lost(f)),
                // Whatever the host cannot hash is fetched, and fails there with its reason.
                Err(StepError::Failed(_)) => continue,
            };
            let digests = protocol::parse_digests(&said.out, batch.len());
            for ((i, local, mode), remote) in batch.iter().zip(digests) {
                if remote.as_ref() == Some(local) {
                    same[*i] = Some((*mode, local.clone()));
                }
            }
        }
        Ok(same)
    }

    /// Puts one listed entry in place below the host's directory.
    fn apply(
        &mut self,
        names: &[&str],
        from: &str,
        kind: &Kind,
        same: Option<(u32, String)>,
    ) -> Result<(), EntryError> {
        let (name, parents) = names.split_last().expect("a root name");
        let shown = |names: &[&str]| {
            names
                .iter()
                .fold(self.host.path().to_path_buf(), |p, n| p.join(n))
        };
        match kind {
            Kind::Dir { mode } => {
                let dir = self
                    .host
                    .dir(names)
                    .map_err(|e| local_err(&shown(names), e))?;
                // Keep the host's mode, but stay able to write into it; never set-id bits.
                let want = (mode & 0o777) | 0o700;
                if dir.mode().ok() != Some(want) {
                    dir.set_mode(want).map_err(|e| local_err(&dir.path, e))?;
                    self.host.altered.set(true);
                }
            }
            Kind::Link { target } => {
                let dir = self
                    .host
                    .dir(parents)
                    .map_err(|e| local_err(&shown(parents), e))?;
                let path = dir.path.join(name);
                let changed = dir.link_target(name).ok().flatten().as_ref() != Some(target);
                if changed {
                    dir.put_symlink(target, name)
                        .map_err(|e| replace_err(&path, e))?;
                }
                self.report.files.push(FileReport {
                    local: path.display().to_string(),
                    remote: from.to_string(),
                    bytes: 0,
                    sha256: String::new(),
                    changed,
                });
            }
            Kind::File { mode, size } => {
                let dir = self
                    .host
                    .dir(parents)
                    .map_err(|e| local_err(&shown(parents), e))?;
                let path = dir.path.join(name);
                // The host's mode through the umask, always readable and writable by the owner,
                // never set-id bits.
                let want = ((mode & 0o777) & !self.umask) | 0o600;
                let (changed, sha256, bytes) = match same {
                    Some((have, sha256)) => {
                        // Identical content is left alone, but for a mode the host changed.
                        let changed = have != want;
                        if changed && let Ok(Some((file, _, _))) = dir.regular_file(name) {
                            file.set_permissions(PermissionsExt::from_mode(want))
                                .map_err(|e| local_err(&path, e))?;
                        }
                        (changed, sha256, *size)
                    }
                    None => {
                        let (sha256, bytes) = self.fetch(from, &dir, name, want, *size)?;
                        (true, sha256, bytes)
                    }
                };
                self.report.files.push(FileReport {
                    local: path.display().to_string(),
                    remote: from.to_string(),
                    bytes,
                    sha256,
                    changed,
                });
            }
            Kind::Other => {}
        }
        Ok(())
    }

    /// Streams one remote file into `dir/name` through a verified temporary; its digest and
    /// size (a file that shrank since it was listed is copied as it is now).
    fn fetch(
        &mut self,
        from: &str,
        dir: &Dir,
        name: &str,
        mode: u32,
        size: u64,
    ) -> Result<(String, u64), EntryError> {
        let path = dir.path.join(name);
        let (temp, mut writer) = dir.temp(0o600).map_err(|e| local_err(&path, e))?;
        // Exactly `mode`, whatever the umask did to the creation mode.
        writer
            .set_permissions(PermissionsExt::from_mode(mode))
            .map_err(|e| local_err(&path, e))?;
        let mut hasher = Sha256::new();
        let mut meter = Meter::new(self.cx);
        let (mut received, mut write_error, mut err) = (0u64, None, Vec::new());
        let (mut too_long, mut too_chatty) = (false, false);
        let cut = Cell::new(false);
        // Exactly the listed size: a file that grew since is copied as it was listed.
        let text = protocol::fetch_script(from, size);
        let exit = self.job.shared.sudo.exec_until(
            self.conn,
            &text,
            None,
            self.deadline,
            &mut std::io::empty(),
            &mut |stream, data| match stream {
                Stream::Stdout => {
                    let room = size - received;
                    let data = if data.len() as u64 > room {
                        // Never more than announced reaches the disk.
                        too_long = true;
                        cut.set(true);
                        &data[..room as usize]
                    } else {
                        data
                    };
                    received += data.len() as u64;
                    hasher.update(data);
                    meter.add(data.len() as u64);
                    if write_error.is_none() {
                        write_error = writer.write_all(data).err();
                    }
                }
                Stream::Stderr => {
                    if err.len() + data.len() > MAX_MESSAGES {
                        too_chatty = true;
                        cut.set(true);
                    } else {
                        err.extend_from_slice(data);
                    }
                }
            },
            &cut,
        );
        meter.flush();
        self.bytes_in += received;
        let exit = exit.map_err(StepError::from)?;
        if too_long {
            return Err(EntryError::Skip(format!(
                "`{from}`: the host sent more than the {size} bytes it listed; cut off at {size}"
            )));
        }
        if too_chatty {
            return Err(EntryError::Skip(format!(
                "`{from}`: the host sent more than {} KiB of messages; cut off",
                MAX_MESSAGES >> 10
            )));
        }
        if let Some(e) = write_error {
            return Err(local_err(&path, e).into());
        }
        let protocol::FetchTrailer {
            digest: sent,
            messages,
        } = protocol::parse_fetch_stderr(&err);
        if exit.code != Some(0) || !messages.is_empty() {
            self.said(&format!("reading {from}"), &err);
            if let Some(sudo) = self.sudo_failure(&err) {
                return Err(StepError::Failed(StepFailure::Sudo(sudo)).into());
            }
            let raw = reason_from(messages.join("\n").as_bytes(), &exit);
            return Err(EntryError::Skip(if protocol::says_denied(&raw) {
                self.denied(from)
            } else {
                format!("`{from}`: {raw}")
            }));
        }
        let got = hex(&hasher.finalize());
        if got != sent {
            return Err(EntryError::Skip(format!(
                "`{from}`: digest mismatch: host sent {sent}, received {got}"
            )));
        }
        if self.job.spec.fsync {
            writer.sync_all().map_err(|e| local_err(&path, e))?;
        }
        temp.rename_to(name).map_err(|e| replace_err(&path, e))?;
        if self.job.spec.fsync {
            // The rename itself is durable only once the directory is.
            dir.sync().map_err(|e| local_err(&dir.path, e))?;
        }
        Ok((got, received))
    }
}

fn local_err(path: &std::path::Path, e: std::io::Error) -> StepError {
    StepError::Failed(StepFailure::LocalWrite {
        path: path.to_path_buf(),
        source: e,
    })
}

/// A rename or symlink that could not take `path`'s place: a directory standing there (the host
/// now has a file) fails that entry; anything else is the controller's trouble.
fn replace_err(path: &std::path::Path, e: std::io::Error) -> EntryError {
    match e.raw_os_error() {
        Some(libc::EISDIR | libc::ENOTEMPTY | libc::EEXIST) => EntryError::Skip(format!(
            "`{}` is a directory here, and the host has something else there; not replaced",
            path.display()
        )),
        _ => EntryError::Stop(local_err(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reason a host's outcome gives for a stopped pull.
    fn reason(e: StepError) -> String {
        match e.into_outcome(Instant::now()).status {
            Status::Failed {
                reason: Some(r), ..
            } => r,
            other => panic!("{other:?}"),
        }
    }

    /// What a pull says when the controller cannot write a file (the host stops) or finds a
    /// directory where the host has something else (that entry only), whole.
    #[test]
    fn local_failures_say_exactly_this() {
        let path = std::path::Path::new("got/web1/etc/hosts");
        let os = std::io::Error::from_raw_os_error;
        assert_eq!(
            reason(local_err(path, os(libc::ENOSPC))),
            "cannot write `got/web1/etc/hosts`: No space left on device (os error 28)"
        );
        match replace_err(path, os(libc::EISDIR)) {
            EntryError::Skip(why) => assert_eq!(
                why.to_string(),
                "`got/web1/etc/hosts` is a directory here, and the host has something else there; not replaced"
            ),
            EntryError::Stop(e) => panic!("stops: {}", reason(e)),
        }
        match replace_err(path, os(libc::EACCES)) {
            EntryError::Stop(e) => assert_eq!(
                reason(e),
                "cannot write `got/web1/etc/hosts`: Permission denied (os error 13)"
            ),
            EntryError::Skip(why) => panic!("skips: {why}"),
        }
    }
}
