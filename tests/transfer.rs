//! `hostctl push` and `hostctl pull` against real sshd hosts.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{Fleet, Run, sha256};

fn fleet() -> Fleet {
    let fleet = Fleet::start(&["web01", "web02"]);
    fleet.write_inventory("[groups.web]\nhosts = [\"web01\", \"web02\"]\n");
    fleet
}

fn local_file(fleet: &Fleet, name: &str, content: &[u8], mode: u32) -> String {
    let path = fleet.path(name);
    std::fs::write(&path, content).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path.display().to_string()
}

#[test]
fn push_writes_content_mode_and_digest_then_reports_unchanged() {
    let fleet = fleet();
    let content = b"listen 8080\n".repeat(1000);
    let src = local_file(&fleet, "app.conf", &content, 0o640);
    let run = fleet.run(&["push", "-g", "web", "--json", &src, "/tmp"]);
    run.code(0);
    let digest = sha256(&content);
    for host in ["web01", "web02"] {
        let r = run.host(host);
        assert_eq!(r["status"], "changed");
        let file = &r["transfer"]["files"][0];
        assert_eq!(
            (
                file["remote"].as_str(),
                file["sha256"].as_str(),
                file["bytes"].as_u64()
            ),
            (
                Some("/tmp/app.conf"),
                Some(digest.as_str()),
                Some(content.len() as u64)
            )
        );
        assert_eq!(
            fleet.on_host(
                host,
                "stat -c '%a %U' /tmp/app.conf; sha256sum < /tmp/app.conf | cut -c1-64"
            ),
            format!("640 hostctl\n{digest}\n")
        );
        assert_eq!(
            fleet.on_host(host, "ls -A /tmp | grep -c hostctl- || true"),
            "0\n",
            "a temporary was left behind"
        );
    }
    let again = fleet.run(&["push", "-g", "web", &src, "/tmp"]);
    again
        .code(0)
        .stdout_has("=== web01: unchanged")
        .stdout_has("2 hosts: 2 unchanged in ");
    fleet
        .run(&["push", "-g", "web", "--force", &src, "/tmp"])
        .code(0)
        .stdout_has("=== web02: changed");
    // --mode wins over the local mode; a REMOTE that is not a directory is the file name.
    fleet
        .run(&[
            "push",
            "-g",
            "web01",
            "--mode",
            "0600",
            &src,
            "/tmp/renamed.conf",
        ])
        .code(0);
    assert_eq!(
        fleet.on_host("web01", "stat -c %a /tmp/renamed.conf"),
        "600\n"
    );
    // The audit log has the transfer details.
    let host = fleet
        .audit()
        .into_iter()
        .find(|r| r["kind"] == "host" && r["status"] == "changed")
        .unwrap();
    assert_eq!(host["transfer"]["files"][0]["sha256"], digest.as_str());
}

#[test]
fn push_a_tree_with_empty_dirs_and_symlinks() {
    let fleet = fleet();
    let site = fleet.path("site");
    std::fs::create_dir_all(site.join("css")).unwrap();
    std::fs::create_dir_all(site.join("empty")).unwrap();
    std::fs::write(site.join("index.html"), "<h1>hi</h1>\n").unwrap();
    std::fs::write(site.join("css/main.css"), "body{}\n").unwrap();
    std::os::unix::fs::symlink("index.html", site.join("home.html")).unwrap();
    fleet
        .run(&[
            "push",
            "-g",
            "web",
            "-r",
            site.to_str().unwrap(),
            "/tmp/www",
        ])
        .code(0);
    let listing = "find /tmp/www -printf '%y %P %l\\n' | sort";
    let expected =
        "d  \nd css \nd empty \nf css/main.css \nf index.html \nl home.html index.html\n";
    assert_eq!(fleet.on_host("web02", listing), expected);
    // Into an existing directory, the tree keeps its own name (like `cp -r`); again: unchanged.
    fleet
        .run(&["push", "-g", "web01", "-r", site.to_str().unwrap(), "/tmp"])
        .code(0)
        .stdout_has("changed");
    assert_eq!(
        fleet.on_host("web01", "cat /tmp/site/css/main.css"),
        "body{}\n"
    );
    fleet
        .run(&["push", "-g", "web01", "-r", site.to_str().unwrap(), "/tmp"])
        .code(0)
        .stdout_has("=== web01: unchanged");
}

#[test]
fn a_missing_local_file_is_a_usage_error_before_any_host_is_contacted() {
    let fleet = fleet();
    fleet.kill("web01"); // would show as unreachable if contacted
    let missing = fleet.path("nope.txt");
    let run = fleet.run(&["push", "-g", "web", missing.to_str().unwrap(), "/tmp"]);
    run.code(2).stderr_is(&format!(
        "error: cannot read `{}`: No such file or directory (os error 2)\n",
        missing.display()
    ));
    assert!(!fleet.path("logs").exists());
    let dir = fleet.path("adir");
    std::fs::create_dir_all(&dir).unwrap();
    fleet
        .run(&["push", "-g", "web", dir.to_str().unwrap(), "/tmp"])
        .code(2)
        .stderr_is(&format!(
            "error: `{}` is a directory (use -r to copy it)\n",
            dir.display()
        ));
}

#[test]
fn a_missing_remote_parent_needs_mkdir() {
    let fleet = fleet();
    let src = local_file(&fleet, "a.txt", b"a\n", 0o644);
    let run = fleet.run(&["push", "-g", "web", "--json", &src, "/tmp/x/y/a.txt"]);
    run.code(1);
    assert_eq!(
        run.host("web01")["reason"],
        "remote directory `/tmp/x/y` does not exist (use --mkdir to create it)"
    );
    fleet
        .run(&["push", "-g", "web", "--mkdir", &src, "/tmp/x/y/a.txt"])
        .code(0);
    assert_eq!(fleet.on_host("web02", "cat /tmp/x/y/a.txt"), "a\n");
}

#[test]
fn permission_denied_on_one_host_does_not_stop_the_others() {
    let fleet = fleet();
    fleet.on_host("web01", "mkdir /tmp/app && chown hostctl /tmp/app");
    fleet.on_host("web02", "mkdir /tmp/app && chmod 755 /tmp/app"); // root's
    let src = local_file(&fleet, "a.txt", b"a\n", 0o644);
    let run = fleet.run(&["push", "-g", "web", "--json", &src, "/tmp/app"]);
    run.code(1);
    assert_eq!(run.host("web01")["status"], "changed");
    let web02 = run.host("web02");
    assert_eq!(web02["status"], "failed");
    let reason = web02["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("/tmp/app/a.txt: ") && reason.ends_with("Permission denied"),
        "{reason}"
    );
}

/// Starts a push of a large file and waits until its temporary exists on `host`.
fn push_in_flight(fleet: &Fleet, host: &str) -> (std::process::Child, String) {
    let src = fleet.path("big.bin");
    let f = std::fs::File::create(&src).unwrap();
    f.set_len(768 << 20).unwrap(); // sparse: cheap to make, full size on the wire
    let mut child = fleet
        .hostctl()
        .args(["push", "-g", "web", "--json", src.to_str().unwrap(), "/tmp"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        let tmp = fleet.on_host(host, "ls -A /tmp | grep '^\\.big\\.bin\\.hostctl-' || true");
        if !tmp.is_empty() {
            return (child, tmp.trim().to_string());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the transfer never started");
}

#[test]
fn a_connection_dropped_mid_transfer_leaves_no_file_and_no_temporary() {
    let fleet = fleet();
    let (child, tmp) = push_in_flight(&fleet, "web02");
    fleet.drop_connections("web02");
    let run = Run::from(child.wait_with_output().unwrap());
    run.code(4);
    let web02 = run.host("web02");
    assert_eq!(web02["status"], "unreachable", "{web02}");
    assert_eq!(
        web02["reason"],
        format!(
            "sending input: connection to {}:2222 was lost",
            fleet.address("web02")
        )
    );
    assert_eq!(run.host("web01")["status"], "changed");
    assert_eq!(
        fleet.on_host("web02", "ls -A /tmp"),
        "",
        "web02 kept `{tmp}` or a partial big.bin"
    );
    assert_eq!(
        fleet.on_host("web01", "stat -c %s /tmp/big.bin"),
        format!("{}\n", 768u64 << 20)
    );
}

#[test]
fn hostctl_killed_mid_transfer_leaves_no_partial_file() {
    let fleet = fleet();
    let (mut child, _) = push_in_flight(&fleet, "web01");
    child.kill().unwrap();
    child.wait().unwrap();
    for host in ["web01", "web02"] {
        let started = Instant::now();
        // The host notices the closed connection, the temporary's trap removes it.
        while !fleet.on_host(host, "ls -A /tmp").is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{host}: {}",
                fleet.on_host(host, "ls -lA /tmp")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn pull_lands_each_host_in_its_own_directory() {
    let fleet = fleet();
    fleet
        .run(&[
            "run",
            "-g",
            "web",
            "mkdir -p '/tmp/it'\\''s dir' && hostname > \"/tmp/it's dir/who am i.txt\"",
        ])
        .code(0);
    let out = fleet.path("out");
    let run = fleet.run(&[
        "pull",
        "-g",
        "web",
        "/tmp/it's dir/who am i.txt",
        out.to_str().unwrap(),
    ]);
    run.code(0).stdout_has("=== web01: changed");
    for host in ["web01", "web02"] {
        assert_eq!(
            std::fs::read_to_string(out.join(host).join("who am i.txt")).unwrap(),
            format!("{host}\n")
        );
    }
    // -r brings the tree; a missing file fails that host only.
    fleet
        .run(&[
            "pull",
            "-g",
            "web",
            "-r",
            "/tmp/it's dir",
            out.to_str().unwrap(),
        ])
        .code(0);
    assert_eq!(
        std::fs::read_to_string(out.join("web02/it's dir/who am i.txt")).unwrap(),
        "web02\n"
    );
    fleet.on_host("web02", "rm -rf /tmp/*");
    let run = fleet.run(&[
        "pull",
        "-g",
        "web",
        "--json",
        "/tmp/it's dir/who am i.txt",
        out.to_str().unwrap(),
    ]);
    run.code(1);
    assert_eq!(
        run.host("web02")["reason"],
        "`/tmp/it's dir/who am i.txt`: no such file on the host"
    );
    // web01 already holds that very file: left alone.
    assert_eq!(run.host("web01")["status"], "unchanged");
    let leftovers: Vec<_> = std::fs::read_dir(out.join("web01"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().contains("hostctl-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn names_with_spaces_and_quotes_cannot_inject_commands() {
    let fleet = fleet();
    let name = "it's $(touch pwned) `x` a file.txt";
    let src = local_file(&fleet, name, b"safe\n", 0o644);
    fleet.run(&["push", "-g", "web01", &src, "/tmp"]).code(0);
    assert_eq!(
        fleet.on_host(
            "web01",
            "ls -A /tmp; cat /tmp/\"it's \\$(touch pwned) \\`x\\` a file.txt\""
        ),
        format!("{name}\nsafe\n")
    );
}

/// Every cipher hostctl offers moves data intact both ways (libssh2 is patched to encrypt
/// whole packets: vendor/libssh2-sys/PATCHES.md). The size is not a multiple of any block
/// or packet size, so first, middle and last blocks all occur.
#[test]
fn every_offered_cipher_carries_files_intact_both_ways() {
    let fleet = fleet();
    let content: Vec<u8> = (0..3 * 1024 * 1024 + 12_345u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let src = local_file(&fleet, "blob.bin", &content, 0o644);
    let digest = sha256(&content);
    for cipher in [
        "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
        "chacha20-poly1305@openssh.com",
        "aes128-ctr",
        "aes256-ctr",
    ] {
        fleet.restart_with("web01", &format!("Ciphers {cipher}"));
        let run = fleet.run(&["-vv", "push", "-g", "web01", "--force", &src, "/tmp"]);
        run.code(0).stdout_has("=== web01: changed");
        assert!(
            run.stderr.contains(&format!("cipher=\"{cipher}\"")),
            "{cipher} not negotiated: {}",
            run.stderr
        );
        assert_eq!(
            fleet.on_host("web01", "sha256sum < /tmp/blob.bin | cut -c1-64"),
            format!("{digest}\n"),
            "{cipher}"
        );
        let out = fleet.path(&format!("pulled-{cipher}"));
        fleet
            .run(&[
                "pull",
                "-g",
                "web01",
                "/tmp/blob.bin",
                out.to_str().unwrap(),
            ])
            .code(0);
        assert!(
            std::fs::read(out.join("web01/blob.bin")).unwrap() == content,
            "{cipher}: pulled bytes differ"
        );
    }
}

/// --fsync flushes the temporary before the rename and the directory after it, on the host
/// (seen through a `sync` that logs its arguments, bind-mounted in that host's namespace
/// only); without it nothing is flushed. Pull --fsync still lands intact copies.
#[test]
fn fsync_flushes_file_and_directory_only_when_asked() {
    let fleet = fleet();
    fleet.on_host(
        "web01",
        "cp /usr/bin/sync /tmp/.real-sync && \
         printf '#!/bin/sh\\necho \"$@\" >> /tmp/.sync.log\\nexec /tmp/.real-sync \"$@\"\\n' > /tmp/.logging-sync && \
         chmod 755 /tmp/.logging-sync && mount --bind /tmp/.logging-sync /usr/bin/sync",
    );
    let src = local_file(&fleet, "a.txt", b"durable\n", 0o644);
    fleet.run(&["push", "-g", "web01", &src, "/tmp"]).code(0);
    assert_eq!(
        fleet.on_host("web01", "cat /tmp/.sync.log 2>/dev/null; true"),
        ""
    );
    fleet
        .run(&["push", "-g", "web01", "--fsync", "--force", &src, "/tmp"])
        .code(0);
    let log = fleet.on_host("web01", "cat /tmp/.sync.log");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(
        lines[0].starts_with("-- /tmp/.a.txt.") && lines[0].ends_with(".tmp"),
        "{log}"
    );
    assert_eq!(lines[1], "-- /tmp");
    assert_eq!(fleet.on_host("web01", "cat /tmp/a.txt"), "durable\n");

    let out = fleet.path("pulled");
    fleet
        .run(&[
            "pull",
            "-g",
            "web",
            "--fsync",
            "/tmp/a.txt",
            out.to_str().unwrap(),
        ])
        .code(1); // web02 has no a.txt
    assert_eq!(
        std::fs::read_to_string(out.join("web01/a.txt")).unwrap(),
        "durable\n"
    );
}

/// Inode and modification time of a local path, without following a symlink.
fn identity(path: &std::path::Path) -> (u64, i64, i64) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(path).unwrap();
    (m.ino(), m.mtime(), m.mtime_nsec())
}

/// A pull of what LOCAL_DIR/<host>/ already holds reports `unchanged` and rewrites nothing:
/// same inode, same mtime. A changed file (even of the same size) is fetched; a changed mode
/// alone is set without rewriting the content.
#[test]
fn pull_leaves_identical_files_alone_and_reports_unchanged() {
    let fleet = fleet();
    fleet.on_host(
        "web01",
        "mkdir -p /tmp/t/sub && printf aaaa > /tmp/t/a && printf bbbb > /tmp/t/sub/b && \
         ln -s a /tmp/t/l && chmod 644 /tmp/t/a",
    );
    let out = fleet.path("out");
    let pull = |args: &[&str]| {
        let mut all = vec!["pull", "-g", "web01", "--json"];
        all.extend_from_slice(args);
        all.push(out.to_str().unwrap());
        fleet.run(&all)
    };
    let run = pull(&["-r", "/tmp/t"]);
    run.code(0);
    assert_eq!(run.host("web01")["status"], "changed");
    let t = out.join("web01/t");
    let (a, b, l) = (t.join("a"), t.join("sub/b"), t.join("l"));
    let before = [identity(&a), identity(&b), identity(&l)];

    let run = pull(&["-r", "/tmp/t"]);
    run.code(0);
    let host = run.host("web01");
    assert_eq!(host["status"], "unchanged", "{host}");
    let files = host["transfer"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    assert!(files.iter().all(|f| f["changed"] == false), "{host}");
    let a_report = files.iter().find(|f| f["remote"] == "/tmp/t/a").unwrap();
    assert_eq!(a_report["sha256"], sha256(b"aaaa").as_str());
    assert_eq!(
        [identity(&a), identity(&b), identity(&l)],
        before,
        "an identical file was rewritten"
    );
    fleet
        .run(&["pull", "-g", "web01", "-r", "/tmp/t", out.to_str().unwrap()])
        .code(0)
        .stdout_has("=== web01: unchanged")
        .stdout_has("  unchanged web01:/tmp/t/a -> ");

    // Same size, new content: fetched; the others stay as they were.
    fleet.on_host("web01", "printf cccc > /tmp/t/sub/b");
    let run = pull(&["-r", "/tmp/t"]);
    run.code(0);
    assert_eq!(run.host("web01")["status"], "changed");
    assert_eq!(std::fs::read_to_string(&b).unwrap(), "cccc");
    assert_ne!(identity(&b), before[1]);
    assert_eq!(identity(&a), before[0]);

    // A new mode only: the same inode gets it.
    fleet.on_host("web01", "chmod 755 /tmp/t/a");
    let run = pull(&["-r", "/tmp/t"]);
    run.code(0);
    assert_eq!(run.host("web01")["status"], "changed");
    assert_eq!(identity(&a).0, before[0].0);
    // 0755 through the umask: the owner's execute bit at least.
    assert_ne!(
        std::fs::metadata(&a).unwrap().permissions().mode() & 0o100,
        0
    );

    // One file, twice.
    fleet.on_host("web01", "echo one > /tmp/one");
    pull(&["/tmp/one"]).code(0);
    let first = identity(&out.join("web01/one"));
    let run = pull(&["/tmp/one"]);
    run.code(0);
    assert_eq!(run.host("web01")["status"], "unchanged");
    assert_eq!(identity(&out.join("web01/one")), first);
}

/// A permission error reads as the operation, the path the operator named, the cause and a
/// hint, not as find's or the shell's own words; those stay available with -v and in the audit
/// log. What can be read is still pulled.
#[test]
fn pull_permission_errors_name_the_path_and_suggest_sudo() {
    let fleet = fleet();
    fleet.on_host(
        "web01",
        "mkdir -p /tmp/private /tmp/mixed/locked && echo s > /tmp/private/s && chmod 700 /tmp/private && \
         echo ok > /tmp/mixed/ok.txt && echo no > /tmp/mixed/locked/no && chmod 700 /tmp/mixed/locked && \
         echo x > /tmp/mixed/secret && chmod 600 /tmp/mixed/secret",
    );
    let out = fleet.path("out");
    let out = out.to_str().unwrap();
    let run = fleet.run(&["pull", "-g", "web01", "-r", "/root", out]);
    run.code(1)
        .stdout_has("=== web01: FAILED, ")
        .stdout_has(": permission denied reading /root (try --sudo)\n");
    assert!(!run.stdout.contains("find"), "{}", run.stdout);

    // Without -r, find's own complaint is the raw text: shown with -v, kept in the audit log.
    let run = fleet.run(&["-v", "pull", "-g", "web01", "/root/x", out]);
    run.code(1)
        .stdout_has(": permission denied reading /root/x (try --sudo)\n");
    assert!(!run.stdout.contains("find:"), "{}", run.stdout);
    assert!(
        run.stderr.contains("find: ") && run.stderr.contains("Permission denied"),
        "-v lacks the raw message: {}",
        run.stderr
    );
    let record = fleet
        .audit()
        .into_iter()
        .rfind(|r| r["kind"] == "host")
        .unwrap();
    assert_eq!(
        record["reason"],
        "permission denied reading /root/x (try --sudo)"
    );
    let raw = record["stderr"]["text"].as_str().unwrap();
    assert!(
        raw.starts_with("find: ") && raw.contains("Permission denied"),
        "{record}"
    );

    let run = fleet.run(&["pull", "-g", "web01", "--json", "-r", "/tmp/private", out]);
    run.code(1);
    assert_eq!(
        run.host("web01")["reason"],
        "permission denied reading /tmp/private (try --sudo)"
    );
    fleet
        .run(&["pull", "-g", "web01", "--sudo", "-r", "/tmp/private", out])
        .code(0);
    assert_eq!(
        std::fs::read_to_string(fleet.path("out/web01/private/s")).unwrap(),
        "s\n"
    );

    // In a tree, the unreadable parts fail and the rest is pulled.
    let run = fleet.run(&["pull", "-g", "web01", "--json", "-r", "/tmp/mixed", out]);
    run.code(1);
    assert_eq!(
        run.host("web01")["reason"],
        "permission denied reading /tmp/mixed/locked (try --sudo); permission denied reading /tmp/mixed/secret (try --sudo)"
    );
    assert_eq!(
        std::fs::read_to_string(fleet.path("out/web01/mixed/ok.txt")).unwrap(),
        "ok\n"
    );
}

/// REMOTE's last component names the copy in LOCAL_DIR/<host>/: `.` or `..` would name a
/// directory above it, so such a REMOTE is a usage error, before any host is contacted.
#[test]
fn pull_refuses_a_remote_named_dot_or_dotdot() {
    let fleet = fleet();
    let out = fleet.path("out");
    for remote in ["/tmp/..", "/tmp/x/.", "..", "."] {
        fleet
            .run(&["pull", "-g", "web01", remote, out.to_str().unwrap()])
            .code(2)
            .stderr_is(&format!(
                "error: cannot pull `{remote}`: its last component is `.` or `..`; name the directory itself\n"
            ));
    }
    assert!(!out.exists());
    assert!(!fleet.path("logs").exists());
}
