//! Forward-secure sealing of the audit log (`hostctl log seal init`, `log verify --verify-key`).
//!
//! # Threat model
//!
//! The hash chain alone shows edits by someone who does not recompute it; root on the
//! controller can rewrite a record, every later `prev` and `.head`, and `log verify` passes.
//! Sealing answers the attacker who takes the controller at time T: records sealed before T
//! can no longer be changed, re-sealed, reordered or cut off without `log verify --verify-key`
//! naming the record where it happened. The verification key is kept off the controller.
//!
//! # Design
//!
//! - Keys form a one-way chain: `k(i+1) = HMAC-SHA256(k(i), "hostctl-seal-evolve-v1")`. The
//!   verification key is `k(0)`; `seal init` writes it to a file and never stores it in the log
//!   directory. The sealing state (`.seal`) holds only the current key `k(E)` and its epoch E.
//! - Every record is sealed: `tag = HMAC(k(E), "hostctl-seal-v1" || E || seq || SHA-256(line
//!   without its seal))`, stored as the line's last field, `"seal":{"epoch":E,"seq":N,"tag":…}`.
//!   `seq` counts sealed records from the `seal_init` record (0), so a seal is bound to its
//!   position; the line includes `prev`, so it is bound to the whole chain before it.
//! - The key steps forward per epoch: every 15 minutes by default (`--epoch 15m`; the step
//!   happens at the first record written in a later epoch) or after every operation's end
//!   record (`--epoch operation`). A step replaces `.seal` atomically (new file, fsync, the old
//!   file overwritten with zeros and fsynced, rename, directory fsync): the old key is gone.
//! - Before a step erases `k(E)`, it seals the step itself: `close = HMAC(k(E),
//!   "hostctl-seal-close-v1" || E || E' || seq || hash)` for the last record sealed (`seq`,
//!   its chain `hash`). The first record of epoch E' carries those links (`"closes"`), and
//!   `.seal` keeps them until then. So the only way into a later epoch is through a link made
//!   with the earlier epoch's key: a record re-sealed with a later epoch's key after the
//!   records before it (journald's CVE-2023-31439), or records cut off at an epoch boundary
//!   and replaced, has no valid link.
//! - `verify --verify-key` derives every `k(i)` from `k(0)` and checks each seal, the sequence,
//!   that epochs never go back, each link, and the end of the log against `.seal`: its key
//!   must derive from `k(0)`, and if it stepped past the newest record's epoch its links must
//!   name that record, so records removed from the end of a finished epoch are caught. A
//!   missing `.seal`, or unsealed records after sealing started, fail too.
//!
//! # What remains possible
//!
//! Whoever holds `k(E)` (root on the controller during epoch E, or anyone who reads `.seal`)
//! can forge, change or remove the records of epoch E and anything after it. With time
//! epochs, the key of the last epoch in which hostctl wrote stays on disk until hostctl next
//! writes in a later epoch, so up to one epoch of records stays open after the controller
//! goes quiet; `--epoch operation` closes each operation's key as it ends. Root can also
//! delete the whole log, or whole old days as `log prune` does (a prune record says so), or
//! stop hostctl from writing at all: forward the log (`--audit-forward`) for those. Erasing the
//! old key overwrites it in place; on copy-on-write filesystems or flash the old bytes may
//! survive below the filesystem, and backups of `.seal` keep old keys.

use crate::digest::hex;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

type HmacSha256 = Hmac<Sha256>;

/// The sealing state in the log directory: the current key, never an earlier one.
pub const STATE: &str = ".seal";
const STATE_NEW: &str = ".seal.new";

/// The first line of a verification key file.
const KEY_PREFIX: &str = "hostctl-seal-v1:";

const EVOLVE: &[u8] = b"hostctl-seal-evolve-v1";
const SEAL: &[u8] = b"hostctl-seal-v1\0";
const CLOSE: &[u8] = b"hostctl-seal-close-v1\0";
const KEY_ID: &[u8] = b"hostctl-seal-id-v1\0";

/// Epoch numbers a verifier derives keys for, at most: 15-minute epochs reach it in 1400 years.
/// A forged seal cannot make `verify` spin for hours.
const MAX_EPOCH: u64 = 50_000_000;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("sealing is already on in `{}` (key {key_id}); `--force` starts again with a new key", dir.display())]
    AlreadyOn { dir: PathBuf, key_id: String },
    #[error("cannot write the verification key to `{}`: {source}", path.display())]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}`: not a hostctl verification key (it starts with `{KEY_PREFIX}`)", path.display())]
    NotAKey { path: PathBuf },
    #[error("sealing state `{}`: {reason}", path.display())]
    State { path: PathBuf, reason: StateProblem },
    #[error("the newest record is sealed but the sealing state `{}` is missing: restore it, or start again with `hostctl log seal init --force` (a new verification key)", path.display())]
    StateMissing { path: PathBuf },
    #[error(
        "the log does not end where the sealing state says it did ({reason}): the newest records were removed or rewritten; check with `hostctl log verify --verify-key`, or start again with `hostctl log seal init --force`"
    )]
    TailChanged { reason: TailProblem },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Why the sealing state file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateProblem {
    /// The OS's words.
    #[error("{0}")]
    Unreadable(std::io::Error),
    /// serde_json's words.
    #[error("{0}")]
    NotJson(serde_json::Error),
    #[error("erased by a key step that never finished")]
    Erased,
    #[error("the key is not 64 hex digits")]
    BadKey,
    #[error(transparent)]
    Epochs(#[from] BadEpoch),
}

/// How the log's newest record disagrees with the sealing state.
#[derive(Debug, thiserror::Error)]
pub enum TailProblem {
    #[error("its newest record is not sealed")]
    NotSealed,
    #[error("its newest record is sealed in epoch {epoch}, after the state's epoch {state_epoch}")]
    Ahead { epoch: u64, state_epoch: u64 },
    /// The key stepped to `stepped_to` after a record that is not the newest one (sealed in
    /// `epoch`).
    #[error(
        "its newest record is sealed in epoch {epoch}, and the key stepped to epoch {stepped_to} after another record"
    )]
    SteppedAfterAnother { epoch: u64, stepped_to: u64 },
}

/// One key of the chain.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

impl Key {
    fn random() -> std::io::Result<Key> {
        let mut k = [0u8; 32];
        let mut filled = 0;
        while filled < k.len() {
            // SAFETY: getrandom writes at most the given length into our buffer.
            let n =
                unsafe { libc::getrandom(k[filled..].as_mut_ptr().cast(), k.len() - filled, 0) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
                continue;
            }
            filled += n as usize;
        }
        Ok(Key(k))
    }

    fn hmac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length")
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.hmac();
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }

    /// Compares in constant time.
    fn verify(&self, parts: &[&[u8]], tag_hex: &str) -> bool {
        let Some(tag) = from_hex(tag_hex) else {
            return false;
        };
        let mut mac = self.hmac();
        for p in parts {
            mac.update(p);
        }
        mac.verify_slice(&tag).is_ok()
    }

    fn evolve(&self) -> Key {
        Key(self.mac(&[EVOLVE]))
    }

    fn ahead(&self, steps: u64) -> Key {
        let mut k = self.clone();
        for _ in 0..steps {
            k = k.evolve();
        }
        k
    }

    /// What the `seal_init` record names the verification key by (not a secret).
    pub fn id(&self) -> String {
        let mut h = Sha256::new();
        h.update(KEY_ID);
        h.update(self.0);
        hex(&h.finalize())[..16].to_string()
    }

    fn hex(&self) -> String {
        hex(&self.0)
    }

    fn from_hex(text: &str) -> Option<Key> {
        let bytes = from_hex(text)?;
        Some(Key(bytes.try_into().ok()?))
    }

    /// Reads a verification key file.
    pub fn read(path: &Path) -> Result<Key, SealError> {
        let text = std::fs::read_to_string(path).map_err(|source| SealError::KeyFile {
            path: path.to_path_buf(),
            source,
        })?;
        text.lines()
            .next()
            .and_then(|l| l.trim().strip_prefix(KEY_PREFIX))
            .and_then(Key::from_hex)
            .ok_or_else(|| SealError::NotAKey {
                path: path.to_path_buf(),
            })
    }

    /// The verification key file's text.
    pub fn file_text(&self) -> String {
        format!("{KEY_PREFIX}{}\n", self.hex())
    }
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// When the key steps forward.
/// An `--epoch` that is neither `operation` nor a duration of at least 1s; `text` is as
/// written, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid epoch `{text}` (a duration of at least 1s like `15m`, or `operation`)")]
pub struct BadEpoch {
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Epochs {
    /// At the first record written in a later period of this length since `seal init`.
    Every(Duration),
    /// After each operation's end record.
    PerOperation,
}

impl Epochs {
    /// `15m`, `1h`, ... or `operation`.
    pub fn parse(text: &str) -> Result<Epochs, BadEpoch> {
        let t = text.trim();
        if t == "operation" {
            return Ok(Epochs::PerOperation);
        }
        match humantime::parse_duration(t) {
            Ok(d) if d >= Duration::from_secs(1) => Ok(Epochs::Every(d)),
            _ => Err(BadEpoch { text: t.into() }),
        }
    }

    pub fn name(&self) -> String {
        match self {
            Epochs::PerOperation => "operation".into(),
            Epochs::Every(d) => humantime::format_duration(*d).to_string(),
        }
    }
}

/// A link from one epoch's key to a later epoch, made with the earlier key before it was erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Close {
    pub from: u64,
    pub to: u64,
    pub tag: String,
}

/// The seal of one record: the last field of its line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub epoch: u64,
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closes: Vec<Close>,
    pub tag: String,
}

const SEAL_FIELD: &str = ",\"seal\":{";

/// Splits a sealed line into what was sealed (the line without its seal) and the seal.
pub fn split(line: &str) -> Option<(String, Seal)> {
    let at = line.rfind(SEAL_FIELD)?;
    let object = line[at + SEAL_FIELD.len() - 1..].strip_suffix('}')?;
    let seal: Seal = serde_json::from_str(object).ok()?;
    Some((format!("{}}}", &line[..at]), seal))
}

/// Where a sealed line stands: (epoch, seq).
pub fn position(line: &str) -> Option<(u64, u64)> {
    split(line).map(|(_, s)| (s.epoch, s.seq))
}

fn seal_tag(key: &Key, epoch: u64, seq: u64, body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    hex(&key.mac(&[SEAL, &epoch.to_be_bytes(), &seq.to_be_bytes(), &digest]))
}

fn seal_ok(key: &Key, seal: &Seal, body: &str) -> bool {
    let digest = Sha256::digest(body.as_bytes());
    key.verify(
        &[
            SEAL,
            &seal.epoch.to_be_bytes(),
            &seal.seq.to_be_bytes(),
            &digest,
        ],
        &seal.tag,
    )
}

fn close_parts<'a>(
    from: &'a [u8; 8],
    to: &'a [u8; 8],
    seq: &'a [u8; 8],
    hash: &'a str,
) -> [&'a [u8]; 5] {
    [CLOSE, from, to, seq, hash.as_bytes()]
}

fn close_tag(key: &Key, from: u64, to: u64, seq: u64, hash: &str) -> String {
    let (f, t, s) = (from.to_be_bytes(), to.to_be_bytes(), seq.to_be_bytes());
    hex(&key.mac(&close_parts(&f, &t, &s, hash)))
}

fn close_ok(key: &Key, close: &Close, seq: u64, hash: &str) -> bool {
    let (f, t, s) = (
        close.from.to_be_bytes(),
        close.to.to_be_bytes(),
        seq.to_be_bytes(),
    );
    key.verify(&close_parts(&f, &t, &s, hash), &close.tag)
}

/// The line with its seal as the last field.
fn attach(body: &str, seal: &Seal) -> String {
    let open = body.strip_suffix('}').expect("a record is a JSON object");
    format!(
        "{open}{SEAL_FIELD}{}",
        &serde_json::to_string(seal).expect("seals serialize")[1..]
    ) + "}"
}

/// The last sealed record the key stepped after, and the links from its epoch to the current.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub seq: u64,
    pub hash: String,
    pub links: Vec<Close>,
}

/// `.seal` as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StateFile {
    version: u32,
    /// The verification key's id.
    key_id: String,
    /// `15m` or `operation`.
    epochs: String,
    /// When sealing started (seconds since the epoch): time epochs count from here.
    start: u64,
    epoch: u64,
    key: String,
    #[serde(default)]
    pending: Option<Pending>,
}

/// The newest complete record of the log, as the writer found it.
#[derive(Debug, Clone)]
pub struct Tail {
    /// Its chain hash (what the next record's `prev` is).
    pub hash: String,
    /// Its (epoch, seq), if sealed.
    pub seal: Option<(u64, u64)>,
}

/// The writer's side: seals each record under the audit lock, stepping the key when due.
pub struct Sealer {
    dir: PathBuf,
    state: StateFile,
    key: Key,
    epochs: Epochs,
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

impl Sealer {
    /// The sealing state of `dir`, if sealing is on. Finishes a key step a crash cut short.
    pub fn load(dir: &Path) -> Result<Option<Sealer>, SealError> {
        let path = dir.join(STATE);
        let bad = |reason: StateProblem| SealError::State {
            path: path.clone(),
            reason,
        };
        let state = match (read_state(&path), read_state(&dir.join(STATE_NEW))) {
            (Stored::Bad(reason), _) => return Err(bad(reason)),
            // A step that wrote its new state but did not get to rename it.
            (Stored::Ok(cur), Stored::Ok(new)) if new.epoch > cur.epoch => {
                finish_step(dir)?;
                new
            }
            (Stored::Ok(cur), _) => cur,
            (Stored::Erased | Stored::Missing, Stored::Ok(new)) => {
                finish_step(dir)?;
                new
            }
            (Stored::Erased, _) => {
                return Err(bad(StateProblem::Erased));
            }
            (Stored::Missing, _) => return Ok(None),
        };
        let key = Key::from_hex(&state.key).ok_or_else(|| bad(StateProblem::BadKey))?;
        let epochs = Epochs::parse(&state.epochs).map_err(|e| bad(e.into()))?;
        Ok(Some(Sealer {
            dir: dir.to_path_buf(),
            state,
            key,
            epochs,
        }))
    }

    /// Starts sealing: a new verification key (returned, never stored here) seals the
    /// `seal_init` record `body` (a serialized line) at epoch 0, then the key steps to epoch 1
    /// so that `k(0)` exists only in the caller's key file. Returns the sealed line and the
    /// key; the caller writes the line, then calls `started`.
    pub fn begin(body: &str, verification: &Key) -> String {
        let seal = Seal {
            epoch: 0,
            seq: 0,
            closes: Vec::new(),
            tag: seal_tag(verification, 0, 0, body),
        };
        attach(body, &seal)
    }

    /// A new verification key.
    pub fn new_key() -> std::io::Result<Key> {
        Key::random()
    }

    /// After the `seal_init` line (chain hash `hash`) was written: the state at epoch 1.
    pub fn started(
        dir: &Path,
        verification: &Key,
        epochs: Epochs,
        hash: &str,
    ) -> Result<(), SealError> {
        let now = unix(SystemTime::now());
        let link = Close {
            from: 0,
            to: 1,
            tag: close_tag(verification, 0, 1, 0, hash),
        };
        let state = StateFile {
            version: 1,
            key_id: verification.id(),
            epochs: epochs.name(),
            start: now,
            epoch: 1,
            key: verification.evolve().hex(),
            pending: Some(Pending {
                seq: 0,
                hash: hash.to_string(),
                links: vec![link],
            }),
        };
        store(dir, &state)
    }

    pub fn key_id(&self) -> &str {
        &self.state.key_id
    }

    /// The epoch a record written at `now` belongs to (never before the current one).
    fn due(&self, now: SystemTime) -> u64 {
        match self.epochs {
            Epochs::PerOperation => self.state.epoch,
            Epochs::Every(len) => {
                let since = unix(now).saturating_sub(self.state.start);
                let n = 1 + since / len.as_secs().max(1);
                n.max(self.state.epoch)
            }
        }
    }

    /// Seals `body` (a serialized line) as the record after `tail`.
    pub fn seal(&mut self, body: &str, tail: &Tail, now: SystemTime) -> Result<String, SealError> {
        let (last_epoch, last_seq) = self.check_tail(tail)?;
        let due = self.due(now);
        if due > self.state.epoch {
            self.step(due, last_epoch, last_seq, &tail.hash)?;
        }
        let closes = if last_epoch < self.state.epoch {
            match &self.state.pending {
                Some(p) if p.seq == last_seq && p.hash == tail.hash => p.links.clone(),
                _ => {
                    return Err(SealError::TailChanged {
                        reason: TailProblem::SteppedAfterAnother {
                            epoch: last_epoch,
                            stepped_to: self.state.epoch,
                        },
                    });
                }
            }
        } else {
            Vec::new()
        };
        let epoch = self.state.epoch;
        let seq = last_seq + 1;
        let seal = Seal {
            epoch,
            seq,
            closes,
            tag: seal_tag(&self.key, epoch, seq, body),
        };
        Ok(attach(body, &seal))
    }

    /// After an operation's end record (`tail`): per-operation epochs step the key now.
    pub fn end_of_operation(&mut self, tail: &Tail) -> Result<(), SealError> {
        if self.epochs != Epochs::PerOperation {
            return Ok(());
        }
        let (last_epoch, last_seq) = self.check_tail(tail)?;
        self.step(self.state.epoch + 1, last_epoch, last_seq, &tail.hash)
    }

    fn check_tail(&self, tail: &Tail) -> Result<(u64, u64), SealError> {
        let Some((epoch, seq)) = tail.seal else {
            return Err(SealError::TailChanged {
                reason: TailProblem::NotSealed,
            });
        };
        if epoch > self.state.epoch {
            return Err(SealError::TailChanged {
                reason: TailProblem::Ahead {
                    epoch,
                    state_epoch: self.state.epoch,
                },
            });
        }
        Ok((epoch, seq))
    }

    /// Moves the key to epoch `to`, linking it to the last sealed record, and erases the old
    /// key.
    fn step(
        &mut self,
        to: u64,
        last_epoch: u64,
        last_seq: u64,
        last_hash: &str,
    ) -> Result<(), SealError> {
        let from = self.state.epoch;
        let link = Close {
            from,
            to,
            tag: close_tag(&self.key, from, to, last_seq, last_hash),
        };
        // No record in the current epoch yet: the links so far still lead from the last
        // record's epoch, and this one continues them.
        let mut links = if last_epoch < from {
            match &self.state.pending {
                Some(p) if p.seq == last_seq && p.hash == last_hash => p.links.clone(),
                _ => {
                    return Err(SealError::TailChanged {
                        reason: TailProblem::SteppedAfterAnother {
                            epoch: last_epoch,
                            stepped_to: from,
                        },
                    });
                }
            }
        } else {
            Vec::new()
        };
        links.push(link);
        let key = self.key.ahead(to - from);
        let mut state = self.state.clone();
        state.epoch = to;
        state.key = key.hex();
        state.pending = Some(Pending {
            seq: last_seq,
            hash: last_hash.to_string(),
            links,
        });
        store(&self.dir, &state)?;
        self.state = state;
        self.key = key;
        Ok(())
    }
}

/// A state file as found on disk.
enum Stored {
    Ok(StateFile),
    Missing,
    /// All zeros: the old state of a key step.
    Erased,
    Bad(StateProblem),
}

fn read_state(path: &Path) -> Stored {
    match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Stored::Missing,
        Err(e) => Stored::Bad(StateProblem::Unreadable(e)),
        Ok(bytes) if bytes.iter().all(|&b| b == 0) => Stored::Erased,
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(state) => Stored::Ok(state),
            Err(e) => Stored::Bad(StateProblem::NotJson(e)),
        },
    }
}

/// Writes the new state beside the old, erases the old in place, then renames: a crash at any
/// point leaves either the old state or the new one readable (`load` finishes the step).
fn store(dir: &Path, state: &StateFile) -> Result<(), SealError> {
    let new_path = dir.join(STATE_NEW);
    let text = serde_json::to_string(state).expect("state serializes") + "\n";
    let mut new = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&new_path)?;
    new.write_all(text.as_bytes())?;
    new.sync_all()?;
    finish_step(dir)?;
    Ok(())
}

/// Overwrites the old state (its key) with zeros, then moves the new one in its place.
fn finish_step(dir: &Path) -> Result<(), SealError> {
    let path = dir.join(STATE);
    if let Ok(old) = OpenOptions::new().write(true).open(&path) {
        let len = old.metadata()?.len();
        old.write_all_at(&vec![0u8; len as usize], 0)?;
        old.sync_all()?;
    }
    std::fs::rename(dir.join(STATE_NEW), &path)?;
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// A seal names an epoch no log reaches: forged (deriving its key would take hours).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sealed in epoch {epoch}, more than any log reaches: a forged seal")]
pub struct TooFar {
    pub epoch: u64,
}

/// What `verify --verify-key` finds wrong with a record's seal, or with where `.seal` says the
/// log ends.
#[derive(Debug, thiserror::Error)]
pub enum Broken {
    #[error(transparent)]
    TooFar(#[from] TooFar),
    /// `sealed` records before this one were sealed.
    #[error(
        "this record is not sealed, but sealing is on since {sealed} records before it: it was added or rewritten without the key"
    )]
    NotSealed { sealed: usize },
    #[error(
        "sealing was started again here with another key (`hostctl log seal init --force`): check the records from here with that key"
    )]
    StartedAgain,
    #[error(
        "sealed as record {seq} where {due} was due: sealed records were removed, inserted or reordered"
    )]
    OutOfSequence { seq: u64, due: u64 },
    #[error(
        "sealed in epoch {epoch}, before the record preceding it (epoch {before}): records were reordered"
    )]
    EpochBackwards { epoch: u64, before: u64 },
    #[error("carries a key step within one epoch: forged")]
    StepWithinEpoch,
    /// Sealed in a later `epoch` than the record `before` it, without valid links.
    #[error(
        "sealed in epoch {epoch} after a record of epoch {before}, but {why}: the records after it were cut off and replaced, or this record was sealed again with a later key"
    )]
    Unlinked {
        epoch: u64,
        before: u64,
        why: LinkProblem,
    },
    #[error(
        "its seal does not match (epoch {epoch}, record {seq}): the record was changed after it was sealed"
    )]
    Mismatch { epoch: u64, seq: u64 },
    #[error("the record that started sealing is not sealed as the first record of epoch 0")]
    StartMisplaced,
    #[error(
        "the record that started sealing with this key does not carry its seal: changed after it was sealed"
    )]
    StartChanged,
    #[error(
        "no record in the log is sealed under this key: sealing was never started here with it, or the sealed records were removed"
    )]
    NeverSealed,
    #[error("the sealing state cannot be read: {0}")]
    StateUnreadable(StateProblem),
    #[error(
        "the sealing state is missing: nothing vouches for the end of the log, so sealed records may have been removed from it"
    )]
    StateMissing,
    #[error("its key is not this verification key's epoch {epoch}: the state was replaced")]
    StateReplaced { epoch: u64 },
    #[error(
        "it is at epoch {epoch}, before the newest record's epoch {newest}: an old copy was put back"
    )]
    StateOld { epoch: u64, newest: u64 },
    /// The state's key stepped to `epoch` after a record other than the newest one (`seq`,
    /// sealed in `newest`).
    #[error(
        "the key stepped to epoch {epoch} after a record that is not the log's newest (sealed record {seq}, epoch {newest}): sealed records were removed from the end"
    )]
    EndCut { epoch: u64, seq: u64, newest: u64 },
}

/// Why a record's key steps do not lead from the epoch of the record before it to its own.
#[derive(Debug, thiserror::Error)]
pub enum LinkProblem {
    #[error("nothing links it to the earlier epoch")]
    None,
    #[error("its key steps do not lead from epoch {from} to {to}")]
    Astray { from: u64, to: u64 },
    #[error("the step from epoch {from} to {to} was not made with epoch {from}'s key")]
    WrongKey { from: u64, to: u64 },
    #[error("its key steps end in epoch {at}, not {to}")]
    ShortOf { at: u64, to: u64 },
    #[error(transparent)]
    TooFar(#[from] TooFar),
}

/// What `verify --verify-key` found about the seals.
#[derive(Debug, Default, Serialize)]
pub struct Checked {
    pub sealed: usize,
    /// Records before sealing started under this key: the chain covers them, no seal.
    pub before: usize,
    /// The newest sealed record: (epoch, seq).
    pub last: Option<(u64, u64)>,
    pub notes: Vec<String>,
}

/// The verifier's side: fed each record of the chain in order.
pub struct Checker {
    k0: Key,
    id: String,
    /// The highest key derived so far, to derive later ones from.
    cache: (u64, Key),
    /// (epoch, seq, chain hash) of the newest sealed record, once sealing started.
    last: Option<(u64, u64, String)>,
    records: usize,
    checked: Checked,
}

impl Checker {
    pub fn new(k0: Key) -> Checker {
        Checker {
            id: k0.id(),
            cache: (0, k0.clone()),
            k0,
            last: None,
            records: 0,
            checked: Checked::default(),
        }
    }

    fn key(&mut self, epoch: u64) -> Result<Key, TooFar> {
        if epoch > MAX_EPOCH {
            return Err(TooFar { epoch });
        }
        if epoch < self.cache.0 {
            return Ok(self.k0.ahead(epoch));
        }
        let key = self.cache.1.ahead(epoch - self.cache.0);
        self.cache = (epoch, key.clone());
        Ok(key)
    }

    /// One record of the chain (`line` as stored, `hash` its chain hash, `kind` its kind);
    /// the error says what is wrong with it.
    pub fn record(&mut self, line: &str, hash: &str, kind: &str) -> Result<(), Broken> {
        self.records += 1;
        let sealed = split(line);
        let Some((last_epoch, last_seq, last_hash)) = self.last.clone() else {
            return self.first(line, hash, kind, sealed);
        };
        let Some((body, seal)) = sealed else {
            return Err(Broken::NotSealed {
                sealed: self.checked.sealed,
            });
        };
        if seal.seq == 0 && kind == "seal_init" {
            return Err(Broken::StartedAgain);
        }
        if seal.seq != last_seq + 1 {
            return Err(Broken::OutOfSequence {
                seq: seal.seq,
                due: last_seq + 1,
            });
        }
        if seal.epoch < last_epoch {
            return Err(Broken::EpochBackwards {
                epoch: seal.epoch,
                before: last_epoch,
            });
        }
        if seal.epoch == last_epoch && !seal.closes.is_empty() {
            return Err(Broken::StepWithinEpoch);
        }
        if seal.epoch > last_epoch {
            self.check_links(&seal.closes, last_epoch, seal.epoch, last_seq, &last_hash)
                .map_err(|why| Broken::Unlinked {
                    epoch: seal.epoch,
                    before: last_epoch,
                    why,
                })?;
        }
        let key = self.key(seal.epoch)?;
        if !seal_ok(&key, &seal, &body) {
            return Err(Broken::Mismatch {
                epoch: seal.epoch,
                seq: seal.seq,
            });
        }
        self.checked.sealed += 1;
        self.last = Some((seal.epoch, seal.seq, hash.to_string()));
        Ok(())
    }

    /// Before sealing started: the `seal_init` record of this key starts it; a log pruned past
    /// it starts with a sealed record that this key verifies.
    fn first(
        &mut self,
        line: &str,
        hash: &str,
        kind: &str,
        sealed: Option<(String, Seal)>,
    ) -> Result<(), Broken> {
        let Some((body, seal)) = sealed else {
            self.checked.before += 1;
            return Ok(());
        };
        let is_ours = kind == "seal_init"
            && serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .is_some_and(|v| v["key_id"] == self.id.as_str());
        if is_ours {
            if seal.epoch != 0 || seal.seq != 0 || !seal.closes.is_empty() {
                return Err(Broken::StartMisplaced);
            }
            if !seal_ok(&self.k0, &seal, &body) {
                return Err(Broken::StartChanged);
            }
        } else {
            // The log starts after a prune, or before this key's `seal_init`.
            if self.records != 1 || seal.epoch > MAX_EPOCH {
                self.checked.before += 1;
                return Ok(());
            }
            let key = self.key(seal.epoch)?;
            if !seal_ok(&key, &seal, &body) {
                self.checked.before += 1;
                return Ok(());
            }
            self.checked.notes.push(format!(
                "the log starts at sealed record {} (older records were pruned)",
                seal.seq
            ));
        }
        self.checked.sealed += 1;
        self.last = Some((seal.epoch, seal.seq, hash.to_string()));
        Ok(())
    }

    /// `links` must lead from epoch `from` to `to`, each made with its epoch's key for the
    /// record (`seq`, `hash`) the key stepped after.
    fn check_links(
        &mut self,
        links: &[Close],
        from: u64,
        to: u64,
        seq: u64,
        hash: &str,
    ) -> Result<(), LinkProblem> {
        if links.is_empty() {
            return Err(LinkProblem::None);
        }
        let mut at = from;
        for link in links {
            if link.from != at || link.to <= link.from {
                return Err(LinkProblem::Astray { from, to });
            }
            let key = self.key(link.from)?;
            if !close_ok(&key, link, seq, hash) {
                return Err(LinkProblem::WrongKey {
                    from: link.from,
                    to: link.to,
                });
            }
            at = link.to;
        }
        if at != to {
            return Err(LinkProblem::ShortOf { at, to });
        }
        Ok(())
    }

    /// After the last record: sealing must have started, and `.seal` must agree with where the
    /// log ends. Returns what was checked, or (where, what is wrong).
    pub fn finish(mut self, dir: &Path) -> Result<Checked, (String, Broken)> {
        let Some((last_epoch, last_seq, last_hash)) = self.last.clone() else {
            return Err((String::new(), Broken::NeverSealed));
        };
        self.checked.last = Some((last_epoch, last_seq));
        let at_state = |m: Broken| (STATE.to_string(), m);
        let path = dir.join(STATE);
        let state = match (read_state(&path), read_state(&dir.join(STATE_NEW))) {
            (Stored::Ok(cur), Stored::Ok(new)) if new.epoch > cur.epoch => new,
            (Stored::Ok(s), _) | (_, Stored::Ok(s)) => s,
            (Stored::Bad(e), _) => {
                return Err(at_state(Broken::StateUnreadable(e)));
            }
            _ => {
                return Err(at_state(Broken::StateMissing));
            }
        };
        let key = self
            .key(state.epoch)
            .map_err(|e| at_state(Broken::TooFar(e)))?;
        if Key::from_hex(&state.key).as_ref() != Some(&key) {
            return Err(at_state(Broken::StateReplaced { epoch: state.epoch }));
        }
        if state.epoch < last_epoch {
            return Err(at_state(Broken::StateOld {
                epoch: state.epoch,
                newest: last_epoch,
            }));
        }
        if state.epoch > last_epoch {
            let ok = match &state.pending {
                Some(p) if p.seq == last_seq && p.hash == last_hash => self
                    .check_links(&p.links, last_epoch, state.epoch, last_seq, &last_hash)
                    .is_ok(),
                _ => false,
            };
            if !ok {
                return Err(at_state(Broken::EndCut {
                    epoch: state.epoch,
                    seq: last_seq,
                    newest: last_epoch,
                }));
            }
        }
        Ok(self.checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(s: &str) -> String {
        hex(&Sha256::digest(s.as_bytes()))
    }

    /// A log of sealed lines built through the writer's side.
    struct Log {
        dir: tempfile::TempDir,
        k0: Key,
        lines: Vec<String>,
    }

    impl Log {
        fn new(epochs: Epochs) -> Log {
            let dir = tempfile::tempdir().unwrap();
            let k0 = Sealer::new_key().unwrap();
            let body = format!(
                "{{\"prev\":\"{}\",\"kind\":\"seal_init\",\"key_id\":\"{}\"}}",
                "0".repeat(64),
                k0.id()
            );
            let line = Sealer::begin(&body, &k0);
            Sealer::started(dir.path(), &k0, epochs, &hash(&line)).unwrap();
            Log {
                dir,
                k0,
                lines: vec![line],
            }
        }

        fn tail(&self) -> Tail {
            let last = self.lines.last().unwrap();
            Tail {
                hash: hash(last),
                seal: position(last),
            }
        }

        fn write(&mut self, kind: &str, at: SystemTime) {
            let mut sealer = Sealer::load(self.dir.path()).unwrap().unwrap();
            let body = format!(
                "{{\"prev\":\"{}\",\"kind\":\"{kind}\",\"n\":{}}}",
                self.tail().hash,
                self.lines.len()
            );
            let line = sealer.seal(&body, &self.tail(), at).unwrap();
            self.lines.push(line);
            if kind == "end" {
                sealer.end_of_operation(&self.tail()).unwrap();
            }
        }

        fn verify(&self, lines: &[String]) -> Result<Checked, (String, String)> {
            let mut checker = Checker::new(self.k0.clone());
            for (i, line) in lines.iter().enumerate() {
                let kind = serde_json::from_str::<serde_json::Value>(line).unwrap()["kind"]
                    .as_str()
                    .unwrap()
                    .to_string();
                checker
                    .record(line, &hash(line), &kind)
                    .map_err(|m| (format!("line {}", i + 1), m.to_string()))?;
            }
            checker
                .finish(self.dir.path())
                .map_err(|(at, why)| (at, why.to_string()))
        }
    }

    fn minutes(n: u64) -> SystemTime {
        SystemTime::now() + Duration::from_secs(60 * n)
    }

    #[test]
    fn an_intact_sealed_log_verifies_and_k0_is_not_stored() {
        let mut log = Log::new(Epochs::Every(Duration::from_secs(900)));
        log.write("start", minutes(0));
        log.write("host", minutes(1));
        log.write("end", minutes(20)); // epoch 2: the key steps
        log.write("start", minutes(50)); // epoch 4: two steps at once
        let checked = log.verify(&log.lines).unwrap();
        assert_eq!(checked.sealed, 5);
        assert_eq!(checked.last, Some((4, 4)));
        let state = std::fs::read_to_string(log.dir.path().join(STATE)).unwrap();
        assert!(!state.contains(&log.k0.hex()), "k(0) stays off the box");
        assert!(!state.contains(&log.k0.ahead(2).hex()), "old keys are gone");
        assert!(state.contains(&log.k0.ahead(4).hex()));
        assert!(log.lines[3].contains("\"closes\":[{\"from\":1,\"to\":2,"));
        assert!(log.lines[4].contains("\"closes\":[{\"from\":2,\"to\":4,"));
    }

    #[test]
    fn an_edited_record_fails_even_with_the_chain_recomputed() {
        let mut log = Log::new(Epochs::PerOperation);
        log.write("start", minutes(0));
        log.write("end", minutes(0));
        // Change the start record and recompute the chain after it: the seal no longer fits.
        let mut lines = log.lines.clone();
        lines[1] = lines[1].replace("\"n\":1", "\"n\":7");
        let (why_at, why) = log.verify(&lines).unwrap_err();
        assert_eq!(why_at, "line 2");
        assert!(
            why.starts_with("its seal does not match (epoch 1, record 1)"),
            "{why}"
        );
    }

    #[test]
    fn a_record_resealed_with_a_later_key_is_caught() {
        let mut log = Log::new(Epochs::PerOperation);
        log.write("start", minutes(0));
        log.write("end", minutes(0)); // epoch 1 ends; the state holds k(2)
        log.write("start", minutes(0));
        // Root now holds k(2): it rewrites record 2 (epoch 1) and seals it in epoch 2, with the
        // link the state still holds from record 1.
        let sealer = Sealer::load(log.dir.path()).unwrap().unwrap();
        let k2 = sealer.key.clone();
        let (body, seal) = split(&log.lines[2]).unwrap();
        let forged_body = body.replace("\"kind\":\"end\"", "\"kind\":\"end\",\"x\":1");
        let forged = Seal {
            epoch: 2,
            seq: seal.seq,
            closes: vec![Close {
                from: 1,
                to: 2,
                tag: close_tag(&k2, 1, 2, 1, &hash(&log.lines[1])),
            }],
            tag: seal_tag(&k2, 2, seal.seq, &forged_body),
        };
        let mut lines = log.lines[..2].to_vec();
        lines.push(attach(&forged_body, &forged));
        let (at, why) = log.verify(&lines).unwrap_err();
        assert_eq!(at, "line 3");
        assert!(
            why.contains("the step from epoch 1 to 2 was not made with epoch 1's key"),
            "{why}"
        );
    }

    #[test]
    fn records_cut_off_the_end_of_a_finished_epoch_are_caught() {
        let mut log = Log::new(Epochs::PerOperation);
        log.write("start", minutes(0));
        log.write("end", minutes(0));
        log.write("start", minutes(0));
        log.write("end", minutes(0));
        // Drop the second operation (epoch 2, already closed): the state's link names record 4.
        let (at, why) = log.verify(&log.lines[..3]).unwrap_err();
        assert_eq!(at, STATE);
        assert!(
            why.contains("sealed records were removed from the end"),
            "{why}"
        );
        // A missing state fails too.
        std::fs::remove_file(log.dir.path().join(STATE)).unwrap();
        let (_, why) = log.verify(&log.lines).unwrap_err();
        assert!(why.starts_with("the sealing state is missing"), "{why}");
    }

    #[test]
    fn a_crash_in_the_middle_of_a_key_step_leaves_a_usable_state() {
        let mut log = Log::new(Epochs::PerOperation);
        log.write("start", minutes(0));
        // As if killed after writing the new state and erasing the old, before the rename.
        let dir = log.dir.path().to_path_buf();
        std::fs::copy(dir.join(STATE), dir.join(STATE_NEW)).unwrap();
        let len = std::fs::metadata(dir.join(STATE)).unwrap().len();
        std::fs::write(dir.join(STATE), vec![0u8; len as usize]).unwrap();
        log.write("end", minutes(0));
        assert!(!dir.join(STATE_NEW).exists());
        log.verify(&log.lines).unwrap();
    }

    #[test]
    fn steps_with_no_record_between_them_chain_their_links() {
        let mut log = Log::new(Epochs::Every(Duration::from_secs(900)));
        log.write("start", minutes(0));
        // A record sealed in epoch 2 that never reached the log (a full disk).
        let mut sealer = Sealer::load(log.dir.path()).unwrap().unwrap();
        sealer
            .seal("{\"prev\":\"x\"}", &log.tail(), minutes(20))
            .unwrap();
        log.write("host", minutes(50));
        assert!(log.lines[2].contains("\"closes\":[{\"from\":1,\"to\":2,"));
        assert!(log.lines[2].contains("},{\"from\":2,\"to\":4,"));
        log.verify(&log.lines).unwrap();
    }

    #[test]
    fn epochs_parse() {
        assert_eq!(Epochs::parse("operation"), Ok(Epochs::PerOperation));
        assert_eq!(
            Epochs::parse("15m"),
            Ok(Epochs::Every(Duration::from_secs(900)))
        );
        assert!(Epochs::parse("0s").is_err());
        assert_eq!(Epochs::parse("15m").unwrap().name(), "15m");
    }

    /// Every finding of `log verify --verify-key` about the seals, whole: (where, what).
    #[test]
    fn verifier_findings_say_exactly_this() {
        let mut log = Log::new(Epochs::PerOperation);
        log.write("start", minutes(0)); // epoch 1, record 1
        log.write("end", minutes(0)); // epoch 1, record 2; the key steps to 2
        log.write("start", minutes(0)); // epoch 2, record 3
        log.write("end", minutes(0)); // epoch 2, record 4; the key steps to 3
        let l = &log.lines;
        let at = |lines: &[String]| log.verify(lines).unwrap_err();
        let line = |n: usize, why: &str| (format!("line {n}"), why.to_string());
        // The first three records, then record 3's body sealed as `seal` says.
        let then = |seal: Seal| {
            let mut lines = l[..3].to_vec();
            lines.push(attach(&split(&l[3]).unwrap().0, &seal));
            lines
        };
        let seal = |epoch: u64, closes: Vec<Close>| Seal {
            epoch,
            seq: 3,
            closes,
            tag: "00".into(),
        };
        let close = |from: u64, to: u64, tag: String| Close { from, to, tag };
        let k1 = log.k0.ahead(1);
        let valid = |to: u64| close(1, to, close_tag(&k1, 1, to, 2, &hash(&l[2])));
        let replaced = |why: &str| {
            format!(
                "sealed in epoch 2 after a record of epoch 1, but {why}: the records after it were cut off and replaced, or this record was sealed again with a later key"
            )
        };

        let mut lines = l[..3].to_vec();
        lines.push(split(&l[3]).unwrap().0);
        assert_eq!(
            at(&lines),
            line(
                4,
                "this record is not sealed, but sealing is on since 3 records before it: it was added or rewritten without the key"
            )
        );
        let mut lines = l[..2].to_vec();
        lines.push(Log::new(Epochs::PerOperation).lines[0].clone());
        assert_eq!(
            at(&lines),
            line(
                3,
                "sealing was started again here with another key (`hostctl log seal init --force`): check the records from here with that key"
            )
        );
        assert_eq!(
            at(&[l[0].clone(), l[1].clone(), l[3].clone()]),
            line(
                3,
                "sealed as record 3 where 2 was due: sealed records were removed, inserted or reordered"
            )
        );
        assert_eq!(
            at(&then(seal(0, vec![]))),
            line(
                4,
                "sealed in epoch 0, before the record preceding it (epoch 1): records were reordered"
            )
        );
        assert_eq!(
            at(&then(seal(1, vec![valid(2)]))),
            line(4, "carries a key step within one epoch: forged")
        );
        assert_eq!(
            at(&then(seal(2, vec![]))),
            line(4, &replaced("nothing links it to the earlier epoch"))
        );
        assert_eq!(
            at(&then(seal(2, vec![close(0, 2, "00".into())]))),
            line(4, &replaced("its key steps do not lead from epoch 1 to 2"))
        );
        assert_eq!(
            at(&then(seal(2, vec![close(1, 2, "00".into())]))),
            line(
                4,
                &replaced("the step from epoch 1 to 2 was not made with epoch 1's key")
            )
        );
        assert_eq!(
            at(&then(seal(3, vec![valid(2)]))),
            line(
                4,
                &replaced("its key steps end in epoch 2, not 3")
                    .replace("sealed in epoch 2", "sealed in epoch 3")
            )
        );
        let far = MAX_EPOCH + 1;
        assert_eq!(
            at(&then(seal(far, vec![valid(far)]))),
            line(
                4,
                "sealed in epoch 50000001, more than any log reaches: a forged seal"
            )
        );
        assert_eq!(
            at(&then(seal(2, vec![valid(2)]))),
            line(
                4,
                "its seal does not match (epoch 2, record 3): the record was changed after it was sealed"
            )
        );
        let first = |seal: Seal| vec![attach(&split(&l[0]).unwrap().0, &seal)];
        assert_eq!(
            at(&first(Seal {
                epoch: 1,
                seq: 0,
                closes: vec![],
                tag: "00".into()
            })),
            line(
                1,
                "the record that started sealing is not sealed as the first record of epoch 0"
            )
        );
        assert_eq!(
            at(&first(Seal {
                epoch: 0,
                seq: 0,
                closes: vec![],
                tag: "00".into()
            })),
            line(
                1,
                "the record that started sealing with this key does not carry its seal: changed after it was sealed"
            )
        );

        // At the end: what `.seal` says about where the log ends.
        assert_eq!(
            at(&[]),
            (
                String::new(),
                "no record in the log is sealed under this key: sealing was never started here with it, or the sealed records were removed".to_string()
            )
        );
        let state_path = log.dir.path().join(STATE);
        let good = std::fs::read_to_string(&state_path).unwrap();
        let state = |why: &str| (STATE.to_string(), why.to_string());
        assert_eq!(
            at(&l[..3]),
            state(
                "the key stepped to epoch 3 after a record that is not the log's newest (sealed record 2, epoch 1): sealed records were removed from the end"
            )
        );
        let with = |epoch: u64, key: &Key| {
            let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
            v["epoch"] = epoch.into();
            v["key"] = key.hex().into();
            std::fs::write(&state_path, v.to_string()).unwrap();
        };
        with(3, &log.k0.ahead(9));
        assert_eq!(
            at(l),
            state("its key is not this verification key's epoch 3: the state was replaced")
        );
        with(1, &k1);
        assert_eq!(
            at(l),
            state("it is at epoch 1, before the newest record's epoch 2: an old copy was put back")
        );
        std::fs::write(&state_path, "{").unwrap();
        assert_eq!(
            at(l),
            state(
                "the sealing state cannot be read: EOF while parsing an object at line 1 column 1"
            )
        );
        std::fs::remove_file(&state_path).unwrap();
        assert_eq!(
            at(l),
            state(
                "the sealing state is missing: nothing vouches for the end of the log, so sealed records may have been removed from it"
            )
        );
    }

    /// Every way the writer's side refuses to seal, whole: what `hostctl run` says after
    /// `error: audit log: ` when the sealing state is unusable or the log's end moved.
    #[test]
    fn sealer_refusals_say_exactly_this() {
        let mut log = Log::new(Epochs::PerOperation);
        log.write("start", minutes(0));
        log.write("end", minutes(0)); // the key steps to epoch 2 after this record
        let dir = log.dir.path().to_path_buf();
        let path = dir.join(STATE);
        let refusal = || match Sealer::load(&dir) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("the state at {} loads", path.display()),
        };
        let state = |reason: &str| format!("sealing state `{}`: {reason}", path.display());
        let good: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let with = |field: &str, value: &str| {
            let mut v = good.clone();
            v[field] = value.into();
            std::fs::write(&path, v.to_string()).unwrap();
        };
        with("key", "zz");
        assert_eq!(refusal(), state("the key is not 64 hex digits"));
        with("epochs", "0s");
        assert_eq!(
            refusal(),
            state("invalid epoch `0s` (a duration of at least 1s like `15m`, or `operation`)")
        );
        std::fs::write(&path, "{\"version\":").unwrap();
        assert_eq!(
            refusal(),
            state("EOF while parsing a value at line 1 column 11")
        );
        std::fs::write(&path, [0u8; 16]).unwrap();
        assert_eq!(refusal(), state("erased by a key step that never finished"));
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        assert_eq!(refusal(), state("Is a directory (os error 21)"));
        std::fs::remove_dir(&path).unwrap();
        std::fs::write(&path, good.to_string()).unwrap();

        let tail_changed = |reason: &str| {
            format!(
                "the log does not end where the sealing state says it did ({reason}): the newest records were removed or rewritten; check with `hostctl log verify --verify-key`, or start again with `hostctl log seal init --force`"
            )
        };
        let mut sealer = Sealer::load(&dir).unwrap().unwrap();
        let refuse = |sealer: &mut Sealer, tail: Tail| {
            sealer
                .seal("{}", &tail, minutes(0))
                .unwrap_err()
                .to_string()
        };
        let unsealed = Tail {
            hash: "x".into(),
            seal: None,
        };
        assert_eq!(
            refuse(&mut sealer, unsealed),
            tail_changed("its newest record is not sealed")
        );
        let ahead = Tail {
            hash: "x".into(),
            seal: Some((9, 3)),
        };
        assert_eq!(
            refuse(&mut sealer, ahead),
            tail_changed("its newest record is sealed in epoch 9, after the state's epoch 2")
        );
        let other = Tail {
            hash: "x".into(),
            seal: Some((1, 2)),
        };
        let stepped = tail_changed(
            "its newest record is sealed in epoch 1, and the key stepped to epoch 2 after another record",
        );
        assert_eq!(refuse(&mut sealer, other.clone()), stepped);
        assert_eq!(
            sealer.end_of_operation(&other).unwrap_err().to_string(),
            stepped
        );
    }

    /// The whole message `--epoch` shows after its flag.
    #[test]
    fn bad_epochs_say_exactly_this() {
        assert_eq!(
            Epochs::parse(" 0s ").unwrap_err().to_string(),
            "invalid epoch `0s` (a duration of at least 1s like `15m`, or `operation`)"
        );
    }

    #[test]
    fn split_takes_the_seal_off_the_end() {
        let k = Key([7; 32]);
        let line = Sealer::begin("{\"prev\":\"x\",\"text\":\"a,\\\"seal\\\":{\"}", &k);
        let (body, seal) = split(&line).unwrap();
        assert_eq!(body, "{\"prev\":\"x\",\"text\":\"a,\\\"seal\\\":{\"}");
        assert!(seal_ok(&k, &seal, &body));
        assert_eq!(position(&line), Some((0, 0)));
        assert!(split("{\"prev\":\"x\"}").is_none());
    }
}
