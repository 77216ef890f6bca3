//! The one table of exit statuses. `Error::code()`, the status a run ends with (text summary,
//! `--json`, the audit log's end record), `log verify`, and the "Exit status" text of `--help`,
//! the man page and the README all come from `Exit`; a unit test keeps the README in step.

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
}

impl Exit {
    /// Every exit status, in the order the help lists them.
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
        }
    }

    pub const fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "every host ok",
            Exit::Failed => "the command failed (non-zero exit) on some host",
            Exit::NotIntact => "`log verify`: the log is not intact",
            Exit::Usage => "usage, inventory or pattern error: nothing was contacted",
            Exit::Audit => "the audit log could not be written",
            Exit::Unreachable => "some host unreachable (connect, auth, host key, timeout)",
            Exit::FailedAndUnreachable => "both 1 and 4",
            Exit::Stopped => "stopped by --max-fail: some hosts were never started (skipped)",
            Exit::Interrupted => "interrupted (Ctrl-C)",
        }
    }

    /// (code, meanings joined) in table order; statuses that share a code share a line.
    fn rows() -> Vec<(u8, String)> {
        let mut rows: Vec<(u8, String)> = Vec::new();
        for exit in Exit::ALL {
            match rows.iter_mut().find(|(code, _)| *code == exit.code()) {
                Some((_, text)) => {
                    text.push_str("; ");
                    text.push_str(exit.meaning());
                }
                None => rows.push((exit.code(), exit.meaning().to_string())),
            }
        }
        rows
    }

    /// The "Exit status" block of `--help` and the man page.
    pub fn help() -> String {
        let mut text = String::from("Exit status:");
        for (code, meaning) in Exit::rows() {
            text.push_str(&format!("\n  {code:<4} {meaning}"));
        }
        text
    }

    /// The README's "Exit status" table.
    pub fn markdown() -> String {
        let mut text = String::from("| code | meaning |\n| --- | --- |\n");
        for (code, meaning) in Exit::rows() {
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
