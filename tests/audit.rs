//! The audit log against real runs: private whatever the umask, output withheld on request,
//! and never silently incomplete when the disk fills up mid-run.

use hostctl_test_support as support;

use snapbox::{IntoData, str};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{Fleet, Run};

fn fleet(names: &[&str]) -> Fleet {
    let fleet = Fleet::start(names);
    fleet.write_inventory("");
    fleet
}

/// hostctl run with the given umask.
fn run_with_umask(fleet: &Fleet, mask: libc::mode_t, args: &[&str]) -> Run {
    let mut cmd = fleet.hostctl();
    cmd.args(args);
    // SAFETY: umask is async-signal-safe and touches only the child's own state.
    unsafe {
        cmd.pre_exec(move || {
            libc::umask(mask);
            Ok(())
        });
    }
    Run::from(cmd.output().expect("run hostctl"))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// Whether user `nobody` can read `path` (as the OS decides, not by looking at modes).
fn nobody_reads(path: &Path) -> bool {
    Command::new("su")
        .args([
            "nobody",
            "-s",
            "/bin/sh",
            "-c",
            "cat \"$0\" >/dev/null 2>&1",
        ])
        .arg(path)
        .status()
        .expect("su")
        .success()
}

/// Lets other users walk down to the fleet's files, so only the log's own modes protect it.
fn open_fleet_dir(fleet: &Fleet) {
    std::fs::set_permissions(fleet.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn log_files(fleet: &Fleet) -> Vec<PathBuf> {
    support::daily_files(&fleet.path("logs"))
}

#[test]
fn the_log_is_private_whatever_the_umask() {
    for mask in [0o022, 0o000] {
        let fleet = fleet(&["web01"]);
        open_fleet_dir(&fleet);
        run_with_umask(
            &fleet,
            mask,
            &["run", "-g", "all", "echo secret-$(hostname)"],
        )
        .code(0);
        let logs = fleet.path("logs");
        assert_eq!(mode(&logs), 0o700, "umask {mask:03o}: logs/");
        let files = files_in(&logs);
        // The daily file, the head anchor and the lock, at least.
        assert!(files.len() >= 3, "{files:?}");
        for file in &files {
            assert_eq!(mode(file), 0o600, "umask {mask:03o}: {}", file.display());
        }
        let daily = &log_files(&fleet)[0];
        assert!(
            std::fs::read_to_string(daily)
                .unwrap()
                .contains("secret-web01"),
            "the test reads the right file"
        );
        assert!(
            !nobody_reads(daily),
            "umask {mask:03o}: nobody read the log"
        );
    }
}

#[test]
fn a_log_left_readable_is_made_private_and_said_so() {
    let fleet = fleet(&["web01"]);
    open_fleet_dir(&fleet);
    fleet
        .run(&["run", "-g", "all", "echo secret-$(hostname)"])
        .code(0);
    // As an older hostctl (or a careless chmod) left it: everyone can read it.
    let logs = fleet.path("logs");
    std::fs::set_permissions(&logs, std::fs::Permissions::from_mode(0o755)).unwrap();
    for file in files_in(&logs) {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    // A file someone else owns: hostctl does not change it, it warns.
    let foreign = logs.join("notes.txt");
    std::fs::write(&foreign, "not hostctl's\n").unwrap();
    std::os::unix::fs::chown(&foreign, Some(65534), Some(65534)).unwrap();
    let daily = log_files(&fleet)[0].clone();
    assert!(nobody_reads(&daily), "the test starts from a readable log");
    // Reviewing changes nothing, and says so.
    fleet
        .run(&["log", "verify"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
intact: 3 records in 1 file, chain unbroken
note: readable by other users: `[FLEET]/logs` (mode 0755), [..]; the next hostctl operation makes what it owns private

"#]]);
    // The files come in the directory's order: compare them as a set.
    let verify = fleet.run(&["log", "verify"]);
    let mut listed: Vec<&str> = verify.stdout.lines().nth(1).unwrap()
        ["note: readable by other users: ".len()..]
        .split("; ")
        .next()
        .unwrap()
        .split(", ")
        .collect();
    listed.sort();
    let today = log_files(&fleet)[0].clone();
    let expected = [
        format!("`{}` (mode 0755)", logs.display()),
        format!("`{}` (mode 0644)", logs.join(".head").display()),
        format!("`{}` (mode 0644)", logs.join(".lock").display()),
        format!("`{}` (mode 0644)", today.display()),
        format!("`{}` (mode 0644)", foreign.display()),
    ];
    let mut expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(listed, expected);
    assert!(nobody_reads(&daily));

    let run = fleet.run(&["run", "-g", "all", "true"]);
    run.code(0);
    assert!(!nobody_reads(&daily), "nobody still reads the log");
    assert_eq!(mode(&logs), 0o700);
    for file in files_in(&logs).iter().filter(|f| **f != foreign) {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    assert_eq!(
        mode(&foreign),
        0o644,
        "another user's file is left as it is"
    );
    run.stderr_eq(str![[r#"
hostctl: warning: audit log `[FLEET]/logs` was readable by other users: made it 0700 and 3 files in it 0600
hostctl: warning: `[FLEET]/logs/notes.txt` in the audit log is readable by other users (mode 0644) and belongs to uid 65534, so hostctl leaves it: `chmod 600` it

"#]]);
    // Said once: the next run finds nothing of its own to tighten (the foreign file is still
    // there, and still said).
    let again = fleet.run(&["run", "-g", "all", "true"]).in_fleet(&fleet);
    again.code(0).stderr_eq(str![[r#"
hostctl: warning: `[FLEET]/logs/notes.txt` in the audit log is readable by other users (mode 0644) and belongs to uid 65534, so hostctl leaves it: `chmod 600` it

"#]]);
}

#[test]
fn no_log_output_keeps_sizes_and_digests_but_not_the_text() {
    let fleet = fleet(&["web01", "web02"]);
    let out = fleet.path("out");
    let run = fleet.run(&[
        "run",
        "-g",
        "all",
        "--no-log-output",
        "--out-dir",
        out.to_str().unwrap(),
        // The command itself is recorded; what it prints must not be.
        "printf '%s-%s\\n' secret $(hostname); printf '%s-%s\\n' hush $(hostname) >&2",
    ]);
    // The screen still shows it: only the log is kept clean.
    run.code(0).stderr_eq(str![]).stdout_eq(
        str![[r#"
=== web01: ok, exit 0, [ELAPSED]
secret-web01
--- web01 stderr
hush-web01
=== web02: ok, exit 0, [ELAPSED]
secret-web02
--- web02 stderr
hush-web02
2 hosts: 2 ok in [ELAPSED]

"#]]
        .unordered(),
    );
    for file in files_in(&fleet.path("logs")) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            !text.contains("secret-web") && !text.contains("hush-web"),
            "{} holds the output:\n{text}",
            file.display()
        );
    }
    for host in ["web01", "web02"] {
        let record = fleet
            .audit()
            .into_iter()
            .find(|r| r["kind"] == "host" && r["host"] == host)
            .unwrap();
        for (stream, ext) in [("stdout", "out"), ("stderr", "err")] {
            let whole = std::fs::read(out.join(format!("{host}.{ext}"))).unwrap();
            let o = &record[stream];
            assert_eq!(o["text"], "", "{host} {stream}");
            assert_eq!(o["withheld"], true, "{host} {stream}");
            assert_eq!(o["bytes"], whole.len() as u64, "{host} {stream}");
            assert_eq!(o["sha256"], support::sha256(&whole), "{host} {stream}");
        }
    }
    let id = fleet.run(&["log", "--json"]).json()[0]["op"]
        .as_str()
        .unwrap()
        .to_string();
    let show = fleet.run(&["log", "show", &id, "--host", "web01"]);
    show.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
operation [OP]  run  by [OPERATOR]  at [TIME]
command:   printf '%s-%s\n' secret $(hostname); printf '%s-%s\n' hush $(hostname) >&2
pattern:   all -> 2 hosts: web01, web02
argv:      [BIN] -i [FLEET]/hosts.toml run -g all --no-log-output --out-dir [FLEET]/out 'printf '\''%s-%s\n'\'' secret $(hostname); printf '\''%s-%s\n'\'' hush $(hostname) >&2'
result:    2 ok, exit 0 in [ELAPSED]
=== web01: ok, exit 0, [ELAPSED], in 24 B out 0 B
[stdout not recorded (--no-log-output): 13 B, sha256 ec1cbeaa820ae3f8739566fa51f6b099e054ef05e490e3b4357d4a786a012af2]
[stderr not recorded (--no-log-output): 11 B, sha256 d4dc69c251afecd23f30b7f05bc0b84f1f909c3f562b80f14407beb5aac59aec]

"#]]);
    // Not an output fragment: the digests pinned above are those of what web01 printed.
    assert!(show.stdout.contains(&support::sha256(b"secret-web01\n")));
    assert!(show.stdout.contains(&support::sha256(b"hush-web01\n")));

    // Without the flag the text is kept, as before.
    fleet.run(&["run", "-g", "web01", "echo open"]).code(0);
    assert!(
        fleet
            .audit()
            .iter()
            .any(|r| r["kind"] == "host" && r["stdout"]["text"] == "open\n")
    );
    // push and pull take it too.
    let file = fleet.path("motd");
    std::fs::write(&file, "hi\n").unwrap();
    fleet
        .run(&[
            "push",
            "-g",
            "web01",
            "--no-log-output",
            file.to_str().unwrap(),
            "/tmp/",
        ])
        .code(0);
    fleet
        .run(&[
            "pull",
            "-g",
            "web01",
            "--no-log-output",
            "/tmp/motd",
            fleet.path("pulled").to_str().unwrap(),
        ])
        .code(0);
}

/// A tiny tmpfs mounted for one test, unmounted however the test ends.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: PathBuf, size: &str) -> Tmpfs {
        std::fs::create_dir_all(&dir).unwrap();
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "hostctl-test",
            ])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(ok.success(), "mount tmpfs on {}", dir.display());
        Tmpfs(dir)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_stops_new_hosts_and_says_which_results_were_not_recorded() {
    let names = ["h1", "h2", "h3", "h4", "h5", "h6"];
    let fleet = fleet(&names);
    let logs = Tmpfs::mount(fleet.path("logs"), "64k");
    // 20 KB of output per host: three hosts' records do not fit in 64 KiB.
    let run = fleet.run(&[
        "run",
        "-g",
        "all",
        "-f",
        "1",
        "--json",
        "head -c 20000 /dev/zero | tr '\\0' x",
    ]);
    run.code(3);
    // Scripts read the same exit status from the JSON summary as from the process.
    let summary = run.json().pop().unwrap();
    assert_eq!(
        (summary["type"].as_str(), summary["exit_code"].as_u64()),
        (Some("summary"), Some(3))
    );
    let recorded: Vec<String> = fleet
        .audit()
        .iter()
        .filter(|r| r["kind"] == "host")
        .map(|r| r["host"].as_str().unwrap().to_string())
        .collect();
    assert!(!recorded.is_empty(), "some hosts fit: {}", run.stderr);
    // One host at a time: the one whose record did not fit is the only one lost, and no
    // host after it was started.
    let lost = names[recorded.len()];
    assert_eq!(recorded, names[..recorded.len()], "{}", run.stderr);
    // How many records fit depends on their size, which holds the operator's name: the
    // expected texts are built from what the log holds.
    let not_started = names.len() - recorded.len() - 1;
    let ok = recorded.len() + 1;
    let run = run.in_fleet(&fleet);
    run.stderr_eq(format!(
        "error: audit log: cannot write to `[FLEET]/logs`: No space left on device (os error 28); \
         hostctl stopped starting hosts ({not_started} not started); not recorded in full: \
         `{lost}` (its status is in the log, its output is not)\n"
    ));
    for host in &names[recorded.len() + 1..] {
        assert!(
            !fleet.contacted(host),
            "{host} was contacted after the log filled up"
        );
    }
    assert!(fleet.contacted(lost));
    // The closing records used the space set aside at the start: the log says what happened.
    let records = fleet.audit();
    let incomplete = records
        .iter()
        .find(|r| r["kind"] == "incomplete")
        .expect("an incomplete record");
    assert_eq!(incomplete["hosts"][0]["host"], lost);
    assert_eq!(incomplete["hosts"][0]["status"], "ok");
    let end = records.last().unwrap();
    assert_eq!(
        (end["kind"].as_str(), end["exit_code"].as_i64()),
        (Some("end"), Some(3))
    );
    assert!(
        !files_in(&logs.0)
            .iter()
            .any(|f| f.to_string_lossy().contains(".reserve")),
        "the reserve is released"
    );

    let list = fleet.run(&["log"]);
    // The columns are as wide as their widest value (the operator, the result): [..].
    list.code(0).stderr_eq(str![]).stdout_eq(format!(
        "ID               TIME (UTC)           OPERATOR[..]OP   PATTERN  RESULT[..]WHAT\n\
         [OP]  [TIME]  [OPERATOR][..]run  all      incomplete: {ok} ok, {not_started} skipped  \
         head -c 20000 /dev/zero | tr '\\0' x\n\
         1 operation\n"
    ));
    let id = fleet.run(&["log", "--json"]).json()[0]["op"]
        .as_str()
        .unwrap()
        .to_string();
    // Each recorded host's 20000 bytes of output as [OUTPUT].
    let hosts: String = names[..recorded.len()]
        .iter()
        .map(|h| format!("=== {h}: ok, exit 0, [ELAPSED], in 19.5 KiB out 0 B\n[OUTPUT]\n"))
        .collect();
    fleet
        .run(&["log", "show", &id])
        .in_fleet(&fleet)
        .redact_regex("[OUTPUT]", "x{20000}")
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(format!(
            "operation [OP]  run  by [OPERATOR]  at [TIME]\n\
             command:   head -c 20000 /dev/zero | tr '\\0' x\n\
             pattern:   all -> 6 hosts: h1, h2, h3, h4, h5, h6\n\
             argv:      [BIN] -i [FLEET]/hosts.toml run -g all -f 1 --json 'head -c 20000 /dev/zero | tr '\\''\\0'\\'' x'\n\
             result:    incomplete: {ok} ok, {not_started} skipped, exit 3 in [ELAPSED]\n\
             log:       incomplete: No space left on device (os error 28); hostctl stopped starting hosts\n\
             {hosts}\
             === {lost}: ok, exit 0: not recorded in full (the audit log could not be written; output lost)\n"
        ));
    fleet
        .run(&["log", "verify"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(format!(
            "intact: {} records in 1 file, chain unbroken\n\
             note: audit.[TODAY].jsonl:{} (operation [OP]): the log could not be written (No space left on device (os error 28)): \
             hostctl stopped starting hosts and recorded 1 host's status without its output; not a crash\n",
            records.len(),
            records.iter().position(|r| r["kind"] == "incomplete").unwrap() + 1,
        ));
}

#[test]
fn a_log_without_room_to_close_contacts_no_host() {
    let fleet = fleet(&["h1"]);
    let logs = Tmpfs::mount(fleet.path("logs"), "16k");
    // Room for a start record, not for the space set aside for the closing records too.
    let filler = logs.0.join("filler");
    std::fs::write(&filler, vec![b'x'; 8 << 10]).unwrap();
    std::fs::set_permissions(&filler, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = fleet.run(&["run", "-g", "all", "true"]);
    run.code(3).stdout_eq(str![]).stderr_eq(str![[r#"
error: audit log: cannot set aside room in `[FLEET]/logs` for the operation's closing records: No space left on device (os error 28) (no host was contacted; free some space)

"#]]);
    assert!(!fleet.contacted("h1"));
    assert!(
        fleet.audit().is_empty(),
        "nothing was started, so nothing is recorded"
    );
}
