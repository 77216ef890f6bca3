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
//! When a step fails, the host script finds out why with tests the shell answers the same in
//! every locale (is the directory there, searchable, writable, on a read-only mount, full?) and
//! prints `hostctl-fail CODE STEP`. The controller turns the code into the operator's words
//! with the path it chose itself; the host's raw stderr goes to `-v`, `--json` and the audit
//! record. Anything else a host prints is "unexpected reply", never a panic.

use super::Shared;
use super::transfer::{Counting, Meter, SHA256_FN, temp_name};
use crate::event::{Captured, FileReport, HostOutcome, Status, Stream, TransferReport};
use crate::executor::{HostContext, Job};
use crate::manifest::{self, EntryKind, Manifest, parent};
use crate::plan::PushSpec;
use crate::ssh::{Connection, Failure, Target, shell_quote as q};
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

/// What a failed host script reported: `hostctl-fail CODE STEP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    /// The directory to write in does not exist.
    NoDir,
    /// Something on the way to the target is not a directory.
    Parent,
    /// The target of a directory step exists and is not a directory.
    NotDir,
    /// The target of a file or symlink step is a directory.
    IsDir,
    Denied,
    ReadOnly,
    NoSpace,
    Digest,
    Other,
}

impl Code {
    fn parse(word: &str) -> Option<Code> {
        Some(match word {
            "nodir" => Code::NoDir,
            "parent" => Code::Parent,
            "notdir" => Code::NotDir,
            "isdir" => Code::IsDir,
            "denied" => Code::Denied,
            "readonly" => Code::ReadOnly,
            "nospace" => Code::NoSpace,
            "digest" => Code::Digest,
            "other" => Code::Other,
            _ => return None,
        })
    }
}

const FAIL_MARK: &str = "hostctl-fail ";

/// The code and step index of a failed script's `hostctl-fail CODE STEP` line; `None` for
/// anything else (no line, an unknown code, a step out of range, extra words, bad UTF-8).
fn parse_failure(stdout: &[u8], steps: usize) -> Option<(Code, usize)> {
    let text = std::str::from_utf8(stdout).ok()?;
    let line = text.lines().rev().find(|l| l.starts_with(FAIL_MARK))?;
    let mut words = line[FAIL_MARK.len()..].split(' ');
    let (code, step) = (words.next()?, words.next()?);
    if words.next().is_some() || !step.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = step.parse::<usize>().ok().filter(|s| *s < steps)?;
    Some((Code::parse(code)?, step))
}

/// Shell functions the scripts share. `y TARGET KIND BYTES` says why creating TARGET (a file
/// `f`, directory `d` or symlink `l` of BYTES) failed, from tests rather than error text:
/// the parent chain, searchability, a read-only mount (`r`, from /proc/self/mountinfo),
/// write permission, the sticky bit, free space and inodes (`z`).
const DIAGNOSE_FN: &str = r#"y() {
 if [ "$2" != d ] && [ -d "$1" ] && [ ! -L "$1" ]; then echo isdir; return; fi
 if [ "$2" = d ] && [ ! -d "$1" ] && { [ -e "$1" ] || [ -L "$1" ]; }; then echo notdir; return; fi
 q=$(dirname -- "$1"); p=$q
 while [ ! -e "$p" ] && [ "$p" != / ] && [ "$p" != . ]; do p=$(dirname -- "$p"); done
 if [ ! -d "$p" ]; then echo parent
 elif [ ! -x "$p" ]; then echo denied
 elif [ "$p" != "$q" ] && [ "$2" != d ]; then echo nodir
 elif r "$p"; then echo readonly
 elif [ ! -w "$p" ]; then echo denied
 elif [ -k "$p" ] && { [ -e "$1" ] || [ -L "$1" ]; } && [ ! -O "$1" ] && [ ! -O "$p" ]; then echo denied
 elif z "$p" "$3"; then echo nospace
 else echo other; fi
}
r() {
 m=$(stat -c %m -- "$1" 2>/dev/null) || return 1; v=1
 while read -r a b c d mp o rest; do
  if [ "$mp" = "$m" ]; then case ",$o," in *,ro,*) v=0 ;; *) v=1 ;; esac; fi
 done 2>/dev/null < /proc/self/mountinfo
 return $v
}
z() {
 set -- $(stat -f -c '%a %S %d %c' -- "$1" 2>/dev/null) "$2"
 [ $# = 5 ] || return 1
 [ "$1" = 0 ] || { [ "$4" != 0 ] && [ "$3" = 0 ]; } || [ $(($1 * $2)) -lt "$5" ]
}
"#;

/// The receiving directory on one host, from the check script.
#[derive(Debug, PartialEq)]
enum Holder {
    Dir,
    Missing,
    NotDir,
    /// A parent on the way is not a directory.
    Parent,
    /// A parent on the way cannot be searched.
    Denied,
}

/// What a target holds now, from the check script.
#[derive(Debug, PartialEq)]
enum Current {
    File { mode: String, sha256: String },
    LinkSame,
    LinkOther,
    Dir,
    Other,
    None,
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
                    "mkdir -p --",
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
                        let mkdir = format!("mkdir -p -- {p} && chmod -- {mode:o}", p = q(path));
                        step(&mut steps, &mut setup, Doing::CreatingDir, path, &mkdir);
                    }
                }
                EntryKind::Symlink { target: link } => {
                    let changed = *now != Current::LinkSame || self.spec.force;
                    if changed {
                        let ln = format!("ln -sfnT -- {}", q(link));
                        step(&mut steps, &mut setup, Doing::CreatingLink, path, &ln);
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
            let text = format!(
                "{DIAGNOSE_FN}f() {{ printf '\\n{FAIL_MARK}%s %s\\n' \"$1\" \"$2\"; exit 1; }}\n{setup}"
            );
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
        let digest = if self.spec.force {
            "-"
        } else {
            "$(h < \"$1\")"
        };
        let functions = format!(
            "{SHA256_FN}\
             g() {{ if [ -d \"$1\" ]; then echo dir; elif [ -e \"$1\" ] || [ -L \"$1\" ]; then echo notdir; \
             else p=$(dirname -- \"$1\"); while [ ! -e \"$p\" ] && [ \"$p\" != / ] && [ \"$p\" != . ]; do p=$(dirname -- \"$p\"); done; \
             if [ ! -d \"$p\" ]; then echo parent; elif [ ! -x \"$p\" ]; then echo denied; else echo missing; fi; fi; }}\n\
             c() {{ if [ -L \"$1\" ]; then if [ \"$(readlink -- \"$1\")\" = \"$2\" ]; then echo link-same; else echo link-other; fi; \
             elif [ -f \"$1\" ]; then printf 'file %s %s\\n' \"$(stat -c %a -- \"$1\")\" \"{digest}\"; \
             elif [ -d \"$1\" ]; then echo dir; elif [ -e \"$1\" ]; then echo other; else echo none; fi; }}\n",
        );
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
            let mut text = functions.clone();
            if there.is_none() {
                text.push_str(&format!("g {}\n", q(holder)));
            }
            for entry in chunk {
                match &entry.kind {
                    EntryKind::Symlink { target: link } => {
                        text.push_str(&format!("c {} {}\n", q(&entry.remote), q(link)))
                    }
                    _ => text.push_str(&format!("c {}\n", q(&entry.remote))),
                }
            }
            let answer = self.script(host, &text, &step, None, &mut 0)?;
            let mut lines = answer.lines();
            if there.is_none() {
                there = Some(match lines.next() {
                    Some("dir") => Holder::Dir,
                    Some("missing") => Holder::Missing,
                    Some("notdir") => Holder::NotDir,
                    Some("parent") => Holder::Parent,
                    Some("denied") => Holder::Denied,
                    _ => return Err(unexpected().into()),
                });
            }
            for _ in chunk {
                let line = lines.next().ok_or_else(unexpected)?;
                out.push(parse_current(line).ok_or_else(unexpected)?);
            }
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
                if stream == Stream::Stdout && find(&out, FAIL_MARK.as_bytes()) {
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
            None => match parse_failure(&out, steps.len()) {
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
        let tmp = temp_name(path, &host.target.name);
        // --fsync: the data before the rename, the directory entry after it.
        let (flush, flush_dir) = if self.spec.fsync {
            (
                " && sync -- \"$tmp\"".to_string(),
                format!(" && sync -- {}", q(parent(path))),
            )
        } else {
            (String::new(), String::new())
        };
        // `e BYTES [CODE]`: drop the temporary, then say why (after the drop, so the space
        // check sees the space it held), then drain stdin until hostctl stops sending.
        let text = format!(
            "{SHA256_FN}{DIAGNOSE_FN}umask 077; t={t}; tmp={tmp}\n\
             trap 'rm -f -- \"$tmp\"' EXIT HUP INT TERM PIPE\n\
             e() {{ rm -f -- \"$tmp\"; printf '\\n{FAIL_MARK}%s 0\\n' \"${{2:-$(y \"$t\" f \"$1\")}}\"; cat > /dev/null; exit 1; }}\n\
             cat > \"$tmp\" || e {size}\n\
             s=$(h < \"$tmp\") || e 0\n\
             [ \"$s\" = {sum} ] || {{ echo \"digest mismatch after transfer: expected {sum}, got $s\" >&2; e 0 digest; }}\n\
             chmod {mode} \"$tmp\"{flush} || e 0\n\
             mv -fT -- \"$tmp\" \"$t\"{flush_dir} || e 0\n\
             trap - EXIT\n",
            t = q(path),
            tmp = q(&tmp),
            sum = sha256,
        );
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
        crate::render::bytes(manifest.total_bytes()),
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

/// Adds one setup step: `COMMAND PATH`, and on failure its diagnosis and index.
fn step<'a>(
    steps: &mut Vec<Step<'a>>,
    setup: &mut String,
    doing: Doing,
    path: &'a str,
    command: &str,
) {
    let kind = if doing == Doing::CreatingLink {
        "l"
    } else {
        "d"
    };
    setup.push_str(&format!(
        "{command} {p} || f \"$(y {p} {kind} 0)\" {}\n",
        steps.len(),
        p = q(path)
    ));
    steps.push(Step { doing, path });
}

/// One line of the check script; `None` for anything it cannot have printed.
fn parse_current(line: &str) -> Option<Current> {
    Some(match line {
        "dir" => Current::Dir,
        "link-same" => Current::LinkSame,
        "link-other" => Current::LinkOther,
        "other" => Current::Other,
        "none" => Current::None,
        _ => {
            let rest = line.strip_prefix("file ")?;
            let (mode, sha256) = rest.split_once(' ')?;
            let octal = !mode.is_empty()
                && mode.len() <= 4
                && mode.bytes().all(|b| (b'0'..=b'7').contains(&b));
            // Empty when the host could not read the file: then it differs.
            let digest = sha256.is_empty()
                || sha256 == "-"
                || (sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()));
            if !octal || !digest {
                return None;
            }
            Current::File {
                mode: mode.to_string(),
                sha256: sha256.to_string(),
            }
        }
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
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
    fn failure_lines_parse_and_garbage_is_refused() {
        assert_eq!(
            parse_failure(b"\nhostctl-fail denied 0\n", 1),
            Some((Code::Denied, 0))
        );
        assert_eq!(
            parse_failure(b"noise\nhostctl-fail nospace 2\n", 3),
            Some((Code::NoSpace, 2))
        );
        for garbage in [
            &b""[..],
            b"\n",
            b"hostctl-fail",
            b"hostctl-fail ",
            b"hostctl-fail denied",
            b"hostctl-fail denied 1",
            b"hostctl-fail denied 99999999999999999999999",
            b"hostctl-fail denied -1",
            b"hostctl-fail denied +0",
            b"hostctl-fail denied 0 extra",
            b"hostctl-fail DENIED 0",
            b"hostctl-fail pwned 0",
            b"hostctl-fail denied\t0",
            b"  hostctl-fail denied 0",
            b"\xff\xfe hostctl-fail denied 0\n\xff",
            b"\0\0\0\0",
            b"permission denied",
        ] {
            assert_eq!(parse_failure(garbage, 1), None, "{garbage:?}");
        }
        let long = [b'x'; 100_000];
        assert_eq!(parse_failure(&long, 1), None);
        assert_eq!(parse_failure(b"hostctl-fail denied 0", 0), None);
    }

    #[test]
    fn check_lines_parse_and_garbage_is_refused() {
        let sha = "a".repeat(64);
        assert_eq!(
            parse_current(&format!("file 644 {sha}")),
            Some(Current::File {
                mode: "644".into(),
                sha256: sha.clone()
            })
        );
        assert_eq!(
            parse_current("file 600 "),
            Some(Current::File {
                mode: "600".into(),
                sha256: String::new()
            })
        );
        assert_eq!(parse_current("link-same"), Some(Current::LinkSame));
        for garbage in [
            "",
            "file",
            "file 644",
            "file 9z9 -",
            "file 644 xyz",
            &format!("file 644 {sha} more"),
            "link",
            "DIR",
            "\u{0}",
        ] {
            assert_eq!(parse_current(garbage), None, "{garbage:?}");
        }
    }

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
