//! `--json`: one object per host result as each finishes, then one summary object; one JSON
//! value per line, nothing else on stdout.

use super::out::{Out, Renderer};
use super::summary::Summary;
use crate::cli::GatherMode;
use crate::event::{Captured, Event, HostEventKind, HostId, HostOutcome};
use serde_json::json;
use std::io::Write;

pub struct JsonRenderer {
    op: String,
    /// `--diff`: results held for the group objects written before the summary.
    held: Option<Vec<(HostId, HostOutcome)>>,
}

impl JsonRenderer {
    pub fn new(op: &str, diff: bool) -> JsonRenderer {
        JsonRenderer {
            op: op.to_string(),
            held: diff.then(Vec::new),
        }
    }

    /// `--diff --json`: one object per group, largest first; the first group that succeeded is
    /// the reference, and every other one carries unified diffs against it.
    fn groups(&self, held: Vec<(HostId, HostOutcome)>, out: &mut dyn Write) {
        let groups = super::groups::group(held, GatherMode::Exact);
        let reference = groups
            .iter()
            .position(|g| g.outcome.status.kind().succeeded());
        for (i, g) in groups.iter().enumerate() {
            let mut value = json!({
                "type": "group",
                "op": self.op,
                "hosts": g.names(),
                "label": g.label(),
                "status": g.outcome.status.name(),
                "exit_code": g.outcome.status.exit_code(),
                "reason": g.outcome.status.reason(),
                "reference": Some(i) == reference,
            });
            match reference {
                Some(r) if r == i => {
                    value["stdout"] = output(&g.outcome.stdout);
                    value["stderr"] = output(&g.outcome.stderr);
                }
                Some(r) => {
                    let (base, ours) = (&groups[r], &g.outcome);
                    let (bl, ol) = (base.label(), g.label());
                    value["stdout_diff"] = json!(crate::diff::unified(
                        &base.outcome.stdout.text(),
                        &ours.stdout.text(),
                        &format!("{bl} stdout"),
                        &format!("{ol} stdout")
                    ));
                    value["stderr_diff"] = json!(crate::diff::unified(
                        &base.outcome.stderr.text(),
                        &ours.stderr.text(),
                        &format!("{bl} stderr"),
                        &format!("{ol} stderr")
                    ));
                }
                None => {}
            }
            line(out, value);
        }
    }
}

fn line(to: &mut dyn Write, value: serde_json::Value) {
    let mut out = serde_json::to_vec(&value).expect("json values serialize");
    out.push(b'\n');
    let _ = to.write_all(&out);
}

fn output(c: &Captured) -> serde_json::Value {
    json!({ "text": c.text(), "bytes": c.total, "truncated": c.truncated() })
}

impl Renderer for JsonRenderer {
    fn event(&mut self, event: &Event, out: &mut Out) {
        let Event::Host(e) = event else { return };
        let HostEventKind::Finished(outcome) = &e.kind else {
            return;
        };
        if let Some(held) = &mut self.held {
            held.push((e.host.clone(), (**outcome).clone()));
        }
        let status = &outcome.status;
        let signal = match status {
            crate::event::Status::Failed { signal, .. } => signal.clone(),
            _ => None,
        };
        line(
            out.stdout,
            json!({
            "type": "host",
            "op": self.op,
            "host": &*e.host.name,
            "address": &*e.host.address,
            "status": status.name(),
            "exit_code": status.exit_code(),
            "signal": signal,
            "reason": status.reason(),
            "duration_s": outcome.duration.as_secs_f64(),
            "bytes_in": outcome.bytes_in,
            "bytes_out": outcome.bytes_out,
            "stdout": output(&outcome.stdout),
            "stderr": output(&outcome.stderr),
            "transfer": outcome.transfer,
            }),
        );
    }

    fn finish(&mut self, s: &Summary, out: &mut Out) {
        if let Some(held) = self.held.take() {
            self.groups(held, out.stdout);
        }
        let mut summary = json!({
            "type": "summary",
            "op": self.op,
            "hosts": s.hosts,
        });
        // One count per status, under the status's own name.
        if let (Some(obj), Ok(serde_json::Value::Object(counts))) =
            (summary.as_object_mut(), serde_json::to_value(s.counts))
        {
            obj.extend(counts);
        }
        summary["interrupted"] = json!(s.interrupted);
        summary["stopped"] = json!(s.stopped);
        summary["max_fail_reached"] = json!(s.max_fail_reached);
        summary["exit_code"] = json!(s.exit_code());
        summary["duration_s"] = json!(s.elapsed.as_secs_f64());
        line(out.stdout, summary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::text::tests::{finished, host, outcome, render, summary};
    use crate::status::HostStatus;

    #[test]
    fn one_json_line_per_host_then_the_summary() {
        let mut r = JsonRenderer::new("op-1", false);
        let events = vec![finished(
            host(0, "web01"),
            outcome(crate::event::Status::Ok, "hi\n", ""),
        )];
        let (stdout, stderr) = render(&mut r, events, &summary(1, &[HostStatus::Ok]));
        assert_eq!(
            stdout,
            concat!(
                r#"{"address":"10.0.0.1","bytes_in":0,"bytes_out":0,"duration_s":0.12,"#,
                r#""exit_code":0,"host":"web01","op":"op-1","reason":null,"signal":null,"#,
                r#""status":"ok","stderr":{"bytes":0,"text":"","truncated":false},"#,
                r#""stdout":{"bytes":3,"text":"hi\n","truncated":false},"transfer":null,"#,
                r#""type":"host"}"#,
                "\n",
                r#"{"aborted":0,"changed":0,"duration_s":1.5,"exit_code":0,"failed":0,"#,
                r#""hosts":1,"interrupted":false,"max_fail_reached":false,"ok":1,"op":"op-1","#,
                r#""skipped":0,"stopped":false,"timeout":0,"type":"summary","unchanged":0,"#,
                r#""unreachable":0}"#,
                "\n"
            )
        );
        assert_eq!(stderr, "");
    }
}
