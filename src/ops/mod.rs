//! The operations hostctl fans out (`run`, ...), and the one path they all take: audit start
//! record, executor, the reporter (renderer, counts and audit per event, summary, audit end
//! record), exit status.

pub mod protocol;
pub mod pull;
pub mod push;
pub mod run;
pub mod shared;
pub mod sudo;
pub mod transfer;

use shared::{Input, Shared};
use sudo::SudoRunner;

use crate::audit::record::{End, Start};
use crate::audit::recorder::Recorder;
use crate::audit::{self, AuditLog};
use crate::error::Error;
use crate::executor::{Executor, Job};
use crate::plan::{Operation, Plan, PullSpec, PushSpec, RunSpec};
use crate::render;
use crate::reporter::Reporter;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// `--dry-run`: what would run where, with every resolved setting; nothing is contacted and
/// nothing is logged.
pub fn dry_run(plan: &Plan) -> String {
    let what = match &plan.operation {
        Operation::Run(spec) => {
            let sudo = SudoRunner::new(plan.sudo.clone(), None);
            let script = run::script(spec, "hostctl-pgid-RUN", &sudo);
            format!(
                "run on the hosts: {}\nexact remote command: {}\n{}",
                spec.command,
                sudo.command(&script, None),
                if spec.stdin {
                    "its stdin: hostctl's stdin (-I)\n"
                } else {
                    ""
                }
            )
        }
        Operation::Push(PushSpec {
            manifest, mkdir, ..
        }) => {
            let sudo = SudoRunner::new(plan.sudo.clone(), None);
            format!(
                "{}each changed file goes to a hidden temporary beside its path, is checked\n\
                 against its SHA-256 on the host, then renamed onto it; every step runs {}\n",
                push::describe(manifest, *mkdir),
                match sudo.active() {
                    true => format!("as: {}", sudo.command("SCRIPT", None)),
                    false => "in the login shell".into(),
                }
            )
        }
        Operation::Pull(PullSpec {
            remotes, local_dir, ..
        }) => {
            format!(
                "pull {} into {}/<host>/\n",
                remotes.join(" "),
                local_dir.display()
            )
        }
    };
    let mut out = format!(
        "dry run: {} on {} host{} (pattern `{}`)\n{what}",
        plan.operation.name(),
        plan.targets.len(),
        if plan.targets.len() == 1 { "" } else { "s" },
        plan.pattern
    );
    for s in &plan.selected_from {
        out.push_str(&format!(
            "`{}` = operation {}: {}\n",
            s.term,
            s.op,
            s.hosts.join(" ")
        ));
    }
    out.push_str(&format!(
        "forks {}, batch {}, max-fail {}, retry {}\n",
        plan.forks,
        plan.batch.map_or("all".into(), |b| b.to_string()),
        plan.max_fail.map_or("none".into(), |m| m.to_string()),
        plan.retry
    ));
    let executor = Executor {
        forks: plan.forks,
        batch: plan.batch,
        max_fail: plan.max_fail,
        halt: Default::default(),
    };
    if let Some(limit) = plan
        .max_fail
        .filter(|_| !executor.max_fail_can_act(plan.targets.len()))
    {
        out.push_str(&format!("note: {}\n", max_fail_idle(limit, plan)));
    }
    for t in &plan.targets {
        let keys = if t.identity_files.is_empty() {
            "agent, ~/.ssh/id_*".to_string()
        } else {
            t.identity_files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        out.push_str(&format!(
            "  {}  {}@{}:{}  keys {keys}  known_hosts {}  connect_timeout {}\n",
            t.name,
            t.user,
            t.address,
            t.port,
            t.known_hosts.display(),
            humantime::format_duration(t.connect_timeout)
        ));
    }
    out.push_str("nothing was contacted\n");
    out
}

/// The job that carries out `plan.operation` on each host.
pub fn job(plan: &Plan, shared: Arc<Shared>) -> Arc<dyn Job> {
    match plan.operation.clone() {
        Operation::Run(spec) => Arc::new(run::RunJob::new(shared, spec)),
        Operation::Push(spec) => Arc::new(push::PushJob { shared, spec }),
        Operation::Pull(spec) => Arc::new(pull::PullJob { shared, spec }),
    }
}

/// Runs `plan` end to end and returns the exit status.
pub fn execute(
    plan: Plan,
    shared: &Shared,
    job: Arc<dyn Job>,
    log: &mut AuditLog,
) -> Result<u8, Error> {
    let op = audit::new_op_id();
    let start = start_record(&op, &plan, shared.input.as_ref());
    let in_flight = plan
        .forks
        .min(plan.batch.unwrap_or(usize::MAX))
        .min(plan.targets.len());
    let recorder = Recorder::start(log, start, in_flight, plan.no_log_output)?;
    let started = Instant::now();
    if let Err(source) = recorder.forwarded() {
        // `--audit-required`: not one host before the start record is safe elsewhere.
        let hosts = plan.targets.len();
        let closed = recorder.finish(End {
            op: op.clone(),
            counts: crate::status::Counts {
                skipped: hosts,
                ..Default::default()
            },
            interrupted: false,
            exit_code: crate::status::Exit::Audit.code() as i32,
            duration_ms: started.elapsed().as_millis() as u64,
        });
        let _ = audit::forward::conclude(log.take_forwarder());
        closed?;
        return Err(Error::ForwardRequired {
            source,
            hosts,
            not_started: hosts,
        });
    }
    let halt = Arc::new(OnceLock::new());
    let executor = Executor {
        forks: plan.forks,
        batch: plan.batch,
        max_fail: plan.max_fail,
        halt: halt.clone(),
    };
    if let Some(limit) = plan
        .max_fail
        .filter(|_| !executor.max_fail_can_act(plan.targets.len()))
    {
        render::note(&mut std::io::stderr(), &max_fail_idle(limit, &plan));
    }
    let mut reporter = Reporter::for_plan(&plan, &op, recorder, started, halt);
    let end = executor.execute(Arc::new(plan.targets.clone()), job, &mut reporter)?;
    let finished = reporter.finish(end);
    let forwarded = audit::forward::conclude(log.take_forwarder());
    finished.recorded?;
    if let Some(source) = finished.unforwarded {
        return Err(Error::ForwardRequired {
            source,
            hosts: plan.targets.len(),
            not_started: finished.skipped,
        });
    }
    forwarded?;
    Ok(finished.code)
}

/// Why `--max-fail` will stop nothing in this run, and how to make it act.
fn max_fail_idle(limit: usize, plan: &Plan) -> String {
    format!(
        "--max-fail {limit} cannot stop anything here: all {} hosts start at once (-f {}{}), \
         and hosts already running are never stopped; use --batch or a smaller -f to stage the rollout",
        plan.targets.len(),
        plan.forks,
        plan.batch
            .map_or(String::new(), |b| format!(", --batch {b}"))
    )
}

fn start_record(op: &str, plan: &Plan, input: Option<&Input>) -> Start {
    let (command, sources, destination) = match &plan.operation {
        Operation::Run(RunSpec { command, .. }) => (Some(command.clone()), Vec::new(), None),
        Operation::Push(PushSpec {
            manifest, remote, ..
        }) => {
            let sources = manifest.sources.iter();
            (
                None,
                sources.map(|s| s.display().to_string()).collect(),
                Some(remote.clone()),
            )
        }
        Operation::Pull(PullSpec {
            remotes, local_dir, ..
        }) => (None, remotes.clone(), Some(local_dir.display().to_string())),
    };
    Start {
        op: op.to_string(),
        operator: audit::operator(),
        pid: std::process::id(),
        argv: std::env::args().collect(),
        cwd: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        inventory: plan.inventory.display().to_string(),
        operation: plan.operation.name().to_string(),
        pattern: plan.pattern.clone(),
        hosts: plan.targets.iter().map(|t| t.name.clone()).collect(),
        groups: {
            let mut groups: Vec<String> = plan
                .hosts
                .iter()
                .flat_map(|h| h.groups.iter().cloned())
                .collect();
            groups.sort();
            groups.dedup();
            groups
        },
        command,
        input: input.map(|i| i.digest.clone()),
        sources,
        destination,
        selected_from: plan.selected_from.clone(),
    }
}
