//! Bad input through the real binary: exit 2, a message naming the problem, nothing contacted.

mod support;

use std::process::Command;
use support::{BIN, Run};

fn hostctl(dir: &std::path::Path, args: &[&str]) -> Run {
    Run::from(
        Command::new(BIN)
            .current_dir(dir)
            .env_remove("HOSTCTL_INVENTORY")
            .env_remove("HOSTCTL_LOG_DIR")
            .args(args)
            .output()
            .unwrap(),
    )
}

/// An inventory whose hosts listen nowhere: any attempt to connect would show as unreachable.
const INVENTORY: &str = "[defaults]\nport = 1\n[groups.web]\nhosts = [\"127.0.0.1\"]\n[groups.db]\nhosts = [\"127.0.0.2\"]\n";

fn dir_with(inventory: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hosts.toml"), inventory).unwrap();
    dir
}

#[test]
fn an_unknown_group_suggests_the_close_one_and_contacts_nothing() {
    let dir = dir_with(INVENTORY);
    hostctl(dir.path(), &["run", "-g", "webb", "uptime"])
        .code(2)
        .stderr_is("error: unknown group or host `webb` (did you mean `web`?)\n");
    assert!(
        !dir.path().join("logs").exists(),
        "a rejected run must not start an audit record"
    );
}

#[test]
fn a_malformed_inventory_names_file_line_and_key() {
    let dir = dir_with("[groups.web]\nhosts = [\"a\"]\nuser = \"x\"\nport = 99999\n");
    hostctl(dir.path(), &["run", "-g", "web", "uptime"])
        .code(2)
        .stderr_is(
            "error: hosts.toml:4:8: `groups.web.port`: port 99999 is out of range (1-65535)\n",
        );
    let dir = dir_with("[groups.web]\nhost = [\"a\"]\n");
    let run = hostctl(dir.path(), &["hosts"]);
    run.code(2);
    assert!(run.stderr.starts_with("error: hosts.toml:2:1: `groups.web.host`: unknown field `host`, expected one of `hosts`"), "{}", run.stderr);
}

#[test]
fn a_missing_inventory_says_how_to_point_at_one() {
    let dir = tempfile::tempdir().unwrap();
    let run = hostctl(dir.path(), &["hosts"]);
    run.code(2);
    assert_eq!(
        run.stderr,
        format!(
            "error: no inventory at `hosts.toml` (looked for {}); name one with `-i PATH` or `HOSTCTL_INVENTORY=PATH` (see the README's \"The inventory\")\n",
            dir.path()
                .canonicalize()
                .unwrap()
                .join("hosts.toml")
                .display()
        )
    );
}

#[test]
fn inventory_syntax_errors_name_the_key_and_the_fix() {
    for (text, expected) in [
        (
            "[groups.web]\nhosts = [10.0.0.1]\n",
            "error: hosts.toml:2:14: `groups.web.hosts`: invalid float, expected nothing (names and addresses are strings: quote them, as in `hosts = [\"10.0.0.1\"]`)\n",
        ),
        (
            "[hosts.web01]\naddress = \"a\"\n[hosts.web01]\naddress = \"b\"\n",
            "error: hosts.toml:3:8: `hosts.web01`: duplicate key: already set on line 1\n",
        ),
        (
            "[hosts.a]\nuser = \"x\"\nport = 2\nuser = \"y\"\n",
            "error: hosts.toml:4:1: `hosts.a.user`: duplicate key: already set on line 2\n",
        ),
        (
            "[defaults]\nconnect_timeout = true\n",
            "error: hosts.toml:2:19: `defaults.connect_timeout`: invalid type: boolean `true`, expected a duration like \"10s\" or a number of seconds\n",
        ),
    ] {
        let dir = dir_with(text);
        hostctl(dir.path(), &["hosts"]).code(2).stderr_is(expected);
    }
}

#[test]
fn durations_take_bare_seconds_in_the_inventory_as_on_the_command_line() {
    let dir = dir_with("[defaults]\nconnect_timeout = 3\nkeepalive = 2.5\n[hosts.a]\n");
    let run = hostctl(dir.path(), &["hosts", "--json"]);
    run.code(0);
    let hosts: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(hosts[0]["connect_timeout_s"], 3.0, "{}", run.stdout);
}

#[test]
fn usage_errors_exit_2() {
    let dir = dir_with(INVENTORY);
    hostctl(
        dir.path(),
        &["run", "-g", "web", "--timeout", "forever", "true"],
    )
    .code(2)
    .stderr_is(
        "error: --timeout: invalid duration `forever` (examples: `10s`, `1m30s`, `500ms`)\n",
    );
    hostctl(dir.path(), &["run", "-g", "web,!web", "true"])
        .code(2)
        .stderr_is("error: pattern `web,!web` selects no hosts\n");
    let run = hostctl(dir.path(), &["run", "uptime"]);
    run.code(2);
    assert!(run.stderr.contains("--group <PATTERN>"), "{}", run.stderr);
}

#[test]
fn hosts_lists_the_selection_without_connecting() {
    let dir = dir_with(INVENTORY);
    let listed = Command::new(BIN)
        .current_dir(dir.path())
        .env("USER", "ops")
        .args(["hosts", "-g", "all,!db"])
        .output()
        .unwrap();
    let run = Run::from(listed);
    run.code(0);
    assert_eq!(
        run.stdout,
        "HOST       ADDRESS     PORT  USER          GROUPS\n127.0.0.1  127.0.0.1      1  ops           web\n1 host\n"
    );
    let run = hostctl(dir.path(), &["hosts", "-g", "db", "--json"]);
    let hosts: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(hosts[0]["name"], "127.0.0.2");
    assert_eq!(hosts[0]["port"], 1);
    assert_eq!(hosts[0]["groups"], serde_json::json!(["db"]));
}

#[test]
fn help_teaches_patterns_and_exit_codes() {
    let dir = dir_with(INVENTORY);
    let run = hostctl(dir.path(), &["run", "--help"]);
    run.code(0)
        .stdout_has("hostctl run -g 'web,db,!web03'")
        .stdout_has("4    some host unreachable")
        .stdout_has("6    stopped by --max-fail");
    let run = hostctl(dir.path(), &["--help"]);
    run.code(0).stdout_has("!NAME to exclude");
    // The exit status block is the one table in the code, in every help that shows it.
    for args in [
        &["--help"][..],
        &["run", "--help"],
        &["push", "--help"],
        &["pull", "-h"],
    ] {
        hostctl(dir.path(), args)
            .code(0)
            .stdout_has(&format!("{}\n", hostctl::status::Exit::help()));
    }
    // Each operation's own options under their own heading, not mixed into the shared ones.
    let run = hostctl(dir.path(), &["push", "--help"]);
    run.code(0)
        .stdout_has("Usage: hostctl push [OPTIONS] -g <PATTERN> <LOCAL>... <REMOTE>")
        .stdout_has("Transfer:\n  -r, --recursive");
    let privilege = run.stdout.split("Privilege:").nth(1).unwrap();
    assert!(!privilege.contains("--fsync"), "{privilege}");
}

#[test]
fn completions_and_man_page_come_from_the_same_definitions() {
    let dir = tempfile::tempdir().unwrap();
    let bash = hostctl(dir.path(), &["completions", "bash"]);
    bash.code(0)
        .stdout_has("_hostctl()")
        .stdout_has("--max-fail");
    hostctl(dir.path(), &["completions", "zsh"])
        .code(0)
        .stdout_has("#compdef hostctl");
    hostctl(dir.path(), &["completions", "fish"])
        .code(0)
        .stdout_has("complete -c hostctl");
    hostctl(dir.path(), &["man"])
        .code(0)
        .stdout_has(".TH hostctl 1")
        .stdout_has("Exit status:");
}

/// An option of hostctl's typed after the command could mean either; it is refused before
/// anything is contacted or logged, and the message shows both readings and the fix.
#[test]
fn a_hostctl_option_after_the_command_is_refused_with_both_readings() {
    let dir = dir_with(INVENTORY);
    hostctl(
        dir.path(),
        &["run", "-g", "web", "echo would-restart", "--dry-run"],
    )
    .code(2)
    .stderr_is(concat!(
        "error: `--dry-run` after the command is also an option of hostctl; nothing was run\n",
        "  as hostctl's option:      hostctl run -g web --dry-run 'echo would-restart'\n",
        "  as part of the command:   hostctl run -g web -- 'echo would-restart' --dry-run\n",
        "put the option before the command, or after `--` to pass it to the remote command\n",
    ));
    hostctl(dir.path(), &["run", "-g", "web", "rm", "-r", "x", "--timeout", "1s", "-b"])
        .code(2)
        .stderr_is(concat!(
            "error: `--timeout 1s`, `-b` after the command are also options of hostctl; nothing was run\n",
            "  as hostctl's option:      hostctl run -g web --timeout 1s -b rm -r x\n",
            "  as part of the command:   hostctl run -g web -- rm -r x --timeout 1s -b\n",
            "put the option before the command, or after `--` to pass it to the remote command\n",
        ));
    let run = hostctl(
        dir.path(),
        &["run", "-g", "web", "tail", "-f", "/var/log/syslog"],
    );
    run.code(2);
    assert!(
        run.stderr.starts_with(
            "error: `-f /var/log/syslog` after the command is also an option of hostctl"
        ),
        "{}",
        run.stderr
    );
    assert!(
        !dir.path().join("logs").exists(),
        "a refused run must not start an audit record"
    );
    // `run --help` states the rule.
    hostctl(dir.path(), &["run", "--help"])
        .code(0)
        .stdout_has("A word after COMMAND that is also one of hostctl's")
        .stdout_has("everything after `--` goes to the command untouched");
}
