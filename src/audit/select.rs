//! `@last`, `@last:failed`, `@mylast:timeout`, `@1a2b:unreachable`: hosts picked by how an
//! earlier operation went, read from the audit log when the plan is made, before anything
//! connects. "The last operation" is the newest one in this log directory, by anyone; `@mylast`
//! is the newest one started by this operator (`user@machine`).

use super::read::{LoggedOperation, Query, newest};
pub use super::record::Selected;
use std::cell::RefCell;
use std::path::Path;

/// The statuses a `:STATUS` suffix may name, and what each selects.
const STATUS_WORDS: &[(&str, &[&str])] = &[
    ("ok", &["ok", "changed", "unchanged"]),
    ("changed", &["changed"]),
    ("unchanged", &["unchanged"]),
    ("failed", &["failed", "timeout", "unreachable", "aborted"]),
    ("timeout", &["timeout"]),
    ("unreachable", &["unreachable"]),
    ("aborted", &["aborted"]),
    ("skipped", &["skipped"]),
    // Selected, but no result was ever recorded (the run was killed before it got there).
    ("unrecorded", &["unrecorded"]),
];

/// Resolves `@` terms against one log directory and remembers what it resolved.
pub struct FromLog<'a> {
    dir: &'a Path,
    operator: String,
    used: RefCell<Vec<Selected>>,
}

impl<'a> FromLog<'a> {
    pub fn new(dir: &'a Path) -> FromLog<'a> {
        FromLog {
            dir,
            operator: super::stamp::operator(),
            used: RefCell::default(),
        }
    }

    /// What each `@` term of the pattern selected, in the order they were resolved.
    pub fn used(&self) -> Vec<Selected> {
        self.used.borrow().clone()
    }

    /// The host names `term` (without its `@`) stands for; never empty.
    pub fn resolve(&self, term: &str) -> Result<Vec<String>, String> {
        let (which, status) = match term.split_once(':') {
            Some((w, s)) => (w, Some(s)),
            None => (term, None),
        };
        let wanted: Option<&[&str]> = match status {
            None => None,
            Some(s) => Some(
                STATUS_WORDS
                    .iter()
                    .find(|(word, _)| *word == s)
                    .map(|(_, statuses)| *statuses)
                    .ok_or_else(|| {
                        format!(
                            "unknown status `{s}` in `@{term}`{} (one of: {})",
                            crate::suggest::did_you_mean(s, STATUS_WORDS.iter().map(|(w, _)| *w)),
                            STATUS_WORDS
                                .iter()
                                .map(|(w, _)| *w)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })?,
            ),
        };
        let op = self.operation(which, term)?;
        // A run still in flight has no results yet: every host would read `unrecorded`, and
        // re-running them now would run beside it.
        let machine = self.operator.rsplit('@').next().unwrap_or_default();
        if status.is_some() && op.state(machine) == "running" {
            return Err(format!(
                "`@{term}`: operation {} ({}) is still running, so it has no results to select by yet; wait for it to end, or name an earlier operation by its id (see `hostctl log`)",
                op.id(),
                op.what()
            ));
        }
        let hosts: Vec<String> = op
            .start
            .hosts
            .iter()
            .filter(|h| wanted.is_none_or(|w| w.contains(&status_of(&op, h))))
            .cloned()
            .collect();
        if hosts.is_empty() {
            return Err(format!(
                "`@{term}` selects no hosts: operation {} ({}) had {}",
                op.id(),
                op.what(),
                tally(&op)
            ));
        }
        self.used.borrow_mut().push(Selected {
            term: format!("@{term}"),
            op: op.id().to_string(),
            hosts: hosts.clone(),
        });
        Ok(hosts)
    }

    fn operation(&self, which: &str, term: &str) -> Result<LoggedOperation, String> {
        let no_log = || {
            format!(
                "`@{term}` needs the audit log, and there is none at `{}` (set --log-dir or HOSTCTL_LOG_DIR)",
                self.dir.display()
            )
        };
        if !self.dir.is_dir() {
            return Err(no_log());
        }
        let read = |limit: usize, keep: &dyn Fn(&LoggedOperation) -> bool| {
            let query = Query {
                limit,
                ..Query::default()
            };
            newest(self.dir, &query, keep).map_err(|e| {
                format!(
                    "`@{term}`: cannot read the audit log `{}`: {e}",
                    self.dir.display()
                )
            })
        };
        let mut found = match which {
            "last" => read(1, &|_| true)?,
            "mylast" => read(1, &|op| op.start.operator == self.operator)?,
            prefix if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_hexdigit()) => {
                read(2, &|op| op.id().starts_with(prefix))?
            }
            _ => {
                return Err(format!(
                    "`@{term}`: say `@last`, `@mylast` or `@` and an operation id (see `hostctl log`), then `:STATUS` if you like"
                ));
            }
        };
        match found.len() {
            0 if which == "mylast" => Err(format!(
                "`@{term}`: the log at `{}` has no operation by {}",
                self.dir.display(),
                self.operator
            )),
            0 if which == "last" => Err(format!(
                "`@{term}`: the log at `{}` has no operation yet",
                self.dir.display()
            )),
            0 => Err(format!(
                "`@{term}`: no operation `{which}` in the log at `{}` (see `hostctl log`)",
                self.dir.display()
            )),
            1 => Ok(found.remove(0)),
            _ => Err(format!(
                "`@{term}`: `{which}` matches more than one operation ({}, ...); give more of the id",
                found.iter().map(|o| o.id()).collect::<Vec<_>>().join(", ")
            )),
        }
    }
}

/// A host's recorded status in `op`, or `unrecorded` when it has none.
fn status_of<'o>(op: &'o LoggedOperation, host: &str) -> &'o str {
    op.statuses
        .iter()
        .rev()
        .find(|(h, _)| h == host)
        .map_or("unrecorded", |(_, s)| s.as_str())
}

/// `2 ok, 1 timeout`: how the operation's hosts went, by recorded status.
fn tally(op: &LoggedOperation) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for host in &op.start.hosts {
        let status = status_of(op, host);
        match counts.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += 1,
            None => counts.push((status, 1)),
        }
    }
    counts
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}
