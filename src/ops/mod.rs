//! The operations hostctl fans out (`run`, ...), and the one path they all take: audit start
//! record, executor, renderer and audit per event, summary, audit end record, exit status.

pub mod pull;
pub mod push;
pub mod run;
pub mod transfer;

use crate::audit::record::{End, HostResult, Record, Start};
use crate::audit::{self, AuditLog};
use crate::error::Error;
use crate::event::{Event, HostEventKind};
use crate::executor::{Executor, Job};
use crate::plan::{Operation, Plan};
use crate::render::{self, Summary};
use crate::ssh::Credentials;
use crate::ssh::known_hosts::KnownHostsCache;
use std::sync::Arc;
use std::time::Instant;

/// What every host's job shares: credentials, known_hosts, limits.
pub struct Shared {
    pub credentials: Credentials,
    pub known_hosts: KnownHostsCache,
    pub accept_new: bool,
    pub output_limit: usize,
}

impl Shared {
    pub fn new(plan: &Plan) -> Result<Shared, Error> {
        let password = if plan.ask_pass {
            Some(read_password()?)
        } else {
            None
        };
        Ok(Shared {
            credentials: Credentials::from_env(password),
            known_hosts: KnownHostsCache::default(),
            accept_new: plan.accept_new,
            output_limit: plan.output_limit,
        })
    }
}

/// From the terminal without echo; when stdin is not a terminal, its first line (for scripts).
fn read_password() -> Result<String, Error> {
    use std::io::IsTerminal;
    let err =
        |e: std::io::Error| Error::Usage(format!("--ask-pass: cannot read the password: {e}"));
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("SSH password: ").map_err(err);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(err)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// The job that carries out `plan.operation` on each host.
pub fn job(plan: &Plan, shared: Arc<Shared>) -> Arc<dyn Job> {
    match plan.operation.clone() {
        Operation::Run { command, timeout } => Arc::new(run::RunJob {
            shared,
            command,
            timeout,
        }),
        Operation::Push {
            manifest,
            remote,
            mode,
            mkdir,
            force,
            timeout,
        } => Arc::new(push::PushJob {
            shared,
            manifest,
            remote,
            mode,
            mkdir,
            force,
            timeout,
        }),
        Operation::Pull {
            remotes,
            local_dir,
            recursive,
            timeout,
        } => Arc::new(pull::PullJob {
            shared,
            remotes,
            local_dir,
            recursive,
            timeout,
        }),
    }
}

/// Runs `plan` end to end and returns the exit status.
pub fn execute(plan: Plan, job: Arc<dyn Job>, log: &mut AuditLog) -> Result<u8, Error> {
    let op = audit::new_op_id();
    log.append(Record::Start(start_record(&op, &plan)))?;
    let started = Instant::now();
    let mut renderer = render::for_plan(&plan, &op);
    let mut summary = Summary::new(plan.targets.len());
    let mut audit_error = None;
    let executor = Executor {
        forks: plan.forks,
        live_output: plan.output == crate::plan::OutputMode::Stream,
    };
    let end = executor.execute(Arc::new(plan.targets.clone()), job, |event| {
        renderer.event(&plan, &event);
        if let Event::Host(e) = &event
            && let HostEventKind::Finished(outcome) = &e.kind
        {
            summary.add(outcome);
            let target = &plan.targets[e.host];
            let record = HostResult::new(&op, &target.name, &target.address, outcome);
            if let Err(err) = log.append(Record::Host(record)) {
                audit_error.get_or_insert(err);
            }
        }
    })?;
    summary.interrupted = end.interrupted;
    summary.elapsed = started.elapsed();
    renderer.finish(&plan, &summary);
    let code = summary.exit_code();
    log.append(Record::End(End {
        op: op.clone(),
        ok: summary.ok,
        failed: summary.failed,
        unreachable: summary.unreachable,
        skipped: summary.skipped,
        interrupted: summary.interrupted,
        exit_code: code as i32,
        duration_ms: summary.elapsed.as_millis() as u64,
    }))?;
    if let Some(err) = audit_error {
        return Err(err.into());
    }
    Ok(code)
}

fn start_record(op: &str, plan: &Plan) -> Start {
    let (command, sources, destination) = match &plan.operation {
        Operation::Run { command, .. } => (Some(command.clone()), Vec::new(), None),
        Operation::Push {
            manifest, remote, ..
        } => {
            // The sources as given: the entries at the top of each walked tree.
            let roots = manifest.entries.iter().filter(|e| !e.rel.contains('/'));
            (
                None,
                roots.map(|e| e.local.display().to_string()).collect(),
                Some(remote.clone()),
            )
        }
        Operation::Pull {
            remotes, local_dir, ..
        } => (None, remotes.clone(), Some(local_dir.display().to_string())),
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
        sources,
        destination,
    }
}
