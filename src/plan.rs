//! Arguments + inventory -> a checked plan: the hosts, their settings and the operation. Every
//! usage error is found here, before anything touches the network.

use crate::audit::select::{FromLog, Selected};
use crate::cli::{Common, GatherMode, PullArgs, PushArgs, RunArgs};
use crate::error::{Error, UsageError};
use crate::inventory::{self, Host, Inventory};
use crate::manifest::Manifest;
use crate::quantity::{parse_amount, parse_duration, parse_size};
use crate::resolve::Resolver;
use crate::ssh::Target;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    Blocks,
    Stream,
    Json,
}

/// What to do on each host; each job carries its spec as it is.
#[derive(Debug, Clone)]
pub enum Operation {
    Run(RunSpec),
    Push(PushSpec),
    Pull(PullSpec),
}

#[derive(Debug, Clone)]
pub struct RunSpec {
    pub command: String,
    pub timeout: Option<Duration>,
    /// `-I`: hostctl's stdin goes to the command on every host.
    pub stdin: bool,
}

#[derive(Debug, Clone)]
pub struct PushSpec {
    pub manifest: Manifest,
    pub remote: String,
    /// `--mode`; else each file keeps its local mode.
    pub mode: Option<u32>,
    pub mkdir: bool,
    pub force: bool,
    pub fsync: bool,
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct PullSpec {
    pub remotes: Vec<String>,
    pub local_dir: PathBuf,
    pub recursive: bool,
    pub fsync: bool,
    pub timeout: Option<Duration>,
}

impl Operation {
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Run(_) => "run",
            Operation::Push(_) => "push",
            Operation::Pull(_) => "pull",
        }
    }
}

/// Everything an operation needs, checked.
#[derive(Debug)]
pub struct Plan {
    pub operation: Operation,
    pub inventory: std::path::PathBuf,
    pub pattern: String,
    pub hosts: Vec<Host>,
    pub targets: Vec<Target>,
    pub forks: usize,
    pub ask_pass: bool,
    pub output: OutputMode,
    pub output_limit: usize,
    /// `--gather`, or `--diff` (which groups exactly unless `--gather=similar`).
    pub gather: Option<GatherMode>,
    /// `--diff`: other groups as unified diffs against the largest.
    pub diff: bool,
    pub out_dir: Option<PathBuf>,
    /// `--no-log-output`: the audit log keeps the output's size and SHA-256, not its text.
    pub no_log_output: bool,
    /// Hosts per rolling batch (`--batch`); all at once when unset.
    pub batch: Option<usize>,
    /// Stop starting hosts once this many failed (`--max-fail`).
    pub max_fail: Option<usize>,
    pub dry_run: bool,
    /// Extra connection attempts for hosts that could not be reached.
    pub retry: u32,
    /// Through sudo on the hosts (`--sudo`, `--sudo-user`, `--ask-become-pass`).
    pub sudo: Option<Sudo>,
    /// The pattern's `@` terms and the operations they were read from.
    pub selected_from: Vec<Selected>,
    /// Where the audit records also go: the inventory's `[audit]` plus the command line.
    pub audit: crate::audit::forward::Settings,
}

/// What a plan is made against besides the arguments and the inventory.
pub struct Sources<'a> {
    /// `-F`, else ~/.ssh/config if it exists.
    pub ssh_config: Option<&'a Path>,
    /// The audit log, which `@last`-style pattern terms read.
    pub log_dir: &'a Path,
}

/// `--sudo`, `--sudo-user`, `--ask-become-pass`.
#[derive(Debug, Clone)]
pub struct Sudo {
    pub user: Option<String>,
    pub ask_pass: bool,
}

impl Plan {
    pub fn run(inv: &Inventory, args: &RunArgs, env: &Sources) -> Result<Plan, Error> {
        let command = args.command.join(" ");
        if command.trim().is_empty() {
            return Err(Error::Usage(UsageError::EmptyCommand));
        }
        let timeout = parse_timeout(args.timeout.as_deref())?;
        let operation = Operation::Run(RunSpec {
            command,
            timeout,
            stdin: args.stdin,
        });
        Plan::new(inv, &args.common, env, operation)
    }

    /// Local sources are walked and hashed here: a missing file is a usage error, found before
    /// any host is contacted.
    pub fn push(inv: &Inventory, args: &PushArgs, env: &Sources) -> Result<Plan, Error> {
        let (remote, sources) = (&args.remote, &args.local[..]);
        let remote = remote
            .to_str()
            .filter(|r| !r.is_empty())
            .ok_or_else(|| UsageError::BadRemotePath {
                path: remote.to_path_buf(),
            })?
            .to_string();
        let mode = args
            .mode
            .as_deref()
            .map(|m| {
                u32::from_str_radix(m, 8)
                    .ok()
                    .filter(|m| *m <= 0o7777)
                    .ok_or_else(|| UsageError::BadMode {
                        mode: m.to_string(),
                    })
            })
            .transpose()?;
        let timeout = parse_timeout(args.timeout.as_deref())?;
        let manifest =
            Manifest::build(sources, args.recursive, &remote).map_err(UsageError::from)?;
        let operation = Operation::Push(PushSpec {
            manifest,
            remote,
            mode,
            mkdir: args.mkdir,
            force: args.force,
            fsync: args.fsync,
            timeout,
        });
        Plan::new(inv, &args.common, env, operation)
    }

    pub fn pull(inv: &Inventory, args: &PullArgs, env: &Sources) -> Result<Plan, Error> {
        let (local, remotes) = (&args.local_dir, &args.remote[..]);
        if let Some(bad) = remotes.iter().find(|r| r.trim_end_matches('/').is_empty()) {
            return Err(Error::Usage(UsageError::PullRoot { path: bad.clone() }));
        }
        // The last component names the local copy: it must be a name of its own.
        if let Some(bad) = remotes
            .iter()
            .find(|r| matches!(crate::manifest::base(r), "." | ".."))
        {
            return Err(Error::Usage(UsageError::PullDotName { path: bad.clone() }));
        }
        let local_dir = PathBuf::from(local);
        if local_dir.exists() && !local_dir.is_dir() {
            return Err(Error::Usage(UsageError::NotADirectory {
                path: local.to_string(),
            }));
        }
        let timeout = parse_timeout(args.timeout.as_deref())?;
        let operation = Operation::Pull(PullSpec {
            remotes: remotes.to_vec(),
            local_dir,
            recursive: args.recursive,
            fsync: args.fsync,
            timeout,
        });
        Plan::new(inv, &args.common, env, operation)
    }

    fn new(
        inv: &Inventory,
        common: &Common,
        env: &Sources,
        operation: Operation,
    ) -> Result<Plan, Error> {
        let (pattern, connect, output, control) = (
            &common.selection.pattern,
            &common.connect,
            &common.output,
            &common.control,
        );
        let from_log = FromLog::new(env.log_dir);
        let hosts = select(inv, pattern, &from_log)?;
        let amount = |text: &Option<String>, flag: &str| {
            text.as_deref()
                .map(|t| {
                    parse_amount(t, hosts.len()).map_err(|reason| UsageError::BadValue {
                        flag: flag.to_string(),
                        reason: reason.into(),
                    })
                })
                .transpose()
        };
        let batch = amount(&control.batch, "--batch")?;
        let max_fail = amount(&control.max_fail, "--max-fail")?;
        let connect_timeout = connect
            .connect_timeout
            .as_deref()
            .map(|t| {
                parse_duration(t).map_err(|reason| UsageError::BadValue {
                    flag: "--connect-timeout".into(),
                    reason: reason.into(),
                })
            })
            .transpose()?;
        let resolver = Resolver::new(inv, env.ssh_config, connect_timeout, connect.accept_new)?;
        let targets = hosts
            .iter()
            .map(|h| resolver.target(h))
            .collect::<Result<Vec<Target>, _>>()?;
        let mode = if output.json {
            OutputMode::Json
        } else if output.stream {
            OutputMode::Stream
        } else {
            OutputMode::Blocks
        };
        Ok(Plan {
            operation,
            inventory: inv.path.clone(),
            pattern: pattern.to_string(),
            hosts,
            targets,
            forks: connect.forks as usize,
            ask_pass: connect.ask_pass,
            output: mode,
            output_limit: parse_size(&output.output_limit).map_err(|reason| {
                UsageError::BadValue {
                    flag: "--output-limit".into(),
                    reason: reason.into(),
                }
            })?,
            gather: output.gather.or(output.diff.then_some(GatherMode::Exact)),
            diff: output.diff,
            out_dir: output.out_dir.clone(),
            no_log_output: output.no_log_output,
            batch,
            max_fail,
            dry_run: control.dry_run,
            retry: connect.retry,
            sudo: {
                let p = &common.sudo;
                (p.sudo || p.sudo_user.is_some() || p.ask_become_pass).then(|| Sudo {
                    user: p.sudo_user.clone(),
                    ask_pass: p.ask_become_pass,
                })
            },
            selected_from: from_log.used(),
            audit: audit_settings(inv, &common.audit)?,
        })
    }
}

/// `--audit-forward`, `--audit-required` and `--audit-ca` on top of the inventory's `[audit]`.
fn audit_settings(
    inv: &Inventory,
    args: &crate::cli::AuditArgs,
) -> Result<crate::audit::forward::Settings, Error> {
    let mut settings = inv.audit.clone();
    for url in &args.forward {
        let dest = crate::audit::forward::Destination::parse(url).map_err(|reason| {
            UsageError::BadValue {
                flag: "--audit-forward".into(),
                reason: reason.into(),
            }
        })?;
        if !settings.destinations.contains(&dest) {
            settings.destinations.push(dest);
        }
    }
    settings.required |= args.required;
    if let Some(ca) = &args.ca_file {
        settings.ca_file = Some(ca.clone());
    }
    if settings.required && settings.destinations.is_empty() {
        return Err(Error::Usage(UsageError::NothingToRequire));
    }
    Ok(settings)
}

fn parse_timeout(text: Option<&str>) -> Result<Option<Duration>, Error> {
    text.map(|t| {
        parse_duration(t).map_err(|reason| {
            Error::Usage(UsageError::BadValue {
                flag: "--timeout".into(),
                reason: reason.into(),
            })
        })
    })
    .transpose()
}

/// The hosts `pattern` selects (its `@` terms read from the log); selecting none is an error,
/// not a silent no-op.
pub fn select(inv: &Inventory, pattern: &str, from_log: &FromLog) -> Result<Vec<Host>, Error> {
    let picked = inventory::pattern::select_with(inv, pattern, &|term| from_log.resolve(term))?;
    if picked.is_empty() {
        return Err(Error::Usage(UsageError::NoHostsSelected {
            pattern: pattern.to_string(),
        }));
    }
    Ok(picked.into_iter().map(|i| inv.hosts[i].clone()).collect())
}
