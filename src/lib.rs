//! hostctl: run commands and copy files across groups of hosts over SSH, with an audit log.
//!
//! args + hosts.toml -> validated plan -> executor -> events -> (renderer, audit log)

pub mod audit;
pub mod cli;
pub mod diff;
pub mod digest;
pub mod error;
pub mod event;
pub mod executor;
mod flock;
pub mod inventory;
pub mod man;
pub mod manifest;
pub mod ops;
mod os;
mod pick;
pub mod plan;
mod quantity;
pub mod render;
pub mod report;
pub mod reporter;
pub mod resolve;
pub mod review;
pub mod show;
pub mod ssh;
pub mod ssh_config;
pub mod status;
mod suggest;
pub mod temp_name;
mod wildcard;

use cli::{Cli, Command, HostsArgs};
use error::{Error, UsageError};
use inventory::Inventory;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Runs one hostctl invocation and returns its exit status.
pub fn run(cli: Cli) -> Result<u8, Error> {
    // These need no inventory: reviewing the log must work even when it is broken.
    match &cli.command {
        Command::Log(args) => return review::log(&log_dir(&cli), args),
        Command::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(
                *shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "hostctl",
                &mut text,
            );
            // `| head` closing the pipe early is not an error worth reporting.
            let _ = std::io::stdout().lock().write_all(&text);
            return Ok(0);
        }
        Command::Man { dir: None } => {
            let _ = std::io::stdout().lock().write_all(&man::top_page().roff);
            return Ok(0);
        }
        Command::Man { dir: Some(dir) } => {
            let written = man::write_all(dir).map_err(|source| Error::ManPages {
                dir: dir.clone(),
                source,
            })?;
            let list: String = written
                .iter()
                .map(|p| format!("{}\n", p.display()))
                .collect();
            let _ = std::io::stdout().lock().write_all(list.as_bytes());
            return Ok(0);
        }
        _ => {}
    }
    let inv = Inventory::load(&cli.inventory)?;
    let log_dir = log_dir(&cli);
    let sources = plan::Sources {
        ssh_config: cli.ssh_config.as_deref(),
        log_dir: &log_dir,
    };
    match &cli.command {
        Command::Hosts(args) => hosts(&inv, args, &sources),
        Command::Run(args) => operate(&cli, plan::Plan::run(&inv, args, &sources)?),
        Command::Push(args) => operate(&cli, plan::Plan::push(&inv, args, &sources)?),
        Command::Pull(args) => operate(&cli, plan::Plan::pull(&inv, args, &sources)?),
        Command::Log(_) | Command::Completions { .. } | Command::Man { .. } => {
            unreachable!("handled above")
        }
    }
}

/// Runs a checked plan on its hosts, with its audit records.
fn operate(cli: &Cli, plan: plan::Plan) -> Result<u8, Error> {
    if plan.dry_run {
        let _ = std::io::stdout()
            .lock()
            .write_all(ops::dry_run(&plan).as_bytes());
        return Ok(0);
    }
    if let Some(dir) = &plan.out_dir {
        std::fs::create_dir_all(dir).map_err(|source| UsageError::OutDir {
            dir: dir.clone(),
            source,
        })?;
    }
    let shared = Arc::new(ops::shared::Shared::new(&plan)?);
    let job = ops::job(&plan, shared.clone());
    let mut log = audit::AuditLog::open(&log_dir(cli))?;
    if !plan.audit.destinations.is_empty() {
        log.forward_to(audit::forward::Forwarder::start(
            &log_dir(cli),
            &plan.audit,
        )?);
    }
    ops::execute(plan, &shared, job, &mut log)
}

/// `--log-dir`, else `logs/` next to the inventory.
pub fn log_dir(cli: &Cli) -> PathBuf {
    cli.log_dir.clone().unwrap_or_else(|| {
        cli.inventory
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("logs")
    })
}

/// The hosts a pattern selects, with every setting resolved (inventory, ssh_config, defaults).
fn hosts(inv: &Inventory, args: &HostsArgs, sources: &plan::Sources) -> Result<u8, Error> {
    let from_log = audit::select::FromLog::new(sources.log_dir);
    let hosts = plan::select(inv, &args.pattern, &from_log)?;
    let resolver = resolve::Resolver::new(inv, sources.ssh_config, None, false)?;
    let routes = hosts
        .iter()
        .map(|h| resolver.route(h))
        .collect::<Result<Vec<_>, _>>()?;
    let targets: Vec<&ssh::Target> = routes.iter().map(|r| &r.target).collect();
    let via = |t: &ssh::Target| t.jump.iter().map(|j| j.name.clone()).collect::<Vec<_>>();
    let mut out = std::io::stdout().lock();
    if args.json {
        let list: Vec<serde_json::Value> = hosts
            .iter()
            .zip(&routes)
            .map(
                |(
                    h,
                    resolve::Route {
                        target: t,
                        jump_specs: specs,
                    },
                )| {
                    let mut entry = target_json(t);
                    entry["jump"] = serde_json::json!(via(t));
                    entry["proxy_jump"] = serde_json::json!(specs);
                    entry["hops"] = t.jump.iter().map(target_json).collect();
                    entry["groups"] = serde_json::json!(h.groups);
                    entry
                },
            )
            .collect();
        let mut text = serde_json::to_string_pretty(&list).expect("hosts serialize");
        text.push('\n');
        let _ = out.write_all(text.as_bytes());
        return Ok(0);
    }
    let name_w = targets
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let addr_w = targets
        .iter()
        .map(|t| t.address.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let mut text = format!(
        "{:name_w$}  {:addr_w$}  {:>5}  {:12}  GROUPS\n",
        "HOST", "ADDRESS", "PORT", "USER"
    );
    for (h, t) in hosts.iter().zip(targets.iter().copied()) {
        let jump = via(t);
        let jump = if jump.is_empty() {
            String::new()
        } else {
            format!("  (via {})", jump.join(" -> "))
        };
        text.push_str(&format!(
            "{:name_w$}  {:addr_w$}  {:>5}  {:12}  {}{jump}\n",
            t.name,
            t.address,
            t.port,
            t.user,
            h.groups.join(",")
        ));
    }
    text.push_str(&format!(
        "{} host{}\n",
        hosts.len(),
        if hosts.len() == 1 { "" } else { "s" }
    ));
    let _ = out.write_all(text.as_bytes());
    Ok(0)
}

/// Every setting hostctl resolved for one host (or one jump host), as `hosts --json` shows it.
fn target_json(t: &ssh::Target) -> serde_json::Value {
    serde_json::json!({
        "name": t.name, "address": t.address, "port": t.port, "user": t.user,
        "identity_files": t.identity_files, "certificate_files": t.certificate_files,
            "identities_only": t.identities_only,
            "known_hosts": t.known_hosts,
        "connect_timeout_s": t.connect_timeout.as_secs_f64(),
        "keepalive_s": t.keepalive.as_secs_f64(),
        "strict_host_key_checking": if t.accept_new { "accept-new" } else { "yes" },
    })
}
