//! The operations hostctl fans out (`run`, ...), and the one path they all take: audit start
//! record, executor, renderer and audit per event, summary, audit end record, exit status.

pub mod privilege;
pub mod pull;
pub mod push;
pub mod run;
pub mod transfer;

use privilege::Become;

use crate::audit::record::{End, InputDigest, Start};
use crate::audit::recorder::Recorder;
use crate::audit::{self, AuditLog};
use crate::error::Error;
use crate::event::{Event, HostEventKind};
use crate::executor::{Executor, Job};
use crate::plan::{Operation, Plan, PullSpec, PushSpec, RunSpec};
use crate::render::{self, Summary};
use crate::ssh::known_hosts::KnownHostsCache;
use crate::ssh::{Bastions, Credentials};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// What every host's job shares: credentials, known_hosts, limits.
pub struct Shared {
    pub credentials: Credentials,
    pub known_hosts: KnownHostsCache,
    /// One session per jump host for the whole run, shared by the hosts behind it.
    pub bastions: Bastions,
    pub output_limit: usize,
    /// sudo on the hosts, for commands and transfers alike.
    pub privilege: Become,
    /// `--retry`: extra connection attempts.
    pub retry: u32,
    /// `run -I`: what every host's command reads on its stdin.
    pub input: Option<Input>,
}

/// hostctl's stdin, read once and given to every host, with what the audit log says of it.
pub struct Input {
    pub data: Vec<u8>,
    pub digest: InputDigest,
}

/// More than this on stdin is a file to push, not input to hand to every host.
const MAX_INPUT: u64 = 64 << 20;

impl Shared {
    pub fn new(plan: &Plan) -> Result<Shared, Error> {
        let password = match plan.ask_pass {
            true => Some(read_password("SSH password: ", "--ask-pass")?),
            false => None,
        };
        let become_password = match &plan.sudo {
            Some(sudo) if sudo.ask_pass => {
                Some(read_password("sudo password: ", "--ask-become-pass")?)
            }
            _ => None,
        };
        // After the password lines: the rest of stdin is the command's input.
        let input = match &plan.operation {
            Operation::Run(RunSpec { stdin: true, .. }) => Some(read_input()?),
            _ => None,
        };
        Ok(Shared {
            credentials: Credentials::from_env(password),
            known_hosts: KnownHostsCache::default(),
            bastions: Bastions::default(),
            output_limit: plan.output_limit,
            privilege: Become::new(plan.sudo.clone(), become_password),
            retry: plan.retry,
            input,
        })
    }
}

fn read_input() -> Result<Input, Error> {
    use sha2::Digest;
    use std::io::Read;
    let mut data = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut data)
        .map_err(|e| Error::Usage(format!("-I/--stdin: cannot read stdin: {e}")))?;
    if data.len() as u64 > MAX_INPUT {
        return Err(Error::Usage(format!(
            "-I/--stdin: more than {} MiB on stdin; push the file and run it instead",
            MAX_INPUT >> 20
        )));
    }
    let digest = InputDigest {
        bytes: data.len() as u64,
        sha256: transfer::hex(&sha2::Sha256::digest(&data)),
    };
    Ok(Input { data, digest })
}

/// From the terminal without echo; when stdin is not a terminal, its first line (for scripts).
fn read_password(prompt: &str, flag: &str) -> Result<String, Error> {
    use std::io::IsTerminal;
    let err = |e: std::io::Error| Error::Usage(format!("{flag}: cannot read the password: {e}"));
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt).map_err(err);
    }
    // Scripts: one line per asked password, in flag order (--ask-pass, then --ask-become-pass).
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(err)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// `--dry-run`: what would run where, with every resolved setting; nothing is contacted and
/// nothing is logged.
pub fn dry_run(plan: &Plan) -> String {
    let what = match &plan.operation {
        Operation::Run(spec) => {
            let privilege = privilege::Become::new(plan.sudo.clone(), None);
            let script = run::script(spec, "hostctl-pgid-RUN", &privilege);
            format!(
                "run on the hosts: {}\nexact remote command: {}\n{}",
                spec.command,
                privilege.command(&script, None),
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
            let privilege = privilege::Become::new(plan.sudo.clone(), None);
            format!(
                "{}each changed file goes to a hidden temporary beside its path, is checked\n\
                 against its SHA-256 on the host, then renamed onto it; every step runs {}\n",
                manifest.describe(*mkdir),
                match privilege.active() {
                    true => format!("as: {}", privilege.command("SCRIPT", None)),
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
        live_output: false,
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
    let mut recorder = Recorder::start(log, start, in_flight, plan.no_log_output)?;
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
    let mut unforwarded = None;
    let executor = Executor {
        forks: plan.forks,
        live_output: plan.output == crate::plan::OutputMode::Stream
            || plan.out_dir.is_some()
            || recorder.wants_output(),
        batch: plan.batch,
        max_fail: plan.max_fail,
        halt: halt.clone(),
    };
    if let Some(limit) = plan
        .max_fail
        .filter(|_| !executor.max_fail_can_act(plan.targets.len()))
    {
        render::note(&max_fail_idle(limit, &plan));
    }
    let mut renderer = render::for_plan(&plan, &op);
    let mut summary = Summary::new(plan.targets.len());
    summary.max_fail = plan.max_fail;
    let mut out_dir = plan.out_dir.as_deref().map(render::OutDir::new);
    let end = executor.execute(Arc::new(plan.targets.clone()), job, |event| {
        renderer.event(&plan, &event);
        if let Some(out) = &mut out_dir {
            out.event(&plan, &event);
        }
        if let Event::Host(e) = &event {
            if let HostEventKind::Finished(outcome) = &e.kind {
                summary.add(outcome);
            }
            let target = &plan.targets[e.host];
            if !recorder.event(e, &target.name, &target.address) {
                let _ = halt.set("not started: the audit log could not be written".into());
            }
            // `--audit-required`: this host's record reached every destination before its slot
            // goes to another host, or no other host starts.
            if matches!(e.kind, HostEventKind::Finished(_))
                && unforwarded.is_none()
                && let Err(err) = recorder.forwarded()
            {
                unforwarded = Some(err);
                let _ = halt.set(
                    "not started: an audit record did not reach its destination (--audit-required)"
                        .into(),
                );
            }
        }
    })?;
    summary.interrupted = end.interrupted;
    summary.stopped = end.stopped;
    summary.max_fail_reached = end.max_fail_reached;
    // The audit log failed, or a record it had to forward (`--audit-required`) did not arrive.
    summary.audit_failed = recorder.failed() || unforwarded.is_some();
    summary.elapsed = started.elapsed();
    renderer.finish(&plan, &summary);
    let code = summary.exit_code();
    let recorded = recorder.finish(End {
        op: op.clone(),
        counts: summary.counts,
        interrupted: summary.interrupted,
        exit_code: code as i32,
        duration_ms: summary.elapsed.as_millis() as u64,
    });
    let forwarded = audit::forward::conclude(log.take_forwarder());
    recorded?;
    if let Some(source) = unforwarded {
        return Err(Error::ForwardRequired {
            source,
            hosts: plan.targets.len(),
            not_started: summary.counts.skipped,
        });
    }
    forwarded?;
    Ok(code)
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
