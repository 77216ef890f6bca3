//! The audit log against real runs: private whatever the umask.

mod support;

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
    files_in(&fleet.path("logs"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect()
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
    fleet.run(&["log", "verify"]).code(0).stdout_has(&format!(
        "note: readable by other users: `{}` (mode 0755), ",
        logs.display()
    ));
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
    assert!(
        run.stderr.contains(&format!(
            "hostctl: warning: audit log `{}` was readable by other users: made it 0700 and ",
            logs.display()
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "hostctl: warning: `{}` in the audit log is readable by other users (mode 0644) and belongs to uid 65534, so hostctl leaves it: `chmod 600` it\n",
            foreign.display()
        )),
        "{}",
        run.stderr
    );
    // Said once: the next run finds nothing of its own to tighten.
    let again = fleet.run(&["run", "-g", "all", "true"]);
    again.code(0);
    assert!(!again.stderr.contains("was readable"), "{}", again.stderr);
}
