//! `hostctl log report`: one self-contained HTML page of what the log holds: the operations,
//! each host's result and output, a timeline per operation and failures per host.
//!
//! The page loads nothing (no script, font, image or style sheet from anywhere) and everything
//! in it that came from the log, and so from the hosts, is escaped: output is text, never markup.

use crate::audit::read::LoggedOperation;
use crate::audit::record::HostResult;
use crate::cli::LogReportArgs;
use crate::error::{Error, UsageError};
use crate::show::{bytes, seconds};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

pub fn write(dir: &Path, args: &LogReportArgs) -> Result<u8, Error> {
    let ops = crate::pick::pick(dir, &args.filter, true)?;
    let page = page(dir, &ops, &crate::pick::this_machine());
    write_whole(&args.output, page.as_bytes()).map_err(|source| UsageError::CannotWrite {
        path: args.output.clone(),
        source,
    })?;
    eprintln!(
        "wrote {}: {} operation{}",
        args.output.display(),
        ops.len(),
        if ops.len() == 1 { "" } else { "s" }
    );
    Ok(0)
}

/// Written beside its final name, then renamed: a reader never sees half a page.
fn write_whole(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = path.with_file_name(crate::temp_name::hidden(
        Some(&name),
        crate::temp_name::next(),
    ));
    let result = std::fs::write(&temp, data).and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Text from the log (hosts' output, names, commands) as HTML text.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The colour family of a status; the same words the log and the terminal use.
fn class(status: &str) -> &'static str {
    match status {
        "ok" | "changed" | "unchanged" => "good",
        "failed" => "bad",
        "timeout" => "slow",
        "unreachable" => "down",
        _ => "other",
    }
}

const STYLE: &str = "
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; background: #fff; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { text-align: left; padding: 2px 10px 2px 0; vertical-align: top; }
th { border-bottom: 1px solid #ccc; }
td.num { text-align: right; }
section.op { border: 1px solid #ddd; border-radius: 4px; margin: 0.6em 0; padding: 0.3em 0.8em; }
section.op > details > summary { cursor: pointer; font-family: ui-monospace, monospace; }
pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; max-height: 30em; white-space: pre-wrap; }
.good { color: #17692c; } .bad { color: #b3261e; font-weight: bold; } .slow { color: #a05a00; font-weight: bold; }
.down { color: #6a3d9a; font-weight: bold; } .other { color: #666; }
rect.good { fill: #3a9a4f; } rect.bad { fill: #d9453b; } rect.slow { fill: #e39b2d; }
rect.down { fill: #8e6bbf; } rect.other { fill: #aaa; }
svg text { font: 11px ui-monospace, monospace; fill: #333; }
.bar { display: inline-block; height: 0.8em; background: #d9453b; }
";

fn page(dir: &Path, ops: &[LoggedOperation], machine: &str) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>hostctl report</title><style>{STYLE}</style></head><body>\n\
         <h1>hostctl audit report</h1>\n<p class=\"meta\">log <code>{}</code> · generated {} · \
         {} operation{}, newest first</p>\n",
        esc(&dir.display().to_string()),
        esc(&crate::audit::now()),
        ops.len(),
        if ops.len() == 1 { "" } else { "s" }
    );
    html.push_str(&failures_per_host(ops));
    html.push_str("<h2>Operations</h2>\n");
    // The newest operation opens with the page; the rest open with a click.
    for (i, op) in ops.iter().enumerate() {
        html.push_str(&operation(op, machine, i == 0));
    }
    html.push_str("</body></html>\n");
    html
}

/// Per host over the selected operations: how often it took part and how it went.
fn failures_per_host(ops: &[LoggedOperation]) -> String {
    #[derive(Default)]
    struct Tally {
        runs: usize,
        by_status: BTreeMap<String, usize>,
    }
    let mut hosts: BTreeMap<&str, Tally> = BTreeMap::new();
    for op in ops {
        for h in &op.hosts {
            let t = hosts.entry(&h.host).or_default();
            t.runs += 1;
            *t.by_status.entry(h.status.clone()).or_default() += 1;
        }
    }
    let bad = |t: &Tally| -> usize {
        t.by_status
            .iter()
            .filter(|(s, _)| matches!(class(s), "bad" | "slow" | "down"))
            .map(|(_, n)| n)
            .sum()
    };
    let mut rows: Vec<(&str, &Tally)> = hosts.iter().map(|(h, t)| (*h, t)).collect();
    rows.sort_by(|a, b| bad(b.1).cmp(&bad(a.1)).then(a.0.cmp(b.0)));
    let mut html = String::from(
        "<h2>Failures per host</h2>\n<table class=\"failures\"><tr><th>host</th>\
         <th>operations</th><th>not ok</th><th>statuses</th><th></th></tr>\n",
    );
    for (host, t) in rows {
        let statuses: Vec<String> = t
            .by_status
            .iter()
            .map(|(s, n)| format!("<span class=\"{}\">{n} {}</span>", class(s), esc(s)))
            .collect();
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td>\
             <td><span class=\"bar\" style=\"width:{}px\"></span></td></tr>",
            esc(host),
            t.runs,
            bad(t),
            statuses.join(", "),
            bad(t) * 12
        );
    }
    html.push_str("</table>\n");
    html
}

fn operation(op: &LoggedOperation, machine: &str, open: bool) -> String {
    let s = &op.start;
    let mut html = format!(
        "<section class=\"op\" id=\"op-{id}\"><details{open}><summary>{time}  <b>{id}</b>  {op_kind}  \
         by {operator}  on <code>{pattern}</code>: {result}  <code>{what}</code></summary>\n",
        id = esc(op.id()),
        open = if open { " open" } else { "" },
        time = esc(op.time.get(..19).unwrap_or(&op.time)),
        op_kind = esc(&s.operation),
        operator = esc(&s.operator),
        pattern = esc(&s.pattern),
        result = esc(&op.describe(machine)),
        what = esc(&op.what()),
    );
    let _ = writeln!(
        html,
        "<p>argv <code>{}</code> · {} host{}</p>",
        esc(&s.argv.join(" ")),
        s.hosts.len(),
        if s.hosts.len() == 1 { "" } else { "s" }
    );
    html.push_str(&timeline(op));
    html.push_str(
        "<table class=\"hosts\"><tr><th>host</th><th>status</th><th>exit</th><th>time</th>\
         <th>in / out</th><th>reason</th><th>output</th></tr>\n",
    );
    for h in &op.hosts {
        html.push_str(&host_row(h));
    }
    html.push_str("</table></details></section>\n");
    html
}

fn host_row(h: &HostResult) -> String {
    let mut output = String::new();
    for (name, o) in [("stdout", &h.stdout), ("stderr", &h.stderr)] {
        if o.bytes == 0 {
            continue;
        }
        let _ = write!(
            output,
            "<details><summary>{name}, {}{}</summary><pre>{}</pre></details>",
            bytes(o.bytes),
            if o.truncated { ", cut in the log" } else { "" },
            esc(&o.text)
        );
    }
    format!(
        "<tr><td>{}</td><td class=\"{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td>{} / {}</td><td>{}</td><td>{output}</td></tr>\n",
        esc(&h.host),
        class(&h.status),
        esc(&h.status),
        h.exit_code.map(|c| c.to_string()).unwrap_or_default(),
        seconds(Duration::from_millis(h.duration_ms)),
        bytes(h.bytes_in),
        bytes(h.bytes_out),
        esc(h.reason.as_deref().unwrap_or("")),
    )
}

/// One bar per host from when it started to when it finished, on the operation's clock, so
/// the slow tail and the stragglers stand out. Records from before `finished_ms` existed are
/// drawn from 0, as long as they took.
fn timeline(op: &LoggedOperation) -> String {
    const LABEL: f64 = 150.0;
    const WIDTH: f64 = 700.0;
    const ROW: f64 = 16.0;
    if op.hosts.is_empty() {
        return String::new();
    }
    let span = |h: &HostResult| {
        let end = h.finished_ms.unwrap_or(h.duration_ms);
        (end.saturating_sub(h.duration_ms), end)
    };
    let total = op
        .hosts
        .iter()
        .map(|h| span(h).1)
        .chain(op.end.as_ref().map(|(_, e)| e.duration_ms))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let height = ROW * op.hosts.len() as f64 + 20.0;
    let mut svg = format!(
        "<svg class=\"timeline\" width=\"{}\" height=\"{height}\" role=\"img\" \
         aria-label=\"when each host started and finished\">\n",
        LABEL + WIDTH + 60.0
    );
    for (i, h) in op.hosts.iter().enumerate() {
        let (start, end) = span(h);
        let y = ROW * i as f64;
        let x = LABEL + WIDTH * start as f64 / total;
        let w = (WIDTH * (end - start) as f64 / total).max(1.0);
        let _ = writeln!(
            svg,
            "<text x=\"0\" y=\"{}\">{}</text><rect class=\"{}\" x=\"{x:.1}\" y=\"{}\" \
             width=\"{w:.1}\" height=\"{}\"><title>{}: {} from {} to {}</title></rect>",
            y + 12.0,
            esc(&h.host),
            class(&h.status),
            y + 2.0,
            ROW - 4.0,
            esc(&h.host),
            esc(&h.status),
            seconds(Duration::from_millis(start)),
            seconds(Duration::from_millis(end)),
        );
    }
    let axis = ROW * op.hosts.len() as f64 + 14.0;
    for frac in [0.0, 0.5, 1.0] {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{axis}\">{}</text>",
            LABEL + WIDTH * frac,
            seconds(Duration::from_millis((total * frac) as u64))
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_from_the_log_is_text_never_markup() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn statuses_share_the_terminal_words_and_colours() {
        assert_eq!(class("changed"), "good");
        assert_eq!(class("failed"), "bad");
        assert_eq!(class("timeout"), "slow");
        assert_eq!(class("unreachable"), "down");
        assert_eq!(class("skipped"), "other");
    }
}
