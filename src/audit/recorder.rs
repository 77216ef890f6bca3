//! One operation's records, as the events arrive: the start record, one record per host as it
//! finishes, and the closing records.
//!
//! The start sets aside room for the closing records. When a record cannot be written (a full
//! disk), the recorder writes nothing more and tells the caller to stop starting hosts; the
//! close then frees the reserved room and records which hosts' results were lost, with their
//! statuses, before the end record. So a full disk reads as what it was, not as a kill.

use super::record::{Brief, End, HostResult, Incomplete, Record, Start};
use super::reserve;
use super::writer::{AuditError, AuditLog};
use crate::event::{HostEvent, HostEventKind, Stream};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub struct Recorder<'a> {
    log: &'a mut AuditLog,
    op: String,
    /// Set once a record could not be written; nothing more is written until the close.
    failure: Option<std::io::Error>,
    lost: Vec<Brief>,
    not_started: usize,
    /// `--no-log-output`: each running host's stdout and stderr, hashed as they arrive.
    digests: Option<HashMap<usize, [Sha256; 2]>>,
}

impl<'a> Recorder<'a> {
    /// Sets aside room for the closing records, then writes the start record. When either
    /// fails, no host may be contacted. `running`: how many hosts can be in flight at once.
    pub fn start(
        log: &'a mut AuditLog,
        start: Start,
        running: usize,
        withhold_output: bool,
    ) -> Result<Recorder<'a>, AuditError> {
        let longest = start.hosts.iter().map(String::len).max().unwrap_or(0);
        let op = start.op.clone();
        log.reserve(&op, reserve::room(running, longest))?;
        log.append(Record::Start(start))?;
        Ok(Recorder {
            log,
            op,
            failure: None,
            lost: Vec::new(),
            not_started: 0,
            digests: withhold_output.then(HashMap::new),
        })
    }

    /// A record could not be written: the run's exit status is the audit log's.
    pub fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// With `--audit-required`: whether everything written so far reached every destination.
    pub fn forwarded(&self) -> Result<(), super::forward::ForwardError> {
        super::forward::confirmed(self.log.forwarder())
    }

    /// Whether the output must reach `event` as it arrives (to be hashed).
    pub fn wants_output(&self) -> bool {
        self.digests.is_some()
    }

    /// Takes one host event. False once the log has failed: start no more hosts.
    pub fn event(&mut self, event: &HostEvent) -> bool {
        match &event.kind {
            HostEventKind::Output { stream, data } => {
                if let Some(digests) = &mut self.digests {
                    let i = usize::from(*stream == Stream::Stderr);
                    digests.entry(event.host.order).or_default()[i].update(data);
                }
            }
            HostEventKind::Finished(outcome) => {
                let (host, address) = (&event.host.name, &event.host.address);
                let mut record = HostResult::new(&self.op, host, address, outcome);
                record.finished_ms = Some(event.elapsed.as_millis() as u64);
                if let Some(digests) = &mut self.digests {
                    let [stdout, stderr] = digests.remove(&event.host.order).unwrap_or_default();
                    record.withhold_output([hex(stdout), hex(stderr)]);
                }
                self.host(record);
            }
            _ => {}
        }
        self.failure.is_none()
    }

    fn host(&mut self, record: HostResult) {
        if self.failure.is_some() {
            match record.status.as_str() {
                "skipped" => self.not_started += 1,
                _ => self.lost.push(record.brief()),
            }
            return;
        }
        let brief = record.brief();
        if let Err(e) = self.log.append(Record::Host(record)) {
            self.lost.push(brief);
            self.failure = Some(into_io(e));
        }
    }

    /// Writes the closing records in the room set aside at the start. After a failure they
    /// say which hosts' results were lost, the end record carries exit status 3, and the
    /// error says it all for stderr.
    pub fn finish(self, mut end: End) -> Result<(), AuditError> {
        let Some(source) = self.failure else {
            return self.log.close(vec![Record::End(end)]);
        };
        end.exit_code = 3;
        let incomplete = Incomplete {
            op: self.op,
            reason: source.to_string(),
            hosts: self.lost.clone(),
        };
        let closed = self
            .log
            .close(vec![Record::Incomplete(incomplete), Record::End(end)])
            .is_ok();
        Err(AuditError::Incomplete {
            path: self.log.dir().to_path_buf(),
            source,
            lost: self.lost.into_iter().map(|b| b.host).collect(),
            not_started: self.not_started,
            closed,
        })
    }
}

fn into_io(e: AuditError) -> std::io::Error {
    match e {
        AuditError::Write { source, .. } | AuditError::Open { source, .. } => source,
        other => std::io::Error::other(other.to_string()),
    }
}

fn hex(hasher: Sha256) -> String {
    crate::digest::hex(&hasher.finalize())
}
