//! What the operator sees on a terminal: colour by status only where it belongs, and `log`
//! listings that say when there is more and that copy back into a shell.

use hostctl_test_support as support;

use snapbox::str;
use support::{Fleet, Offline};

#[test]
fn status_words_are_coloured_only_for_a_terminal_or_when_forced() {
    let fleet = Fleet::start(&["web01", "web02"]);
    let command = "case $(hostname) in web02) exit 3;; esac; echo fine";
    let run = |env: &[(&str, &str)]| {
        let mut cmd = fleet.hostctl();
        // One host at a time: hosts are printed as they finish, so in one order.
        cmd.args(["run", "-g", "all", "-f", "1", "--accept-new", command]);
        cmd.env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("CLICOLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        support::Run::from(cmd.output().unwrap())
    };
    // Piped: plain text, as scripts and logs want it.
    let plain = run(&[]);
    plain.code(1).stderr_eq(str![]).stdout_eq(str![[r#"
=== web01: ok, exit 0, [ELAPSED]
fine
=== web02: FAILED, exit 3, [ELAPSED]
2 hosts: 1 ok, 1 failed in [ELAPSED]

"#]]);
    // Forced: green ok, bold red FAILED; the hosts' own output untouched. The escape
    // sequences are shown as `\e` so the snapshot can be read.
    let forced = run(&[("CLICOLOR_FORCE", "1")]);
    forced.code(1).stderr_eq(str![]).text_eq(
        &forced.stdout.replace('\x1b', "\\e"),
        str![[r#"
=== web01: \e[32mok\e[0m, exit 0, [ELAPSED]
fine
=== web02: \e[1m\e[31mFAILED\e[0m, exit 3, [ELAPSED]
2 hosts: 1 ok, 1 failed in [ELAPSED]

"#]],
    );
    // NO_COLOR wins over everything.
    let none = run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    none.code(1).stderr_eq(str![]).stdout_eq(str![[r#"
=== web01: ok, exit 0, [ELAPSED]
fine
=== web02: FAILED, exit 3, [ELAPSED]
2 hosts: 1 ok, 1 failed in [ELAPSED]

"#]]);
}

/// `hostctl log` only reads the log: hosts that refuse at once record the operations.
#[test]
fn log_says_when_there_is_more_and_quotes_argv_for_the_shell() {
    let hosts = Offline::refusing(&["web01"]);
    for i in 0..3 {
        hosts
            .run(&["run", "-g", "web01", &format!("echo 'it''s {i}'")])
            .code(4);
    }
    let list = hosts.run(&["log", "-n", "2"]);
    // The operator column is as wide as this machine's `user@host`: [..].
    list.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
ID               TIME (UTC)           OPERATOR[..]OP   PATTERN  RESULT         WHAT
[OP]  [TIME]  [OPERATOR][..]run  web01    1 unreachable  echo 'it''s 2'
[OP]  [TIME]  [OPERATOR][..]run  web01    1 unreachable  echo 'it''s 1'
the newest 2 operations (more in the log: -n 20 shows more)

"#]]);
    hosts
        .run(&["log"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
ID               TIME (UTC)           OPERATOR[..]OP   PATTERN  RESULT         WHAT
[OP]  [TIME]  [OPERATOR][..]run  web01    1 unreachable  echo 'it''s 2'
[OP]  [TIME]  [OPERATOR][..]run  web01    1 unreachable  echo 'it''s 1'
[OP]  [TIME]  [OPERATOR][..]run  web01    1 unreachable  echo 'it''s 0'
3 operations

"#]]);
    // Every row's columns line up under the header, however long the result.
    let lines: Vec<&str> = list.stdout.lines().collect();
    let what = lines[0].find("WHAT").unwrap();
    for row in &lines[1..3] {
        assert!(row[what..].starts_with("echo "), "{row}");
    }
    let id = hosts.run(&["log", "--json"]).json()[0]["op"]
        .as_str()
        .unwrap()
        .to_string();
    hosts
        .run(&["log", "show", &id])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
operation [OP]  run  by [OPERATOR]  at [TIME]
command:   echo 'it''s 2'
pattern:   web01 -> 1 hosts: web01
argv:      [BIN] run -g web01 'echo '\''it'\'''\''s 2'\'''
result:    1 unreachable, exit 4 in [ELAPSED]
=== web01: UNREACHABLE, [ELAPSED], in 0 B out 0 B: connection refused by 127.0.0.1:1 (is sshd running on port 1?)

"#]]);
}

#[test]
fn a_command_cannot_hide_itself_in_the_log_with_control_characters() {
    let hosts = Offline::refusing(&["web01"]);
    // \r and "erase line" would repaint the row as a harmless `uptime`.
    let sneaky = "rm -rf /tmp/x\r\x1b[2Kuptime";
    hosts.run(&["run", "-g", "web01", sneaky]).code(4);
    let list = hosts.run(&["log"]);
    list.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
ID               TIME (UTC)           OPERATOR[..]OP   PATTERN  RESULT         WHAT
[OP]  [TIME]  [OPERATOR][..]run  web01    1 unreachable  rm -rf /tmp/x\r\u{1b}[2Kuptime
1 operation

"#]]);
    assert!(!list.stdout.contains(['\r', '\x1b']), "{:?}", list.stdout);
    let id = hosts.run(&["log", "--json"]).json()[0]["op"]
        .as_str()
        .unwrap()
        .to_string();
    let show = hosts.run(&["log", "show", &id]);
    show.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
operation [OP]  run  by [OPERATOR]  at [TIME]
command:   rm -rf /tmp/x\r\u{1b}[2Kuptime
pattern:   web01 -> 1 hosts: web01
argv:      [BIN] run -g web01 'rm -rf /tmp/x\r\u{1b}[2Kuptime'
result:    1 unreachable, exit 4 in [ELAPSED]
=== web01: UNREACHABLE, [ELAPSED], in 0 B out 0 B: connection refused by 127.0.0.1:1 (is sshd running on port 1?)

"#]]);
    assert!(!show.stdout.contains(['\r', '\x1b']), "{:?}", show.stdout);
}
