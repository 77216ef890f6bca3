//! `hostctl push`: local files to every host, each one atomic and verified.
//!
//! Where each file lands is decided at plan time (`Manifest::build`), from the command line
//! alone; nothing a host holds changes the layout. Per host: one check (the receiving
//! directory, and the digest and mode of every target, for `unchanged`), one `mkdir`/`ln` batch
//! for directories and symlinks, then one channel per changed file that streams it into a
//! hidden temporary beside the target, re-hashes it on the host and renames it only if the
//! SHA-256 matches. A shell trap removes the temporary on any failure, so the target name never
//! holds a partial file.
//!
//! The scripts and the replies they may give are `protocol::push`'s. When a step fails, its
//! `hostctl-fail CODE STEP` line becomes the operator's words here, with the path hostctl chose
//! itself; the host's raw stderr goes to `-v`, `--json` and the audit record. Anything else a
//! host prints is "unexpected reply", never a panic.

use super::protocol::push::{self as protocol, Code, Current, Holder, Make};
use super::shared::Shared;
use super::transfer::{Counting, Meter};
use crate::event::{Captured, FileReport, HostOutcome, Status, Stream, TransferReport};
use crate::executor::{HostContext, Job};
use crate::manifest::{self, EntryKind, Manifest, parent};
use crate::plan::PushSpec;
use crate::ssh::{Connection, Failure, Target};
use std::cell::Cell;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

pub struct PushJob {
    pub shared: Arc<Shared>,
    pub spec: PushSpec,
}

/// What a step was doing, for the message when it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doing {
    LookingUp,
    Checking,
    Writing,
    CreatingDir,
    CreatingLink,
    PushingTo,
}

impl std::fmt::Display for Doing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Doing::LookingUp => "looking up",
            Doing::Checking => "checking",
            Doing::Writing => "writing",
            Doing::CreatingDir => "creating directory",
            Doing::CreatingLink => "creating symlink",
            Doing::PushingTo => "pushing to",
        })
    }
}

/// A push that cannot be done on a reachable host, in the operator's words: the cause, what
/// hostctl was doing, the path the command named (never a path the host sent), and a hint.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("permission denied {doing} `{path}`{}", if *sudo { "" } else { " (try --sudo)" })]
    Denied {
        doing: Doing,
        path: String,
        sudo: bool,
    },
    #[error("read-only file system {doing} `{path}`")]
    ReadOnly { doing: Doing, path: String },
    #[error("no space left on device {doing} `{path}`")]
    NoSpace { doing: Doing, path: String },
    #[error("missing directory `{dir}` on the host (try --mkdir)")]
    MissingDir { dir: String },
    #[error("`{dir}` is not a directory on the host")]
    HolderNotDir { dir: String },
    #[error("a parent is not a directory {doing} `{path}`")]
    ParentNotDir { doing: Doing, path: String },
    #[error("target is not a directory {doing} `{path}`")]
    NotDir { doing: Doing, path: String },
    #[error(
        "target is a directory {doing} `{path}`{}",
        into.as_ref().map(|d| format!(" (to copy into it, end REMOTE with `/`: `{d}`)")).unwrap_or_default()
    )]
    IsDir {
        doing: Doing,
        path: String,
        /// REMOTE with a trailing `/`, when REMOTE itself was read as the file's path.
        into: Option<String>,
    },
    #[error("target is not a regular file {doing} `{path}`")]
    NotFile { doing: Doing, path: String },
    #[error("digest mismatch writing `{path}`: the copy on the host differs from the local file")]
    Digest { path: String },
    #[error("failed {doing} `{path}` (-v shows the host's stderr)")]
    Other { doing: Doing, path: String },
    #[error("failed {doing} `{path}`: unexpected reply from the host (-v shows its stderr)")]
    Unexpected { doing: Doing, path: String },
    #[error("cannot read `{}`: {source}", path.display())]
    Local {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Sudo(String),
}

/// Why one host's push stopped.
enum Stop {
    /// The host answered, but the copy cannot be done there; with the host's raw stderr.
    Failed { error: PushError, stderr: Vec<u8> },
    /// The session was lost, timed out, or was aborted.
    Lost(Failure),
}

impl From<Failure> for Stop {
    fn from(f: Failure) -> Stop {
        Stop::Lost(f)
    }
}

impl From<PushError> for Stop {
    fn from(error: PushError) -> Stop {
        Stop::Failed {
            error,
            stderr: Vec::new(),
        }
    }
}

/// One host's session for the length of its push.
struct OnHost<'a> {
    conn: &'a Connection,
    target: &'a Target,
    cx: &'a HostContext,
    deadline: Option<Instant>,
}

/// One step of a host script: what it does, and to which path.
#[derive(Debug, Clone, Copy)]
struct Step<'a> {
    doing: Doing,
    path: &'a str,
}

impl Job for PushJob {
    fn run(&self, target: &Target, cx: &mut HostContext) -> HostOutcome {
        let started = Instant::now();
        let conn = match self.shared.connect(target, cx) {
            Ok(c) => c,
            Err(u) => return u.finish(started),
        };
        let deadline = self.spec.timeout.map(|t| started + t);
        let mut bytes_out = 0;
        let host = OnHost {
            conn: &conn,
            target,
            cx,
            deadline,
        };
        let mut outcome = match self.push(&host, &mut bytes_out) {
            Ok((report, created)) => {
                let changed = created || report.files.iter().any(|f| f.changed);
                let mut outcome = HostOutcome::new(
                    if changed {
                        Status::Changed
                    } else {
                        Status::Unchanged
                    },
                    started.elapsed(),
                );
                outcome.transfer = Some(report);
                outcome
            }
            Err(Stop::Lost(f)) => HostOutcome::new(
                Status::Unreachable {
                    kind: f.kind,
                    reason: f.reason,
                },
                started.elapsed(),
            ),
            Err(Stop::Failed { error, stderr }) => {
                let mut outcome = HostOutcome::new(
                    Status::Failed {
                        exit_code: None,
                        signal: None,
                        reason: Some(error.to_string()),
                    },
                    started.elapsed(),
                );
                outcome.stderr = Captured::with_limit(self.shared.output_limit);
                outcome.stderr.push(&stderr);
                outcome
            }
        };
        outcome.bytes_out = bytes_out;
        outcome
    }
}

impl PushJob {
    /// The report and whether a directory was created; `sent` counts the file bytes sent,
    /// also those of a file the host refused.
    fn push(&self, host: &OnHost, sent: &mut u64) -> Result<(TransferReport, bool), Stop> {
        let manifest = &self.spec.manifest;
        let holder = manifest.holder.as_str();
        let sudo = self.shared.sudo.active();
        let (there, current) = self.check(host)?;
        let mut steps: Vec<Step> = Vec::new();
        let mut setup = String::new();
        match there {
            Holder::Dir => {}
            Holder::Missing if self.spec.mkdir => {
                step(
                    &mut steps,
                    &mut setup,
                    Doing::CreatingDir,
                    holder,
                    Make::Holder,
                );
            }
            Holder::Missing => {
                return Err(PushError::MissingDir { dir: holder.into() }.into());
            }
            Holder::NotDir => {
                return Err(PushError::HolderNotDir { dir: holder.into() }.into());
            }
            Holder::Parent => {
                return Err(PushError::ParentNotDir {
                    doing: Doing::LookingUp,
                    path: holder.into(),
                }
                .into());
            }
            Holder::Denied => {
                return Err(PushError::Denied {
                    doing: Doing::LookingUp,
                    path: holder.into(),
                    sudo,
                }
                .into());
            }
        }
        // Nothing on this host changes before every target is known to be of the right kind.
        for (entry, now) in manifest.entries.iter().zip(&current) {
            let path = entry.remote.clone();
            match (&entry.kind, now) {
                (EntryKind::File { .. }, Current::Dir) => {
                    return Err(PushError::IsDir {
                        doing: Doing::Writing,
                        into: manifest.as_file.then(|| format!("{}/", self.spec.remote)),
                        path,
                    }
                    .into());
                }
                (EntryKind::Symlink { .. }, Current::Dir) => {
                    return Err(PushError::IsDir {
                        doing: Doing::CreatingLink,
                        into: manifest.as_file.then(|| format!("{}/", self.spec.remote)),
                        path,
                    }
                    .into());
                }
                (EntryKind::File { .. } | EntryKind::Symlink { .. }, Current::Other) => {
                    return Err(PushError::NotFile {
                        doing: Doing::Writing,
                        path,
                    }
                    .into());
                }
                // Never through a symlink the host holds: it may point anywhere.
                (EntryKind::Dir { .. }, Current::Dir | Current::None) => {}
                (EntryKind::Dir { .. }, _) => {
                    return Err(PushError::NotDir {
                        doing: Doing::CreatingDir,
                        path,
                    }
                    .into());
                }
                _ => {}
            }
        }
        let mut report = TransferReport { files: Vec::new() };
        let mut created = !steps.is_empty();
        for (entry, now) in manifest.entries.iter().zip(&current) {
            let path = entry.remote.as_str();
            match &entry.kind {
                EntryKind::Dir { mode } => {
                    if *now == Current::None {
                        created = true;
                        let make = Make::Dir { mode: *mode };
                        step(&mut steps, &mut setup, Doing::CreatingDir, path, make);
                    }
                }
                EntryKind::Symlink { target: link } => {
                    let changed = *now != Current::LinkSame || self.spec.force;
                    if changed {
                        let make = Make::Link { target: link };
                        step(&mut steps, &mut setup, Doing::CreatingLink, path, make);
                    }
                    report.files.push(FileReport {
                        local: entry.local.display().to_string(),
                        remote: path.to_string(),
                        bytes: 0,
                        sha256: String::new(),
                        changed,
                    });
                }
                EntryKind::File { .. } => {}
            }
        }
        if !steps.is_empty() {
            let text = protocol::setup_script(&setup);
            self.script(host, &text, &steps, None, &mut 0)?;
        }
        for (entry, now) in manifest.entries.iter().zip(&current) {
            let EntryKind::File { size, mode, sha256 } = &entry.kind else {
                continue;
            };
            let mode = format!("{:o}", self.spec.mode.unwrap_or(*mode));
            let same =
                matches!(now, Current::File { mode: m, sha256: s } if *m == mode && s == sha256);
            let changed = self.spec.force || !same;
            if changed {
                self.upload(host, entry, &mode, sha256, sent)?;
            }
            report.files.push(FileReport {
                local: entry.local.display().to_string(),
                remote: entry.remote.clone(),
                bytes: *size,
                sha256: sha256.clone(),
                changed,
            });
        }
        Ok((report, created))
    }

    /// The receiving directory, then the digest and mode of every target, in one round trip
    /// per 200 entries. With --force the digest would not change anything, so the host is
    /// spared reading the files.
    fn check(&self, host: &OnHost) -> Result<(Holder, Vec<Current>), Stop> {
        let manifest = &self.spec.manifest;
        let holder = manifest.holder.as_str();
        let unexpected = || PushError::Unexpected {
            doing: Doing::Checking,
            path: holder.to_string(),
        };
        let step = [Step {
            doing: Doing::Checking,
            path: holder,
        }];
        let mut there = None;
        let mut out = Vec::with_capacity(manifest.entries.len());
        // The first round trip also asks for the holder, even with no entries.
        let mut chunks: Vec<&[manifest::Entry]> = manifest.entries.chunks(200).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        for chunk in chunks {
            let ask = there.is_none();
            let text = protocol::check_script(ask.then_some(holder), chunk, self.spec.force);
            let answer = self.script(host, &text, &step, None, &mut 0)?;
            let check = protocol::parse_check(&answer, ask, chunk.len()).ok_or_else(unexpected)?;
            there = there.or(check.holder);
            out.extend(check.targets);
        }
        Ok((there.ok_or_else(unexpected)?, out))
    }

    /// Runs one host script. On success its stdout; on failure the operator's words for what
    /// its `hostctl-fail` line says (steps[STEP] names the path), with the raw stderr kept.
    /// With `input`, the input stops as soon as that line arrives, so a failed upload does not
    /// send the rest of the file.
    fn script(
        &self,
        host: &OnHost,
        text: &str,
        steps: &[Step],
        input: Option<&mut dyn Read>,
        sent: &mut u64,
    ) -> Result<String, Stop> {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let failed = Cell::new(false);
        let mut empty = std::io::empty();
        let mut input = Halting {
            inner: input.unwrap_or(&mut empty),
            halt: &failed,
        };
        let exit = self.shared.sudo.exec(
            host.conn,
            text,
            None,
            host.deadline,
            &mut input,
            &mut |stream, data| {
                let (buf, cap) = match stream {
                    Stream::Stdout => (&mut out, 1 << 20),
                    Stream::Stderr => (&mut err, 64 << 10),
                };
                if buf.len() < cap {
                    buf.extend_from_slice(data);
                }
                if stream == Stream::Stdout && protocol::reports_failure(&out) {
                    failed.set(true);
                }
            },
        )?;
        *sent += exit.bytes_out;
        if exit.code == Some(0) {
            return Ok(String::from_utf8_lossy(&out).into_owned());
        }
        let sudo = self.shared.sudo.active();
        let error = match sudo.then(|| super::sudo::sudo_failure(&err)).flatten() {
            Some(message) => PushError::Sudo(message),
            None => match protocol::parse_failure(&out, steps.len()) {
                Some((code, i)) => self.explain(code, steps[i]),
                // One step: it is the one that failed; several: say no more than is known.
                None => match steps {
                    [only] => PushError::Unexpected {
                        doing: only.doing,
                        path: only.path.to_string(),
                    },
                    _ => PushError::Unexpected {
                        doing: Doing::PushingTo,
                        path: self.spec.remote.clone(),
                    },
                },
            },
        };
        tracing::info!(
            host = %host.target.name,
            "push: {error}; the host's script exited {}, its stderr: {}",
            exit.code.map_or_else(|| "without a status".into(), |c| c.to_string()),
            String::from_utf8_lossy(&err).trim_end()
        );
        Err(Stop::Failed { error, stderr: err })
    }

    fn explain(&self, code: Code, step: Step) -> PushError {
        let (doing, path) = (step.doing, step.path.to_string());
        match code {
            Code::NoDir => PushError::MissingDir {
                dir: parent(&path).to_string(),
            },
            Code::Parent => PushError::ParentNotDir { doing, path },
            Code::NotDir => PushError::NotDir { doing, path },
            Code::IsDir => PushError::IsDir {
                doing,
                into: (self.spec.manifest.as_file && path == self.spec.remote)
                    .then(|| format!("{path}/")),
                path,
            },
            Code::Denied => PushError::Denied {
                doing,
                path,
                sudo: self.shared.sudo.active(),
            },
            Code::ReadOnly => PushError::ReadOnly { doing, path },
            Code::NoSpace => PushError::NoSpace { doing, path },
            Code::Digest => PushError::Digest { path },
            Code::Other => PushError::Other { doing, path },
        }
    }

    fn upload(
        &self,
        host: &OnHost,
        entry: &manifest::Entry,
        mode: &str,
        sha256: &str,
        sent: &mut u64,
    ) -> Result<(), Stop> {
        let path = entry.remote.as_str();
        let size = match entry.kind {
            EntryKind::File { size, .. } => size,
            _ => 0,
        };
        let tmp = protocol::temp_path(path, &host.target.name);
        let text = protocol::upload_script(path, &tmp, size, sha256, mode, self.spec.fsync);
        let file = std::fs::File::open(&entry.local).map_err(|e| PushError::Local {
            path: entry.local.clone(),
            source: e,
        })?;
        let mut input = Counting {
            inner: file,
            meter: Meter::new(host.cx),
        };
        let step = [Step {
            doing: Doing::Writing,
            path,
        }];
        let done = self.script(host, &text, &step, Some(&mut input), sent);
        input.meter.flush();
        done.map(drop)
    }
}

/// For `--dry-run`: where each entry of `manifest` lands, the same on every host.
pub fn describe(manifest: &Manifest, mkdir: bool) -> String {
    const SHOWN: usize = 100;
    let mut out = format!(
        "push {} entr{} ({}) into `{}` on each host ({})\n",
        manifest.entries.len(),
        if manifest.entries.len() == 1 {
            "y"
        } else {
            "ies"
        },
        crate::show::bytes(manifest.total_bytes()),
        manifest.holder,
        if mkdir {
            "created if missing"
        } else {
            "must exist; --mkdir creates it"
        }
    );
    for e in manifest.entries.iter().take(SHOWN) {
        let kind = match e.kind {
            EntryKind::File { .. } => "file",
            EntryKind::Dir { .. } => "dir",
            EntryKind::Symlink { .. } => "symlink",
        };
        out.push_str(&format!(
            "  {kind:<7} {} -> {}\n",
            e.local.display(),
            e.remote
        ));
    }
    if manifest.entries.len() > SHOWN {
        out.push_str(&format!(
            "  ... and {} more, by the same rule\n",
            manifest.entries.len() - SHOWN
        ));
    }
    out
}

/// Adds one setup step: its line in the setup script, and what it does to which path.
fn step<'a>(
    steps: &mut Vec<Step<'a>>,
    setup: &mut String,
    doing: Doing,
    path: &'a str,
    make: Make,
) {
    setup.push_str(&protocol::setup_line(make, path, steps.len()));
    steps.push(Step { doing, path });
}

/// Input that ends as soon as `halt` is set (the host reported a failure).
struct Halting<'a> {
    inner: &'a mut dyn Read,
    halt: &'a Cell<bool>,
}

impl Read for Halting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.halt.get() {
            return Ok(0);
        }
        self.inner.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_cause_action_path_and_hint() {
        let denied = PushError::Denied {
            doing: Doing::Writing,
            path: "/etc/app.conf".into(),
            sudo: false,
        };
        assert_eq!(
            denied.to_string(),
            "permission denied writing `/etc/app.conf` (try --sudo)"
        );
        assert_eq!(
            PushError::IsDir {
                doing: Doing::Writing,
                path: "/tmp".into(),
                into: Some("/tmp/".into())
            }
            .to_string(),
            "target is a directory writing `/tmp` (to copy into it, end REMOTE with `/`: `/tmp/`)"
        );
        assert_eq!(
            PushError::MissingDir {
                dir: "/tmp/x/y".into()
            }
            .to_string(),
            "missing directory `/tmp/x/y` on the host (try --mkdir)"
        );
    }
}
