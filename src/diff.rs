//! How captured outputs differ: unified diffs, and `hostctl log diff OP1 OP2`, which tells per
//! host what changed between two runs (yesterday's `sha256sum /etc/*.conf` against today's).

use crate::audit::read::{LoggedOperation, Query, newest};
use crate::audit::record::HostResult;
use crate::cli::LogDiffArgs;
use crate::error::{Error, UsageError};
use crate::inventory::range::natural_cmp;
use crate::status::Exit;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

/// A unified diff of two texts (3 lines of context), empty when they are the same.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::udiff::unified_diff(
        similar::Algorithm::Myers,
        old,
        new,
        3,
        Some((old_name, new_name)),
    )
}

/// Exit 0 when every host's result is the same in both operations, 1 when any differs (as
/// diff(1) does), 2 for a usage error.
pub fn log_diff(dir: &Path, args: &LogDiffArgs) -> Result<u8, Error> {
    let a = one(dir, &args.first)?;
    let b = one(dir, &args.second)?;
    let mut names: Vec<&str> = a
        .hosts
        .iter()
        .chain(&b.hosts)
        .map(|h| h.host.as_str())
        .filter(|h| args.host.as_deref().is_none_or(|only| only == *h))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    names.sort_by(|x, y| natural_cmp(x, y));
    let (ida, idb) = (a.id(), b.id());
    let mut text = String::new();
    let mut json = Vec::new();
    if a.what() != b.what() {
        text.push_str(&format!(
            "note: the operations differ: {ida} {} / {idb} {}\n",
            a.what(),
            b.what()
        ));
    }
    let (mut same, mut changed, mut only_a, mut only_b) = (0, 0, 0, 0);
    for name in names {
        let find = |op: &LoggedOperation| op.hosts.iter().rev().find(|h| h.host == name).cloned();
        match (find(&a), find(&b)) {
            (Some(x), Some(y)) => {
                let result = |h: &HostResult| {
                    let exit = h
                        .exit_code
                        .map(|c| format!(", exit {c}"))
                        .unwrap_or_default();
                    format!("{}{exit}", h.status)
                };
                let (rx, ry) = (result(&x), result(&y));
                let out = unified(
                    &x.stdout.text,
                    &y.stdout.text,
                    &format!("{name} stdout ({ida})"),
                    &format!("{name} stdout ({idb})"),
                );
                let err = unified(
                    &x.stderr.text,
                    &y.stderr.text,
                    &format!("{name} stderr ({ida})"),
                    &format!("{name} stderr ({idb})"),
                );
                let differs = rx != ry || !out.is_empty() || !err.is_empty();
                if differs {
                    changed += 1;
                    let status = if rx == ry {
                        rx.clone()
                    } else {
                        format!("{rx} -> {ry}")
                    };
                    text.push_str(&format!("=== {name}: changed ({status})\n{out}{err}"));
                    if x.stdout.truncated || y.stdout.truncated {
                        text.push_str("(the log kept only the first 64 KiB of output: the diff covers that part)\n");
                    }
                } else {
                    same += 1;
                }
                json.push(serde_json::json!({
                    "type": "host", "host": name, "changed": differs,
                    "first": {"status": x.status, "exit_code": x.exit_code},
                    "second": {"status": y.status, "exit_code": y.exit_code},
                    "stdout_diff": out, "stderr_diff": err,
                }));
            }
            (Some(_), None) => {
                only_a += 1;
                text.push_str(&format!("=== {name}: only in {ida}\n"));
                json.push(serde_json::json!({"type": "host", "host": name, "only_in": ida}));
            }
            (None, Some(_)) => {
                only_b += 1;
                text.push_str(&format!("=== {name}: only in {idb}\n"));
                json.push(serde_json::json!({"type": "host", "host": name, "only_in": idb}));
            }
            (None, None) => unreachable!("every name comes from one of the two"),
        }
    }
    let total = same + changed + only_a + only_b;
    let mut out = std::io::stdout().lock();
    if args.json {
        json.push(serde_json::json!({
            "type": "summary", "first": ida, "second": idb, "hosts": total,
            "same": same, "changed": changed, "only_first": only_a, "only_second": only_b,
        }));
        let lines: Vec<String> = json.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(out, "{}", lines.join("\n"));
    } else {
        text.push_str(&format!(
            "{total} host{}: {same} same, {changed} changed, {only_a} only in {ida}, {only_b} only in {idb}\n",
            if total == 1 { "" } else { "s" }
        ));
        let _ = out.write_all(text.as_bytes());
    }
    Ok(if changed + only_a + only_b > 0 {
        Exit::Differs
    } else {
        Exit::Same
    }
    .code())
}

/// The one operation a unique id prefix names, with its hosts' full records.
fn one(dir: &Path, prefix: &str) -> Result<LoggedOperation, Error> {
    if !dir.is_dir() {
        return Err(Error::Usage(UsageError::NoLogToRead {
            dir: dir.to_path_buf(),
        }));
    }
    let query = Query {
        full_for: Some(prefix),
        limit: 2,
        ..Query::default()
    };
    let mut found = newest(dir, &query, |op| op.id().starts_with(prefix))?;
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::Usage(UsageError::NoOperation {
            id: prefix.to_string(),
        })),
        _ => Err(Error::Usage(UsageError::AmbiguousId {
            id: prefix.to_string(),
            matches: found.iter().map(|o| o.id().to_string()).collect(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unified_diff_shows_only_what_changed() {
        assert_eq!(unified("a\nb\n", "a\nb\n", "x", "y"), "");
        assert_eq!(
            unified("a\nb\nc\n", "a\nB\nc\n", "old", "new"),
            "--- old\n+++ new\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
    }
}
