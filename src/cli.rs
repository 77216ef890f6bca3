//! Command-line arguments as typed (clap derive); `plan.rs` turns them into a checked plan.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// A literal, so it can be `concat!`ed into each subcommand's help.
macro_rules! exit_codes {
    () => {
        "\
Exit status:
  0    every host ok
  1    the command failed (non-zero exit) on some host
  2    usage, inventory or pattern error: nothing was contacted
  3    the audit log could not be written
  4    some host unreachable (connect, auth, host key, timeout)
  5    both 1 and 4
  6    stopped by --max-fail: some hosts were never started (skipped)
  130  interrupted (Ctrl-C)"
    };
}
const EXIT_CODES: &str = exit_codes!();

#[derive(Debug, Parser)]
#[command(
    name = "hostctl",
    version,
    about = "Run commands and copy files across groups of hosts over SSH, with an audit log.",
    long_about = "Run commands and copy files across groups of hosts over SSH, in parallel, \
        with every operation recorded in an append-only audit log.\n\n\
        Hosts and groups come from an inventory (hosts.toml). Select hosts with -g PATTERN: \
        comma-separated group or host names, globs (web*), ranges (web[01:04]), !NAME to \
        exclude, &NAME to intersect. Example: -g 'web,db,!web03'.",
    after_help = EXIT_CODES,
    after_long_help = EXIT_CODES
)]
pub struct Cli {
    /// Inventory file
    #[arg(
        short = 'i',
        long,
        value_name = "PATH",
        env = "HOSTCTL_INVENTORY",
        default_value = "hosts.toml",
        global = true
    )]
    pub inventory: PathBuf,

    /// OpenSSH client config to read [default: ~/.ssh/config if it exists]
    #[arg(
        short = 'F',
        long = "ssh-config",
        value_name = "FILE",
        env = "HOSTCTL_SSH_CONFIG",
        global = true
    )]
    pub ssh_config: Option<PathBuf>,

    /// Audit log directory [default: logs/ next to the inventory]
    #[arg(long, value_name = "DIR", env = "HOSTCTL_LOG_DIR", global = true)]
    pub log_dir: Option<PathBuf>,

    /// Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the hosts a pattern selects, with their settings, without connecting
    #[command(
        after_help = "Examples:\n  hostctl hosts -g web\n  hostctl hosts -g 'prod,!db' --json"
    )]
    Hosts(HostsArgs),
    /// Run a shell command on every selected host
    #[command(
        after_help = concat!(
            "Examples:\n  hostctl run -g web uptime\n",
            "  hostctl run -g 'web,db,!web03' -f 100 --timeout 30s -- df -h /\n",
            "  hostctl run -g db --json 'systemctl is-active postgresql' | jq .\n\n",
            exit_codes!()
        )
    )]
    Run(RunArgs),
    /// Copy local files to every selected host (atomic and verified on each host)
    #[command(after_help = concat!(
        "Examples:\n  hostctl push -g db backup.sh /usr/local/bin\n",
        "  hostctl push -g web --mode 0640 --mkdir app.conf /etc/app/app.conf\n",
        "  hostctl push -g web -r ./site /srv/www\n\n",
        "A REMOTE that is an existing directory receives the files under their own names; otherwise\n",
        "it is the target file name (a single source) or the directory to create (-r, or several\n",
        "sources, with --mkdir). Each file is written to a hidden temporary next to its target,\n",
        "checked against the local SHA-256, then renamed: an interrupted copy never leaves a partial\n",
        "file at the target name. Hosts that already hold identical content report `unchanged`.\n",
        "With -r, directories are created (empty ones too) and symlinks are recreated as symlinks.\n\n",
        exit_codes!()
    ))]
    #[command(override_usage = "hostctl push [OPTIONS] -g <PATTERN> <LOCAL>... <REMOTE>")]
    Push(PushArgs),
    /// Copy files from every selected host into LOCAL_DIR/<host>/
    #[command(after_help = concat!(
        "Examples:\n  hostctl pull -g db /var/log/postgresql/postgresql.log ./logs-db\n",
        "  hostctl pull -g web -r /etc/nginx ./nginx-configs\n\n",
        "Each host's copy lands in LOCAL_DIR/<host>/<name>, so hosts never overwrite each other;\n",
        "local writes are atomic and verified against the host's SHA-256 of what it sent.\n\n",
        exit_codes!()
    ))]
    #[command(override_usage = "hostctl pull [OPTIONS] -g <PATTERN> <REMOTE>... <LOCAL_DIR>")]
    Pull(PullArgs),
    /// Review the audit log: list operations, show one, verify the chain, prune old files
    #[command(
        after_help = "Examples:\n  hostctl log                          recent operations, newest first\n  hostctl log --failed --since 2d      what went wrong lately\n  hostctl log --host web03 --op push   pushes that touched web03\n  hostctl log show 1a20cc58            one operation, every host's output\n  hostctl log verify                   check that nobody edited the log\n  hostctl log prune --older-than 90d   drop whole daily files, keeping the chain verifiable"
    )]
    Log(LogArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(
        after_help = "Examples:\n  hostctl completions bash > /etc/bash_completion.d/hostctl\n  hostctl completions zsh > \"${fpath[1]}/_hostctl\"\n  hostctl completions fish > ~/.config/fish/completions/hostctl.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from this help
    #[command(after_help = "Example:\n  hostctl man > /usr/local/share/man/man1/hostctl.1")]
    Man,
}

#[derive(Debug, Args)]
pub struct HostsArgs {
    /// Hosts to list [default: all]
    #[arg(
        short = 'g',
        long = "group",
        value_name = "PATTERN",
        default_value = "all"
    )]
    pub pattern: String,
    /// One JSON array of hosts on stdout
    #[arg(long)]
    pub json: bool,
}

/// What run, push and pull share: which hosts, how to connect, how to report, how to roll out.
#[derive(Debug, Args)]
pub struct Common {
    #[command(flatten)]
    pub selection: Selection,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub control: ControlArgs,
    #[command(flatten)]
    pub privilege: PrivilegeArgs,
}

/// Commands and transfers through sudo on the hosts.
#[derive(Debug, Args)]
#[command(next_help_heading = "Privilege")]
pub struct PrivilegeArgs {
    /// Run the command (or the transfer) through sudo (as root, or --sudo-user)
    #[arg(long)]
    pub sudo: bool,
    /// Act as this user through sudo (implies --sudo)
    #[arg(long, value_name = "USER")]
    pub sudo_user: Option<String>,
    /// Ask once for the sudo password and give it to sudo on each host through stdin (never in
    /// process lists, output or the log); without it sudo must not need a password
    #[arg(long, short = 'K')]
    pub ask_become_pass: bool,
}

#[derive(Debug, Args)]
pub struct Selection {
    /// Hosts to act on: groups, hosts, globs, ranges; `!x` excludes, `&x` intersects
    #[arg(short = 'g', long = "group", value_name = "PATTERN", required = true)]
    pub pattern: String,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectArgs {
    /// Hosts worked on at once
    #[arg(short = 'f', long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub forks: u32,
    /// Connect timeout, overriding the inventory (e.g. 5s)
    #[arg(long, value_name = "DURATION")]
    pub connect_timeout: Option<String>,
    /// Record unknown host keys in known_hosts and proceed (changed keys still fail)
    #[arg(long)]
    pub accept_new: bool,
    /// Ask once for an SSH password (not echoed, never logged; read from stdin when it is not a terminal)
    #[arg(long)]
    pub ask_pass: bool,
    /// Retry hosts that could not be connected to, up to N more times (never re-runs a command)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retry: u32,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Rollout")]
pub struct ControlArgs {
    /// Rolling execution: N hosts (or N%) at a time, each batch after the previous one finished
    #[arg(long, value_name = "N|N%")]
    pub batch: Option<String>,
    /// Stop starting hosts (and batches) once N hosts (or N%) failed; the rest are `skipped`
    #[arg(long, value_name = "N|N%")]
    pub max_fail: Option<String>,
    /// Print what would run where, and contact nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Print output lines as they arrive, prefixed by host
    #[arg(long, conflicts_with = "json")]
    pub stream: bool,
    /// One JSON object per host result, then a summary object (JSON lines)
    #[arg(long)]
    pub json: bool,
    /// Output kept per host and stream for display (bytes, or with K/M/G suffix)
    #[arg(long, value_name = "SIZE", default_value = "1M")]
    pub output_limit: String,
    /// Show hosts with identical output and result once, under their folded names (web[01-12])
    #[arg(short = 'b', long, conflicts_with_all = ["stream", "json"])]
    pub gather: bool,
    /// Also write each host's whole stdout and stderr to DIR/<host>.out and DIR/<host>.err
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Keep the output out of the audit log: it records each stream's size and SHA-256 only
    /// (for commands whose output is secret)
    #[arg(long)]
    pub no_log_output: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Stop the command after this long (e.g. 30s, 5m); it is killed on the host too
    #[arg(long, value_name = "DURATION", help_heading = "Command")]
    pub timeout: Option<String>,
    /// Give hostctl's standard input to the command on every host (read once, up to 64 MiB;
    /// after the password lines of --ask-pass and -K when stdin is not a terminal)
    #[arg(short = 'I', long, help_heading = "Command")]
    pub stdin: bool,
    /// The command, run by the login shell on each host
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
    // Last: the options every operation shares come after its own, under their headings.
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Copy directories and their contents
    #[arg(short, long, help_heading = "Transfer")]
    pub recursive: bool,
    /// File mode on the hosts, octal (default: the local file's mode)
    #[arg(long, value_name = "OCTAL", help_heading = "Transfer")]
    pub mode: Option<String>,
    /// Create missing remote directories
    #[arg(long, help_heading = "Transfer")]
    pub mkdir: bool,
    /// Copy even to hosts that already hold identical content
    #[arg(long, help_heading = "Transfer")]
    pub force: bool,
    /// Flush each file (and its directory) to disk on the host before reporting success, so
    /// the copy survives a power loss; off by default, as with scp, rsync and cp
    #[arg(long, help_heading = "Transfer")]
    pub fsync: bool,
    /// Stop a host's transfer after this long (e.g. 10m)
    #[arg(long, value_name = "DURATION", help_heading = "Transfer")]
    pub timeout: Option<String>,
    /// Local files (and directories with -r), then the remote destination
    #[arg(required = true, num_args = 2.., value_names = ["LOCAL", "REMOTE"])]
    pub paths: Vec<std::path::PathBuf>,
    // Last: the options every operation shares come after its own, under their headings.
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Copy directories and their contents
    #[arg(short, long, help_heading = "Transfer")]
    pub recursive: bool,
    /// Flush each local copy (and its directory) to disk before reporting success, so it
    /// survives a power loss; off by default, as with scp, rsync and cp
    #[arg(long, help_heading = "Transfer")]
    pub fsync: bool,
    /// Stop a host's transfer after this long (e.g. 10m)
    #[arg(long, value_name = "DURATION", help_heading = "Transfer")]
    pub timeout: Option<String>,
    /// Remote paths, then the local directory (each host gets LOCAL_DIR/<host>/)
    #[arg(required = true, num_args = 2.., value_names = ["REMOTE", "LOCAL_DIR"])]
    pub paths: Vec<String>,
    // Last: the options every operation shares come after its own, under their headings.
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LogArgs {
    #[command(subcommand)]
    pub command: Option<LogCommand>,
    #[command(flatten)]
    pub list: LogListArgs,
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Operations, newest first, one line each (the default)
    List(LogListArgs),
    /// One operation in full: every host's status, exit code, duration, bytes and output
    Show(LogShowArgs),
    /// Check the hash chain; exit 0 when intact, 1 when a record was edited, removed or reordered
    Verify(JsonArg),
    /// Remove whole daily files older than a cut-off, and record that it was done
    Prune(LogPruneArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OpKind {
    Run,
    Push,
    Pull,
}

#[derive(Debug, Args, Default)]
pub struct LogListArgs {
    /// Operations that touched this host
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Operations that touched a host of this group
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// Only this kind of operation
    #[arg(long, value_enum)]
    pub op: Option<OpKind>,
    /// Only operations where some host failed, was unreachable, or that never finished
    #[arg(long)]
    pub failed: bool,
    /// Started at or after: 2h, 3d, 2026-11-24, 2026-11-24T08:00:00Z
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Started before: same forms as --since
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Run by this operator (`user` or `user@machine`)
    #[arg(long, value_name = "WHO")]
    pub operator: Option<String>,
    /// Command or paths containing this text
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// At most this many operations
    #[arg(short = 'n', long, default_value_t = 20)]
    pub limit: usize,
    /// JSON lines, one operation each
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LogShowArgs {
    /// Operation id (a unique prefix is enough)
    pub id: String,
    /// Only this host's result
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// One JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct JsonArg {
    /// One JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LogPruneArgs {
    /// Remove daily files entirely older than this (e.g. 90d)
    #[arg(long, value_name = "AGE", required = true)]
    pub older_than: String,
}
