//! Bad input through the real binary: exit 2, a message naming the problem, nothing contacted.

use hostctl_test_support as support;

use snapbox::str;
use std::process::Command;
use support::{Run, bin};

fn hostctl(dir: &std::path::Path, args: &[&str]) -> Run {
    Run::from(
        Command::new(bin())
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
        .stdout_eq(str![])
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
    hostctl(dir.path(), &["hosts"])
        .code(2)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
error: hosts.toml:2:1: `groups.web.host`: unknown field `host`, expected one of `hosts`, `children`, `user`, `port`, `identity_file`, `certificate_file`, `known_hosts`, `connect_timeout`, `keepalive`, `jump`

"#]]);
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
        hostctl(dir.path(), &["hosts"])
            .code(2)
            .stdout_eq(str![])
            .stderr_is(expected);
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
    hostctl(dir.path(), &["run", "uptime"])
        .code(2)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
error: the following required arguments were not provided:
  --group <PATTERN>

Usage: hostctl run --group <PATTERN> <COMMAND>...

For more information, try '--help'.

"#]]);
}

#[test]
fn hosts_lists_the_selection_without_connecting() {
    let dir = dir_with(INVENTORY);
    let listed = Command::new(bin())
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

/// `--help` of one command as an 80-column terminal shows it.
fn help_at_80(dir: &std::path::Path, command: &str) -> Run {
    let mut args: Vec<&str> = command.split_whitespace().collect();
    args.push("--help");
    Run::from(
        Command::new(bin())
            .current_dir(dir)
            .env("COLUMNS", "80")
            // Help shows a variable's value when it is set: `[env: HOSTCTL_INVENTORY=]`.
            .env_remove("HOSTCTL_INVENTORY")
            .env_remove("HOSTCTL_LOG_DIR")
            .env_remove("HOSTCTL_SSH_CONFIG")
            .args(&args)
            .output()
            .unwrap(),
    )
}

/// Text with every run of whitespace (line breaks from wrapping included) made one space.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Expected text kept in a file under tests/snapshots/ (`SNAPSHOTS=overwrite` writes it): for
/// texts too long to read inline, such as every command's help and man page.
fn snapshot(path: &str) -> snapbox::Data {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(path);
    snapbox::Data::read_from(&file, Some(snapbox::data::DataFormat::Text))
}

/// The man page, and help snapshot, named for a command as typed (`log verify` →
/// `hostctl-log-verify`).
fn page_of(command: &str) -> String {
    std::iter::once("hostctl")
        .chain(command.split_whitespace())
        .collect::<Vec<_>>()
        .join("-")
}

/// Every command as typed after `hostctl` (`""` is hostctl itself), from the clap definitions.
fn every_command() -> Vec<String> {
    fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
        out.push(path.to_string());
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = sub.get_name();
            let sub_path = match path {
                "" => name.to_string(),
                _ => format!("{path} {name}"),
            };
            walk(sub, &sub_path, out);
        }
    }
    let mut out = Vec::new();
    walk(
        &<hostctl::cli::Cli as clap::CommandFactory>::command(),
        "",
        &mut out,
    );
    out
}

#[test]
fn help_teaches_patterns_and_exit_codes() {
    let dir = dir_with(INVENTORY);
    // The whole of `hostctl --help` and `hostctl run --help`: patterns, examples, exit codes.
    // The expected text is the one `every_help_is_pinned_whole` keeps, in one place.
    for command in ["", "run"] {
        help_at_80(dir.path(), command)
            .code(0)
            .stdout_eq(snapshot(&format!("help/{}.txt", page_of(command))))
            .stderr_eq(str![]);
    }
    // hostctl --help has the whole table; each command the part it can end with, with what
    // each status means for it, from the same table. Not an output pin (every help is pinned
    // whole in `every_help_is_pinned_whole`): this checks the help and `status::Exit` agree.
    help_at_80(dir.path(), "")
        .code(0)
        .stdout_has(&format!("{}\n", hostctl::status::Exit::help()));
    for command in every_command().iter().filter(|c| !c.is_empty()) {
        let exits = hostctl::cli::guide(command).unwrap().exits;
        help_at_80(dir.path(), command)
            .code(0)
            .stdout_has(&format!("{}\n", hostctl::status::Exit::help_for(exits)));
    }
    // Each operation's own options under their own heading, not mixed into the shared ones.
    let run = help_at_80(dir.path(), "push");
    run.code(0);
    // A heading's lines: indented ones, up to the next heading.
    let section = |heading: &str| -> String {
        let after = run.stdout.split(&format!("\n{heading}:\n")).nth(1).unwrap();
        after
            .lines()
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    run.text_eq(
        &section("Transfer"),
        str![[r#"
  -r, --recursive
          Copy directories and their contents

      --mode <OCTAL>
          File mode on the hosts, octal (default: the local file's mode)

      --mkdir
          Create the receiving directory (REMOTE, or REMOTE's parent for one
          file) and its parents

      --force
          Copy even to hosts that already hold identical content

      --fsync
          Flush each file (and its directory) to disk on the host before
          reporting success, so the copy survives a power loss; off by default,
          as with scp, rsync and cp

      --timeout <DURATION>
          Stop a host's transfer after this long (e.g. 10m)


"#]],
    );
    run.text_eq(
        &section("Privilege"),
        str![[r#"
      --sudo
          Run the command (or the transfer) through sudo (as root, or
          --sudo-user)

      --sudo-user <USER>
          Act as this user through sudo (implies --sudo)

  -K, --ask-become-pass
          Ask once for the sudo password and give it to sudo on each host
          through stdin (never in process lists, output or the log); without it
          sudo must not need a password


"#]],
    );
}

/// Every command's `--help` at 80 columns, whole, in tests/snapshots/help/.
#[test]
fn every_help_is_pinned_whole() {
    let dir = tempfile::tempdir().unwrap();
    for command in every_command() {
        help_at_80(dir.path(), &command)
            .code(0)
            .stderr_eq(str![])
            .stdout_eq(snapshot(&format!("help/{}.txt", page_of(&command))));
    }
}

/// Each operation's help describes its own exits: no `log verify` in push's table, and
/// `log verify` and `log diff` say what their 0 and 1 mean.
#[test]
fn each_command_lists_only_the_exit_statuses_it_ends_with() {
    let dir = tempfile::tempdir().unwrap();
    // The table is the help's last section.
    let table = |command: &str| {
        let run = help_at_80(dir.path(), command);
        run.code(0);
        let table = run
            .stdout
            .split("\nExit status:\n")
            .nth(1)
            .unwrap()
            .to_string();
        (run, table)
    };
    for command in ["run", "push", "pull"] {
        let (run, exits) = table(command);
        run.text_eq(
            &exits,
            str![[r#"
  0    every host ok, changed or unchanged
  1    some host failed or timed out
  2    usage, inventory or pattern error: nothing was contacted
  3    the audit log could not be written or forwarded
  4    some host unreachable (connect, auth, host key, lost connection)
  5    both 1 and 4
  6    stopped by --max-fail: some hosts were never started (skipped)
  130  interrupted by Ctrl-C or SIGTERM

"#]],
        );
    }
    let (run, exits) = table("log verify");
    run.text_eq(
        &exits,
        str![[r#"
  0    the log is intact
  1    the log is not intact
  2    usage, inventory or pattern error: nothing was contacted

"#]],
    );
    let (run, exits) = table("log diff");
    run.text_eq(
        &exits,
        str![[r#"
  0    no host's result or output changed
  1    some host's result or output changed
  2    usage, inventory or pattern error: nothing was contacted

"#]],
    );
    let (run, exits) = table("hosts");
    run.text_eq(
        &exits,
        str![[r#"
  0    success
  2    usage, inventory or pattern error: nothing was contacted

"#]],
    );
}

/// Every `--help` reads at 80 columns: no line runs over, and the notes are paragraphs that
/// wrap as wholes (the source's own line breaks once left stubs like `hostctl's` on a line).
#[test]
fn every_help_fits_80_columns_and_wraps_paragraphs_whole() {
    let dir = tempfile::tempdir().unwrap();
    let commands = every_command();
    assert!(commands.len() >= 14, "{commands:?}");
    for command in commands {
        let run = help_at_80(dir.path(), &command);
        run.code(0);
        for line in run.stdout.lines() {
            assert!(
                line.chars().count() <= 80,
                "`hostctl {command} --help`: over 80 columns: `{line}`"
            );
        }
        let guide = hostctl::cli::guide(&command).unwrap();
        // Paragraph lines are filled: only a paragraph's last line may be short.
        let after = run.stdout.split("Examples:\n").nth(1).unwrap();
        for note in guide.notes {
            let first = note
                .split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ");
            let start = after
                .find(&first)
                .unwrap_or_else(|| panic!("`{command}`: no `{first}`"));
            let lines: Vec<&str> = after[start..]
                .lines()
                .take_while(|l| !l.is_empty())
                .collect();
            assert_eq!(flat(&lines.join(" ")), flat(note), "`{command}`");
            for pair in lines.windows(2) {
                let next_word = pair[1].split_whitespace().next().unwrap();
                assert!(
                    pair[0].chars().count() + 1 + next_word.chars().count() > 80,
                    "`hostctl {command} --help`: `{}` ends early before `{next_word}`",
                    pair[0]
                );
            }
        }
    }
}

#[test]
fn hosts_help_shows_its_default_once() {
    let dir = tempfile::tempdir().unwrap();
    let run = help_at_80(dir.path(), "hosts");
    run.code(0);
    assert_eq!(
        run.stdout.matches("[default: all]").count(),
        1,
        "{}",
        run.stdout
    );
}

/// The usage line and the Arguments section name the same arguments, in the same order.
#[test]
fn transfer_usage_and_arguments_agree() {
    let dir = tempfile::tempdir().unwrap();
    for (command, first, last) in [
        ("push", "<LOCAL>...", "<REMOTE>"),
        ("pull", "<REMOTE>...", "<LOCAL_DIR>"),
    ] {
        let run = help_at_80(dir.path(), command);
        run.code(0);
        assert_eq!(
            run.stdout.lines().find(|l| l.starts_with("Usage: ")),
            Some(
                format!("Usage: hostctl {command} [OPTIONS] --group <PATTERN> {first} {last}")
                    .as_str()
            ),
        );
        let arguments = run.stdout.split("Arguments:\n").nth(1).unwrap();
        let names: Vec<&str> = arguments
            .lines()
            .take_while(|l| !l.starts_with("Options:"))
            .filter(|l| l.starts_with("  <"))
            .map(str::trim)
            .collect();
        assert_eq!(names, [first, last], "{command}: {arguments}");
    }
}

#[test]
fn completions_come_from_the_same_definitions() {
    let dir = tempfile::tempdir().unwrap();
    // Whole scripts, in tests/snapshots/completions/: clap_complete's output for hostctl's
    // definitions, so a new option or command shows up here.
    for shell in ["bash", "zsh", "fish"] {
        hostctl(dir.path(), &["completions", shell])
            .code(0)
            .stderr_eq(str![])
            .stdout_eq(snapshot(&format!("completions/hostctl.{shell}")));
    }
}

/// The man pages every command gets, in the order `hostctl man DIR` writes them.
const PAGES: [&str; 17] = [
    "hostctl",
    "hostctl-hosts",
    "hostctl-run",
    "hostctl-push",
    "hostctl-pull",
    "hostctl-log",
    "hostctl-log-list",
    "hostctl-log-show",
    "hostctl-log-verify",
    "hostctl-log-seal",
    "hostctl-log-seal-init",
    "hostctl-log-forward",
    "hostctl-log-prune",
    "hostctl-log-report",
    "hostctl-log-diff",
    "hostctl-completions",
    "hostctl-man",
];

/// What a man page says, as `man` renders it for an 80-column terminal. Fails when a page makes
/// groff warn. `man` is required: scripts/test installs man-db.
fn rendered(page: &std::path::Path) -> String {
    let out = Command::new("man")
        .env("MANWIDTH", "80")
        .args([
            "--warnings=w",
            "--no-hyphenation",
            "--no-justification",
            "-l",
        ])
        .arg(page)
        .output()
        .expect("`man` is needed to check the pages (apt-get install man-db; scripts/test does)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "man -l {}: {stderr}",
        page.display()
    );
    // Bold and underline come as overstrikes (`x\bx`, `_\bx`): keep what is struck last.
    let mut text = String::new();
    for c in String::from_utf8_lossy(&out.stdout).chars() {
        if c == '\u{8}' {
            text.pop();
        } else {
            text.push(c);
        }
    }
    text
}

#[test]
fn man_writes_a_page_per_command_with_examples_and_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let man_dir = dir.path().join("man1");
    let run = hostctl(dir.path(), &["man", man_dir.to_str().unwrap()]);
    run.code(0);
    let written: Vec<String> = PAGES
        .iter()
        .map(|p| format!("{}\n", man_dir.join(format!("{p}.1")).display()))
        .collect();
    assert_eq!(run.stdout, written.concat());
    let run = run.redact(
        "[VERSION]",
        format!("\"hostctl {}\"", env!("CARGO_PKG_VERSION")),
    );
    for (page, command) in PAGES.iter().zip(every_command()) {
        assert_eq!(*page, page_of(&command));
        // The page as written, whole (tests/snapshots/man/), but for hostctl's version.
        let roff = std::fs::read_to_string(man_dir.join(format!("{page}.1"))).unwrap();
        run.text_eq(&roff, snapshot(&format!("man/{page}.1")));
        let text = rendered(&man_dir.join(format!("{page}.1")));
        let text = flat(&text);
        assert!(text.starts_with(&format!("{page}(1)")), "{text}");
        let guide = hostctl::cli::guide(&command).unwrap();
        // EXIT STATUS is this command's part of the one table, in the table's words.
        let exit = text
            .split("EXIT STATUS ")
            .nth(1)
            .unwrap_or_else(|| panic!("{page}: {text}"));
        let table: Vec<String> = hostctl::status::Exit::rows(guide.exits)
            .iter()
            .map(|(code, meaning)| format!("{code} {meaning}"))
            .collect();
        assert!(exit.starts_with(&flat(&table.join(" "))), "{page}: {exit}");
        let examples = text
            .split("EXAMPLES ")
            .nth(1)
            .unwrap_or_else(|| panic!("{page}: {text}"));
        let (first, what) = guide.examples[0];
        assert!(
            examples.starts_with(&flat(&format!("{first} {what}"))),
            "{page}: {examples}"
        );
        // SEE ALSO leads to the pages above and below this one.
        let see_also = text.split("SEE ALSO ").nth(1).unwrap();
        if *page == "hostctl" {
            let below: Vec<String> = PAGES[1..]
                .iter()
                .filter(|p| !p.starts_with("hostctl-log-"))
                .map(|p| format!("{p}(1)"))
                .collect();
            assert_eq!(
                see_also.split(" hostctl manual ").next(),
                Some(below.join(", ").as_str()),
                "{see_also}"
            );
        } else {
            assert!(see_also.starts_with("hostctl(1)"), "{page}: {see_also}");
        }
    }
    // `hostctl man` still prints hostctl(1), the same page.
    let top = hostctl(dir.path(), &["man"]);
    top.code(0);
    assert_eq!(
        top.stdout,
        std::fs::read_to_string(man_dir.join("hostctl.1")).unwrap()
    );
}

#[test]
fn man_says_where_it_could_not_write() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "").unwrap();
    hostctl(dir.path(), &["man", "file/man1"])
        .code(2)
        .stderr_is(
            "error: cannot write man pages into `file/man1`: Not a directory (os error 20)\n",
        );
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
    hostctl(
        dir.path(),
        &["run", "-g", "web", "tail", "-f", "/var/log/syslog"],
    )
    .code(2)
    .stdout_eq(str![])
    .stderr_eq(str![[r#"
error: `-f /var/log/syslog` after the command is also an option of hostctl; nothing was run
  as hostctl's option:      hostctl run -g web -f /var/log/syslog tail
  as part of the command:   hostctl run -g web -- tail -f /var/log/syslog
put the option before the command, or after `--` to pass it to the remote command

"#]]);
    assert!(
        !dir.path().join("logs").exists(),
        "a refused run must not start an audit record"
    );
    // `run --help` states the rule (its whole text is pinned in
    // `help_teaches_patterns_and_exit_codes`; this names the rule, so no rewording drops it).
    let help = flat(&help_at_80(dir.path(), "run").stdout);
    for rule in [
        "A word after COMMAND that is also one of hostctl's",
        "everything after `--` goes to the command untouched",
    ] {
        assert!(help.contains(rule), "{help}");
    }
}
