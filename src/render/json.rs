//! `--json`: one object per host result as each finishes, then one summary object; one JSON
//! value per line, nothing else on stdout.

use super::{Renderer, Summary};
use crate::event::{Captured, Event, HostEventKind};
use crate::plan::Plan;
use serde_json::json;
use std::io::Write;

pub struct JsonRenderer {
    op: String,
}

impl JsonRenderer {
    pub fn new(op: &str) -> JsonRenderer {
        JsonRenderer { op: op.to_string() }
    }
}

fn line(value: serde_json::Value) {
    let mut out = serde_json::to_vec(&value).expect("json values serialize");
    out.push(b'\n');
    let _ = std::io::stdout().lock().write_all(&out);
}

fn output(c: &Captured) -> serde_json::Value {
    json!({ "text": c.text(), "bytes": c.total, "truncated": c.truncated() })
}

impl Renderer for JsonRenderer {
    fn event(&mut self, plan: &Plan, event: &Event) {
        let Event::Host(e) = event else { return };
        let HostEventKind::Finished(outcome) = &e.kind else {
            return;
        };
        let target = &plan.targets[e.host];
        let status = &outcome.status;
        let signal = match status {
            crate::event::Status::Failed { signal, .. } => signal.clone(),
            _ => None,
        };
        line(json!({
            "type": "host",
            "op": self.op,
            "host": target.name,
            "address": target.address,
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
        }));
    }

    fn finish(&mut self, _plan: &Plan, s: &Summary) {
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
        line(summary);
    }
}
