//! Which operations of the log a `hostctl log` command is about: `log list`'s options
//! (`--host`, `--since`, `--failed`, ...) applied while reading, newest first. `log`, `log show`
//! and `log report` read through here.

use crate::audit::read::{LoggedOperation, Query, newest};
use crate::cli::{LogListArgs, OpKind};
use crate::error::{Error, UsageError};
use crate::quantity::parse_when;
use std::path::Path;
use std::time::SystemTime;

/// The operations `keep` accepts, newest first; no log directory is a usage error.
pub fn read(
    dir: &Path,
    query: &Query,
    keep: impl FnMut(&LoggedOperation) -> bool,
) -> Result<Vec<LoggedOperation>, Error> {
    if !dir.is_dir() {
        return Err(Error::Usage(UsageError::NoLogToRead {
            dir: dir.to_path_buf(),
        }));
    }
    Ok(newest(dir, query, keep)?)
}

/// The `log list` options that pick operations (`--host`, `--since`, `--failed`, ...), with
/// the times parsed.
struct Criteria<'a> {
    args: &'a LogListArgs,
    since: Option<String>,
    until: Option<String>,
}

impl Criteria<'_> {
    fn keeps(&self, op: &LoggedOperation, machine: &str) -> bool {
        let a = self.args;
        let s = &op.start;
        a.host.as_ref().is_none_or(|h| s.hosts.contains(h))
            && a.group.as_ref().is_none_or(|g| s.groups.contains(g))
            && a.op.is_none_or(|k| s.operation == op_name(k))
            && (!a.failed
                || op.counts().not_ok() > 0
                || matches!(op.state(machine), "interrupted" | "incomplete"))
            && self.since.as_ref().is_none_or(|t| op.time >= *t)
            && self.until.as_ref().is_none_or(|t| op.time < *t)
            && a.operator.as_ref().is_none_or(|o| {
                s.operator == *o || s.operator.split('@').next() == Some(o.as_str())
            })
            && a.grep
                .as_ref()
                .is_none_or(|g| op.what().contains(g.as_str()))
    }
}

fn op_name(k: OpKind) -> &'static str {
    match k {
        OpKind::Run => "run",
        OpKind::Push => "push",
        OpKind::Pull => "pull",
    }
}

pub fn this_machine() -> String {
    crate::audit::operator()
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The operations `args` selects, newest first, as `log` lists them; `full` also reads every
/// host's whole record (output, transfers), as `show` and `report` need.
pub fn pick(dir: &Path, args: &LogListArgs, full: bool) -> Result<Vec<LoggedOperation>, Error> {
    let now = SystemTime::now();
    let when = |t: &Option<String>, flag: &str| {
        t.as_deref()
            .map(|t| {
                parse_when(t, now).map_err(|reason| UsageError::BadValue {
                    flag: flag.to_string(),
                    reason: reason.into(),
                })
            })
            .transpose()
    };
    let criteria = Criteria {
        args,
        since: when(&args.since, "--since")?,
        until: when(&args.until, "--until")?,
    };
    let machine = this_machine();
    let query = Query {
        full_for: full.then_some(""),
        since_date: criteria.since.as_deref().and_then(|t| t.get(..10)),
        until_date: criteria.until.as_deref().and_then(|t| t.get(..10)),
        limit: args.limit,
    };
    read(dir, &query, |op| criteria.keeps(op, &machine))
}
