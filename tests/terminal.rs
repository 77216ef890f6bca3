//! What the operator sees on a terminal: colour by status only where it belongs, and `log`
//! listings that say when there is more and that copy back into a shell.

use hostctl_test_support as support;

use support::Fleet;

#[test]
fn status_words_are_coloured_only_for_a_terminal_or_when_forced() {
    let fleet = Fleet::start(&["web01", "web02"]);
    let command = "case $(hostname) in web02) exit 3;; esac; echo fine";
    let run = |env: &[(&str, &str)]| {
        let mut cmd = fleet.hostctl();
        cmd.args(["run", "-g", "all", "--accept-new", command]);
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
    plain.code(1);
    assert!(!plain.stdout.contains('\x1b'), "{:?}", plain.stdout);
    // Forced: green ok, bold red FAILED; the hosts' own output untouched.
    let forced = run(&[("CLICOLOR_FORCE", "1")]);
    forced.code(1);
    assert!(
        forced
            .stdout
            .contains("=== web01: \x1b[32mok\x1b[0m, exit 0"),
        "{:?}",
        forced.stdout
    );
    assert!(
        forced
            .stdout
            .contains("=== web02: \x1b[1m\x1b[31mFAILED\x1b[0m, exit 3"),
        "{:?}",
        forced.stdout
    );
    assert!(forced.stdout.contains("\nfine\n"));
    // NO_COLOR wins over everything.
    let none = run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!none.stdout.contains('\x1b'), "{:?}", none.stdout);
}

#[test]
fn log_says_when_there_is_more_and_quotes_argv_for_the_shell() {
    let fleet = Fleet::start(&["web01"]);
    for i in 0..3 {
        fleet
            .run(&[
                "run",
                "-g",
                "web01",
                "--accept-new",
                &format!("echo 'it''s {i}'"),
            ])
            .code(0);
    }
    let list = fleet.run(&["log", "-n", "2"]);
    list.code(0);
    assert!(
        list.stdout
            .ends_with("the newest 2 operations (more in the log: -n 20 shows more)\n"),
        "{}",
        list.stdout
    );
    assert!(fleet.run(&["log"]).stdout.ends_with("\n3 operations\n"));
    // Every row's columns line up under the header, however long the result.
    let lines: Vec<&str> = list.stdout.lines().collect();
    let what = lines[0].find("WHAT").unwrap();
    for row in &lines[1..3] {
        assert!(row[what..].starts_with("echo "), "{row}");
    }
    let id = fleet.run(&["log", "--json"]).json()[0]["op"]
        .as_str()
        .unwrap()
        .to_string();
    let show = fleet.run(&["log", "show", &id]);
    show.code(0).stdout_has(&format!(
        "argv:      {} -i {} run -g web01 --accept-new 'echo '\\''it'\\'''\\''s 2'\\'''\n",
        support::bin(),
        fleet.inventory().display()
    ));
}

#[test]
fn a_command_cannot_hide_itself_in_the_log_with_control_characters() {
    let fleet = Fleet::start(&["web01"]);
    // \r and "erase line" would repaint the row as a harmless `uptime`.
    let sneaky = "rm -rf /tmp/x\r\x1b[2Kuptime";
    fleet
        .run(&["run", "-g", "web01", "--accept-new", sneaky])
        .code(0);
    let list = fleet.run(&["log"]);
    list.code(0);
    assert!(!list.stdout.contains(['\r', '\x1b']), "{:?}", list.stdout);
    assert!(
        list.stdout.contains("rm -rf /tmp/x\\r\\u{1b}[2Kuptime"),
        "{}",
        list.stdout
    );
    let id = fleet.run(&["log", "--json"]).json()[0]["op"]
        .as_str()
        .unwrap()
        .to_string();
    let show = fleet.run(&["log", "show", &id]);
    show.code(0);
    let header: String = show.stdout.split("=== ").next().unwrap().to_string();
    assert!(!header.contains(['\r', '\x1b']), "{header:?}");
    assert!(
        header.contains("command:   rm -rf /tmp/x\\r\\u{1b}[2Kuptime\n"),
        "{header}"
    );
}
