//! Command-line arguments as typed (clap derive); `plan.rs` turns them into a checked plan.
//! Each command's examples, notes and exit statuses (its [`Guide`]) are here too, so `--help`
//! and the man pages (`man.rs`) say the same.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

use crate::status::Exit;

/// What `--help` shows after the options, and the man page in its DESCRIPTION, EXAMPLES and
/// EXIT STATUS sections: for one command, as typed after `hostctl` (`""`, `run`, `log show`).
pub struct Guide {
    /// Command lines, each with what it does (at most 78 columns together in `--help`).
    pub examples: &'static [(&'static str, &'static str)],
    /// Paragraphs, one line each (clap and the man page wrap them).
    pub notes: &'static [&'static str],
    /// The statuses this command can exit with, from the one table in `status.rs`.
    pub exits: &'static [Exit],
}

/// What an operation on hosts (`run`, `push`, `pull`) can exit with.
const OPERATION_EXITS: &[Exit] = &[
    Exit::Ok,
    Exit::Failed,
    Exit::Usage,
    Exit::Audit,
    Exit::Unreachable,
    Exit::FailedAndUnreachable,
    Exit::Stopped,
    Exit::Interrupted,
];

/// What a command that contacts no host and writes nothing can exit with.
const LOCAL_EXITS: &[Exit] = &[Exit::Done, Exit::Usage];

/// The guide of one command (`""` is `hostctl` itself); `None` for a command that has none.
pub fn guide(command: &str) -> Option<&'static Guide> {
    Some(match command {
        "" => &Guide {
            examples: &[
                (
                    "hostctl hosts -g prod",
                    "what -g prod selects; no connection",
                ),
                (
                    "hostctl run -g 'web,!web03' uptime",
                    "on the web hosts but web03",
                ),
                (
                    "hostctl push -g web app.conf /etc/app/",
                    "into /etc/app/ on each host",
                ),
                (
                    "hostctl pull -g db /etc/hosts ./got",
                    "to ./got/<host>/hosts",
                ),
                (
                    "hostctl run -g @last:failed uptime",
                    "again where the last run failed",
                ),
                ("hostctl log", "who ran what, where, how it went"),
            ],
            notes: &[
                "Each command has its own --help and man page (hostctl-run(1), ...). \
                 hostctl's own options go before a command's arguments.",
            ],
            exits: &Exit::ALL,
        },
        "hosts" => &Guide {
            examples: &[
                ("hostctl hosts", "every host in the inventory"),
                (
                    "hostctl hosts -g web",
                    "the web group, with addresses and users",
                ),
                (
                    "hostctl hosts -g 'prod,!db' --json",
                    "every setting, resolved",
                ),
            ],
            notes: &[
                "Nothing is contacted. Each setting is resolved as a run resolves it: the \
                 inventory (host, nearest group, [defaults]), then ssh_config, then the \
                 built-in defaults. A host behind jump hosts shows its route (via bastion).",
            ],
            exits: LOCAL_EXITS,
        },
        "run" => &Guide {
            examples: &[
                ("hostctl run -g web uptime", "on every web host"),
                (
                    "hostctl run -g 'web,db,!web03' -f 100 --timeout 30s -- df -h /",
                    "100 hosts at a time, each stopped after 30 s",
                ),
                (
                    "hostctl run -g web --batch 2 --max-fail 1 'systemctl restart app'",
                    "two hosts at a time; none started after a failure",
                ),
                (
                    "hostctl run -g @last:failed 'systemctl restart app'",
                    "again, on the hosts where the last operation failed",
                ),
                (
                    "hostctl run -g web --diff 'cat /etc/app.conf'",
                    "the common output once, and how the other hosts differ",
                ),
                (
                    "hostctl run -g db --json 'systemctl is-active postgresql'",
                    "one JSON object per host, then a summary",
                ),
                (
                    "hostctl run -g web -I 'sh -s' < fix-perms.sh",
                    "a local script, given to the shell on every host",
                ),
            ],
            notes: &[
                "Each host's output is printed whole when that host finishes, so hosts come \
                 in the order they finish; -b folds identical outputs, --stream prints lines \
                 as they arrive.",
                "hostctl's options go before COMMAND. A word after COMMAND that is also one of \
                 hostctl's options (--dry-run, --timeout 5s, -b, -f 10, -h, ...) could mean \
                 either, so it is refused with exit 2 and nothing runs. To give it to the \
                 command, put `--` before the command: everything after `--` goes to the \
                 command untouched.",
                "Ctrl-C once: no more hosts start (they are `skipped`), running ones finish. \
                 Ctrl-C again, or SIGTERM: the command is stopped on the running hosts \
                 (SIGTERM to its process group there, KILL 2 s later), and they are reported \
                 `aborted`.",
            ],
            exits: OPERATION_EXITS,
        },
        "push" => &Guide {
            examples: &[
                (
                    "hostctl push -g db backup.sh /usr/local/bin/",
                    "lands at /usr/local/bin/backup.sh",
                ),
                (
                    "hostctl push -g web --mode 0640 --mkdir app.conf /etc/app/app.conf",
                    "lands at /etc/app/app.conf; /etc/app is created if missing",
                ),
                (
                    "hostctl push -g web -r ./site /srv/www",
                    "lands at /srv/www/site/...",
                ),
                (
                    "hostctl push -g web -r ./site/ /srv/www",
                    "lands at /srv/www/...: what is inside site",
                ),
                (
                    "hostctl push -g web --sudo app.conf /etc/app/",
                    "written as root, through sudo on each host",
                ),
                (
                    "hostctl push -g web --dry-run -r ./site /srv/www",
                    "every final path, and nothing contacted",
                ),
            ],
            notes: &[
                "Where files land comes from the command line alone, the same on every host \
                 and every run: one file goes to REMOTE itself, unless REMOTE ends in `/`; \
                 several sources, or -r with a directory, go into REMOTE. A directory LOCAL \
                 keeps its name (`site` -> REMOTE/site); one ending in `/` copies its \
                 contents. The receiving directory must exist (--mkdir creates it). A host \
                 where a directory stands in a file's place fails, with nothing changed there.",
                "Each file is written to a hidden temporary next to its target, checked on the \
                 host against the local SHA-256, then renamed: an interrupted copy never leaves \
                 a partial file at the target name. Hosts that already hold identical content \
                 report `unchanged`, and nothing is written. With -r, directories are created \
                 (empty ones too) and symlinks are recreated as symlinks.",
                "A failure names its cause and the path: permission denied writing \
                 `/etc/app.conf` (try --sudo).",
            ],
            exits: OPERATION_EXITS,
        },
        "pull" => &Guide {
            examples: &[
                (
                    "hostctl pull -g db /var/log/postgresql/postgresql.log ./logs",
                    "./logs/db01/postgresql.log, ./logs/db02/...",
                ),
                (
                    "hostctl pull -g web -r /etc/nginx ./configs",
                    "./configs/<host>/nginx/... for each host",
                ),
                (
                    "hostctl pull -g web --sudo /var/log/auth.log ./auth",
                    "read as root, through sudo on each host",
                ),
            ],
            notes: &[
                "Each host's copy lands in LOCAL_DIR/<host>/<name>, so hosts never overwrite \
                 each other. Local writes are atomic and verified against the host's SHA-256 \
                 of what it sent. Files already identical locally are left alone \
                 (`unchanged`).",
                "Nothing a host sends is written outside LOCAL_DIR/<host>/: no symlink there \
                 is followed, names with `..` are refused, and a host is cut off at the size \
                 it listed.",
            ],
            exits: OPERATION_EXITS,
        },
        "log" => &Guide {
            examples: &[
                ("hostctl log", "recent operations, newest first"),
                ("hostctl log --failed --since 2d", "what went wrong lately"),
                (
                    "hostctl log --host web03 --op push",
                    "pushes that touched web03",
                ),
                (
                    "hostctl log show 1a20cc58",
                    "one operation, each host's output",
                ),
                ("hostctl log verify", "check that nobody edited the log"),
                (
                    "hostctl log diff 1a21a0 1a2f33",
                    "how two runs differ, per host",
                ),
                (
                    "hostctl log report --since 7d -o week.html",
                    "one page to read or attach",
                ),
                (
                    "hostctl log prune --older-than 90d",
                    "drop old days; the rest verifies",
                ),
            ],
            notes: &[
                "Without a subcommand, `hostctl log` lists operations (`hostctl log list`). \
                 Reading never changes the log, and needs no inventory, so it works even \
                 when hosts.toml is broken.",
            ],
            exits: LOCAL_EXITS,
        },
        "log list" => &Guide {
            examples: &[
                ("hostctl log list -n 50", "the 50 newest"),
                (
                    "hostctl log --group db --operator alice --grep restart",
                    "filters combine",
                ),
                (
                    "hostctl log --since 2026-11-24 --until 2026-11-25",
                    "one day (UTC)",
                ),
            ],
            notes: &[
                "One line per operation: id, start time, operator, operation, pattern, \
                 command or paths, and how many hosts ended in each status. An operation that \
                 never recorded its end shows as `interrupted`; one still running on this \
                 machine as `running`.",
            ],
            exits: LOCAL_EXITS,
        },
        "log show" => &Guide {
            examples: &[
                (
                    "hostctl log show 1a20cc58",
                    "every host's status, duration and output",
                ),
                ("hostctl log show 1a20 --host web03", "one host of it"),
                (
                    "hostctl log show 1a20cc58 --json",
                    "the same, as one JSON object",
                ),
            ],
            notes: &["An id prefix is enough when it is unique; `hostctl log` lists the ids."],
            exits: LOCAL_EXITS,
        },
        "log verify" => &Guide {
            examples: &[
                (
                    "hostctl log verify",
                    "walk the chain; exit 1 at the first break",
                ),
                (
                    "hostctl log verify --verify-key audit.key",
                    "every seal too (see log seal init)",
                ),
                (
                    "hostctl log verify --json",
                    "the verdict as one JSON object",
                ),
            ],
            notes: &[
                "Every record carries the SHA-256 of the line before it, across all daily \
                 files, and .head anchors the newest. verify names the first record that does \
                 not fit (file, line, operation id). A record cut short by a crash, and a full \
                 disk, are told apart from tampering.",
                "The chain alone cannot catch a rewrite from some record on with every later \
                 hash and .head recomputed. A sealed log (`hostctl log seal init`) verified \
                 with --verify-key can, except within the epoch still open; forwarding copies \
                 every record off the machine as it is written.",
            ],
            exits: &[Exit::Intact, Exit::NotIntact, Exit::Usage],
        },
        "log seal" => &Guide {
            examples: &[(
                "hostctl log seal init --verify-key /media/auditor/hostctl.key",
                "seal from now on",
            )],
            notes: &["Forward-secure sealing of the audit log; `init` starts it."],
            exits: LOCAL_EXITS,
        },
        "log seal init" => &Guide {
            examples: &[
                (
                    "hostctl log seal init --verify-key /media/auditor/hostctl.key",
                    "start sealing",
                ),
                (
                    "hostctl log verify --verify-key /media/auditor/hostctl.key",
                    "later, anywhere",
                ),
            ],
            notes: &[
                "Keep the key off this machine: whoever holds it can forge seals. Someone who \
                 takes root here later holds only the current key, so records sealed before \
                 then cannot be changed, re-sealed or cut off without `log verify \
                 --verify-key` naming the record.",
            ],
            exits: &[Exit::Done, Exit::Usage, Exit::Audit],
        },
        "log forward" => &Guide {
            examples: &[
                (
                    "hostctl log forward",
                    "drain every spool under the log directory",
                ),
                (
                    "hostctl log forward --audit-forward syslog+tcp://logs:514",
                    "and to this destination",
                ),
            ],
            notes: &[
                "Records wait in a spool per destination (under the log directory, in \
                 forward/) while a collector is down; each operation also sends them first, \
                 before its own.",
            ],
            exits: &[Exit::Done, Exit::Usage, Exit::Audit],
        },
        "log prune" => &Guide {
            examples: &[(
                "hostctl log prune --older-than 90d",
                "keep the last 90 days",
            )],
            notes: &[
                "Removes whole daily files older than AGE and records that it did, so \
                 `hostctl log verify` still passes on what remains. A day deleted by hand is \
                 reported by verify.",
            ],
            exits: &[Exit::Done, Exit::Usage, Exit::Audit],
        },
        "log report" => &Guide {
            examples: &[
                (
                    "hostctl log report -o report.html",
                    "the last 20 operations (-n for more)",
                ),
                (
                    "hostctl log report --since 7d --group web -o web-week.html",
                    "a week of the web group",
                ),
            ],
            notes: &[
                "The page needs no server and loads nothing from anywhere: open it in any \
                 browser, attach it to a ticket or mail it. Output from the hosts is shown as \
                 text, never as markup.",
            ],
            exits: LOCAL_EXITS,
        },
        "log diff" => &Guide {
            examples: &[
                (
                    "hostctl run -g web 'sha256sum /etc/app/*.conf'",
                    "today, and again tomorrow",
                ),
                (
                    "hostctl log diff 1a21a0 1a2f33",
                    "what changed on each host",
                ),
                (
                    "hostctl log diff 1a21a0 1a2f33 --host web03 --json",
                    "one host, as JSON",
                ),
            ],
            notes: &[
                "Ids are unique prefixes, as `hostctl log` lists them. The log keeps the first \
                 64 KiB of each host's output; the diff covers that part and says so when \
                 output was cut.",
            ],
            exits: &[Exit::Same, Exit::Differs, Exit::Usage],
        },
        "completions" => &Guide {
            examples: &[
                (
                    "hostctl completions bash > /etc/bash_completion.d/hostctl",
                    "for bash, system-wide",
                ),
                (
                    "hostctl completions zsh > \"${fpath[1]}/_hostctl\"",
                    "for zsh",
                ),
                (
                    "hostctl completions fish > ~/.config/fish/completions/hostctl.fish",
                    "for fish",
                ),
            ],
            notes: &[],
            exits: LOCAL_EXITS,
        },
        "man" => &Guide {
            examples: &[
                (
                    "hostctl man > hostctl.1 && man -l hostctl.1",
                    "the top page",
                ),
                (
                    "hostctl man /usr/local/share/man/man1",
                    "every page: hostctl-run.1, ...",
                ),
            ],
            notes: &["The pages are generated from the same definitions as --help."],
            exits: LOCAL_EXITS,
        },
        _ => return None,
    })
}

impl Guide {
    /// The text `--help` shows after the options: examples, notes, exit statuses.
    pub fn help(&self) -> String {
        let mut text = String::from("Examples:\n");
        // Comments in a column when every line fits in 80 columns, else under their command.
        let width = self
            .examples
            .iter()
            .map(|(c, _)| c.len())
            .max()
            .unwrap_or(0);
        let longest = self
            .examples
            .iter()
            .map(|(_, w)| w.len())
            .max()
            .unwrap_or(0);
        let aligned = 2 + width + 3 + longest <= 80;
        for (command, what) in self.examples {
            if aligned {
                text.push_str(&format!("  {command:width$}   {what}\n"));
            } else {
                text.push_str(&format!("  {command}\n      {what}\n"));
            }
        }
        for note in self.notes {
            text.push_str(&format!("\n{note}\n"));
        }
        text.push('\n');
        text.push_str(&Exit::help_for(self.exits));
        text
    }
}

/// `after_help` of one command: its guide.
fn guide_help(command: &str) -> String {
    guide(command).map(Guide::help).unwrap_or_default()
}

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
    after_help = guide_help("")
)]
pub struct Cli {
    /// Inventory file
    #[arg(
        short = 'i',
        long,
        value_name = "PATH",
        env = "HOSTCTL_INVENTORY",
        default_value = "hosts.toml",
        global = true,
        help_heading = "Global options"
    )]
    pub inventory: PathBuf,

    /// OpenSSH client config to read [default: ~/.ssh/config if it exists]
    #[arg(
        short = 'F',
        long = "ssh-config",
        value_name = "FILE",
        env = "HOSTCTL_SSH_CONFIG",
        global = true,
        help_heading = "Global options"
    )]
    pub ssh_config: Option<PathBuf>,

    /// Audit log directory [default: logs/ next to the inventory]
    #[arg(
        long,
        value_name = "DIR",
        env = "HOSTCTL_LOG_DIR",
        global = true,
        help_heading = "Global options"
    )]
    pub log_dir: Option<PathBuf>,

    /// Diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help_heading = "Global options")]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the hosts a pattern selects, with their settings, without connecting
    #[command(after_help = guide_help("hosts"))]
    Hosts(HostsArgs),
    /// Run a shell command on every selected host
    #[command(after_help = guide_help("run"))]
    Run(RunArgs),
    /// Copy local files to every selected host (atomic and verified on each host)
    #[command(after_help = guide_help("push"))]
    Push(PushArgs),
    /// Copy files from every selected host into LOCAL_DIR/<host>/
    #[command(after_help = guide_help("pull"))]
    Pull(PullArgs),
    /// Review the audit log: list operations, show one, verify the chain, prune old files
    #[command(after_help = guide_help("log"))]
    Log(LogArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(after_help = guide_help("completions"))]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write every page into a directory
    #[command(after_help = guide_help("man"))]
    Man {
        /// Write every page (hostctl.1, hostctl-run.1, ...) into DIR, creating it, instead of
        /// printing hostctl(1)
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct HostsArgs {
    /// Hosts to list
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
    pub sudo: SudoArgs,
    #[command(flatten)]
    pub audit: AuditArgs,
}

/// Where the audit records also go (added to the inventory's `[audit]`).
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Audit")]
pub struct AuditArgs {
    /// Also send every audit record to URL: syslog+udp://HOST:PORT, syslog+tcp://HOST:PORT,
    /// syslog+tls://HOST:PORT or journald (repeatable)
    #[arg(long = "audit-forward", value_name = "URL")]
    pub forward: Vec<String>,
    /// Contact no host until the start record reached every destination, and start no more
    /// hosts once a record cannot be delivered (exit 3)
    #[arg(long = "audit-required")]
    pub required: bool,
    /// CA certificates (PEM) that syslog+tls collectors must chain to
    #[arg(long = "audit-ca", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

/// Commands and transfers through sudo on the hosts.
#[derive(Debug, Args)]
#[command(next_help_heading = "Privilege")]
pub struct SudoArgs {
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
    /// Hosts to act on: groups, hosts, globs, ranges; `!x` excludes, `&x` intersects;
    /// `@last:failed` re-selects from the audit log
    #[arg(
        short = 'g',
        long = "group",
        value_name = "PATTERN",
        required = true,
        long_help = "Hosts to act on: comma-separated group or host names, globs (web*), \
            ranges (web[01:04]); `!x` excludes, `&x` intersects.\n\
            `@last`, `@mylast` or `@ID` (an operation id prefix from `hostctl log`) select the \
            hosts of that earlier operation, optionally by status: `@last:failed` (failed, \
            timeout, unreachable or aborted), `@last:ok`, `@ID:timeout`... `@last` is the newest \
            operation in this log directory by anyone; `@mylast` the newest by you \
            (user@machine). Example: -g 'web,&@last:failed'"
    )]
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
    /// Stop starting hosts (and batches) once N hosts (or N%) failed, timed out or were
    /// unreachable; the rest are `skipped`. Hosts already running are never stopped, so when
    /// all start at once (-f and --batch at least the host count) it cannot act, and says so
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
    /// Show hosts with identical output and result once, under their folded names (web[01-12]);
    /// `--gather=similar` also folds outputs that differ only in each host's own name or address
    #[arg(
        short = 'b',
        long,
        value_enum,
        value_name = "HOW",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "exact",
        conflicts_with_all = ["stream", "json"]
    )]
    pub gather: Option<GatherMode>,
    /// Configuration drift: group hosts by output, print the largest group's output once and
    /// every other group as a unified diff against it (with --json: group objects with diffs)
    #[arg(long, conflicts_with = "stream")]
    pub diff: bool,
    /// Also write each host's whole stdout and stderr to DIR/<host>.out and DIR/<host>.err
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Keep the output out of the audit log: it records each stream's size and SHA-256 only
    /// (for commands whose output is secret)
    #[arg(long)]
    pub no_log_output: bool,
}

/// How `--gather` decides that two hosts' results are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GatherMode {
    /// Byte for byte
    Exact,
    /// The same once each host's own name, short name and address read `{host}`
    Similar,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Stop the command after this long (e.g. 30s, 5m): SIGTERM to its process group on the
    /// host, KILL 2 s later; the host is reported `timeout`
    #[arg(long, value_name = "DURATION", help_heading = "Command")]
    pub timeout: Option<String>,
    /// Give hostctl's standard input to the command on every host (read once, up to 64 MiB;
    /// after the password lines of --ask-pass and -K when stdin is not a terminal)
    #[arg(short = 'I', long, help_heading = "Command")]
    pub stdin: bool,
    /// The command, run by the login shell on each host. hostctl's options go before it; an
    /// option of hostctl's typed after it is refused. After `--`, nothing is read as an option
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
    /// Create the receiving directory (REMOTE, or REMOTE's parent for one file) and its parents
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
    /// Local files, and directories with -r (`dir/` for what is inside)
    #[arg(required = true, num_args = 1.., value_name = "LOCAL")]
    pub local: Vec<PathBuf>,
    /// Where they land on each host: a path, or a directory when it ends in `/`
    #[arg(required = true, value_name = "REMOTE")]
    pub remote: PathBuf,
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
    /// Files (and directories with -r) on the hosts
    #[arg(required = true, num_args = 1.., value_name = "REMOTE")]
    pub remote: Vec<String>,
    /// The local directory: each host's copies land in LOCAL_DIR/<host>/
    #[arg(required = true, value_name = "LOCAL_DIR")]
    pub local_dir: String,
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
    #[command(after_help = guide_help("log list"))]
    List(LogListArgs),
    /// One operation in full: every host's status, exit code, duration, bytes and output
    #[command(after_help = guide_help("log show"))]
    Show(LogShowArgs),
    /// Check the hash chain, and the seals with --verify-key; exit 0 when intact, 1 when a
    /// record was edited, removed or reordered
    #[command(after_help = guide_help("log verify"))]
    Verify(LogVerifyArgs),
    /// Forward-secure sealing of the log: `init` starts it and writes the verification key
    #[command(subcommand, after_help = guide_help("log seal"))]
    Seal(SealCommand),
    /// Send what the forwarding spools still hold, in order, and report what is pending;
    /// exit 0 when nothing is left, 3 when some destination is still unreachable
    #[command(after_help = guide_help("log forward"))]
    Forward(LogForwardArgs),
    /// Remove whole daily files older than a cut-off, and record that it was done
    #[command(after_help = guide_help("log prune"))]
    Prune(LogPruneArgs),
    /// Write one self-contained HTML page: the selected operations, each host's result and
    /// output, a timeline per operation, and failures per host
    #[command(after_help = guide_help("log report"))]
    Report(LogReportArgs),
    /// Per host, what changed between two operations' results and captured output; exit 0
    /// when nothing did, 1 when something did
    #[command(after_help = guide_help("log diff"))]
    Diff(LogDiffArgs),
}

#[derive(Debug, Args)]
pub struct LogVerifyArgs {
    /// The verification key `hostctl log seal init` wrote: check every seal as well
    #[arg(long, value_name = "FILE")]
    pub verify_key: Option<PathBuf>,
    /// One JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SealCommand {
    /// Start sealing: from now on every record is sealed with a key that evolves forward and
    /// erases the one before; the verification key goes to FILE (shown once) and never stays
    /// in the log directory
    #[command(after_help = guide_help("log seal init"))]
    Init(SealInitArgs),
}

#[derive(Debug, Args)]
pub struct SealInitArgs {
    /// Where to write the verification key (a new file)
    #[arg(long, value_name = "FILE", required = true)]
    pub verify_key: PathBuf,
    /// When the key steps forward: a duration (15m, 1h) or `operation` (after every operation)
    #[arg(long, value_name = "DURATION|operation", default_value = "15m")]
    pub epoch: String,
    /// Start again with a new key although sealing is already on (the old key then verifies
    /// only the records before this)
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct LogForwardArgs {
    /// Only these destinations (repeatable) [default: every spool]
    #[arg(long = "audit-forward", value_name = "URL")]
    pub forward: Vec<String>,
    /// CA certificates (PEM) for syslog+tls [default: the one each spool was made with]
    #[arg(long = "audit-ca", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// One JSON object per destination
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LogDiffArgs {
    /// The earlier operation (id prefix)
    pub first: String,
    /// The later operation (id prefix)
    pub second: String,
    /// Only this host
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// JSON lines: one object per host, then a summary
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LogReportArgs {
    /// Where to write the page
    #[arg(short = 'o', long, value_name = "FILE", required = true)]
    pub output: PathBuf,
    /// Which operations: the same filters as `hostctl log`
    #[command(flatten)]
    pub filter: LogListArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OpKind {
    Run,
    Push,
    Pull,
}

#[derive(Debug, Args, Default, Clone)]
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
    /// Only operations where some host failed, timed out, was unreachable or aborted, or that
    /// never finished
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
pub struct LogPruneArgs {
    /// Remove daily files entirely older than this (e.g. 90d)
    #[arg(long, value_name = "AGE", required = true)]
    pub older_than: String,
}

/// What hostctl makes of a word after `run`'s COMMAND that is also one of its own options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misplaced {
    /// The options as typed, each with its value when it takes one (`--timeout 1s`).
    pub options: Vec<String>,
    /// The command line read with them as hostctl's options.
    pub as_options: String,
    /// The command line read with them as part of the command (after `--`).
    pub as_command: String,
}

/// The refusal: exit 2 (`Error::OptionAfterCommand`), nothing run.
impl std::fmt::Display for Misplaced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self.options.iter().map(|o| format!("`{o}`")).collect();
        let (list, is) = match list.len() {
            1 => (list[0].clone(), "is also an option of hostctl"),
            _ => (list.join(", "), "are also options of hostctl"),
        };
        write!(
            f,
            "{list} after the command {is}; nothing was run\n  \
             as hostctl's option:      {}\n  \
             as part of the command:   {}\n\
             put the option before the command, or after `--` to pass it to the remote command",
            self.as_options, self.as_command
        )
    }
}

impl std::error::Error for Misplaced {}

/// An option `run` accepts (its own, the shared ones and the global ones).
struct OptionSpec {
    long: Option<String>,
    short: Option<char>,
    takes_value: bool,
    /// Its value only ever comes after `=` (`--gather=similar`), never as the next word.
    equals_only: bool,
}

fn run_options() -> Vec<OptionSpec> {
    let mut cli = <Cli as clap::CommandFactory>::command();
    // Building propagates the global options and adds --help to each subcommand.
    cli.build();
    let run = cli.find_subcommand("run").expect("run subcommand");
    run.get_arguments()
        .filter(|a| !a.is_positional())
        .map(|a| OptionSpec {
            long: a.get_long().map(String::from),
            short: a.get_short(),
            takes_value: a.get_action().takes_values(),
            equals_only: a.is_require_equals_set(),
        })
        .collect()
}

/// How many words `word` (and the ones after it) make as one of `options`, as clap would
/// read them in option position: 0 when it is not one of them. Short clusters count only when
/// every letter is an option (`-bv`), up to one that takes the rest as its value (`-f10`).
fn option_words(word: &str, next: Option<&str>, options: &[OptionSpec]) -> usize {
    let value_words = |takes_value: bool, attached: bool| {
        if takes_value && !attached && next.is_some_and(|n| n != "--") {
            2
        } else {
            1
        }
    };
    if let Some(long) = word.strip_prefix("--") {
        let (name, attached) = match long.split_once('=') {
            Some((name, _)) => (name, true),
            None => (long, false),
        };
        return options
            .iter()
            .find(|o| !name.is_empty() && o.long.as_deref() == Some(name))
            .map_or(0, |o| {
                value_words(o.takes_value && !o.equals_only, attached)
            });
    }
    let Some(cluster) = word.strip_prefix('-').filter(|c| !c.is_empty()) else {
        return 0;
    };
    for (at, c) in cluster.char_indices() {
        let Some(o) = options.iter().find(|o| o.short == Some(c)) else {
            return 0;
        };
        let rest = &cluster[at + c.len_utf8()..];
        if o.equals_only {
            // `-b=similar` ends the cluster; in `-bv` clap reads `v` as the next option.
            if rest.starts_with('=') {
                return 1;
            }
            continue;
        }
        if o.takes_value {
            return value_words(true, !rest.is_empty());
        }
    }
    1
}

/// `word` as a shell would need it typed, for showing a command line back to the operator.
pub fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `run`'s rule for options after COMMAND: refused when one of them is hostctl's own, unless the
/// command came after `--`. `argv` is the command line as typed (program name first) and
/// `command` what clap collected as COMMAND, always the tail of `argv` (clap drops a `--` only
/// when it comes before the command).
pub fn misplaced_options(argv: &[String], command: &[String]) -> Option<Misplaced> {
    let start = argv.len().checked_sub(command.len())?;
    if argv[start..] != *command || (start > 0 && argv[start - 1] == "--") {
        return None;
    }
    let options = run_options();
    // A `--` inside the command belongs to the command, and so does everything after it.
    let end = command
        .iter()
        .position(|w| w == "--")
        .unwrap_or(command.len());
    let (mut moved, mut kept, mut found) = (Vec::new(), Vec::new(), Vec::new());
    let mut i = 0;
    while i < command.len() {
        let words = if i < end {
            let next = command.get(i + 1).filter(|_| i + 1 < end);
            option_words(&command[i], next.map(String::as_str), &options)
        } else {
            0
        };
        if words == 0 {
            kept.push(shell_word(&command[i]));
            i += 1;
            continue;
        }
        let typed: Vec<String> = command[i..i + words]
            .iter()
            .map(|w| shell_word(w))
            .collect();
        found.push(typed.join(" "));
        moved.extend(typed);
        i += words;
    }
    if found.is_empty() {
        return None;
    }
    let before: Vec<String> = argv[1..start].iter().map(|w| shell_word(w)).collect();
    let line = |parts: &[&[String]]| {
        let words: Vec<&str> = parts
            .iter()
            .flat_map(|p| p.iter().map(String::as_str))
            .collect();
        format!("hostctl {}", words.join(" "))
    };
    let typed: Vec<String> = command.iter().map(|w| shell_word(w)).collect();
    Some(Misplaced {
        options: found,
        as_options: line(&[&before, &moved, &kept]),
        as_command: line(&[&before, &["--".to_string()], &typed]),
    })
}

/// Refuses a `run` whose COMMAND is followed by one of hostctl's own options (see
/// [`misplaced_options`]); nothing else is checked here.
pub fn refuse_misplaced_options(cli: &Cli, argv: &[String]) -> Result<(), Misplaced> {
    match &cli.command {
        Command::Run(args) => match misplaced_options(argv, &args.command) {
            Some(m) => Err(m),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str) -> Option<Misplaced> {
        let argv: Vec<String> = line.split(' ').map(String::from).collect();
        let cli = <Cli as clap::Parser>::try_parse_from(&argv).expect("parses");
        let Command::Run(args) = &cli.command else {
            panic!("not run")
        };
        misplaced_options(&argv, &args.command)
    }

    /// Every command, as typed after `hostctl` (`""` is hostctl itself), from the clap tree.
    fn every_command() -> Vec<String> {
        fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
            out.push(path.to_string());
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let name = sub.get_name();
                let sub_path = if path.is_empty() {
                    name.to_string()
                } else {
                    format!("{path} {name}")
                };
                walk(sub, &sub_path, out);
            }
        }
        let mut out = Vec::new();
        walk(&<Cli as clap::CommandFactory>::command(), "", &mut out);
        out
    }

    #[test]
    fn every_command_has_a_guide_that_fits_80_columns() {
        let commands = every_command();
        assert!(commands.contains(&"log diff".to_string()), "{commands:?}");
        for command in commands {
            let guide = guide(&command).unwrap_or_else(|| panic!("`{command}` has no guide"));
            assert!(!guide.examples.is_empty(), "`{command}` has no examples");
            assert!(!guide.exits.is_empty(), "`{command}` has no exit statuses");
            for (example, _) in guide.examples {
                assert!(example.starts_with("hostctl "), "{example}");
            }
            // Notes are paragraphs that clap wraps to the terminal; a line break in one would
            // leave a short line behind wherever the terminal is narrower than the source.
            for note in guide.notes {
                assert!(!note.contains('\n'), "`{command}`: {note}");
            }
            // The rest is laid out here, not wrapped by clap: examples and exit statuses.
            for line in guide.help().lines().filter(|l| !guide.notes.contains(l)) {
                assert!(
                    line.len() <= 80,
                    "`{command}` --help: `{line}` is over 80 columns"
                );
            }
        }
    }

    #[test]
    fn hostctl_options_after_the_command_are_found_with_their_values() {
        let m = check("hostctl run -g web echo x --timeout 5s -bv --forks=3 -f10").unwrap();
        assert_eq!(m.options, ["--timeout 5s", "-bv", "--forks=3", "-f10"]);
        assert_eq!(
            m.as_options,
            "hostctl run -g web --timeout 5s -bv --forks=3 -f10 echo x"
        );
        assert_eq!(
            m.as_command,
            "hostctl run -g web -- echo x --timeout 5s -bv --forks=3 -f10"
        );
        // Global options and --help count too.
        assert_eq!(
            check("hostctl run -g web grep -i x").unwrap().options,
            ["-i x"]
        );
        assert_eq!(check("hostctl run -g web df -h").unwrap().options, ["-h"]);
        // --gather's value only ever follows `=`, so the next word stays the command's.
        assert_eq!(
            check("hostctl run -g web echo x --gather=similar -b=exact --gather y")
                .unwrap()
                .options,
            ["--gather=similar", "-b=exact", "--gather"]
        );
    }

    #[test]
    fn the_command_own_options_and_anything_after_dashdash_pass() {
        for line in [
            "hostctl run -g web ls -la",
            "hostctl run -g web rm -rf /tmp/x",
            "hostctl run -g web kill -9 1",
            "hostctl run -g web -- tail -f /var/log/syslog --dry-run",
            "hostctl run -g web git checkout -- -b",
            "hostctl run -g web echo --dry-runs -bx -",
        ] {
            assert_eq!(check(line), None, "{line}");
        }
    }

    #[test]
    fn readings_quote_what_the_shell_would_need() {
        let argv: Vec<String> = ["hostctl", "run", "-g", "web01", "echo it's", "--dry-run"]
            .map(String::from)
            .into();
        let m = misplaced_options(&argv, &argv[4..]).unwrap();
        assert_eq!(
            m.as_options,
            r"hostctl run -g web01 --dry-run 'echo it'\''s'"
        );
        assert_eq!(
            m.as_command,
            r"hostctl run -g web01 -- 'echo it'\''s' --dry-run"
        );
    }
}
