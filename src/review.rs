//! `hostctl log`: who ran what, on which hosts, when, and what happened, without grep or jq.
//! Reading never changes the log; only `prune` writes, through the audit writer.

use crate::audit::read::{LoggedOperation, Query};
use crate::audit::record::HostResult;
use crate::audit::{AuditLog, verify};
use crate::cli::{
    LogArgs, LogCommand, LogForwardArgs, LogListArgs, LogPruneArgs, LogShowArgs, LogVerifyArgs,
    SealCommand, SealInitArgs,
};
use crate::error::{Error, UsageError};
use crate::pick::{pick, read, this_machine};
use crate::show::{bytes, seconds, visible};
use crate::status::{Exit, HostStatus};
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

pub fn log(dir: &Path, args: &LogArgs) -> Result<u8, Error> {
    match &args.command {
        None => list(dir, &args.list),
        Some(LogCommand::List(list_args)) => list(dir, list_args),
        Some(LogCommand::Show(show_args)) => show(dir, show_args),
        Some(LogCommand::Verify(v)) => verify_cmd(dir, v),
        Some(LogCommand::Seal(SealCommand::Init(s))) => seal_init(dir, s),
        Some(LogCommand::Forward(f)) => forward_cmd(dir, f),
        Some(LogCommand::Prune(p)) => prune(dir, p),
        Some(LogCommand::Report(r)) => crate::report::write(dir, r),
        Some(LogCommand::Diff(d)) => crate::diff::log_diff(dir, d),
    }
}

fn out(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn list(dir: &Path, args: &LogListArgs) -> Result<u8, Error> {
    let machine = this_machine();
    // One more than asked for says whether -n cut the list, without reading the whole log.
    let mut picked = pick(
        dir,
        &LogListArgs {
            limit: args.limit.saturating_add(1),
            ..args.clone()
        },
        false,
    )?;
    let more = picked.len() > args.limit;
    picked.truncate(args.limit);
    if args.json {
        let mut text = String::new();
        for op in &picked {
            text.push_str(&serde_json::to_string(&summary_json(op, &machine)).expect("json"));
            text.push('\n');
        }
        out(&text);
        return Ok(0);
    }
    let rows: Vec<[String; 7]> = picked
        .iter()
        .map(|op| {
            [
                op.id().to_string(),
                op.time.get(..19).unwrap_or(&op.time).replace('T', " "),
                clip(&op.start.operator, 24),
                op.start.operation.clone(),
                clip(&op.start.pattern, 24),
                op.describe(&machine),
                clip(&op.what(), 60),
            ]
        })
        .collect();
    let header = [
        "ID",
        "TIME (UTC)",
        "OPERATOR",
        "OP",
        "PATTERN",
        "RESULT",
        "WHAT",
    ];
    // Each column as wide as its widest cell, so a long result never pushes the rest over.
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[&str]| {
        let mut l = String::new();
        for (c, cell) in cells.iter().enumerate() {
            if c + 1 == cells.len() {
                l.push_str(cell);
            } else {
                l.push_str(cell);
                l.push_str(&" ".repeat(widths[c] - cell.chars().count() + 2));
            }
        }
        l.push('\n');
        l
    };
    let mut text = line(&header);
    for row in &rows {
        text.push_str(&line(&row.iter().map(String::as_str).collect::<Vec<_>>()));
    }
    let n = picked.len();
    text.push_str(&match more {
        true => format!(
            "the newest {n} operation{} (more in the log: -n {} shows more)\n",
            if n == 1 { "" } else { "s" },
            (n * 2).max(20)
        ),
        false => format!("{n} operation{}\n", if n == 1 { "" } else { "s" }),
    });
    out(&text);
    Ok(0)
}

/// One line of at most `n` characters, with every control character shown escaped: what an
/// operator typed (a command with `\r` or an escape sequence in it) cannot hide itself or
/// repaint the listing.
fn clip(s: &str, n: usize) -> String {
    let one_line = crate::show::visible(&s.replace('\n', " ")).into_owned();
    if one_line.chars().count() <= n {
        one_line
    } else {
        format!("{}…", one_line.chars().take(n - 1).collect::<String>())
    }
}

fn summary_json(op: &LoggedOperation, machine: &str) -> serde_json::Value {
    let mut value = json!({
        "op": op.id(),
        "time": op.time,
        "operator": op.start.operator,
        "operation": op.start.operation,
        "pattern": op.start.pattern,
        "hosts": op.start.hosts,
        "command": op.start.command,
        "sources": op.start.sources,
        "destination": op.start.destination,
        "state": op.state(machine),
        "exit_code": op.end.as_ref().map(|(_, e)| e.exit_code),
        "duration_ms": op.end.as_ref().map(|(_, e)| e.duration_ms),
    });
    // One count per status, under the status's own name.
    if let (Some(obj), Ok(serde_json::Value::Object(counts))) =
        (value.as_object_mut(), serde_json::to_value(op.counts()))
    {
        obj.extend(counts);
    }
    value
}

fn show(dir: &Path, args: &LogShowArgs) -> Result<u8, Error> {
    let query = Query {
        full_for: Some(&args.id),
        limit: 2,
        ..Query::default()
    };
    let found = read(dir, &query, |op| op.id().starts_with(&args.id))?;
    let op = match found.as_slice() {
        [one] => one,
        [] => {
            return Err(Error::Usage(UsageError::NoOperation {
                id: args.id.clone(),
            }));
        }
        many => {
            return Err(Error::Usage(UsageError::AmbiguousId {
                id: args.id.clone(),
                matches: many.iter().map(|o| o.id().to_string()).collect(),
            }));
        }
    };
    let machine = this_machine();
    let hosts: Vec<&HostResult> = op
        .hosts
        .iter()
        .filter(|h| args.host.as_ref().is_none_or(|n| h.host == *n))
        .collect();
    if args.json {
        let mut value = summary_json(op, &machine);
        value["argv"] = json!(op.start.argv);
        value["cwd"] = json!(op.start.cwd);
        value["inventory"] = json!(op.start.inventory);
        if let Some(input) = &op.start.input {
            value["input"] = json!(input);
        }
        value["results"] = serde_json::to_value(&hosts).expect("json");
        if let Some(inc) = &op.incomplete {
            value["incomplete"] = json!(inc);
        }
        out(&format!("{value}\n"));
        return Ok(0);
    }
    let s = &op.start;
    let v = |t: &str| crate::show::visible(t).into_owned();
    let mut text = format!(
        "operation {}  {}  by {}  at {}\n",
        op.id(),
        s.operation,
        v(&s.operator),
        op.time
    );
    match &s.command {
        Some(c) => text.push_str(&format!("command:   {}\n", v(c))),
        None => text.push_str(&format!("paths:     {}\n", v(&op.what()))),
    }
    if let Some(input) = &s.input {
        text.push_str(&format!(
            "stdin:     {} bytes, sha256 {}\n",
            input.bytes, input.sha256
        ));
    }
    text.push_str(&format!(
        "pattern:   {} -> {} hosts: {}\n",
        v(&s.pattern),
        s.hosts.len(),
        clip(&s.hosts.join(", "), 200)
    ));
    for from in &s.selected_from {
        text.push_str(&format!(
            "selected:  `{}` = operation {}: {}\n",
            from.term,
            from.op,
            from.hosts.join(" ")
        ));
    }
    let argv: Vec<String> = s.argv.iter().map(|w| crate::cli::shell_word(w)).collect();
    text.push_str(&format!("argv:      {}\n", v(&argv.join(" "))));
    let duration = op
        .end
        .as_ref()
        .map(|(_, e)| format!(" in {}", seconds(Duration::from_millis(e.duration_ms))))
        .unwrap_or_default();
    let exit = op
        .end
        .as_ref()
        .map(|(_, e)| format!(", exit {}", e.exit_code))
        .unwrap_or_default();
    text.push_str(&format!(
        "result:    {}{exit}{duration}\n",
        op.describe(&machine)
    ));
    if let Some(inc) = &op.incomplete {
        text.push_str(&format!(
            "log:       incomplete: {}; hostctl stopped starting hosts\n",
            inc.reason
        ));
    }
    for h in hosts {
        text.push_str(&host_block(h));
    }
    let briefs = op.incomplete.iter().flat_map(|i| &i.hosts);
    for b in briefs.filter(|b| args.host.as_ref().is_none_or(|n| b.host == *n)) {
        let exit = b
            .exit_code
            .map(|c| format!(", exit {c}"))
            .unwrap_or_default();
        text.push_str(&format!(
            "=== {}: {}{exit}: not recorded in full (the audit log could not be written; output lost)\n",
            b.host,
            status_word(&b.status)
        ));
    }
    out(&text);
    Ok(0)
}

/// `ok`, or `FAILED` for what went wrong, as the run printed it.
fn status_word(status: &str) -> String {
    if HostStatus::from_name(status).is_some_and(HostStatus::succeeded) {
        status.to_string()
    } else {
        status.to_uppercase()
    }
}

fn host_block(h: &HostResult) -> String {
    let mut t = format!("=== {}: {}", h.host, status_word(&h.status));
    if let Some(code) = h.exit_code {
        t.push_str(&format!(", exit {code}"));
    }
    t.push_str(&format!(
        ", {}, in {} out {}",
        seconds(Duration::from_millis(h.duration_ms)),
        bytes(h.bytes_in),
        bytes(h.bytes_out)
    ));
    if let Some(reason) = &h.reason {
        t.push_str(&format!(": {}", visible(reason)));
    }
    t.push('\n');
    for f in h.transfer.iter().flat_map(|tr| &tr.files) {
        let sha = f
            .sha256
            .get(..12)
            .map(|s| format!(", sha256 {s}…"))
            .unwrap_or_default();
        t.push_str(&format!(
            "  {} {} <-> {} ({}{sha})\n",
            if f.changed { "changed  " } else { "unchanged" },
            visible(&f.local),
            visible(&f.remote),
            bytes(f.bytes)
        ));
    }
    for (label, o) in [("stdout", &h.stdout), ("stderr", &h.stderr)] {
        if o.withheld {
            t.push_str(&format!(
                "[{label} not recorded (--no-log-output): {}, sha256 {}]\n",
                bytes(o.bytes),
                o.sha256.as_deref().unwrap_or("unknown")
            ));
            continue;
        }
        if o.text.is_empty() {
            continue;
        }
        if label == "stderr" {
            t.push_str(&format!("--- {} stderr\n", h.host));
        }
        t.push_str(&o.text);
        if !o.text.ends_with('\n') {
            t.push('\n');
        }
        if o.truncated {
            t.push_str(&format!(
                "[{label} truncated in the log: kept {} of {}]\n",
                bytes(o.text.len() as u64),
                bytes(o.bytes)
            ));
        }
    }
    t
}

fn verify_cmd(dir: &Path, args: &LogVerifyArgs) -> Result<u8, Error> {
    if !dir.is_dir() {
        return Err(Error::Usage(UsageError::NoLog {
            dir: dir.to_path_buf(),
        }));
    }
    let key = args
        .verify_key
        .as_deref()
        .map(crate::audit::seal::Key::read)
        .transpose()
        .map_err(UsageError::VerifyKey)?;
    let json_out = args.json;
    let report = verify::verify(dir, key.as_ref())?;
    let code = match report.problem {
        Some(_) => Exit::NotIntact,
        None => Exit::Intact,
    }
    .code();
    if json_out {
        let mut value = serde_json::to_value(&report).expect("json");
        value["intact"] = json!(code == 0);
        out(&format!("{value}\n"));
        return Ok(code);
    }
    let mut text = String::new();
    match &report.problem {
        None => text.push_str(&format!(
            "intact: {} records in {} file{}, chain unbroken{}\n",
            report.records,
            report.files,
            if report.files == 1 { "" } else { "s" },
            match &report.seals {
                Some(c) => format!(
                    ", {} sealed records checked{}",
                    c.sealed,
                    c.last
                        .map(|(e, n)| format!(" (the newest: record {n}, epoch {e})"))
                        .unwrap_or_default()
                ),
                None => String::new(),
            }
        )),
        Some(p) => {
            let op =
                p.op.as_ref()
                    .map(|o| format!(" (operation {o})"))
                    .unwrap_or_default();
            let line = match p.line {
                0 => String::new(),
                n => format!(":{n}"),
            };
            text.push_str(&format!(
                "NOT INTACT: {}{line}{op}: {}\n",
                dir.join(&p.file).display(),
                p.message
            ));
        }
    }
    for note in &report.notes {
        text.push_str(&format!("note: {note}\n"));
    }
    if let Some(c) = &report.seals {
        for note in &c.notes {
            text.push_str(&format!("note: {note}\n"));
        }
        if c.before > 0 {
            text.push_str(&format!(
                "note: {} records before sealing started are covered by the chain only\n",
                c.before
            ));
        }
    } else if report.sealed > 0 && report.problem.is_none() {
        text.push_str(&format!(
            "note: {} records are sealed; seals were not checked (give --verify-key FILE)\n",
            report.sealed
        ));
    }
    out(&text);
    Ok(code)
}

/// The records `log` commands write go where earlier operations forwarded theirs.
fn forward_log_records(log: &mut AuditLog) -> Result<(), Error> {
    if let Some(forwarder) = crate::audit::forward::Forwarder::from_spools(log.dir())? {
        log.forward_to(forwarder);
    }
    Ok(())
}

/// `log seal init`: the verification key to its file (and shown once), the log sealed from here.
fn seal_init(dir: &Path, args: &SealInitArgs) -> Result<u8, Error> {
    let epochs =
        crate::audit::seal::Epochs::parse(&args.epoch).map_err(|reason| UsageError::BadValue {
            flag: "--epoch".into(),
            reason: reason.into(),
        })?;
    let mut log = AuditLog::open(dir)?;
    forward_log_records(&mut log)?;
    let key = log.seal_init(&args.verify_key, epochs, args.force)?;
    out(&format!(
        "sealing is on in {dir}: every record is sealed, and the key steps forward {when}, erasing the one before\n\
         verification key (shown once; written to {file}):\n\
         \n    {text}\n\
         keep it off this machine; check the log anywhere with:\n    hostctl log verify --verify-key {file}\n",
        dir = dir.display(),
        when = match epochs {
            crate::audit::seal::Epochs::PerOperation => "after every operation".to_string(),
            crate::audit::seal::Epochs::Every(_) => format!("every {}", epochs.name()),
        },
        file = args.verify_key.display(),
        text = key.file_text().trim_end(),
    ));
    crate::audit::forward::conclude(log.take_forwarder())?;
    Ok(0)
}

/// `log forward`: every spool (or the named destinations'), delivered in order now.
fn forward_cmd(dir: &Path, args: &LogForwardArgs) -> Result<u8, Error> {
    use crate::audit::forward::{self, Destination};
    if !dir.is_dir() {
        return Err(Error::Usage(UsageError::NoLog {
            dir: dir.to_path_buf(),
        }));
    }
    let spools = forward::spools(dir)?;
    let mut targets: Vec<(Destination, Option<std::path::PathBuf>)> = Vec::new();
    if args.forward.is_empty() {
        targets.extend(spools.into_iter().map(|(_, c)| (c.destination, c.ca_file)));
    } else {
        for url in &args.forward {
            let dest = Destination::parse(url).map_err(|reason| UsageError::BadValue {
                flag: "--audit-forward".into(),
                reason: reason.into(),
            })?;
            let ca = spools
                .iter()
                .find(|(_, c)| c.destination == dest)
                .and_then(|(_, c)| c.ca_file.clone());
            targets.push((dest, ca));
        }
    }
    let mut text = String::new();
    let mut left = false;
    for (dest, ca) in &targets {
        let ca = args.ca_file.as_deref().or(ca.as_deref());
        let d = forward::drain_now(dir, dest, ca);
        left |= d.pending > 0 || d.error.is_some();
        if args.json {
            text.push_str(&serde_json::to_string(&d).expect("json"));
            text.push('\n');
            continue;
        }
        text.push_str(&format!(
            "{}: sent {} record{}",
            d.url,
            d.sent,
            if d.sent == 1 { "" } else { "s" }
        ));
        match (&d.error, d.pending) {
            (None, 0) => text.push_str(", nothing pending\n"),
            (error, n) => text.push_str(&format!(
                ", {n} pending ({}){}\n",
                bytes(d.pending_bytes),
                error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
            )),
        }
    }
    if targets.is_empty() && !args.json {
        text.push_str("no forwarding spool: nothing pending\n");
    }
    out(&text);
    Ok(if left { 3 } else { 0 })
}

fn prune(dir: &Path, args: &LogPruneArgs) -> Result<u8, Error> {
    let age = humantime::parse_duration(&args.older_than).map_err(|_| {
        Error::Usage(UsageError::BadAge {
            age: args.older_than.clone(),
        })
    })?;
    if !dir.is_dir() {
        return Err(Error::Usage(UsageError::NoLog {
            dir: dir.to_path_buf(),
        }));
    }
    let cutoff = SystemTime::now()
        .checked_sub(age)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let cutoff_date = humantime::format_rfc3339(cutoff).to_string()[..10].to_string();
    let mut log = AuditLog::open(dir)?;
    forward_log_records(&mut log)?;
    let removed = log.prune(&cutoff_date, &args.older_than)?;
    out(&format!(
        "removed {} daily file{} dated before {cutoff_date}{}\n",
        removed.len(),
        if removed.len() == 1 { "" } else { "s" },
        if removed.is_empty() {
            String::new()
        } else {
            format!(": {}", removed.join(", "))
        }
    ));
    crate::audit::forward::conclude(log.take_forwarder())?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::read::newest;

    /// A log as an earlier hostctl wrote it: the end record counted a timeout as unreachable
    /// and transfers' changed and unchanged as ok, and knew no `timeout` or `aborted` field.
    const OLD_LOG: &str = concat!(
        r#"{"prev":"0","time":"2026-01-05T10:00:00.000Z","kind":"start","op":"a1","operator":"ann@ops","argv":["hostctl"],"cwd":"/","inventory":"hosts.toml","operation":"run","pattern":"web","hosts":["w1","w2","w3"],"command":"sleep 9"}"#,
        "\n",
        r#"{"prev":"0","time":"2026-01-05T10:00:01.000Z","kind":"host","op":"a1","host":"w1","address":"10.0.0.1","status":"ok","exit_code":0,"duration_ms":5,"bytes_in":0,"bytes_out":0,"stdout":{"text":"","bytes":0,"truncated":false},"stderr":{"text":"","bytes":0,"truncated":false}}"#,
        "\n",
        r#"{"prev":"0","time":"2026-01-05T10:00:01.000Z","kind":"host","op":"a1","host":"w2","address":"10.0.0.2","status":"timeout","exit_code":null,"reason":"command timed out after 1s (stopped on the host)","duration_ms":1005,"bytes_in":0,"bytes_out":0,"stdout":{"text":"","bytes":0,"truncated":false},"stderr":{"text":"","bytes":0,"truncated":false}}"#,
        "\n",
        r#"{"prev":"0","time":"2026-01-05T10:00:01.000Z","kind":"host","op":"a1","host":"w3","address":"10.0.0.3","status":"unreachable","exit_code":null,"reason":"connection refused","duration_ms":1,"bytes_in":0,"bytes_out":0,"stdout":{"text":"","bytes":0,"truncated":false},"stderr":{"text":"","bytes":0,"truncated":false}}"#,
        "\n",
        r#"{"prev":"0","time":"2026-01-05T10:00:02.000Z","kind":"end","op":"a1","ok":1,"failed":0,"unreachable":2,"skipped":0,"interrupted":false,"exit_code":4,"duration_ms":1010}"#,
        "\n",
    );

    #[test]
    fn old_end_records_still_read_and_hosts_are_counted_by_status_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("audit.2026-01-05.jsonl"), OLD_LOG).unwrap();
        let ops = newest(
            dir.path(),
            &Query {
                limit: 5,
                ..Query::default()
            },
            |_| true,
        )
        .unwrap();
        let op = &ops[0];
        let (_, end) = op.end.as_ref().expect("the old end record parses");
        assert_eq!((end.counts.unreachable, end.exit_code), (2, 4));
        assert_eq!(op.describe("ops"), "1 ok, 1 timeout, 1 unreachable");
        let json = summary_json(op, "ops");
        assert_eq!(
            (&json["timeout"], &json["unreachable"], &json["aborted"]),
            (&json!(1), &json!(1), &json!(0))
        );
    }
}
