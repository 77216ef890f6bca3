//! Reading the log back: records grouped into operations, across all daily files, read-only.
//!
//! Listing needs only start and end records plus each host's status, so host records are
//! parsed into a light struct that skips their captured output; `show` parses one operation's
//! records in full.

use super::files::{file_date, log_files};
use super::record::{End, HostResult, Incomplete, Line, Record, Start};
use crate::status::{Counts, HostStatus};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// One operation as the log tells it (`plan::Operation` is what to do; this is what was done).
#[derive(Debug, Clone)]
pub struct LoggedOperation {
    pub start: Start,
    pub time: String,
    /// Host statuses in the order they finished (`host`, `status`).
    pub statuses: Vec<(String, String)>,
    /// Full host records: filled only by `operation`.
    pub hosts: Vec<HostResult>,
    pub end: Option<(String, End)>,
    /// The log could not take every record (a full disk): what it kept in short.
    pub incomplete: Option<Incomplete>,
}

impl LoggedOperation {
    pub fn id(&self) -> &str {
        &self.start.op
    }

    /// Hosts per status, counted from the host records by their status names (so logs written
    /// before `timeout` and `aborted` were counted apart in the end record still read right);
    /// from the end record only when no host record is left.
    pub fn counts(&self) -> Counts {
        if self.statuses.is_empty()
            && let Some((_, end)) = &self.end
        {
            return end.counts;
        }
        let mut counts = Counts::default();
        for (_, status) in &self.statuses {
            // A name this version does not know is not a success.
            counts.add(HostStatus::from_name(status).unwrap_or(HostStatus::Failed));
        }
        // Hosts never started after the log could not be written have no record of their own:
        // only the end record counts them.
        if let Some((_, end)) = &self.end {
            counts.skipped = counts.skipped.max(end.counts.skipped);
        }
        counts
    }

    /// What a reader should call this operation's state.
    pub fn state(&self, this_machine: &str) -> &'static str {
        if self.incomplete.is_some() {
            return "incomplete";
        }
        match &self.end {
            Some((_, end)) if end.interrupted => "interrupted",
            Some(_) => "done",
            None if self.is_running(this_machine) => "running",
            None => "interrupted",
        }
    }

    /// `3 ok, 1 failed, 1 unreachable` or `interrupted: 2 ok, 1 aborted, 3 skipped`: each
    /// status that is not zero, the same words as the run's own summary.
    pub fn describe(&self, this_machine: &str) -> String {
        let counts = self.counts().describe();
        match self.state(this_machine) {
            "done" => counts,
            state => format!("{state}: {counts}"),
        }
    }

    /// No end record, but its process is still alive on this machine.
    fn is_running(&self, this_machine: &str) -> bool {
        let machine = self.start.operator.rsplit('@').next().unwrap_or_default();
        self.start.pid != 0
            && machine == this_machine
            && std::fs::read_to_string(format!("/proc/{}/cmdline", self.start.pid))
                .is_ok_and(|c| c.contains("hostctl"))
    }

    /// The command, or the paths a transfer moved.
    pub fn what(&self) -> String {
        match &self.start.command {
            Some(c) => c.clone(),
            None => format!(
                "{} -> {}",
                self.start.sources.join(" "),
                self.start.destination.clone().unwrap_or_default()
            ),
        }
    }
}

#[derive(Deserialize)]
struct HostLite<'a> {
    op: &'a str,
    host: &'a str,
    status: &'a str,
}

/// What to read.
#[derive(Default)]
pub struct Query<'a> {
    /// Parse in full the host records of operations whose id starts with this.
    pub full_for: Option<&'a str>,
    /// `YYYY-MM-DD` bounds on start dates: daily files outside them are not read (a file holds
    /// the operations that started on its date, UTC).
    pub since_date: Option<&'a str>,
    pub until_date: Option<&'a str>,
    /// Stop after this many kept operations.
    pub limit: usize,
}

/// `"kind":"x"` sits right after the fixed-width `prev` and `time` at the start of every line.
fn kind_of(line: &str) -> Option<&str> {
    let head = line.get(..line.len().min(256))?;
    let at = head.find("\"kind\":\"")? + 8;
    let rest = &line[at..];
    Some(&rest[..rest.find('"')?])
}

/// Operations newest first, reading files newest first and stopping once `limit` operations
/// pass `keep`: the usual `hostctl log` reads only the last day's file.
pub fn newest(
    dir: &Path,
    q: &Query,
    mut keep: impl FnMut(&LoggedOperation) -> bool,
) -> std::io::Result<Vec<LoggedOperation>> {
    let mut out = Vec::new();
    // Host and end records whose start lies in an older file (operations across midnight).
    let mut statuses: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut fulls: HashMap<String, Vec<HostResult>> = HashMap::new();
    let mut ends: HashMap<String, (String, End)> = HashMap::new();
    let mut incompletes: HashMap<String, Incomplete> = HashMap::new();
    for file in log_files(dir)?.iter().rev() {
        let date = file_date(file).unwrap_or_default();
        if q.until_date.is_some_and(|u| date > u) {
            continue;
        }
        if q.since_date.is_some_and(|s| date < s) {
            break;
        }
        let text = std::fs::read_to_string(file)?;
        let mut starts: Vec<(String, Start)> = Vec::new();
        let mut file_statuses: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut file_fulls: HashMap<String, Vec<HostResult>> = HashMap::new();
        for line in text.lines() {
            // A damaged or half-written line is `log verify`'s business, not the listing's.
            match kind_of(line) {
                Some("start") => {
                    if let Ok(Line {
                        time,
                        record: Record::Start(start),
                        ..
                    }) = serde_json::from_str::<Line>(line)
                    {
                        starts.push((time, start));
                    }
                }
                Some("host") => {
                    let Ok(lite) = serde_json::from_str::<HostLite>(line) else {
                        continue;
                    };
                    if q.full_for.is_some_and(|p| lite.op.starts_with(p))
                        && let Ok(Line {
                            record: Record::Host(full),
                            ..
                        }) = serde_json::from_str::<Line>(line)
                    {
                        file_fulls
                            .entry(lite.op.to_string())
                            .or_default()
                            .push(full);
                    }
                    file_statuses
                        .entry(lite.op.to_string())
                        .or_default()
                        .push((lite.host.to_string(), lite.status.to_string()));
                }
                Some("end") => {
                    if let Ok(Line {
                        time,
                        record: Record::End(end),
                        ..
                    }) = serde_json::from_str::<Line>(line)
                    {
                        ends.insert(end.op.clone(), (time, end));
                    }
                }
                Some("incomplete") => {
                    if let Ok(Line {
                        record: Record::Incomplete(inc),
                        ..
                    }) = serde_json::from_str::<Line>(line)
                    {
                        // Its hosts finished after every recorded one.
                        let list = file_statuses.entry(inc.op.clone()).or_default();
                        list.extend(inc.hosts.iter().map(|b| (b.host.clone(), b.status.clone())));
                        incompletes.insert(inc.op.clone(), inc);
                    }
                }
                _ => {}
            }
        }
        // This file's host records come before those already seen in newer files.
        for (op, mut list) in file_statuses {
            list.extend(statuses.remove(&op).unwrap_or_default());
            statuses.insert(op, list);
        }
        for (op, mut list) in file_fulls {
            list.extend(fulls.remove(&op).unwrap_or_default());
            fulls.insert(op, list);
        }
        for (time, start) in starts.into_iter().rev() {
            let id = start.op.clone();
            let op = LoggedOperation {
                time,
                statuses: statuses.remove(&id).unwrap_or_default(),
                hosts: fulls.remove(&id).unwrap_or_default(),
                end: ends.remove(&id),
                incomplete: incompletes.remove(&id),
                start,
            };
            if keep(&op) {
                out.push(op);
                if out.len() >= q.limit {
                    return Ok(out);
                }
            }
        }
    }
    Ok(out)
}
