//! Host selection: `-g 'web,db,!web03'`, `-g 'prod,&web'`, globs (`web*`) and ranges (`web[01:04]`).
//!
//! Terms are comma-separated. Plain terms are united, `&term` intersects, `!term` excludes, in any
//! order (like Ansible). With no plain term the start is every host. `all` is every host.

use super::Inventory;
use super::range::{self, RangeError};
use crate::suggest::{closest, suggest};
use crate::wildcard::matches as glob;
use std::collections::BTreeSet;

/// Why a `-g` pattern selects nothing it could: each carries the term as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("empty term in pattern `{pattern}`")]
    EmptyTerm { pattern: String },
    /// A name that is neither a group nor a host; `suggestion` is the closest known one.
    #[error("unknown group or host `{name}`{}", suggest(suggestion.as_deref()))]
    Unknown {
        name: String,
        suggestion: Option<String>,
    },
    /// A range whose names are unknown but would be known with its bounds zero-padded.
    #[error("unknown group or host `{name}` in `{term}` (did you mean `{padded}`?)")]
    Unpadded {
        name: String,
        term: String,
        padded: String,
    },
    #[error("`{term}` matches no group or host")]
    NoMatch { term: String },
    #[error("`@{term}` names host `{name}`, which the inventory no longer has")]
    Gone { term: String, name: String },
    /// An `@` term where the audit log is not read (`hostctl list`, `hosts`).
    #[error("`@{term}` selects from the audit log, which is not read here")]
    NoLog { term: String },
    /// The audit log could not resolve an `@` term; the reason is its reader's words.
    #[error("{0}")]
    FromLog(String),
    #[error(transparent)]
    Range(#[from] RangeError),
}

/// Resolves an `@` term (given without its `@`) to host names: hosts picked from the audit log.
pub type AtTerms<'a> = &'a dyn Fn(&str) -> Result<Vec<String>, String>;

/// The hosts `pattern` selects, as indexes into `inv.hosts`, in inventory (natural) order.
pub fn select(inv: &Inventory, pattern: &str) -> Result<Vec<usize>, PatternError> {
    pick(inv, pattern, None)
}

/// `select`, with `@` terms (`@last:failed`) resolved by `at`.
pub fn select_with(
    inv: &Inventory,
    pattern: &str,
    at: AtTerms,
) -> Result<Vec<usize>, PatternError> {
    pick(inv, pattern, Some(at))
}

/// `select` with `@` terms resolved by `at`, or refused without it.
fn pick(inv: &Inventory, pattern: &str, at: Option<AtTerms>) -> Result<Vec<usize>, PatternError> {
    let mut union: Option<BTreeSet<usize>> = None;
    let mut intersect: Vec<BTreeSet<usize>> = Vec::new();
    let mut exclude = BTreeSet::new();
    for term in pattern.split(',') {
        let term = term.trim();
        let (op, body) = match term.as_bytes().first() {
            Some(b'!') => ('!', term[1..].trim()),
            Some(b'&') => ('&', term[1..].trim()),
            _ => ('+', term),
        };
        if body.is_empty() {
            return Err(PatternError::EmptyTerm {
                pattern: pattern.to_string(),
            });
        }
        let hosts = match body.strip_prefix('@') {
            Some(term) => from_log(inv, term, at)?,
            None => resolve_term(inv, body)?,
        };
        match op {
            '!' => exclude.extend(hosts),
            '&' => intersect.push(hosts),
            _ => union.get_or_insert_with(BTreeSet::new).extend(hosts),
        }
    }
    let mut selected = union.unwrap_or_else(|| (0..inv.hosts.len()).collect());
    for set in &intersect {
        selected.retain(|h| set.contains(h));
    }
    selected.retain(|h| !exclude.contains(h));
    Ok(selected.into_iter().collect())
}

/// The hosts an `@` term names, each of which the inventory must still have.
fn from_log(
    inv: &Inventory,
    term: &str,
    at: Option<AtTerms>,
) -> Result<BTreeSet<usize>, PatternError> {
    let at = at.ok_or_else(|| PatternError::NoLog { term: term.into() })?;
    let mut out = BTreeSet::new();
    for name in at(term).map_err(PatternError::FromLog)? {
        let i = inv
            .hosts
            .iter()
            .position(|h| h.name == name)
            .ok_or_else(|| PatternError::Gone {
                term: term.to_string(),
                name: name.clone(),
            })?;
        out.insert(i);
    }
    Ok(out)
}

fn resolve_term(inv: &Inventory, term: &str) -> Result<BTreeSet<usize>, PatternError> {
    if term == "all" {
        return Ok((0..inv.hosts.len()).collect());
    }
    if let Some(hosts) = by_name(inv, term) {
        return Ok(hosts);
    }
    if term.contains('[') {
        let names = range::expand(term)?;
        let mut out = BTreeSet::new();
        for name in &names {
            let Some(hosts) = by_name(inv, name) else {
                return Err(match repadded_range(inv, term) {
                    Some(padded) => PatternError::Unpadded {
                        name: name.clone(),
                        term: term.to_string(),
                        padded,
                    },
                    None => unknown(inv, name),
                });
            };
            out.extend(hosts);
        }
        return Ok(out);
    }
    if term.contains(['*', '?']) {
        let mut out = BTreeSet::new();
        for (group, members) in &inv.groups {
            if glob(term, group) {
                out.extend(members.iter().copied());
            }
        }
        for (i, host) in inv.hosts.iter().enumerate() {
            if glob(term, &host.name) {
                out.insert(i);
            }
        }
        if out.is_empty() {
            return Err(PatternError::NoMatch {
                term: term.to_string(),
            });
        }
        return Ok(out);
    }
    Err(unknown(inv, term))
}

fn by_name(inv: &Inventory, name: &str) -> Option<BTreeSet<usize>> {
    if let Some(members) = inv.groups.get(name) {
        return Some(members.iter().copied().collect());
    }
    inv.hosts
        .iter()
        .position(|h| h.name == name)
        .map(|i| BTreeSet::from([i]))
}

fn unknown(inv: &Inventory, name: &str) -> PatternError {
    let known = inv
        .groups
        .keys()
        .map(String::as_str)
        .chain(inv.host_names());
    PatternError::Unknown {
        name: name.to_string(),
        suggestion: closest(name, known).map(String::from),
    }
}

/// `web[1:4]` written for hosts named `web01`..`web04`: the same range with its bounds
/// zero-padded to the width that names only known hosts, if there is one.
fn repadded_range(inv: &Inventory, term: &str) -> Option<String> {
    (2..=6).find_map(|width| {
        let mut fixed = String::new();
        let mut digits = String::new();
        let mut inside = false;
        for c in term.chars().chain(std::iter::once('\0')) {
            if inside && c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            if !digits.is_empty() {
                fixed.push_str(&format!("{digits:0>width$}"));
                digits.clear();
            }
            match c {
                '[' => inside = true,
                ']' => inside = false,
                _ => {}
            }
            if c != '\0' {
                fixed.push(c);
            }
        }
        let names = range::expand(&fixed).ok()?;
        (fixed != term && names.iter().all(|n| by_name(inv, n).is_some())).then_some(fixed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn inv() -> Inventory {
        Inventory::parse(
            Path::new("hosts.toml"),
            r#"
            [hosts.db1]
            address = "10.0.1.5"
            [groups.web]
            hosts = ["web[01:04]"]
            [groups.db]
            hosts = ["db1", "db2"]
            [groups.prod]
            children = ["web", "db"]
            [groups.canary]
            hosts = ["web01", "db2"]
            "#,
        )
        .unwrap()
    }

    fn names(pattern: &str) -> Vec<String> {
        let inv = inv();
        select(&inv, pattern)
            .unwrap()
            .into_iter()
            .map(|i| inv.hosts[i].name.clone())
            .collect()
    }

    fn error(pattern: &str) -> String {
        select(&inv(), pattern).unwrap_err().to_string()
    }

    #[test]
    fn group_and_host_names() {
        assert_eq!(names("db"), ["db1", "db2"]);
        assert_eq!(names("web02"), ["web02"]);
        assert_eq!(names("prod").len(), 6);
        assert_eq!(names("all").len(), 6);
    }

    #[test]
    fn union_exclusion_intersection() {
        assert_eq!(
            names("web,db,!web03"),
            ["db1", "db2", "web01", "web02", "web04"]
        );
        assert_eq!(names("prod,&canary"), ["db2", "web01"]);
        assert_eq!(names("!web"), ["db1", "db2"]);
        assert_eq!(names("&canary, !db"), ["web01"]);
        assert_eq!(names(" web01 , web02 "), ["web01", "web02"]);
    }

    #[test]
    fn globs_match_groups_and_hosts() {
        assert_eq!(names("web0[2:3]"), ["web02", "web03"]);
        assert_eq!(names("*1"), ["db1", "web01"]);
        assert_eq!(names("d?"), ["db1", "db2"]);
    }

    #[test]
    fn unknown_names_suggest_the_close_one() {
        assert_eq!(
            error("webb"),
            "unknown group or host `webb` (did you mean `web`?)"
        );
        assert_eq!(
            error("prdo,!web"),
            "unknown group or host `prdo` (did you mean `prod`?)"
        );
        assert_eq!(error("mail"), "unknown group or host `mail`");
        // Zero-padding is the likeliest slip of all: it wins over every other close name.
        assert_eq!(
            error("web3"),
            "unknown group or host `web3` (did you mean `web03`?)"
        );
        assert_eq!(
            error("web[1:4]"),
            "unknown group or host `web1` in `web[1:4]` (did you mean `web[01:04]`?)"
        );
        // No padding makes web[1:9] name only known hosts: the first unknown name is the hint.
        assert_eq!(
            error("web[1:9]"),
            "unknown group or host `web1` (did you mean `web01`?)"
        );
        assert_eq!(error("x*"), "`x*` matches no group or host");
        assert_eq!(error("web,,db"), "empty term in pattern `web,,db`");
        assert_eq!(
            error("web[05:06]"),
            "unknown group or host `web05` (did you mean `web01`?)"
        );
    }
}
