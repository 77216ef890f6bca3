//! `hostctl push`: local files to every host, each one atomic and verified.
//!
//! Per host: one probe (what is REMOTE there?), one check (digest and mode of every target,
//! for `unchanged`), one `mkdir`/`ln` batch for directories and symlinks, then one channel per
//! changed file that streams it into a hidden temporary beside the target, re-hashes it on the
//! host and renames it only if the SHA-256 matches. A shell trap removes the temporary on any
//! failure, so the target name never holds a partial file.

use super::Shared;
use super::transfer::{
    Counting, Entry, EntryKind, Meter, SHA256_FN, StepError, join, parent, script, temp_name,
};
use crate::event::{FileReport, HostOutcome, Status, TransferReport};
use crate::executor::{HostContext, Job};
use crate::plan::PushSpec;
use crate::ssh::{Connection, Target, shell_quote as q};
use std::sync::Arc;
use std::time::Instant;

pub struct PushJob {
    pub shared: Arc<Shared>,
    pub spec: PushSpec,
}

/// Where REMOTE stands on one host.
#[derive(Debug, PartialEq)]
enum Remote {
    Dir,
    File,
    Missing { parent_exists: bool },
}

/// What a target holds now, from the check script.
#[derive(Debug, PartialEq)]
enum Current {
    File { mode: String, sha256: String },
    Link(String),
    Dir,
    Other,
    None,
}

impl Job for PushJob {
    fn run(&self, target: &Target, cx: &mut HostContext) -> HostOutcome {
        let started = Instant::now();
        let conn = match self.shared.connect(target, cx) {
            Ok(c) => c,
            Err(u) => return u.finish(started),
        };
        let deadline = self.spec.timeout.map(|t| started + t);
        match self.push(&conn, target, cx, deadline) {
            Ok((report, bytes_out)) => {
                let changed = report.files.iter().any(|f| f.changed);
                let mut outcome = HostOutcome::new(
                    if changed {
                        Status::Changed
                    } else {
                        Status::Unchanged
                    },
                    started.elapsed(),
                );
                outcome.bytes_out = bytes_out;
                outcome.transfer = Some(report);
                outcome
            }
            Err(e) => e.into_outcome(started),
        }
    }
}

impl PushJob {
    fn push(
        &self,
        conn: &Connection,
        target: &Target,
        cx: &HostContext,
        deadline: Option<Instant>,
    ) -> Result<(TransferReport, u64), StepError> {
        let remote = self.probe(conn, deadline)?;
        let placed = self.place(&remote)?;
        let current = self.check(conn, &placed, deadline)?;
        let mut report = TransferReport { files: Vec::new() };
        let mut setup = String::new();
        if let (Remote::Missing { .. }, true) = (&remote, self.spec.mkdir) {
            // The directory that will hold the copy: REMOTE's parent when REMOTE names the
            // copy itself (one file, or one directory), else REMOTE.
            let holder = if self.spec.manifest.sources == 1 {
                parent(&self.spec.remote)
            } else {
                &self.spec.remote
            };
            setup.push_str(&format!("mkdir -p -- {} || exit 1\n", q(holder)));
        }
        for ((entry, path), now) in placed.iter().zip(&current) {
            match &entry.kind {
                EntryKind::Dir { mode } => {
                    if *now != Current::Dir {
                        setup.push_str(&format!(
                            "mkdir -p -- {p} && chmod {mode:o} {p} || exit 1\n",
                            p = q(path)
                        ));
                    }
                }
                EntryKind::Symlink { target: link } => {
                    let changed = *now != Current::Link(link.clone()) || self.spec.force;
                    if changed {
                        setup.push_str(&format!("ln -sfn -- {} {} || exit 1\n", q(link), q(path)));
                    }
                    report.files.push(FileReport {
                        local: entry.local.display().to_string(),
                        remote: path.clone(),
                        bytes: 0,
                        sha256: String::new(),
                        changed,
                    });
                }
                EntryKind::File { .. } => {}
            }
        }
        if !setup.is_empty() {
            script(conn, &self.shared.privilege, &setup, deadline)?;
        }
        let mut bytes_out = 0;
        for ((entry, path), now) in placed.iter().zip(&current) {
            let EntryKind::File { size, mode, sha256 } = &entry.kind else {
                continue;
            };
            let mode = format!("{:o}", self.spec.mode.unwrap_or(*mode));
            let same =
                matches!(now, Current::File { mode: m, sha256: s } if *m == mode && s == sha256);
            let changed = self.spec.force || !same;
            if changed {
                match now {
                    Current::Dir => {
                        return Err(StepError::Failed(format!(
                            "`{path}` is a directory on the host"
                        )));
                    }
                    Current::Other => {
                        return Err(StepError::Failed(format!(
                            "`{path}` exists on the host and is not a regular file"
                        )));
                    }
                    _ => {}
                }
                bytes_out += self.upload(conn, entry, path, &mode, sha256, target, cx, deadline)?;
            }
            report.files.push(FileReport {
                local: entry.local.display().to_string(),
                remote: path.clone(),
                bytes: *size,
                sha256: sha256.clone(),
                changed,
            });
        }
        Ok((report, bytes_out))
    }

    fn probe(&self, conn: &Connection, deadline: Option<Instant>) -> Result<Remote, StepError> {
        let text = format!(
            "r={}; if [ -d \"$r\" ]; then echo dir; elif [ -e \"$r\" ] || [ -L \"$r\" ]; then echo file; \
             elif [ -d \"$(dirname -- \"$r\")\" ]; then echo missing-parent-ok; else echo missing; fi",
            q(&self.spec.remote)
        );
        Ok(
            match script(conn, &self.shared.privilege, &text, deadline)?.trim() {
                "dir" => Remote::Dir,
                "file" => Remote::File,
                "missing-parent-ok" => Remote::Missing {
                    parent_exists: true,
                },
                _ => Remote::Missing {
                    parent_exists: false,
                },
            },
        )
    }

    /// Each entry's remote path on this host, given what REMOTE is there.
    fn place(&self, remote: &Remote) -> Result<Vec<(Entry, String)>, StepError> {
        let entries = &self.spec.manifest.entries;
        let single_file = self.spec.manifest.sources == 1 && !self.spec.manifest.single_dir;
        let under = |rel: &str| join(&self.spec.remote, rel);
        let placed: Vec<(Entry, String)> = match remote {
            Remote::Dir => entries.iter().map(|e| (e.clone(), under(&e.rel))).collect(),
            Remote::File if single_file => entries
                .iter()
                .map(|e| (e.clone(), self.spec.remote.clone()))
                .collect(),
            Remote::File => {
                return Err(StepError::Failed(format!(
                    "`{}` is not a directory on the host",
                    self.spec.remote
                )));
            }
            Remote::Missing { parent_exists } => {
                if !parent_exists && !self.spec.mkdir {
                    return Err(StepError::Failed(format!(
                        "remote directory `{}` does not exist (use --mkdir to create it)",
                        parent(&self.spec.remote)
                    )));
                }
                if single_file {
                    entries
                        .iter()
                        .map(|e| (e.clone(), self.spec.remote.clone()))
                        .collect()
                } else if self.spec.manifest.single_dir {
                    // One directory copied to a REMOTE that does not exist becomes REMOTE itself
                    // (like `cp -r site new`): `site/x` lands at `REMOTE/x`.
                    entries
                        .iter()
                        .map(|e| {
                            let inner = e.rel.split_once('/').map(|(_, rest)| rest);
                            (
                                e.clone(),
                                inner.map_or_else(|| self.spec.remote.clone(), &under),
                            )
                        })
                        .collect()
                } else if self.spec.mkdir {
                    entries.iter().map(|e| (e.clone(), under(&e.rel))).collect()
                } else {
                    return Err(StepError::Failed(format!(
                        "remote directory `{}` does not exist (use --mkdir to create it)",
                        self.spec.remote
                    )));
                }
            }
        };
        Ok(placed)
    }

    /// Digest and mode of every target, in one round trip per 200 entries. With --force the
    /// digest would not change anything, so the host is spared reading the files.
    fn check(
        &self,
        conn: &Connection,
        placed: &[(Entry, String)],
        deadline: Option<Instant>,
    ) -> Result<Vec<Current>, StepError> {
        let mut out = Vec::with_capacity(placed.len());
        let digest = if self.spec.force {
            "-"
        } else {
            "$(h < \"$1\")"
        };
        for chunk in placed.chunks(200) {
            let mut text = String::from(SHA256_FN);
            text.push_str(&format!(
                "c() {{ if [ -L \"$1\" ]; then printf 'link %s\\n' \"$(readlink -- \"$1\")\"; \
                 elif [ -f \"$1\" ]; then printf 'file %s %s\\n' \"$(stat -c %a -- \"$1\")\" \"{digest}\"; \
                 elif [ -d \"$1\" ]; then echo dir; elif [ -e \"$1\" ]; then echo other; else echo none; fi; }}\n",
            ));
            for (_, path) in chunk {
                text.push_str(&format!("c {}\n", q(path)));
            }
            let answer = script(conn, &self.shared.privilege, &text, deadline)?;
            let mut lines = answer.lines();
            for _ in chunk {
                let line = lines.next().unwrap_or("none");
                out.push(match line.split_once(' ') {
                    Some(("link", t)) => Current::Link(t.to_string()),
                    Some(("file", rest)) => {
                        let (mode, sha) = rest.split_once(' ').unwrap_or((rest, ""));
                        Current::File {
                            mode: mode.to_string(),
                            sha256: sha.to_string(),
                        }
                    }
                    _ if line == "dir" => Current::Dir,
                    _ if line == "other" => Current::Other,
                    _ => Current::None,
                });
            }
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn upload(
        &self,
        conn: &Connection,
        entry: &Entry,
        path: &str,
        mode: &str,
        sha256: &str,
        target: &Target,
        cx: &HostContext,
        deadline: Option<Instant>,
    ) -> Result<u64, StepError> {
        let tmp = temp_name(path, &target.name);
        // --fsync: the data before the rename, the directory entry after it.
        let (flush, flush_dir) = if self.spec.fsync {
            (
                " && sync -- \"$tmp\"".to_string(),
                format!(" && sync -- {}", q(parent(path))),
            )
        } else {
            (String::new(), String::new())
        };
        let text = format!(
            "{SHA256_FN}umask 077; t={t}; tmp={tmp}\n\
             trap 'rm -f -- \"$tmp\"' EXIT HUP INT TERM PIPE\n\
             cat > \"$tmp\" || exit 1\n\
             s=$(h < \"$tmp\") || exit 1\n\
             [ \"$s\" = {sum} ] || {{ echo \"digest mismatch after transfer: expected {sum}, got $s\" >&2; exit 1; }}\n\
             chmod {mode} \"$tmp\"{flush} && mv -f -- \"$tmp\" \"$t\"{flush_dir} || exit 1\n\
             trap - EXIT\n",
            t = q(path),
            tmp = q(&tmp),
            sum = sha256,
        );
        let file = std::fs::File::open(&entry.local).map_err(|e| {
            StepError::Failed(format!("cannot read `{}`: {e}", entry.local.display()))
        })?;
        let mut input = Counting {
            inner: file,
            meter: Meter::new(cx),
        };
        let mut err = Vec::new();
        let exit =
            self.shared
                .privilege
                .exec(conn, &text, None, deadline, &mut input, &mut |_, data| {
                    if err.len() < 64 * 1024 {
                        err.extend_from_slice(data);
                    }
                });
        input.meter.flush();
        let exit = exit?;
        if exit.code != Some(0) {
            return Err(StepError::Failed(format!(
                "{path}: {}",
                super::transfer::reason_from(&err, &exit)
            )));
        }
        Ok(exit.bytes_out)
    }
}
