//! The one vocabulary of results. `HostStatus` names what happened to each host, with the same
//! words in text output, `--json`, the audit log and `hostctl log`; `Counts` adds them up for
//! every summary. `Exit` is the one table of exit statuses: `Error::code()`, the status a run
//! ends with (summary, `--json`, the audit end record), `log verify`, and the "Exit status" text
//! of `--help`, the man page and the README all come from it (a unit test checks the README).

use serde::{Deserialize, Serialize};

/// How one host's part of an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostStatus {
    /// The command exited 0.
    Ok,
    /// Transfer: content written to the host (or fetched from it).
    Changed,
    /// Transfer: the host (or the local copy) already held identical content.
    Unchanged,
    /// The command exited non-zero or was killed, or the transfer failed, on a reachable host.
    Failed,
    /// Stopped by `--timeout` (on the host, or hostctl stopped waiting).
    Timeout,
    /// Could not connect, authenticate or verify the host key, or the connection was lost.
    Unreachable,
    /// Stopped on the host by a second Ctrl-C or SIGTERM.
    Aborted,
    /// Never started (interrupted, or `--max-fail` reached, before its turn).
    Skipped,
}

impl HostStatus {
    /// Every status, in the order summaries list them.
    pub const ALL: [HostStatus; 8] = [
        HostStatus::Ok,
        HostStatus::Changed,
        HostStatus::Unchanged,
        HostStatus::Failed,
        HostStatus::Timeout,
        HostStatus::Unreachable,
        HostStatus::Aborted,
        HostStatus::Skipped,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            HostStatus::Ok => "ok",
            HostStatus::Changed => "changed",
            HostStatus::Unchanged => "unchanged",
            HostStatus::Failed => "failed",
            HostStatus::Timeout => "timeout",
            HostStatus::Unreachable => "unreachable",
            HostStatus::Aborted => "aborted",
            HostStatus::Skipped => "skipped",
        }
    }

    pub fn from_name(name: &str) -> Option<HostStatus> {
        HostStatus::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Ok, changed or unchanged: the host did what was asked.
    pub const fn succeeded(self) -> bool {
        matches!(
            self,
            HostStatus::Ok | HostStatus::Changed | HostStatus::Unchanged
        )
    }

    /// What `--max-fail` counts: hosts that were tried and did not succeed.
    pub const fn is_failure(self) -> bool {
        matches!(
            self,
            HostStatus::Failed | HostStatus::Timeout | HostStatus::Unreachable
        )
    }
}

/// Hosts per status: one field per status in the audit end record, `--json` and `hostctl log`.
/// Every field defaults to 0, so end records written before `changed`, `unchanged`, `timeout`
/// and `aborted` were counted still read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    #[serde(default)]
    pub ok: usize,
    #[serde(default)]
    pub changed: usize,
    #[serde(default)]
    pub unchanged: usize,
    #[serde(default)]
    pub failed: usize,
    #[serde(default)]
    pub timeout: usize,
    #[serde(default)]
    pub unreachable: usize,
    #[serde(default)]
    pub aborted: usize,
    #[serde(default)]
    pub skipped: usize,
}

impl Counts {
    fn slot(&mut self, status: HostStatus) -> &mut usize {
        match status {
            HostStatus::Ok => &mut self.ok,
            HostStatus::Changed => &mut self.changed,
            HostStatus::Unchanged => &mut self.unchanged,
            HostStatus::Failed => &mut self.failed,
            HostStatus::Timeout => &mut self.timeout,
            HostStatus::Unreachable => &mut self.unreachable,
            HostStatus::Aborted => &mut self.aborted,
            HostStatus::Skipped => &mut self.skipped,
        }
    }

    pub fn add(&mut self, status: HostStatus) {
        *self.slot(status) += 1;
    }

    pub fn get(&self, status: HostStatus) -> usize {
        let mut copy = *self;
        *copy.slot(status)
    }

    pub fn total(&self) -> usize {
        HostStatus::ALL.iter().map(|s| self.get(*s)).sum()
    }

    /// Hosts that were tried and did not succeed, or were stopped (everything but success and
    /// skipped).
    pub fn not_ok(&self) -> usize {
        self.failed + self.timeout + self.unreachable + self.aborted
    }

    /// `4 ok, 1 failed, 1 unreachable`: each status that is not zero, in `HostStatus::ALL`
    /// order.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = HostStatus::ALL
            .iter()
            .filter(|s| self.get(**s) > 0)
            .map(|s| format!("{} {}", self.get(*s), s.name()))
            .collect();
        if parts.is_empty() {
            "nothing done".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// What a hostctl invocation exits with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok,
    Failed,
    NotIntact,
    Usage,
    Audit,
    Unreachable,
    FailedAndUnreachable,
    Stopped,
    Interrupted,
    /// Commands that contact no host (`hosts`, `log`, `man`, ...) when they did what was asked.
    Done,
    /// `log verify`: the chain holds.
    Intact,
    /// `log diff`: the two operations agree on every host.
    Same,
    /// `log diff`: some host's result or output changed, as diff(1) exits 1.
    Differs,
}

impl Exit {
    /// The table of `hostctl --help` and the README: every operation's statuses and
    /// `log verify`'s failure. The statuses only one command ends with (`Done`, `Intact`,
    /// `Same`, `Differs`) are in that command's own `--help` and man page.
    pub const ALL: [Exit; 9] = [
        Exit::Ok,
        Exit::Failed,
        Exit::NotIntact,
        Exit::Usage,
        Exit::Audit,
        Exit::Unreachable,
        Exit::FailedAndUnreachable,
        Exit::Stopped,
        Exit::Interrupted,
    ];

    pub const fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failed | Exit::NotIntact => 1,
            Exit::Usage => 2,
            Exit::Audit => 3,
            Exit::Unreachable => 4,
            Exit::FailedAndUnreachable => 5,
            Exit::Stopped => 6,
            Exit::Interrupted => 130,
            Exit::Done | Exit::Intact | Exit::Same => 0,
            Exit::Differs => 1,
        }
    }

    /// Short enough that `--help` never wraps a line of the table.
    pub const fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "every host ok, changed or unchanged",
            Exit::Failed => "some host failed or timed out",
            Exit::NotIntact => "the log is not intact",
            Exit::Usage => "usage, inventory or pattern error: nothing was contacted",
            Exit::Audit => "the audit log could not be written or forwarded",
            Exit::Unreachable => "some host unreachable (connect, auth, host key, lost connection)",
            Exit::FailedAndUnreachable => "both 1 and 4",
            Exit::Stopped => "stopped by --max-fail: some hosts were never started (skipped)",
            Exit::Interrupted => "interrupted by Ctrl-C or SIGTERM",
            Exit::Done => "success",
            Exit::Intact => "the log is intact",
            Exit::Same => "no host's result or output changed",
            Exit::Differs => "some host's result or output changed",
        }
    }

    /// What a run whose hosts ended as `counts` exits with. `stopped`: `--max-fail` left hosts
    /// unstarted.
    pub fn for_run(counts: &Counts, interrupted: bool, stopped: bool) -> Exit {
        if interrupted {
            return Exit::Interrupted;
        }
        if stopped {
            return Exit::Stopped;
        }
        match (counts.failed + counts.timeout > 0, counts.unreachable > 0) {
            (false, false) => Exit::Ok,
            (true, false) => Exit::Failed,
            (false, true) => Exit::Unreachable,
            (true, true) => Exit::FailedAndUnreachable,
        }
    }

    /// The one command that ends with this status, when only one does.
    pub const fn command(self) -> Option<&'static str> {
        match self {
            Exit::NotIntact | Exit::Intact => Some("log verify"),
            Exit::Same | Exit::Differs => Some("log diff"),
            _ => None,
        }
    }

    /// Who ends with this status: one command, the operations on hosts, or (`None`) any.
    fn owner(self) -> Option<&'static str> {
        match self {
            Exit::Usage | Exit::Audit | Exit::Done => None,
            Exit::Ok
            | Exit::Failed
            | Exit::Unreachable
            | Exit::FailedAndUnreachable
            | Exit::Stopped
            | Exit::Interrupted => Some("run, push, pull"),
            _ => self.command(),
        }
    }

    /// (code, meanings joined) in the order given; statuses that share a code share a line.
    /// `--help`, the man pages and the README all list these words. A table of one command
    /// says what each status means there; a table of several names the command of a status
    /// only one command ends with (`log verify`: the log is not intact).
    pub fn rows(exits: &[Exit]) -> Vec<(u8, String)> {
        let mut owners: Vec<&str> = exits.iter().filter_map(|e| e.owner()).collect();
        owners.sort_unstable();
        owners.dedup();
        let name_commands = owners.len() > 1;
        let mut rows: Vec<(u8, String)> = Vec::new();
        for &exit in exits {
            let meaning = match exit.command() {
                Some(command) if name_commands => format!("`{command}`: {}", exit.meaning()),
                _ => exit.meaning().to_string(),
            };
            match rows.iter_mut().find(|(code, _)| *code == exit.code()) {
                Some((_, text)) => {
                    text.push_str("; ");
                    text.push_str(&meaning);
                }
                None => rows.push((exit.code(), meaning)),
            }
        }
        rows
    }

    /// The "Exit status" block of `hostctl --help`.
    pub fn help() -> String {
        Exit::help_for(&Exit::ALL)
    }

    /// The "Exit status" block of one command's `--help`: the statuses it can end with.
    pub fn help_for(exits: &[Exit]) -> String {
        let mut text = String::from("Exit status:");
        for (code, meaning) in Exit::rows(exits) {
            text.push_str(&format!("\n  {code:<4} {meaning}"));
        }
        text
    }

    /// The README's "Exit status" table.
    pub fn markdown() -> String {
        let mut text = String::from("| code | meaning |\n| --- | --- |\n");
        for (code, meaning) in Exit::rows(&Exit::ALL) {
            text.push_str(&format!("| {code} | {meaning} |\n"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_shows_this_table() {
        let readme = include_str!("../README.md");
        let section = readme
            .split("\n## Exit status\n")
            .nth(1)
            .expect("README has an `## Exit status` section");
        let table: String = section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            table,
            Exit::markdown(),
            "README.md's exit status table differs from status::Exit; paste this:\n{}",
            Exit::markdown()
        );
    }

    #[test]
    fn exit_status_follows_the_counts() {
        let mut c = Counts::default();
        c.add(HostStatus::Changed);
        c.add(HostStatus::Unchanged);
        assert_eq!(Exit::for_run(&c, false, false), Exit::Ok);
        c.add(HostStatus::Timeout);
        assert_eq!(Exit::for_run(&c, false, false).code(), 1);
        c.add(HostStatus::Unreachable);
        assert_eq!(Exit::for_run(&c, false, false).code(), 5);
        c.timeout = 0;
        assert_eq!(Exit::for_run(&c, false, false).code(), 4);
        assert_eq!(Exit::for_run(&c, false, true).code(), 6);
        assert_eq!(Exit::for_run(&c, true, true).code(), 130);
    }

    #[test]
    fn counts_name_each_status_that_is_not_zero() {
        let mut c = Counts::default();
        for s in [
            HostStatus::Skipped,
            HostStatus::Ok,
            HostStatus::Timeout,
            HostStatus::Ok,
        ] {
            c.add(s);
        }
        assert_eq!(c.describe(), "2 ok, 1 timeout, 1 skipped");
        assert_eq!(c.total(), 4);
        for s in HostStatus::ALL {
            assert_eq!(HostStatus::from_name(s.name()), Some(s));
        }
        // End records written before timeout and aborted were counted still read.
        let old: Counts =
            serde_json::from_str(r#"{"ok":3,"failed":1,"unreachable":2,"skipped":0}"#).unwrap();
        assert_eq!(old.describe(), "3 ok, 1 failed, 2 unreachable");
    }

    #[test]
    fn one_command_table_says_what_each_status_means_there() {
        assert_eq!(
            Exit::rows(&[Exit::Intact, Exit::NotIntact, Exit::Usage]),
            [
                (0, "the log is intact".to_string()),
                (1, "the log is not intact".to_string()),
                (2, Exit::Usage.meaning().to_string()),
            ]
        );
        // The table of every command names the command of a status only it ends with.
        assert_eq!(
            Exit::rows(&Exit::ALL)[1],
            (
                1,
                "some host failed or timed out; `log verify`: the log is not intact".to_string()
            )
        );
        assert_eq!(Exit::Differs.code(), 1);
        assert_eq!(Exit::Same.code(), 0);
    }

    #[test]
    fn help_lines_fit_80_columns() {
        for line in Exit::help().lines() {
            assert!(line.len() <= 80, "`{line}` would wrap in --help");
        }
    }

    #[test]
    fn codes_shared_only_where_meant() {
        let mut codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(
            codes.len(),
            Exit::ALL.len() - 1,
            "only `log verify` shares 1"
        );
    }
}
