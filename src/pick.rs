//! Which operations of the log a `hostctl log` command is about: `log list`'s options
//! (`--host`, `--since`, `--failed`, ...) applied while reading, newest first. `log`, `log show`
//! and `log report` read through here.

use crate::audit::read::{LoggedOperation, Query, newest};
use crate::cli::{LogListArgs, OpKind};
use crate::error::{Error, UsageError};
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

/// `2h`/`3d` ago, a date (UTC midnight), or an RFC 3339 time, in the log's own time format
/// (which compares correctly as text).
pub fn parse_when(text: &str, now: SystemTime) -> Result<String, BadTime> {
    let t = text.trim();
    let when = if let Ok(ago) = humantime::parse_duration(t) {
        now.checked_sub(ago).unwrap_or(SystemTime::UNIX_EPOCH)
    } else if t.len() == 10 && t.as_bytes()[4] == b'-' {
        humantime::parse_rfc3339(&format!("{t}T00:00:00Z")).map_err(|_| bad_when(t))?
    } else {
        humantime::parse_rfc3339_weak(t).map_err(|_| bad_when(t))?
    };
    Ok(humantime::format_rfc3339_millis(when).to_string())
}

/// A `--since`/`--until` time that is neither an age, a date nor an RFC 3339 time; `text` is
/// as written, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid time `{text}` (examples: `2h`, `3d`, `2026-11-24`, `2026-11-24T08:00:00Z`)")]
pub struct BadTime {
    pub text: String,
}

fn bad_when(t: &str) -> BadTime {
    BadTime { text: t.into() }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_forms() {
        let now = humantime::parse_rfc3339("2026-11-24T10:00:00Z").unwrap();
        assert_eq!(parse_when("2h", now).unwrap(), "2026-11-24T08:00:00.000Z");
        assert_eq!(parse_when("3d", now).unwrap(), "2026-11-21T10:00:00.000Z");
        assert_eq!(
            parse_when("2026-11-20", now).unwrap(),
            "2026-11-20T00:00:00.000Z"
        );
        assert_eq!(
            parse_when("2026-11-20T08:30:00Z", now).unwrap(),
            "2026-11-20T08:30:00.000Z"
        );
        assert!(
            parse_when("yesterday", now)
                .unwrap_err()
                .to_string()
                .starts_with("invalid time `yesterday`")
        );
    }

    /// The whole message `--since` and `--until` show after their flag.
    #[test]
    fn bad_times_say_exactly_this() {
        let now = SystemTime::UNIX_EPOCH;
        for (bad, shown) in [(" yesterday ", "yesterday"), ("2026-13-01", "2026-13-01")] {
            assert_eq!(
                parse_when(bad, now).unwrap_err().to_string(),
                format!(
                    "invalid time `{shown}` (examples: `2h`, `3d`, `2026-11-24`, `2026-11-24T08:00:00Z`)"
                )
            );
        }
    }
}
