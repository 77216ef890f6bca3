//! `hostctl log verify`: walks the hash chain across every daily file and reports the first
//! record that does not fit.
//!
//! What it tells apart: a crash mid-write (a half line, after which the writer started a
//! `segment` record chained to the last complete line, or a half line at the very end) and a
//! full disk (an `incomplete` record) are not tampering; an edited, deleted, inserted or
//! reordered record is. The head anchor covers the newest records, which no later record vouches
//! for: a missing anchor, or a writer that found it missing or stale (an `anchor` record), fails.
//! What the chain alone cannot catch: someone who rewrites it from some record on and the anchor
//! to match. With sealing on and the verification key given, every seal is checked too
//! (`seal.rs`), which catches that for every record sealed before the rewriter took the key.

use super::files::{HEAD, hash_line, log_files};
use super::record::{GENESIS, Line, Record};
use super::seal::{Checked, Checker, Key};
use std::path::Path;

#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    pub files: usize,
    pub records: usize,
    /// The first record that does not fit, if any.
    pub problem: Option<Problem>,
    /// Crashes recovered from and other things worth knowing that are not tampering.
    pub notes: Vec<String>,
    /// Records that carry a seal.
    pub sealed: usize,
    /// With the verification key: what the seals said.
    pub seals: Option<Checked>,
}

#[derive(Debug, serde::Serialize)]
pub struct Problem {
    pub file: String,
    /// 0: the file as a whole.
    pub line: usize,
    pub op: Option<String>,
    pub message: String,
}

/// Checks the chain, and with `key` every seal.
pub fn verify(dir: &Path, key: Option<&Key>) -> std::io::Result<Report> {
    let mut checker = key.cloned().map(Checker::new);
    // Writers wait while we read, so the anchor and the last line are read as one state.
    let lock = std::fs::File::open(dir.join(".lock")).ok();
    let _lock = lock.as_ref().map(crate::flock::Lock::shared).transpose()?;
    let files = log_files(dir)?;
    let mut report = Report {
        files: files.len(),
        ..Report::default()
    };
    // Chain starts that `log prune` vouched for.
    let mut pruned_starts: Vec<String> = Vec::new();
    // Two passes, one file in memory at a time: prune records first (they vouch for where the
    // chain may start), then the chain itself.
    for file in &files {
        let text = std::fs::read_to_string(file)?;
        for line in text.lines().filter(|l| l.contains("\"kind\":\"prune\"")) {
            if let Ok(Line {
                record: Record::Prune(p),
                ..
            }) = serde_json::from_str::<Line>(line)
            {
                pruned_starts.push(p.first_prev);
            }
        }
    }

    let mut expected: Option<String> = None;
    let mut previous_hash: Option<String> = None; // the line before the last good one
    let mut damaged: Option<(String, usize)> = None;
    'files: for file in &files {
        let name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(file)?;
        for (i, line) in text.split_inclusive('\n').enumerate() {
            let line_no = i + 1;
            let complete = line.ends_with('\n');
            let line = line.trim_end_matches('\n');
            let fail = |message: String, op: Option<String>| Problem {
                file: name.clone(),
                line: line_no,
                op,
                message,
            };
            // One light parse: serde_json still checks the whole line is valid JSON.
            let Ok(record) = serde_json::from_str::<ChainFields>(line) else {
                if let Some((f, l)) = &damaged {
                    report.problem = Some(fail(
                        format!(
                            "damaged record (not valid JSON) after the damaged record at {f}:{l}"
                        ),
                        None,
                    ));
                    break 'files;
                }
                if !complete {
                    report.notes.push(format!("{name}:{line_no}: the last record is cut short (hostctl was killed while writing it); every record before it is intact"));
                }
                damaged = Some((name.clone(), line_no));
                continue;
            };
            report.records += 1;
            let op = record.op.map(str::to_string);
            match record.kind {
                "anchor" => {
                    report.problem = Some(fail(anchor_message(line), None));
                    break 'files;
                }
                "incomplete" => report.notes.push(format!(
                    "{name}:{line_no}{}",
                    incomplete_note(line, op.as_deref())
                )),
                _ => {}
            }
            match (&expected, damaged.take()) {
                (None, _) if record.prev == GENESIS => {}
                (None, _) if pruned_starts.iter().any(|p| p == record.prev) => {
                    report.notes.push(
                        "older records were removed by `hostctl log prune` (recorded in the log)"
                            .into(),
                    );
                }
                (None, _) => {
                    report.problem = Some(fail(
                        "the log does not start at the beginning of its chain: older records were removed without `hostctl log prune`".into(),
                        op,
                    ));
                    break 'files;
                }
                (Some(exp), Some((f, l))) => {
                    if record.kind == "segment" && record.prev == exp {
                        report.notes.push(format!("{f}:{l}: a record cut short by a crash; the writer continued with a new segment"));
                    } else {
                        report.problem = Some(Problem {
                            file: f,
                            line: l,
                            op: None,
                            message: "damaged record (not valid JSON): edited after it was written"
                                .into(),
                        });
                        break 'files;
                    }
                }
                (Some(exp), None) if record.prev != exp => {
                    report.problem = Some(fail(
                        "this record does not follow the one before it: a record just before it was edited, removed or reordered".into(),
                        op,
                    ));
                    break 'files;
                }
                _ => {}
            }
            let hash = hash_line(line);
            if super::seal::position(line).is_some() {
                report.sealed += 1;
            }
            if let Some(checker) = &mut checker
                && let Err(message) = checker.record(line, &hash, record.kind)
            {
                report.problem = Some(fail(message.to_string(), op));
                break 'files;
            }
            previous_hash = expected.take();
            expected = Some(hash);
        }
    }
    let exposed = super::private::exposure(dir);
    if !exposed.is_empty() {
        report.notes.push(format!(
            "readable by other users: {}; the next hostctl operation makes what it owns private",
            exposed.join(", ")
        ));
    }
    if report.problem.is_none() {
        check_head(
            dir,
            expected.as_deref(),
            previous_hash.as_deref(),
            &mut report,
        );
    }
    if report.problem.is_none()
        && let Some(checker) = checker
    {
        match checker.finish(dir) {
            Ok(checked) => report.seals = Some(checked),
            Err((file, message)) => {
                report.problem = Some(Problem {
                    file,
                    line: 0,
                    op: None,
                    message: message.to_string(),
                })
            }
        }
    }
    Ok(report)
}

/// The newest record must be the one the head anchor names (or, after a crash between writing
/// a record and moving the anchor, the one just after it).
fn check_head(dir: &Path, last: Option<&str>, before_last: Option<&str>, report: &mut Report) {
    let Ok(head) = std::fs::read_to_string(dir.join(HEAD)) else {
        if last.is_some() {
            report.problem = Some(Problem {
                file: HEAD.into(),
                line: 0,
                op: None,
                message: "the head anchor is missing but the log holds records: it was deleted, and the newest records or daily files may have gone with it (hostctl rewrites the anchor with every record)".into(),
            });
        }
        return;
    };
    let head = head.trim();
    if Some(head) == last {
        return;
    }
    if Some(head) == before_last {
        report.notes.push(format!("{HEAD} lags one record (hostctl was killed between writing a record and moving the anchor)"));
        return;
    }
    report.problem = Some(Problem {
        file: HEAD.into(),
        line: 1,
        op: None,
        message: "the newest records were edited or removed: the last record is not the one the head anchor names".into(),
    });
}

/// A writer found the anchor missing or stale before it wrote this record.
fn anchor_message(line: &str) -> String {
    let head = match serde_json::from_str::<Line>(line) {
        Ok(Line {
            record: Record::Anchor { head, .. },
            ..
        }) => head,
        _ => None,
    };
    match head {
        None => "when this record was written the head anchor was missing: the newest records before it may have been removed along with the anchor",
        Some(_) => "when this record was written the head anchor named another record than the last one: the newest records before it were removed or edited",
    }
    .into()
}

/// `: the log could not be written (...)`, for a note.
fn incomplete_note(line: &str, op: Option<&str>) -> String {
    let Ok(Line {
        record: Record::Incomplete(inc),
        ..
    }) = serde_json::from_str::<Line>(line)
    else {
        return String::new();
    };
    let op = op.map(|o| format!(" (operation {o})")).unwrap_or_default();
    let hosts = match inc.hosts.len() {
        0 => "every host that ran was recorded".to_string(),
        1 => "recorded 1 host's status without its output".to_string(),
        n => format!("recorded {n} hosts' statuses without their output"),
    };
    format!(
        "{op}: the log could not be written ({}): hostctl stopped starting hosts and {hosts}; not a crash",
        inc.reason
    )
}

/// The fields the chain needs; the rest of the line is validated and skipped.
#[derive(serde::Deserialize)]
struct ChainFields<'a> {
    prev: &'a str,
    kind: &'a str,
    #[serde(default)]
    op: Option<&'a str>,
}
