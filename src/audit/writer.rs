//! The writer: appends records to the daily files under one lock, keeps the hash chain and the
//! `.head` anchor, and records what it found wrong at the end of the log.
//!
//! Every append happens under an exclusive `flock` on `DIR/.lock`, reads the hash of the last
//! line on disk, and writes one whole line with one `write` call. So concurrent hostctl
//! processes never interleave or fork the chain, and a process killed at any point leaves every
//! record it finished writing. A write that fails (a full disk) is cut off again, so it never
//! leaves a half line that would read as a crash. The directory is 0700 and every file 0600
//! (`private`).
//!
//! The head anchor (`.head`) names the last line. Each writer checks it before appending: one
//! that is missing or names another line means the newest records were removed or edited, and
//! the writer records that (an `anchor` record) instead of quietly moving the anchor on.

use super::files::{FILE_PREFIX, FILE_SUFFIX, HEAD, file_date, hash_line, log_files};
use super::record::{self, GENESIS, Line, Record};
use super::reserve::Reserve;
use super::stamp::{now, operator};
use super::{forward, private, seal};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot open `{}`: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write to `{}`: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot set aside room in `{}` for the operation's closing records: {source} (no host was contacted; free some space)",
        path.display()
    )]
    Reserve {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Sealing is on and cannot seal (its state is missing, or the log's end changed).
    #[error("{0}")]
    Seal(#[from] seal::SealError),
    /// The log failed mid-run: what was lost, for stderr.
    #[error("cannot write to `{}`: {source}{}", path.display(), aftermath(lost, *not_started, *closed))]
    Incomplete {
        path: PathBuf,
        source: std::io::Error,
        /// Hosts that ran but whose records were not written.
        lost: Vec<String>,
        /// Hosts never started because the log failed.
        not_started: usize,
        /// Whether the closing records (what was lost, the end) were written.
        closed: bool,
    },
}

/// After "cannot write to `DIR`: REASON": what that cost, for stderr.
fn aftermath(lost: &[String], not_started: usize, closed: bool) -> String {
    let mut text = String::new();
    if not_started > 0 {
        text.push_str(&format!(
            "; hostctl stopped starting hosts ({not_started} not started)"
        ));
    }
    let names = lost
        .iter()
        .map(|h| format!("`{h}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match (lost.len(), closed) {
        (0, true) => text.push_str("; every host that ran was recorded"),
        (0, false) => text.push_str("; the end of the operation was not recorded"),
        (1, true) => text.push_str(&format!(
            "; not recorded in full: {names} (its status is in the log, its output is not)"
        )),
        (_, true) => text.push_str(&format!(
            "; not recorded in full: {names} (their status is in the log, their output is not)"
        )),
        (_, false) => text.push_str(&format!(
            "; not recorded at all: {names}, nor the end of the operation"
        )),
    }
    text
}

pub struct AuditLog {
    dir: PathBuf,
    lock: File,
    /// Room for this operation's closing records.
    reserve: Option<Reserve>,
    /// Where each record also goes (`forward.rs`).
    forward: Option<forward::Forwarder>,
}

impl AuditLog {
    /// Opens (creating) the log directory, making it private; warns on stderr about what it
    /// tightened or could not.
    pub fn open(dir: &Path) -> Result<AuditLog, AuditError> {
        let open_err = |source| AuditError::Open {
            path: dir.to_path_buf(),
            source,
        };
        for note in private::prepare(dir).map_err(open_err)? {
            eprintln!("hostctl: warning: {note}");
        }
        let lock = private::open(
            &dir.join(".lock"),
            OpenOptions::new().create(true).truncate(false).write(true),
        )
        .map_err(open_err)?;
        Ok(AuditLog {
            dir: dir.to_path_buf(),
            lock,
            reserve: None,
            forward: None,
        })
    }

    /// From now on, every record written also goes to the forwarder's destinations.
    pub fn forward_to(&mut self, forwarder: forward::Forwarder) {
        self.forward = Some(forwarder);
    }

    pub fn forwarder(&self) -> Option<&forward::Forwarder> {
        self.forward.as_ref()
    }

    pub fn take_forwarder(&mut self) -> Option<forward::Forwarder> {
        self.forward.take()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends one record, chained to whatever line is last on disk now.
    pub fn append(&mut self, record: Record) -> Result<(), AuditError> {
        let lock = self.lock.try_clone().map_err(|e| self.write_err(e))?;
        let _lock = crate::flock::Lock::exclusive(&lock).map_err(|e| self.write_err(e))?;
        self.append_locked(record)
    }

    /// Sets aside `bytes` for the closing records of operation `op` (see `close`).
    pub fn reserve(&mut self, op: &str, bytes: u64) -> Result<(), AuditError> {
        let lock = self.lock.try_clone().map_err(|e| self.write_err(e))?;
        let _lock = crate::flock::Lock::exclusive(&lock).map_err(|e| self.write_err(e))?;
        let reserve =
            Reserve::take(&self.dir, op, bytes).map_err(|source| AuditError::Reserve {
                path: self.dir.clone(),
                source,
            })?;
        self.reserve = Some(reserve);
        Ok(())
    }

    /// Frees the reserved space and appends `records` in its place, under one lock so no other
    /// hostctl takes the space first.
    pub fn close(&mut self, records: Vec<Record>) -> Result<(), AuditError> {
        let lock = self.lock.try_clone().map_err(|e| self.write_err(e))?;
        let _lock = crate::flock::Lock::exclusive(&lock).map_err(|e| self.write_err(e))?;
        self.reserve = None;
        for record in records {
            self.append_locked(record)?;
        }
        Ok(())
    }

    fn write_err(&self, source: std::io::Error) -> AuditError {
        AuditError::Write {
            path: self.dir.clone(),
            source,
        }
    }

    /// The caller holds the lock.
    fn append_locked(&mut self, record: Record) -> Result<(), AuditError> {
        let (prev, mut sealing) = self.prepare_tail(true)?;
        self.write(
            Line {
                prev,
                time: now(),
                record,
            },
            &mut sealing,
        )?;
        Ok(())
    }

    /// What the next record chains to, after recording a crash (`segment`) or a stale anchor
    /// (`anchor`) found at the end of the log; and how to seal it, when sealing is on and
    /// `sealed` asks for it.
    fn prepare_tail(&mut self, sealed: bool) -> Result<(String, Option<Sealing>), AuditError> {
        let tail = last_line(&self.dir).map_err(|e| self.write_err(e))?;
        let mut sealing = match seal::Sealer::load(&self.dir)?.filter(|_| sealed) {
            Some(sealer) => Some(Sealing {
                sealer,
                tail: seal::Tail {
                    hash: tail.hash.clone(),
                    seal: tail.seal,
                },
            }),
            None if sealed && tail.seal.is_some() => {
                return Err(seal::SealError::StateMissing {
                    path: self.dir.join(seal::STATE),
                }
                .into());
            }
            None => None,
        };
        let head = read_head(&self.dir).map_err(|e| self.write_err(e))?;
        // An empty log without anchor; the anchor on the last line; or one line behind it, when
        // a writer was killed between the line and the anchor.
        let fits = match &head {
            None => tail.hash == GENESIS,
            Some(h) => *h == tail.hash || Some(h) == tail.prev.as_ref(),
        };
        let mut prev = tail.hash.clone();
        if let Some(file) = &tail.truncated_in {
            // A crash cut that file's last line short. End the line where it is, and chain a
            // segment record to the last complete line so `log verify` can tell a crash from
            // tampering.
            let end = OpenOptions::new()
                .append(true)
                .open(file)
                .and_then(|mut f| f.write_all(b"\n"));
            end.map_err(|e| self.write_err(e))?;
            let name = file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let reason = format!("truncated record at the end of {name} (crash while writing)");
            let line = Line {
                prev,
                time: now(),
                record: Record::Segment { reason },
            };
            prev = self.write(line, &mut sealing)?;
        }
        if !fits {
            let line = Line {
                prev,
                time: now(),
                record: Record::Anchor {
                    head,
                    last: tail.hash,
                },
            };
            prev = self.write(line, &mut sealing)?;
        }
        Ok((prev, sealing))
    }

    /// Writes one line whole, then moves the head anchor to it; returns its hash. A line that
    /// cannot be written whole is cut off again: a full disk leaves no half line behind.
    fn write(&mut self, line: Line, sealing: &mut Option<Sealing>) -> Result<String, AuditError> {
        let mut text = serde_json::to_string(&line).expect("records serialize");
        if let Some(s) = sealing.as_mut() {
            text = s.sealer.seal(&text, &s.tail, SystemTime::now())?;
        }
        let hash = self.write_text(&line, &text)?;
        if let Some(s) = sealing.as_mut() {
            s.tail = seal::Tail {
                hash: hash.clone(),
                seal: seal::position(&text),
            };
            if matches!(line.record, Record::End(_)) {
                s.sealer.end_of_operation(&s.tail)?;
            }
        }
        Ok(hash)
    }

    /// Writes one serialized (and perhaps sealed) line; returns its hash.
    fn write_text(&mut self, line: &Line, text: &str) -> Result<String, AuditError> {
        let date = line.time.get(..10).unwrap_or("unknown");
        let path = self.dir.join(format!("{FILE_PREFIX}.{date}.{FILE_SUFFIX}"));
        let mut file = private::open(&path, OpenOptions::new().append(true).create(true))
            .map_err(|e| self.write_err(e))?;
        let len = file.metadata().map_err(|e| self.write_err(e))?.len();
        if let Err(e) = file.write_all(format!("{text}\n").as_bytes()) {
            let _ = file.set_len(len);
            return Err(self.write_err(e));
        }
        let hash = hash_line(text);
        self.move_head(&hash).map_err(|e| self.write_err(e))?;
        if let Some(forward) = &mut self.forward {
            forward.push(line, text, &hash);
        }
        Ok(hash)
    }

    /// `hostctl log seal init`: writes a new verification key to `key_file` (which must not
    /// exist), then a `seal_init` record sealed with it, then the sealing state one step past
    /// it, so the verification key is never stored here. With sealing already on, only
    /// `force` starts again (the old key then verifies only the records before this one).
    pub fn seal_init(
        &mut self,
        key_file: &Path,
        epochs: seal::Epochs,
        force: bool,
    ) -> Result<seal::Key, AuditError> {
        let lock = self.lock.try_clone().map_err(|e| self.write_err(e))?;
        let _lock = crate::flock::Lock::exclusive(&lock).map_err(|e| self.write_err(e))?;
        if !force {
            let on = match seal::Sealer::load(&self.dir)? {
                Some(sealer) => Some(sealer.key_id().to_string()),
                None => last_line(&self.dir)
                    .map_err(|e| self.write_err(e))?
                    .seal
                    .map(|_| "unknown: its state is missing".to_string()),
            };
            if let Some(key_id) = on {
                return Err(seal::SealError::AlreadyOn {
                    dir: self.dir.clone(),
                    key_id,
                }
                .into());
            }
        }
        let key = seal::Sealer::new_key().map_err(|e| self.write_err(e))?;
        let key_err = |source| seal::SealError::KeyFile {
            path: key_file.to_path_buf(),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(private::FILE_MODE)
            .open(key_file)
            .map_err(key_err)?;
        file.write_all(key.file_text().as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(key_err)?;
        // With --force and a state that cannot seal (missing, or the log's end changed), a
        // segment or anchor record goes unsealed, just before the new chain of seals starts.
        let (prev, _) = match self.prepare_tail(true) {
            Err(AuditError::Seal(_)) if force => self.prepare_tail(false)?,
            other => other?,
        };
        let line = Line {
            prev,
            time: now(),
            record: Record::SealInit(record::SealInit {
                operator: operator(),
                key_id: key.id(),
                epochs: epochs.name(),
            }),
        };
        let body = serde_json::to_string(&line).expect("records serialize");
        let text = seal::Sealer::begin(&body, &key);
        let hash = self.write_text(&line, &text)?;
        seal::Sealer::started(&self.dir, &key, epochs, &hash)?;
        Ok(key)
    }

    /// Overwrites the anchor in place: the same 65 bytes each time, so it needs no new disk
    /// space once it exists (a full disk cannot leave it behind).
    fn move_head(&self, hash: &str) -> std::io::Result<()> {
        let file = private::open(
            &self.dir.join(HEAD),
            OpenOptions::new().write(true).create(true).truncate(false),
        )?;
        let text = format!("{hash}\n");
        file.write_all_at(text.as_bytes(), 0)?;
        file.set_len(text.len() as u64)
    }

    /// Removes whole daily files dated before `cutoff` (`YYYY-MM-DD`), then records that it did,
    /// with the `prev` the oldest remaining record carries so the chain still verifies.
    pub fn prune(&mut self, cutoff: &str, older_than: &str) -> Result<Vec<String>, AuditError> {
        let lock = self.lock.try_clone().map_err(|e| self.write_err(e))?;
        let _lock = crate::flock::Lock::exclusive(&lock).map_err(|e| self.write_err(e))?;
        let files = log_files(&self.dir).map_err(|e| self.write_err(e))?;
        let (old, kept): (Vec<PathBuf>, Vec<PathBuf>) = files
            .into_iter()
            .partition(|f| file_date(f).is_some_and(|d| d < cutoff));
        let mut first_prev = GENESIS.to_string();
        for file in &kept {
            let text = std::fs::read_to_string(file).map_err(|e| self.write_err(e))?;
            if let Some(first) = text.lines().next() {
                if let Ok(line) = serde_json::from_str::<Line>(first) {
                    first_prev = line.prev;
                }
                break;
            }
        }
        for file in &old {
            std::fs::remove_file(file).map_err(|e| self.write_err(e))?;
        }
        if kept.is_empty() && !old.is_empty() {
            // Every record went, the one the anchor names too: the chain starts again.
            let _ = std::fs::remove_file(self.dir.join(HEAD));
        }
        let removed: Vec<String> = old
            .iter()
            .map(|f| {
                f.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        let record = record::Prune {
            operator: operator(),
            older_than: older_than.to_string(),
            removed: removed.clone(),
            first_prev,
        };
        self.append_locked(Record::Prune(record))?;
        Ok(removed)
    }
}

/// What the head anchor says, if there is one.
fn read_head(dir: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(dir.join(HEAD)) {
        Ok(text) => Ok(Some(text.trim().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sealing one append's records: the writer's key and the record they follow.
struct Sealing {
    sealer: seal::Sealer,
    tail: seal::Tail,
}

struct LastLine {
    /// Hash of the last complete line (GENESIS for an empty log).
    hash: String,
    /// That line's seal (epoch, seq), when it has one.
    seal: Option<(u64, u64)>,
    /// That line's own `prev`, when it has one.
    prev: Option<String>,
    /// The file whose last line has no newline: a write cut short.
    truncated_in: Option<PathBuf>,
}

/// Finds the last complete line across the log files, reading only the end of one file.
fn last_line(dir: &Path) -> std::io::Result<LastLine> {
    let mut truncated_in = None;
    for path in log_files(dir)?.iter().rev() {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        if len == 0 {
            continue;
        }
        let mut ends_with_newline = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))?;
        file.read_exact(&mut ends_with_newline)?;
        let complete = ends_with_newline[0] == b'\n';
        if !complete && truncated_in.is_none() {
            truncated_in = Some(path.clone());
        }
        // Read backwards in growing chunks until the last complete line is whole.
        let end = if complete { len - 1 } else { len };
        let mut chunk = 64 * 1024u64;
        loop {
            let start = end.saturating_sub(chunk);
            let mut buf = vec![0u8; (end - start) as usize];
            file.seek(SeekFrom::Start(start))?;
            file.read_exact(&mut buf)?;
            let text = if complete {
                &buf[..]
            } else {
                // Drop the partial line: everything after the last newline.
                match buf.iter().rposition(|&b| b == b'\n') {
                    Some(i) => &buf[..i],
                    None if start == 0 => &buf[..0],
                    None => {
                        chunk *= 4;
                        continue;
                    }
                }
            };
            match text.iter().rposition(|&b| b == b'\n') {
                Some(i) => return Ok(LastLine::of(&text[i + 1..], truncated_in)),
                None if start == 0 && !text.is_empty() => {
                    return Ok(LastLine::of(text, truncated_in));
                }
                None if start == 0 => break, // only a partial line in this file: look further back
                None => chunk *= 4,
            }
        }
    }
    Ok(LastLine {
        hash: GENESIS.to_string(),
        seal: None,
        prev: None,
        truncated_in,
    })
}

impl LastLine {
    fn of(line: &[u8], truncated_in: Option<PathBuf>) -> LastLine {
        #[derive(serde::Deserialize)]
        struct Prev {
            prev: String,
        }
        let line = String::from_utf8_lossy(line);
        LastLine {
            hash: hash_line(&line),
            seal: seal::position(&line),
            prev: serde_json::from_str::<Prev>(&line).ok().map(|p| p.prev),
            truncated_in,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::files::read_lines;
    use record::End;

    fn end(op: &str) -> Record {
        Record::End(End {
            op: op.into(),
            counts: crate::status::Counts {
                ok: 1,
                ..Default::default()
            },
            interrupted: false,
            exit_code: 0,
            duration_ms: 1,
        })
    }

    #[test]
    fn records_chain_to_the_previous_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::open(dir.path()).unwrap();
        log.append(end("a")).unwrap();
        log.append(end("b")).unwrap();
        let lines = read_lines(dir.path()).unwrap();
        assert_eq!(lines.len(), 2);
        let first: Line = serde_json::from_str(&lines[0]).unwrap();
        let second: Line = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(first.prev, GENESIS);
        assert_eq!(second.prev, hash_line(&lines[0]));
    }

    #[test]
    fn a_truncated_tail_starts_a_new_segment() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::open(dir.path()).unwrap();
        log.append(end("a")).unwrap();
        let file = log_files(dir.path()).unwrap().pop().unwrap();
        let good = std::fs::read_to_string(&file).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap()
            .write_all(b"{\"prev\":\"abc")
            .unwrap();
        log.append(end("b")).unwrap();
        let lines = read_lines(dir.path()).unwrap();
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines[1], "{\"prev\":\"abc");
        let segment: Line = serde_json::from_str(&lines[2]).unwrap();
        assert!(matches!(segment.record, Record::Segment { .. }));
        assert_eq!(segment.prev, hash_line(good.trim_end()));
        let after: Line = serde_json::from_str(&lines[3]).unwrap();
        assert_eq!(after.prev, hash_line(&lines[2]));
    }
}
