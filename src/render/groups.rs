//! Hosts grouped by result, for `--gather` and `--diff`: identical results byte for byte, or
//! (`--gather=similar`) results that are identical once each host's own name, short name and
//! address read `{host}`. Nothing else is ever folded: a `{host}` a host printed itself is kept
//! apart from one that stands for its name.

use crate::cli::GatherMode;
use crate::event::{Captured, HostId, HostOutcome, Status};

/// What stands for a host's own name in folded output.
pub const PLACEHOLDER: &str = "{host}";

/// One group: its hosts (in the run's order) and the result they share.
pub struct Group {
    pub hosts: Vec<HostId>,
    /// The members' shared result; with names replaced by [`PLACEHOLDER`] when `similar`.
    pub outcome: HostOutcome,
    /// The members differ, but only in their own names or addresses.
    pub similar: bool,
}

impl Group {
    /// `web[01-03] (3)`, or the one host's name.
    pub fn label(&self) -> String {
        let names = self.names();
        match names.as_slice() {
            [one] => one.to_string(),
            _ => format!(
                "{} ({})",
                crate::inventory::range::fold(&names),
                names.len()
            ),
        }
    }

    pub fn names(&self) -> Vec<&str> {
        self.hosts.iter().map(|h| &*h.name).collect()
    }
}

/// Everything that makes two results the same, as compared.
#[derive(PartialEq)]
struct Key {
    status: String,
    exit: Option<i32>,
    reason: Option<String>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    truncated: (bool, bool),
    files: Vec<(String, String, u64, bool)>,
}

/// Groups `held`, largest first, ties in host order.
pub fn group(mut held: Vec<(HostId, HostOutcome)>, how: GatherMode) -> Vec<Group> {
    held.sort_by_key(|(host, _)| host.order);
    let mut groups: Vec<(Key, Group)> = Vec::new();
    for (host, outcome) in held {
        let masked = match how {
            GatherMode::Exact => None,
            GatherMode::Similar => Some(mask_outcome(&outcome, &own_names(&host))),
        };
        let shown = masked.as_ref().unwrap_or(&outcome);
        let key = key(shown);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => {
                if g.outcome.stdout.data != outcome.stdout.data
                    || g.outcome.stderr.data != outcome.stderr.data
                    || g.outcome.status.reason() != outcome.status.reason()
                {
                    g.similar = true;
                }
                g.hosts.push(host.clone());
            }
            None => groups.push((
                key,
                Group {
                    hosts: vec![host.clone()],
                    outcome,
                    similar: false,
                },
            )),
        }
        // A group that folded similar outputs shows them with the placeholder.
        if let (Some(masked), Some((_, g))) = (
            masked,
            groups.iter_mut().find(|(_, g)| g.hosts.contains(&host)),
        ) && g.similar
        {
            g.outcome = masked;
        }
    }
    let mut out: Vec<Group> = groups.into_iter().map(|(_, g)| g).collect();
    out.sort_by(|a, b| {
        b.hosts
            .len()
            .cmp(&a.hosts.len())
            .then(a.hosts[0].order.cmp(&b.hosts[0].order))
    });
    out
}

fn key(o: &HostOutcome) -> Key {
    Key {
        status: o.status.name().to_string(),
        exit: o.status.exit_code(),
        reason: o.status.reason(),
        stdout: o.stdout.data.clone(),
        stderr: o.stderr.data.clone(),
        truncated: (o.stdout.truncated(), o.stderr.truncated()),
        files: o
            .transfer
            .iter()
            .flat_map(|t| &t.files)
            .map(|f| (f.remote.clone(), f.sha256.clone(), f.bytes, f.changed))
            .collect(),
    }
}

/// The names a host goes by in its own output: its inventory name, the part before the first
/// dot, and its address; longest first, so `web01.example.com` goes before `web01`.
fn own_names(host: &HostId) -> Vec<String> {
    let short = host
        .name
        .split('.')
        .next()
        .unwrap_or(&host.name)
        .to_string();
    let mut names = vec![host.name.to_string(), short, host.address.to_string()];
    names.retain(|n| !n.is_empty());
    names.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    names.dedup();
    names
}

fn mask_outcome(o: &HostOutcome, names: &[String]) -> HostOutcome {
    let mut m = o.clone();
    // The shown text changes length; whether it was cut does not.
    let captured = |c: &Captured| {
        let data = mask(&c.data, names);
        Captured {
            total: match c.truncated() {
                true => c.total,
                false => data.len() as u64,
            },
            data,
            limit: c.limit,
        }
    };
    m.stdout = captured(&o.stdout);
    m.stderr = captured(&o.stderr);
    if let Status::Failed {
        reason: Some(r), ..
    } = &mut m.status
    {
        *r = String::from_utf8_lossy(&mask(r.as_bytes(), names)).into_owned();
    }
    m
}

/// `text` with each whole-word occurrence of a name replaced by [`PLACEHOLDER`], and any
/// placeholder the text held itself doubled (`{{host}}`), so that it never matches a name.
pub fn mask(text: &[u8], names: &[String]) -> Vec<u8> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    'scan: while i < text.len() {
        if text[i..].starts_with(PLACEHOLDER.as_bytes()) {
            out.extend_from_slice(b"{{host}}");
            i += PLACEHOLDER.len();
            continue;
        }
        let starts_word = i == 0 || !word(text[i - 1]);
        if starts_word {
            for name in names {
                let n = name.as_bytes();
                let end = i + n.len();
                if text[i..].starts_with(n) && (end == text.len() || !word(text[end])) {
                    out.extend_from_slice(PLACEHOLDER.as_bytes());
                    i = end;
                    continue 'scan;
                }
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> String {
        let names = ["web01.example.com", "web01", "10.0.0.1"].map(String::from);
        String::from_utf8(mask(text.as_bytes(), &names)).unwrap()
    }

    #[test]
    fn only_whole_names_are_masked() {
        assert_eq!(m("web01"), "{host}");
        assert_eq!(m("I am web01.example.com."), "I am {host}.");
        assert_eq!(
            m("web01: up; web010 and xweb01 are not me"),
            "{host}: up; web010 and xweb01 are not me"
        );
        assert_eq!(m("10.0.0.1 but not 10.0.0.12"), "{host} but not 10.0.0.12");
        assert_eq!(m("peer web02"), "peer web02");
    }

    #[test]
    fn a_placeholder_a_host_printed_itself_never_matches_a_name() {
        assert_eq!(m("{host} web01"), "{{host}} {host}");
        assert_ne!(m("{host}"), m("web01"));
    }
}
