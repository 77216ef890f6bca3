//! `hostctl log`: reviewing and verifying an audit log. `hostctl log` only reads files, so most
//! tests build their log directory with hostctl's own writer against hosts that listen nowhere:
//! no sshd, no root. A real fleet only where a host must answer (ok, failed, output).

use hostctl_test_support as support;

use snapbox::str;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use support::{Fleet, Offline, Run, daily_files};

const GROUPS: &str =
    "[groups.web]\nhosts = [\"web01\", \"web02\"]\n\n[groups.db]\nhosts = [\"db01\"]\n";

/// A log directory (`logs/` next to the inventory) written by the real binary against hosts
/// that refuse every connection at once: each operation is recorded, every host unreachable.
struct Log(Offline);

impl std::ops::Deref for Log {
    type Target = Offline;
    fn deref(&self) -> &Offline {
        &self.0
    }
}

impl Log {
    fn new() -> Log {
        let hosts = Offline::refusing(&["web01", "web02", "db01"]);
        hosts.write_inventory(GROUPS);
        Log(hosts)
    }

    fn logs(&self) -> PathBuf {
        self.dir.path().join("logs")
    }

    fn file(&self) -> PathBuf {
        newest(&self.logs())
    }

    /// Three operations: two runs on web, a push to db; every host refused. One host at a time,
    /// so the records come in the hosts' order.
    fn history(&self) {
        self.run(&["run", "-g", "web", "-f", "1", "echo hello from $(hostname)"])
            .code(4);
        self.run(&["run", "-g", "web", "-f", "1", "test $(hostname) = web01"])
            .code(4);
        std::fs::write(self.path("motd"), "welcome\n").unwrap();
        self.run(&["push", "-g", "db", "motd", "/tmp/"]).code(4);
    }

    fn verify(&self) -> Run {
        self.run(&["log", "verify"])
    }

    /// Rewrites the newest log file with `change` applied to its lines.
    fn tamper(&self, change: impl FnOnce(&mut Vec<String>)) {
        let file = self.file();
        let mut lines: Vec<String> = std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        change(&mut lines);
        std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    }
}

/// The newest daily file of a log directory.
fn newest(dir: &Path) -> PathBuf {
    daily_files(dir).pop().unwrap()
}

fn ids(run: &Run) -> Vec<String> {
    run.json()
        .iter()
        .map(|v| v["op"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn list_filters_pick_operations_by_what_where_who_and_when() {
    let log = Log::new();
    log.history();
    let all = log.run(&["log", "--json"]);
    all.code(0);
    let ops = all.json();
    assert_eq!(ops.len(), 3);
    // Newest first.
    assert_eq!(ops[0]["operation"], "push");
    assert_eq!(ops[2]["command"], "echo hello from $(hostname)");
    let op = |i: usize| ops[i]["op"].as_str().unwrap().to_string();
    log.run(&["log"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
ID               TIME (UTC)           OPERATOR[..]OP    PATTERN  RESULT         WHAT
[OP]  [TIME]  [OPERATOR][..]push  db       1 unreachable  motd -> /tmp/
[OP]  [TIME]  [OPERATOR][..]run   web      2 unreachable  test $(hostname) = web01
[OP]  [TIME]  [OPERATOR][..]run   web      2 unreachable  echo hello from $(hostname)
3 operations

"#]]);

    let id = |args: &[&str]| ids(&log.run(&[&["log", "--json"], args].concat()));
    assert_eq!(id(&["--op", "push"]), [op(0)]);
    assert_eq!(id(&["--host", "db01"]), [op(0)]);
    assert_eq!(id(&["--group", "web"]), [op(1), op(2)]);
    assert_eq!(id(&["--grep", "hello"]), [op(2)]);
    assert_eq!(id(&["--grep", "motd"]), [op(0)]);
    assert_eq!(id(&["--since", "1h"]).len(), 3);
    assert_eq!(id(&["--until", "2000-01-01"]).len(), 0);
    let user = support::operator();
    let user = user.split('@').next().unwrap();
    assert_eq!(id(&["--operator", user]).len(), 3);
    assert_eq!(id(&["--operator", "nobody"]).len(), 0);
    assert_eq!(id(&["-n", "1"]), [op(0)]);
    // Unreachable hosts are not ok: every operation here failed somewhere.
    assert_eq!(id(&["--failed"]).len(), 3);
    assert_eq!(id(&["--failed", "--op", "pull"]).len(), 0);

    log.run(&["log", "show", &op(2)])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
operation [OP]  run  by [OPERATOR]  at [TIME]
command:   echo hello from $(hostname)
pattern:   web -> 2 hosts: web01, web02
argv:      [BIN] run -g web -f 1 'echo hello from $(hostname)'
result:    2 unreachable, exit 4 in [ELAPSED]
=== web01: UNREACHABLE, [ELAPSED], in 0 B out 0 B: connection refused by 127.0.0.1:1 (is sshd running on port 1?)
=== web02: UNREACHABLE, [ELAPSED], in 0 B out 0 B: connection refused by 127.0.0.1:1 (is sshd running on port 1?)

"#]]);
    log.run(&["log", "show", &op(0)])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
operation [OP]  push  by [OPERATOR]  at [TIME]
paths:     motd -> /tmp/
pattern:   db -> 1 hosts: db01
argv:      [BIN] push -g db motd /tmp/
result:    1 unreachable, exit 4 in [ELAPSED]
=== db01: UNREACHABLE, [ELAPSED], in 0 B out 0 B: connection refused by 127.0.0.1:1 (is sshd running on port 1?)

"#]]);
    log.run(&["log", "show", "ffff"])
        .code(2)
        .stdout_eq(str![])
        .stderr_is("error: no operation `ffff` in the log\n");
}

/// What only answering hosts give: ok and failed results, their output, a changed file.
#[test]
fn show_answers_how_each_host_went_and_what_it_printed() {
    let fleet = Fleet::start(&["web01", "web02", "db01"]);
    fleet.write_inventory(GROUPS);
    // One host at a time, so the records come in the hosts' order.
    fleet
        .run(&["run", "-g", "web", "-f", "1", "echo hello from $(hostname)"])
        .code(0);
    fleet
        .run(&["run", "-g", "web", "-f", "1", "test $(hostname) = web01"])
        .code(1);
    let file = fleet.path("motd");
    std::fs::write(&file, "welcome\n").unwrap();
    fleet
        .run(&["push", "-g", "db", file.to_str().unwrap(), "/tmp/"])
        .code(0);
    let ops = fleet.run(&["log", "--json"]).json();
    let op = |i: usize| ops[i]["op"].as_str().unwrap().to_string();
    assert_eq!(
        (
            ops[1]["ok"].as_u64(),
            ops[1]["failed"].as_u64(),
            ops[1]["state"].as_str()
        ),
        (Some(1), Some(1), Some("done"))
    );
    fleet
        .run(&["log"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
ID               TIME (UTC)           OPERATOR[..]OP    PATTERN  RESULT          WHAT
[OP]  [TIME]  [OPERATOR][..]push  db       1 changed       [FLEET]/motd -> /tmp/
[OP]  [TIME]  [OPERATOR][..]run   web      1 ok, 1 failed  test $(hostname) = web01
[OP]  [TIME]  [OPERATOR][..]run   web      2 ok            echo hello from $(hostname)
3 operations

"#]]);
    assert_eq!(ids(&fleet.run(&["log", "--json", "--failed"])), [op(1)]);
    fleet
        .run(&["log", "show", &op(2)])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
operation [OP]  run  by [OPERATOR]  at [TIME]
command:   echo hello from $(hostname)
pattern:   web -> 2 hosts: web01, web02
argv:      [BIN] -i [FLEET]/hosts.toml run -g web -f 1 'echo hello from $(hostname)'
result:    2 ok, exit 0 in [ELAPSED]
=== web01: ok, exit 0, [ELAPSED], in 17 B out 0 B
hello from web01
=== web02: ok, exit 0, [ELAPSED], in 17 B out 0 B
hello from web02

"#]]);
    let narrowed = fleet.run(&["log", "show", &op(2), "--host", "web02", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&narrowed.stdout).unwrap();
    assert_eq!(value["results"].as_array().unwrap().len(), 1);
    assert_eq!(value["results"][0]["stdout"]["text"], "hello from web02\n");
    fleet
        .run(&["log", "show", &op(1)])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
operation [OP]  run  by [OPERATOR]  at [TIME]
command:   test $(hostname) = web01
pattern:   web -> 2 hosts: web01, web02
argv:      [BIN] -i [FLEET]/hosts.toml run -g web -f 1 'test $(hostname) = web01'
result:    1 ok, 1 failed, exit 1 in [ELAPSED]
=== web01: ok, exit 0, [ELAPSED], in 0 B out 0 B
=== web02: FAILED, exit 1, [ELAPSED], in 0 B out 0 B

"#]]);
    fleet
        .run(&["log", "show", &op(0)])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
operation [OP]  push  by [OPERATOR]  at [TIME]
paths:     [FLEET]/motd -> /tmp/
pattern:   db -> 1 hosts: db01
argv:      [BIN] -i [FLEET]/hosts.toml push -g db [FLEET]/motd /tmp/
result:    1 changed, exit 0 in [ELAPSED]
=== db01: changed, [ELAPSED], in 0 B out 8 B
  changed   [FLEET]/motd <-> /tmp/motd (8 B, sha256 77f44b9024fd…)

"#]]);
}

#[test]
fn reviewing_never_changes_the_log_and_needs_no_inventory() {
    let log = Log::new();
    log.history();
    let file = log.file();
    let before = (
        std::fs::read(&file).unwrap(),
        std::fs::metadata(&file).unwrap().modified().unwrap(),
    );
    std::fs::write(log.inventory(), "this is [not toml").unwrap();
    for args in [
        &["log"][..],
        &["log", "--failed"],
        &["log", "verify"],
        &["log", "--json", "-n", "1"],
    ] {
        log.run(args).code(0);
    }
    let after = (
        std::fs::read(&file).unwrap(),
        std::fs::metadata(&file).unwrap().modified().unwrap(),
    );
    assert!(before == after, "reviewing modified the log");
}

/// A run killed while a host still connects (to a port that accepts and never answers): no
/// sshd needed, but a real run and a real kill.
#[test]
fn an_operation_killed_mid_run_shows_as_interrupted() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let log = Log(Offline::refusing(&["web01", "db01"]));
    log.write_inventory(&format!(
        "[hosts.web02]\naddress = \"127.0.0.1\"\nport = {port}\n\n{GROUPS}"
    ));
    let mut child = log
        .hostctl()
        .args(["run", "-g", "web", "true"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !log.logs().exists()
        || !std::fs::read_to_string(log.file())
            .unwrap()
            .contains("\"host\":\"web01\"")
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "web01 never recorded"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // While it runs, it is running; once killed, interrupted.
    log.run(&["log"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
ID               TIME (UTC)           OPERATOR[..]OP   PATTERN  RESULT                  WHAT
[OP]  [TIME]  [OPERATOR][..]run  web      running: 1 unreachable  true
1 operation

"#]]);
    child.kill().unwrap();
    child.wait().unwrap();
    log.run(&["log"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
ID               TIME (UTC)           OPERATOR[..]OP   PATTERN  RESULT                      WHAT
[OP]  [TIME]  [OPERATOR][..]run  web      interrupted: 1 unreachable  true
1 operation

"#]]);
    assert_eq!(log.run(&["log", "--failed", "--json"]).json().len(), 1);
    drop(silent);
}

#[test]
fn verify_names_the_first_record_that_does_not_fit() {
    for (what, change) in [
        (
            "edit one byte",
            Box::new(|l: &mut Vec<String>| l[1] = l[1].replacen("web01", "web03", 1))
                as Box<dyn FnOnce(&mut Vec<String>)>,
        ),
        (
            "delete a line",
            Box::new(|l: &mut Vec<String>| drop(l.remove(3))),
        ),
        (
            "swap two lines",
            Box::new(|l: &mut Vec<String>| l.swap(3, 4)),
        ),
    ] {
        let log = Log::new();
        log.history();
        log.verify().code(0).stderr_eq(str![]).stdout_eq(str![[r#"
intact: 11 records in 1 file, chain unbroken

"#]]);
        log.tamper(change);
        // The first record that no longer follows its predecessor: line 3 after editing line 2,
        // line 4 after deleting or swapping line 4.
        let line = if what == "edit one byte" { 3 } else { 4 };
        log.verify().code(1).stderr_eq(str![]).stdout_eq(format!(
            "NOT INTACT: ./logs/audit.[TODAY].jsonl:{line} (operation [OP]): this record does not follow the one before it: a record just before it was edited, removed or reordered\n"
        ));
    }
}

#[test]
fn edits_to_the_newest_record_are_caught_by_the_head_anchor() {
    let log = Log::new();
    log.history();
    log.tamper(|l| {
        let last = l.len() - 1;
        l[last] = l[last].replace("\"exit_code\":4", "\"exit_code\":0");
    });
    log.verify().code(1).stderr_eq(str![]).stdout_eq(str![[r#"
NOT INTACT: ./logs/.head:1: the newest records were edited or removed: the last record is not the one the head anchor names

"#]]);
    let other = Log::new();
    other.history();
    other.tamper(|l| drop(l.pop()));
    other.verify().code(1).stderr_eq(str![]).stdout_eq(str![[r#"
NOT INTACT: ./logs/.head:1: the newest records were edited or removed: the last record is not the one the head anchor names

"#]]);
}

#[test]
fn a_record_cut_short_by_a_crash_is_not_tampering() {
    let log = Log::new();
    log.history();
    let file = log.file();
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"prev\":\"1234\",\"time\":\"2026-11-24T");
    std::fs::write(&file, text).unwrap();
    log.verify().code(0).stderr_eq(str![]).stdout_eq(str![[r#"
intact: 11 records in 1 file, chain unbroken
note: audit.[TODAY].jsonl:12: the last record is cut short (hostctl was killed while writing it); every record before it is intact

"#]]);
    // The next writer ends the half line and starts a new, verifiable segment.
    log.run(&["run", "-g", "db", "true"]).code(4);
    log.verify().code(0).stderr_eq(str![]).stdout_eq(str![[r#"
intact: 15 records in 1 file, chain unbroken
note: audit.[TODAY].jsonl:12: a record cut short by a crash; the writer continued with a new segment

"#]]);
    assert_eq!(log.run(&["log", "--json"]).json().len(), 4);
}

#[test]
fn concurrent_runs_keep_one_unbroken_chain() {
    let log = Log::new();
    let children: Vec<_> = (0..4)
        .map(|i| {
            log.hostctl()
                .args(["run", "-g", "all", "-f", "1", &format!("echo run {i}")])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert_eq!(c.wait().unwrap().code(), Some(4));
    }
    // 4 operations x (start + 3 hosts + end)
    log.verify().code(0).stderr_eq(str![]).stdout_eq(str![[r#"
intact: 20 records in 1 file, chain unbroken

"#]]);
}

#[test]
fn prune_removes_old_days_and_the_rest_still_verifies() {
    let log = Log::new();
    log.run(&["run", "-g", "web", "echo old"]).code(4);
    // Pretend the first day's file is from January.
    let today = log.file();
    let old = today.with_file_name("audit.2026-01-05.jsonl");
    std::fs::rename(&today, &old).unwrap();
    log.run(&["run", "-g", "db", "echo new"]).code(4);
    log.verify().code(0).stderr_eq(str![]).stdout_eq(str![[r#"
intact: 7 records in 2 files, chain unbroken

"#]]);
    // The cutoff is 30 days before today.
    log.run(&["log", "prune", "--older-than", "30d"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
removed 1 daily file dated before [..]: audit.2026-01-05.jsonl

"#]]);
    assert!(!old.exists());
    log.verify().code(0).stderr_eq(str![]).stdout_eq(str![[r#"
intact: 4 records in 1 file, chain unbroken
note: older records were removed by `hostctl log prune` (recorded in the log)

"#]]);
    let ops = log.run(&["log", "--json"]).json();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0]["command"], "echo new");
    // Removing a day by hand, without prune, is caught.
    log.run(&["run", "-g", "db", "true"]).code(4);
    let file = log.file();
    let renamed = file.with_file_name("audit.2026-01-06.jsonl");
    std::fs::rename(&file, &renamed).unwrap();
    log.run(&["run", "-g", "db", "true"]).code(4);
    std::fs::remove_file(&renamed).unwrap();
    log.verify().code(1).stderr_eq(str![]).stdout_eq(str![[r#"
NOT INTACT: ./logs/audit.[TODAY].jsonl:1 (operation [OP]): the log does not start at the beginning of its chain: older records were removed without `hostctl log prune`

"#]]);
}

/// hostctl on a log directory of its own, with no inventory and no fleet.
fn in_dir(dir: &std::path::Path, args: &[&str]) -> Run {
    Run::from(
        std::process::Command::new(support::bin())
            .arg("--log-dir")
            .arg(dir)
            .args(args)
            .env_remove("HOSTCTL_LOG_DIR")
            .output()
            .unwrap(),
    )
    .redact("[DIR]", dir.display())
}

/// Appends one record through the real writer: a `log prune` that removes nothing.
fn append(dir: &std::path::Path) {
    in_dir(dir, &["log", "prune", "--older-than", "10000d"]).code(0);
}

/// Two daily files: two records in an old one, two in today's.
fn two_days() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    append(dir.path());
    append(dir.path());
    let today = daily_files(dir.path()).pop().unwrap();
    std::fs::rename(&today, today.with_file_name("audit.2020-01-01.jsonl")).unwrap();
    append(dir.path());
    append(dir.path());
    assert_eq!(daily_files(dir.path()).len(), 2);
    in_dir(dir.path(), &["log", "verify"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
intact: 4 records in 2 files, chain unbroken

"#]]);
    dir
}

fn drop_last_lines(file: &std::path::Path, n: usize) {
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let kept = &lines[..lines.len() - n];
    std::fs::write(
        file,
        kept.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
}

#[test]
fn a_deleted_head_anchor_fails_verify_whatever_went_with_it() {
    type Change = Box<dyn Fn(&std::path::Path)>;
    let cases: [(&str, Change); 3] = [
        ("nothing else", Box::new(|_| {})),
        (
            "the newest record",
            Box::new(|d| drop_last_lines(&daily_files(d).pop().unwrap(), 1)),
        ),
        (
            "the newest daily file",
            Box::new(|d| std::fs::remove_file(daily_files(d).pop().unwrap()).unwrap()),
        ),
    ];
    for (what, change) in cases {
        let dir = two_days();
        change(dir.path());
        std::fs::remove_file(dir.path().join(".head")).unwrap();
        let run = in_dir(dir.path(), &["log", "verify"]);
        run.code(1);
        assert_eq!(
            run.stdout,
            format!(
                "NOT INTACT: {}: the head anchor is missing but the log holds records: it was deleted, and the newest records or daily files may have gone with it (hostctl rewrites the anchor with every record)\n",
                dir.path().join(".head").display()
            ),
            "{what}"
        );
    }
    // An empty log needs no anchor.
    let empty = tempfile::tempdir().unwrap();
    in_dir(empty.path(), &["log", "verify"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
intact: 0 records in 0 files, chain unbroken
note: readable by other users: `[DIR]` (mode 0755); the next hostctl operation makes what it owns private

"#]]);
}

#[test]
fn the_next_writer_does_not_hide_a_lost_or_stale_anchor() {
    for (what, delete_anchor) in [("deleted", true), ("stale", false)] {
        let dir = two_days();
        drop_last_lines(&daily_files(dir.path()).pop().unwrap(), 1);
        if delete_anchor {
            std::fs::remove_file(dir.path().join(".head")).unwrap();
        }
        // Another operation is recorded afterwards; the gap must stay visible.
        append(dir.path());
        let run = in_dir(dir.path(), &["log", "verify"]);
        run.code(1);
        let found = match delete_anchor {
            true => {
                "was missing: the newest records before it may have been removed along with the anchor"
            }
            false => {
                "named another record than the last one: the newest records before it were removed or edited"
            }
        };
        let today = daily_files(dir.path()).pop().unwrap();
        assert_eq!(
            run.stdout,
            format!(
                "NOT INTACT: {}:2: when this record was written the head anchor {found}\n",
                today.display()
            ),
            "{what}"
        );
    }
}

/// The tests' own redactions (tests/support `redactions`) across midnight UTC: a run that
/// started before it and reads after it still sees both dates as "today"; a date the test
/// chose outside the run stays as it is.
#[test]
fn dates_are_redacted_for_a_run_that_crosses_midnight() {
    // 2025-11-24T23:59:59Z to 2025-11-25T00:00:01Z.
    let dates = support::dates_between(1_764_028_799, 1_764_028_801);
    assert_eq!(dates, ["2025-11-24", "2025-11-25"]);
    assert_eq!(
        support::dates_between(1_764_028_800, 1_764_028_900),
        ["2025-11-25"]
    );
    let text = "audit.2025-11-24.jsonl at 2025-11-24T23:59:59Z, read at 2025-11-25 00:00:01; \
                expired 2025-11-23T00:00:00Z, ends 2025-11-26\n";
    assert_eq!(
        support::redactions_on(&dates).redact(text),
        "audit.[TODAY].jsonl at [TIME], read at [TIME]; expired 2025-11-23T00:00:00Z, ends 2025-11-26\n"
    );
    // An ordinary run: only its one date.
    assert_eq!(
        support::redactions_on(&dates[1..]).redact(text),
        "audit.2025-11-24.jsonl at 2025-11-24T23:59:59Z, read at [TIME]; expired 2025-11-23T00:00:00Z, ends 2025-11-26\n"
    );
    // This process started today (or, near midnight, yesterday): never days before.
    let this_run = support::dates_of_this_run();
    assert!(matches!(this_run.len(), 1 | 2), "{this_run:?}");
}
