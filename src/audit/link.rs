//! What goes over a link to a destination: each record's envelope (the structured data beside
//! its line, spooled with it), and the `Link` each destination's protocol implements
//! (`syslog.rs`, `journald.rs`); `forward.rs` drives them.

use super::record::{Line, Record};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

/// How long a delivery may take before it counts as failed.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// What a queued message says besides the record's line (spooled before it, after a tab): the
/// structured data each destination's protocol carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    /// SHA-256 of the record's line (what the next record's `prev` holds): receivers drop
    /// duplicates by it.
    pub hash: String,
    pub time: String,
    pub kind: String,
    /// syslog severity: 6 informational, 5 notice (a host that did not succeed).
    pub severity: u8,
    pub hostname: String,
    pub procid: u32,
    /// The structured data besides the hash, in order.
    pub fields: Vec<(String, String)>,
}

/// What records of one operation share, learned from its start record.
#[derive(Debug, Clone)]
pub struct OpContext {
    pub operator: String,
    pub operation: String,
    pub pattern: String,
}

impl Envelope {
    pub fn new(line: &Line, hash: &str, ops: &HashMap<String, OpContext>, host: &str) -> Envelope {
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut add = |k: &str, v: &str| fields.push((k.to_string(), v.to_string()));
        let mut severity = 6;
        let (kind, op) = match &line.record {
            Record::Start(s) => ("start", Some(s.op.as_str())),
            Record::Host(h) => ("host", Some(h.op.as_str())),
            Record::End(e) => ("end", Some(e.op.as_str())),
            Record::Segment { .. } => ("segment", None),
            Record::Prune(_) => ("prune", None),
            Record::Anchor { .. } => ("anchor", None),
            Record::Incomplete(i) => ("incomplete", Some(i.op.as_str())),
            Record::SealInit(_) => ("seal_init", None),
        };
        if let Some(op) = op {
            add("op", op);
            if let Some(cx) = ops.get(op) {
                add("operator", &cx.operator);
                add("operation", &cx.operation);
                add("pattern", &cx.pattern);
            }
        }
        match &line.record {
            Record::Start(_) => add("status", "started"),
            Record::Host(h) => {
                add("host", &h.host);
                add("status", &h.status);
                if !matches!(h.status.as_str(), "ok" | "changed" | "unchanged") {
                    severity = 5;
                }
            }
            Record::End(e) => {
                add("status", if e.interrupted { "interrupted" } else { "done" });
                add("exit", &e.exit_code.to_string());
                if e.exit_code != 0 {
                    severity = 5;
                }
            }
            Record::Prune(p) => add("operator", &p.operator),
            Record::SealInit(i) => add("operator", &i.operator),
            Record::Segment { .. } | Record::Anchor { .. } | Record::Incomplete(_) => severity = 5,
        }
        Envelope {
            hash: hash.to_string(),
            time: line.time.clone(),
            kind: kind.to_string(),
            severity,
            hostname: host.to_string(),
            procid: std::process::id(),
            fields,
        }
    }

    /// One spool line: the entry as JSON, a tab, the record's line.
    pub fn to_spool(&self, text: &str) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).expect("entries serialize");
        out.push(b'\t');
        out.extend_from_slice(text.as_bytes());
        out
    }

    /// Reads one spool line back: the entry and the record's line.
    pub fn from_spool(line: &[u8]) -> Option<(Envelope, &str)> {
        let tab = line.iter().position(|&b| b == b'\t')?;
        let entry = serde_json::from_slice(&line[..tab]).ok()?;
        let text = std::str::from_utf8(&line[tab + 1..]).ok()?;
        Some((entry, text))
    }
}

/// Delivers one batch of spooled lines to a destination, confirmed, or fails.
pub trait Link: Send {
    fn deliver(&mut self, lines: &[&[u8]]) -> std::io::Result<()>;
}
