//! One destination's on-disk queue of messages not yet confirmed delivered, under the log
//! directory (`forward/<destination>/`), so nothing is lost while a collector is down.
//!
//! `spool` holds one message per line, appended in log order (the writer appends under the
//! audit lock); `sent` holds how many of its bytes were confirmed delivered. A sender reads from
//! `sent` to the end, delivers, and only then moves `sent`: a crash in between sends those
//! messages again (at-least-once; each carries its record's hash for receivers to drop
//! duplicates). `.lock` guards the two files for the short moments they change; `.send` keeps
//! two senders (two hostctl processes) from delivering the same messages at once. The queue is
//! bounded: a message that would take the undelivered bytes over the limit is refused, and the
//! caller reports it.

use crate::flock::Lock;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, FileExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// At most this much is read and delivered per connection.
const BATCH_BYTES: u64 = 4 << 20;

pub struct Spool {
    dir: PathBuf,
    data: File,
    sent: File,
    lock: File,
    send: File,
    limit: u64,
    /// `flock` does not exclude threads sharing one descriptor: this does.
    local: Mutex<()>,
}

/// What `push` could not queue.
#[derive(Debug)]
pub enum PushError {
    /// The undelivered messages already take `pending` of `limit` bytes.
    Full {
        pending: u64,
        limit: u64,
    },
    Io(std::io::Error),
}

/// Messages read for delivery: `text` is whole lines, `[from, to)` their place in the spool.
pub struct Batch {
    pub text: Vec<u8>,
    pub from: u64,
    pub to: u64,
}

impl Batch {
    pub fn lines(&self) -> impl Iterator<Item = &[u8]> {
        self.text.split(|&b| b == b'\n').filter(|l| !l.is_empty())
    }
}

impl Spool {
    pub fn open(dir: &Path, limit: u64) -> std::io::Result<Spool> {
        // Private like the rest of the log: the spool holds the same records.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(super::private::DIR_MODE)
            .create(dir)?;
        let open = |name: &str, append: bool| {
            let mut o = OpenOptions::new();
            o.create(true).read(true);
            if append {
                o.append(true);
            } else {
                o.write(true).truncate(false);
            }
            super::private::open(&dir.join(name), &mut o)
        };
        Ok(Spool {
            dir: dir.to_path_buf(),
            data: open("spool", true)?,
            sent: open("sent", false)?,
            lock: open(".lock", false)?,
            send: open(".send", false)?,
            limit,
            local: Mutex::new(()),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Queues one message (one line, no newline inside).
    pub fn push(&self, message: &[u8]) -> Result<(), PushError> {
        let _lock = self.locked().map_err(PushError::Io)?;
        let len = self.data.metadata().map_err(PushError::Io)?.len();
        let pending = len.saturating_sub(self.sent_offset().map_err(PushError::Io)?);
        if pending + message.len() as u64 + 1 > self.limit {
            return Err(PushError::Full {
                pending,
                limit: self.limit,
            });
        }
        let mut line = Vec::with_capacity(message.len() + 1);
        line.extend_from_slice(message);
        line.push(b'\n');
        if let Err(e) = (&self.data).write_all(&line) {
            // Never leave half a message: the sender would deliver it.
            let _ = self.data.set_len(len);
            return Err(PushError::Io(e));
        }
        Ok(())
    }

    /// Holds off other senders (other hostctl processes) until the guard drops.
    pub fn sending(&self) -> std::io::Result<Lock<'_>> {
        Lock::exclusive(&self.send)
    }

    /// The next undelivered messages (whole lines), or None when there are none. The caller
    /// holds `sending()`.
    pub fn next_batch(&self) -> std::io::Result<Option<Batch>> {
        let _lock = self.locked()?;
        let from = self.sent_offset()?;
        let len = self.data.metadata()?.len();
        if from >= len {
            return Ok(None);
        }
        let mut text = vec![0u8; (len - from).min(BATCH_BYTES) as usize];
        self.data.read_exact_at(&mut text, from)?;
        match text.iter().rposition(|&b| b == b'\n') {
            Some(end) => text.truncate(end + 1),
            None if (text.len() as u64) < len - from => {
                // One message longer than a batch: read it whole.
                text = vec![0u8; (len - from) as usize];
                self.data.read_exact_at(&mut text, from)?;
                let end = text
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap_or(text.len() - 1);
                text.truncate(end + 1);
            }
            None => return Ok(None),
        }
        let to = from + text.len() as u64;
        Ok(Some(Batch { text, from, to }))
    }

    /// The batch reached its destination: move past it, and empty the spool once all is sent.
    pub fn confirm(&self, batch: &Batch) -> std::io::Result<()> {
        let _lock = self.locked()?;
        if self.sent_offset()? != batch.from {
            return Ok(()); // the spool changed under us (cannot happen while we hold `.send`)
        }
        let len = self.data.metadata()?.len();
        if batch.to >= len {
            self.data.set_len(0)?;
            self.write_sent(0)
        } else {
            self.write_sent(batch.to)
        }
    }

    /// (messages, bytes) waiting to be delivered.
    pub fn pending(&self) -> std::io::Result<(u64, u64)> {
        let _lock = self.locked()?;
        let from = self.sent_offset()?;
        let len = self.data.metadata()?.len();
        let (mut count, mut at) = (0u64, from);
        let mut buf = vec![0u8; 256 * 1024];
        while at < len {
            let n = self.data.read_at(&mut buf, at)?;
            if n == 0 {
                break;
            }
            count += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            at += n as u64;
        }
        Ok((count, len.saturating_sub(from)))
    }

    fn locked(&self) -> std::io::Result<(MutexGuard<'_, ()>, Lock<'_>)> {
        let local = self.local.lock().unwrap_or_else(|p| p.into_inner());
        Ok((local, Lock::exclusive(&self.lock)?))
    }

    /// A `sent` that cannot be read counts as nothing sent: resending is safe, skipping is not.
    fn sent_offset(&self) -> std::io::Result<u64> {
        let mut text = [0u8; 32];
        let n = self.sent.read_at(&mut text, 0)?;
        Ok(std::str::from_utf8(&text[..n])
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0))
    }

    fn write_sent(&self, offset: u64) -> std::io::Result<()> {
        let text = format!("{offset}\n");
        self.sent.write_all_at(text.as_bytes(), 0)?;
        self.sent.set_len(text.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(spool: &Spool) -> Vec<String> {
        let _send = spool.sending().unwrap();
        let mut out = Vec::new();
        while let Some(batch) = spool.next_batch().unwrap() {
            out.extend(
                batch
                    .lines()
                    .map(|l| String::from_utf8(l.to_vec()).unwrap()),
            );
            spool.confirm(&batch).unwrap();
        }
        out
    }

    #[test]
    fn messages_come_out_in_order_once_confirmed() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 1 << 20).unwrap();
        spool.push(b"one").unwrap();
        spool.push(b"two").unwrap();
        assert_eq!(spool.pending().unwrap(), (2, 8));
        // A batch read but not confirmed is read again.
        let batch = spool.next_batch().unwrap().unwrap();
        assert_eq!(batch.lines().count(), 2);
        assert_eq!(drain(&spool), ["one", "two"]);
        assert_eq!(spool.pending().unwrap(), (0, 0));
        spool.push(b"three").unwrap();
        // Reopened (the next hostctl process) it still holds what was not sent.
        let again = Spool::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(drain(&again), ["three"]);
    }

    #[test]
    fn a_full_spool_refuses_and_says_how_full() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 10).unwrap();
        spool.push(b"12345").unwrap();
        match spool.push(b"6789") {
            Err(PushError::Full { pending, limit }) => assert_eq!((pending, limit), (6, 10)),
            other => panic!("{other:?}"),
        }
        assert_eq!(drain(&spool), ["12345"]);
        spool.push(b"6789").unwrap();
    }
}
