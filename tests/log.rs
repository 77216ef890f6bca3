//! `hostctl log`: reviewing and verifying an audit log produced by real runs.

mod support;

use std::process::Stdio;
use support::{Fleet, Run};

fn fleet() -> Fleet {
    let fleet = Fleet::start(&["web01", "web02", "db01"]);
    fleet.write_inventory(
        "[groups.web]\nhosts = [\"web01\", \"web02\"]\n\n[groups.db]\nhosts = [\"db01\"]\n",
    );
    fleet
}

fn log_file(fleet: &Fleet) -> std::path::PathBuf {
    let mut files: Vec<_> = std::fs::read_dir(fleet.path("logs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files.pop().unwrap()
}

/// Three operations: a good run on web, a run failing on web02, a push to db.
fn history(fleet: &Fleet) {
    fleet
        .run(&["run", "-g", "web", "echo hello from $(hostname)"])
        .code(0);
    fleet
        .run(&["run", "-g", "web", "test $(hostname) = web01"])
        .code(1);
    let file = fleet.path("motd");
    std::fs::write(&file, "welcome\n").unwrap();
    fleet
        .run(&["push", "-g", "db", file.to_str().unwrap(), "/tmp/"])
        .code(0);
}

fn ids(run: &Run) -> Vec<String> {
    run.json()
        .iter()
        .map(|v| v["op"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn list_filters_and_show_answer_who_ran_what_where() {
    let fleet = fleet();
    history(&fleet);
    let all = fleet.run(&["log", "--json"]);
    all.code(0);
    let ops = all.json();
    assert_eq!(ops.len(), 3);
    // Newest first.
    assert_eq!(ops[0]["operation"], "push");
    assert_eq!(ops[2]["command"], "echo hello from $(hostname)");
    assert!(ops[0]["operator"].as_str().unwrap().starts_with("root@"));
    assert_eq!(
        (
            ops[1]["ok"].as_u64(),
            ops[1]["failed"].as_u64(),
            ops[1]["state"].as_str()
        ),
        (Some(1), Some(1), Some("done"))
    );

    let text = fleet.run(&["log"]);
    text.code(0)
        .stdout_has("push  db ")
        .stdout_has("1 ok, 1 failed")
        .stdout_has("3 operations\n");

    let id = |args: &[&str]| ids(&fleet.run(&[&["log", "--json"], args].concat()));
    assert_eq!(id(&["--failed"]), [ops[1]["op"].as_str().unwrap()]);
    assert_eq!(id(&["--op", "push"]), [ops[0]["op"].as_str().unwrap()]);
    assert_eq!(id(&["--host", "db01"]).len(), 1);
    assert_eq!(id(&["--group", "web"]).len(), 2);
    assert_eq!(id(&["--grep", "hello"]).len(), 1);
    assert_eq!(id(&["--since", "1h"]).len(), 3);
    assert_eq!(id(&["--until", "2000-01-01"]).len(), 0);
    assert_eq!(id(&["--operator", "root"]).len(), 3);
    assert_eq!(id(&["--operator", "nobody"]).len(), 0);
    assert_eq!(id(&["-n", "1"]).len(), 1);
    assert_eq!(id(&["--failed", "--op", "push"]).len(), 0);

    let first = ops[2]["op"].as_str().unwrap();
    let show = fleet.run(&["log", "show", first]);
    show.code(0)
        .stdout_has("command:   echo hello from $(hostname)\n")
        .stdout_has("=== web01: ok, exit 0")
        .stdout_has("hello from web01\n")
        .stdout_has("hello from web02\n");
    let narrowed = fleet.run(&["log", "show", first, "--host", "web02", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&narrowed.stdout).unwrap();
    assert_eq!(value["results"].as_array().unwrap().len(), 1);
    assert_eq!(value["results"][0]["stdout"]["text"], "hello from web02\n");
    let push = fleet.run(&["log", "show", ops[0]["op"].as_str().unwrap()]);
    push.stdout_has("=== db01: changed").stdout_has("/tmp/motd");
    fleet
        .run(&["log", "show", "ffff"])
        .code(2)
        .stderr_is("error: no operation `ffff` in the log\n");
}

#[test]
fn reviewing_never_changes_the_log_and_needs_no_inventory() {
    let fleet = fleet();
    history(&fleet);
    let file = log_file(&fleet);
    let before = (
        std::fs::read(&file).unwrap(),
        std::fs::metadata(&file).unwrap().modified().unwrap(),
    );
    std::fs::write(fleet.inventory(), "this is [not toml").unwrap();
    for args in [
        &["log"][..],
        &["log", "--failed"],
        &["log", "verify"],
        &["log", "--json", "-n", "1"],
    ] {
        fleet.run(args).code(0);
    }
    let after = (
        std::fs::read(&file).unwrap(),
        std::fs::metadata(&file).unwrap().modified().unwrap(),
    );
    assert!(before == after, "reviewing modified the log");
}

#[test]
fn an_operation_killed_mid_run_shows_as_interrupted() {
    let fleet = fleet();
    let mut child = fleet
        .hostctl()
        .args(["run", "-g", "web", "test $(hostname) = web01 || sleep 60"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    fleet.wait_for_host_record("web01");
    // While it runs, it is running; once killed, interrupted.
    fleet.run(&["log"]).stdout_has("running: 1 ok");
    child.kill().unwrap();
    child.wait().unwrap();
    let run = fleet.run(&["log"]);
    run.code(0).stdout_has("interrupted: 1 ok");
    assert_eq!(fleet.run(&["log", "--failed", "--json"]).json().len(), 1);
}

fn verify(fleet: &Fleet) -> Run {
    fleet.run(&["log", "verify"])
}

/// Rewrites the newest log file with `change` applied to its lines.
fn tamper(fleet: &Fleet, change: impl FnOnce(&mut Vec<String>)) {
    let file = log_file(fleet);
    let mut lines: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    change(&mut lines);
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
}

#[test]
fn verify_names_the_first_record_that_does_not_fit() {
    let name = |fleet: &Fleet| {
        log_file(fleet)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    for (what, change) in [
        (
            "edit one byte",
            Box::new(|l: &mut Vec<String>| l[1] = l[1].replacen("hello", "jello", 1))
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
        let fleet = fleet();
        history(&fleet);
        verify(&fleet)
            .code(0)
            .stdout_has("intact: 11 records in 1 file, chain unbroken\n");
        tamper(&fleet, change);
        let run = verify(&fleet);
        run.code(1);
        assert!(
            run.stdout.starts_with("NOT INTACT: "),
            "{what}: {}",
            run.stdout
        );
        // The first record that no longer follows its predecessor: line 3 after editing line 2,
        // line 4 after deleting or swapping line 4.
        let expected = if what == "edit one byte" { 3 } else { 4 };
        let at = format!("{}:{expected} (operation ", name(&fleet));
        assert!(run.stdout.contains(&at), "{what}: {}", run.stdout);
    }
}

#[test]
fn edits_to_the_newest_record_are_caught_by_the_head_anchor() {
    let fleet = fleet();
    history(&fleet);
    tamper(&fleet, |l| {
        let last = l.len() - 1;
        l[last] = l[last].replace("\"exit_code\":0", "\"exit_code\":1");
    });
    verify(&fleet)
        .code(1)
        .stdout_has("the newest records were edited or removed");
    let other = self::fleet();
    history(&other);
    tamper(&other, |l| drop(l.pop()));
    verify(&other)
        .code(1)
        .stdout_has("the newest records were edited or removed");
}

#[test]
fn a_record_cut_short_by_a_crash_is_not_tampering() {
    let fleet = fleet();
    history(&fleet);
    let file = log_file(&fleet);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"prev\":\"1234\",\"time\":\"2026-11-24T");
    std::fs::write(&file, text).unwrap();
    verify(&fleet)
        .code(0)
        .stdout_has(":12: the last record is cut short (hostctl was killed while writing it)");
    // The next writer ends the half line and starts a new, verifiable segment.
    fleet.run(&["run", "-g", "db", "true"]).code(0);
    let run = verify(&fleet);
    run.code(0)
        .stdout_has("intact: 15 records")
        .stdout_has(":12: a record cut short by a crash; the writer continued with a new segment");
    assert_eq!(fleet.run(&["log", "--json"]).json().len(), 4);
}

#[test]
fn concurrent_runs_keep_one_unbroken_chain() {
    let fleet = fleet();
    let children: Vec<_> = (0..4)
        .map(|i| {
            fleet
                .hostctl()
                .args(["run", "-g", "all", "-f", "1", &format!("echo run {i}")])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    // 4 operations x (start + 3 hosts + end)
    verify(&fleet)
        .code(0)
        .stdout_has("intact: 20 records in 1 file, chain unbroken\n");
}

#[test]
fn prune_removes_old_days_and_the_rest_still_verifies() {
    let fleet = fleet();
    fleet.run(&["run", "-g", "web", "echo old"]).code(0);
    // Pretend the first day's file is from January.
    let today = log_file(&fleet);
    let old = today.with_file_name("audit.2026-01-05.jsonl");
    std::fs::rename(&today, &old).unwrap();
    fleet.run(&["run", "-g", "db", "echo new"]).code(0);
    verify(&fleet)
        .code(0)
        .stdout_has("intact: 7 records in 2 files");
    fleet
        .run(&["log", "prune", "--older-than", "30d"])
        .code(0)
        .stdout_has("removed 1 daily file dated before ")
        .stdout_has("audit.2026-01-05.jsonl");
    assert!(!old.exists());
    let run = verify(&fleet);
    run.code(0)
        .stdout_has("intact: 4 records in 1 file")
        .stdout_has("older records were removed by `hostctl log prune`");
    let ops = fleet.run(&["log", "--json"]).json();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0]["command"], "echo new");
    // Removing a day by hand, without prune, is caught.
    fleet.run(&["run", "-g", "db", "true"]).code(0);
    let file = log_file(&fleet);
    let renamed = file.with_file_name("audit.2026-01-06.jsonl");
    std::fs::rename(&file, &renamed).unwrap();
    fleet.run(&["run", "-g", "db", "true"]).code(0);
    std::fs::remove_file(&renamed).unwrap();
    verify(&fleet)
        .code(1)
        .stdout_has("the log does not start at the beginning of its chain");
}

/// hostctl on a log directory of its own, with no inventory and no fleet.
fn in_dir(dir: &std::path::Path, args: &[&str]) -> Run {
    Run::from(
        std::process::Command::new(support::BIN)
            .arg("--log-dir")
            .arg(dir)
            .args(args)
            .env_remove("HOSTCTL_LOG_DIR")
            .output()
            .unwrap(),
    )
}

/// Appends one record through the real writer: a `log prune` that removes nothing.
fn append(dir: &std::path::Path) {
    in_dir(dir, &["log", "prune", "--older-than", "10000d"]).code(0);
}

fn daily_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
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
        .stdout_has("intact: 4 records in 2 files, chain unbroken\n");
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
        .stdout_has("intact: 0 records in 0 files");
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
