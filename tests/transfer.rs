//! `hostctl push` and `hostctl pull` against real sshd hosts.

use hostctl_test_support as support;

use snapbox::{IntoData, str};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{Fleet, Offline, Run, sha256};

fn fleet() -> Fleet {
    let fleet = Fleet::start(&["web01", "web02"]);
    fleet.write_inventory("[groups.web]\nhosts = [\"web01\", \"web02\"]\n");
    fleet
}

fn local_file(dir: &Path, name: &str, content: &[u8], mode: u32) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path.display().to_string()
}

#[test]
fn push_writes_content_mode_and_digest_then_reports_unchanged() {
    let fleet = fleet();
    let content = b"listen 8080\n".repeat(1000);
    let src = local_file(fleet.dir.path(), "app.conf", &content, 0o640);
    let run = fleet.run(&["push", "-g", "web", "--json", &src, "/tmp/"]);
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
    let again = fleet.run(&["push", "-g", "web", &src, "/tmp/"]);
    again.code(0).stderr_eq(str![]).stdout_eq(
        str![[r#"
=== web01: unchanged, [ELAPSED]
  unchanged [FLEET]/app.conf -> web01:/tmp/app.conf (11.7 KiB, sha256 e0b5a78f…)
=== web02: unchanged, [ELAPSED]
  unchanged [FLEET]/app.conf -> web02:/tmp/app.conf (11.7 KiB, sha256 e0b5a78f…)
2 hosts: 2 unchanged in [ELAPSED]

"#]]
        .unordered(),
    );
    fleet
        .run(&["push", "-g", "web", "--force", &src, "/tmp/"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(
            str![[r#"
=== web01: changed, [ELAPSED]
  changed   [FLEET]/app.conf -> web01:/tmp/app.conf (11.7 KiB, sha256 e0b5a78f…)
=== web02: changed, [ELAPSED]
  changed   [FLEET]/app.conf -> web02:/tmp/app.conf (11.7 KiB, sha256 e0b5a78f…)
2 hosts: 2 changed in [ELAPSED]

"#]]
            .unordered(),
        );
    // --mode wins over the local mode; one file to a REMOTE without `/` is the file name.
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

/// The README's tree: two directories (one empty), two files, a symlink.
fn site(dir: &Path) -> String {
    let site = dir.join("site");
    std::fs::create_dir_all(site.join("css")).unwrap();
    std::fs::create_dir_all(site.join("empty")).unwrap();
    std::fs::write(site.join("index.html"), "<h1>hi</h1>\n").unwrap();
    std::fs::write(site.join("css/main.css"), "body{}\n").unwrap();
    std::os::unix::fs::symlink("index.html", site.join("home.html")).unwrap();
    site.display().to_string()
}

/// Every entry under `dir` on `host`: path, type, inode, mtime, ctime, mode, link target. Any
/// write (a new file, a rename over it, a chmod, a new entry in a directory) changes a line.
fn snapshot(fleet: &Fleet, host: &str, dir: &str) -> String {
    fleet.on_host(
        host,
        &format!("find {dir} -printf '%p %y %i %T@ %C@ %m %l\\n' | sort"),
    )
}

/// Paths and types under `dir` on `host`, relative to it.
fn listing(fleet: &Fleet, host: &str, dir: &str) -> String {
    fleet.on_host(
        host,
        &format!("find {dir} -mindepth 1 -printf '%y %P %l\\n' | sort"),
    )
}

const SITE: &str = "d site \nd site/css \nd site/empty \nf site/css/main.css \nf site/index.html \nl site/home.html index.html\n";

/// Issue 11: `push -r site /tmp/www` run twice copied the tree into /tmp/www/site the second
/// time. Now the layout comes from the command line: a host where /tmp/www exists and one where
/// it does not get the same paths, and a second run changes nothing (same inodes and times).
#[test]
fn the_readme_tree_push_run_twice_lands_once_and_changes_nothing() {
    let fleet = fleet();
    let site = site(fleet.dir.path());
    fleet.on_host("web01", "mkdir /tmp/www && chown hostctl /tmp/www");
    let push = [
        "push", "-g", "web", "--json", "--mkdir", "-r", &site, "/tmp/www",
    ];
    let first = fleet.run(&push);
    first.code(0);
    for host in ["web01", "web02"] {
        assert_eq!(first.host(host)["status"], "changed", "{host}");
        assert_eq!(listing(&fleet, host, "/tmp/www"), SITE, "{host}");
    }
    let before = ["web01", "web02"].map(|h| snapshot(&fleet, h, "/tmp/www"));
    let second = fleet.run(&push);
    second.code(0);
    for (host, before) in ["web01", "web02"].iter().zip(before) {
        let r = second.host(host);
        assert_eq!(r["status"], "unchanged", "{host}: {r}");
        let files = r["transfer"]["files"].as_array().unwrap();
        assert_eq!(files.len(), 3, "{r}");
        assert!(files.iter().all(|f| f["changed"] == false), "{r}");
        assert_eq!(snapshot(&fleet, host, "/tmp/www"), before, "{host} changed");
    }
    // The README's form, without --mkdir, now that the directory exists: unchanged again.
    fleet
        .run(&["push", "-g", "web", "-r", &site, "/tmp/www"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(
            str![[r#"
=== web02: unchanged, [ELAPSED]
  unchanged [FLEET]/site/home.html -> web02:/tmp/www/site/home.html (symlink)
  unchanged [FLEET]/site/css/main.css -> web02:/tmp/www/site/css/main.css (7 B, sha256 2708d73b…)
  unchanged [FLEET]/site/index.html -> web02:/tmp/www/site/index.html (12 B, sha256 737e6daf…)
=== web01: unchanged, [ELAPSED]
  unchanged [FLEET]/site/home.html -> web01:/tmp/www/site/home.html (symlink)
  unchanged [FLEET]/site/css/main.css -> web01:/tmp/www/site/css/main.css (7 B, sha256 2708d73b…)
  unchanged [FLEET]/site/index.html -> web01:/tmp/www/site/index.html (12 B, sha256 737e6daf…)
2 hosts: 2 unchanged in [ELAPSED]

"#]]
            .unordered(),
        );
    assert_eq!(listing(&fleet, "web02", "/tmp/www"), SITE);
}

/// `site` copies the directory, `site/` copies its contents, the same way every time.
#[test]
fn site_copies_the_directory_and_site_slash_its_contents() {
    let fleet = fleet();
    let site = site(fleet.dir.path());
    fleet.on_host(
        "web01",
        "mkdir /tmp/www /tmp/www2 && chown hostctl /tmp/www /tmp/www2",
    );
    let contents = format!("{site}/");
    for _ in 0..2 {
        fleet
            .run(&["push", "-g", "web01", "-r", &contents, "/tmp/www"])
            .code(0);
    }
    assert_eq!(
        listing(&fleet, "web01", "/tmp/www"),
        "d css \nd empty \nf css/main.css \nf index.html \nl home.html index.html\n"
    );
    let before = snapshot(&fleet, "web01", "/tmp/www");
    fleet
        .run(&["push", "-g", "web01", "-r", &contents, "/tmp/www/"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
=== web01: unchanged, [ELAPSED]
  unchanged [FLEET]/site/home.html -> web01:/tmp/www/home.html (symlink)
  unchanged [FLEET]/site/css/main.css -> web01:/tmp/www/css/main.css (7 B, sha256 2708d73b…)
  unchanged [FLEET]/site/index.html -> web01:/tmp/www/index.html (12 B, sha256 737e6daf…)
1 host: 1 unchanged in [ELAPSED]

"#]]);
    assert_eq!(snapshot(&fleet, "web01", "/tmp/www"), before);
    // The receiving directory keeps its own mode: `site/`'s mode is not applied to it.
    fleet.on_host("web01", "chmod 700 /tmp/www2");
    fleet
        .run(&["push", "-g", "web01", "-r", &site, "/tmp/www2/"])
        .code(0);
    assert_eq!(listing(&fleet, "web01", "/tmp/www2"), SITE);
    assert_eq!(fleet.on_host("web01", "stat -c %a /tmp/www2"), "700\n");
}

/// One file: REMOTE is its path, REMOTE/ the directory it goes into. A directory where the
/// file should go fails that host and changes nothing there; several files go into REMOTE.
#[test]
fn one_file_lands_at_remote_or_inside_remote_slash() {
    let fleet = fleet();
    let a = local_file(fleet.dir.path(), "a.txt", b"a\n", 0o644);
    let b = local_file(fleet.dir.path(), "b.txt", b"b\n", 0o644);
    fleet.on_host("web01", "mkdir /tmp/d && chown hostctl /tmp/d");
    // REMOTE/ on a host that has it and one that does not: the same path, or a clear failure.
    let run = fleet.run(&["push", "-g", "web", "--json", &a, "/tmp/d/"]);
    run.code(1);
    assert_eq!(
        run.host("web01")["transfer"]["files"][0]["remote"],
        "/tmp/d/a.txt"
    );
    assert_eq!(
        run.host("web02")["reason"],
        "missing directory `/tmp/d` on the host (try --mkdir)"
    );
    assert_eq!(fleet.on_host("web02", "ls -A /tmp"), "");
    fleet
        .run(&["push", "-g", "web", "--mkdir", &a, "/tmp/d/"])
        .code(0);
    for host in ["web01", "web02"] {
        assert_eq!(listing(&fleet, host, "/tmp/d"), "f a.txt \n", "{host}");
    }
    // REMOTE without `/`: the file's own path, whatever the host holds there.
    fleet
        .run(&["push", "-g", "web", &a, "/tmp/new.txt"])
        .code(0);
    assert_eq!(fleet.on_host("web02", "cat /tmp/new.txt"), "a\n");
    let before = snapshot(&fleet, "web01", "/tmp/d");
    let run = fleet.run(&["push", "-g", "web", "--json", &b, "/tmp/d"]);
    run.code(1);
    for host in ["web01", "web02"] {
        assert_eq!(
            run.host(host)["reason"],
            "target is a directory writing `/tmp/d` (to copy into it, end REMOTE with `/`: `/tmp/d/`)"
        );
    }
    assert_eq!(snapshot(&fleet, "web01", "/tmp/d"), before);
    // Several sources: REMOTE is a directory, with or without the `/`.
    fleet
        .run(&["push", "-g", "web01", &a, &b, "/tmp/d"])
        .code(0);
    assert_eq!(listing(&fleet, "web01", "/tmp/d"), "f a.txt \nf b.txt \n");
}

/// Where files land is decided before any host is contacted: two sources that would land on
/// one path are a usage error, and --dry-run shows every final path.
#[test]
fn the_layout_is_checked_and_shown_before_any_host_is_contacted() {
    let hosts = Offline::new(&["web01", "web02"]);
    hosts.write_inventory("[groups.web]\nhosts = [\"web01\", \"web02\"]\n");
    let dir = hosts.dir.path();
    std::fs::create_dir_all(dir.join("one")).unwrap();
    std::fs::create_dir_all(dir.join("two")).unwrap();
    local_file(dir, "one/x.conf", b"1\n", 0o644);
    local_file(dir, "two/x.conf", b"2\n", 0o644);
    hosts
        .run(&["push", "-g", "web", "one/x.conf", "two/x.conf", "/etc/app/"])
        .code(2)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
error: `one/x.conf` and `two/x.conf` would both land at `/etc/app/x.conf` on the hosts

"#]]);
    site(dir);
    hosts
        .run(&["push", "-g", "web", "--dry-run", "-r", "site", "/srv/www"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
dry run: push on 2 hosts (pattern `web`)
push 6 entries (19 B) into `/srv/www` on each host (must exist; --mkdir creates it)
  dir     site -> /srv/www/site
  dir     site/css -> /srv/www/site/css
  file    site/css/main.css -> /srv/www/site/css/main.css
  dir     site/empty -> /srv/www/site/empty
  symlink site/home.html -> /srv/www/site/home.html
  file    site/index.html -> /srv/www/site/index.html
each changed file goes to a hidden temporary beside its path, is checked
against its SHA-256 on the host, then renamed onto it; every step runs in the login shell
forks 64, batch all, max-fail none, retry 0
  web01  hostctl@127.0.0.1:[PORT]  keys agent, ~/.ssh/id_*  known_hosts [DIR]/home/.ssh/known_hosts  connect_timeout 1m
  web02  hostctl@127.0.0.1:[PORT]  keys agent, ~/.ssh/id_*  known_hosts [DIR]/home/.ssh/known_hosts  connect_timeout 1m
nothing was contacted

"#]]);
    hosts
        .run(&[
            "push",
            "-g",
            "web",
            "--dry-run",
            "--mkdir",
            "one/x.conf",
            "/etc/app/app.conf",
        ])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
dry run: push on 2 hosts (pattern `web`)
push 1 entry (2 B) into `/etc/app` on each host (created if missing)
  file    one/x.conf -> /etc/app/app.conf
each changed file goes to a hidden temporary beside its path, is checked
against its SHA-256 on the host, then renamed onto it; every step runs in the login shell
forks 64, batch all, max-fail none, retry 0
  web01  hostctl@127.0.0.1:[PORT]  keys agent, ~/.ssh/id_*  known_hosts [DIR]/home/.ssh/known_hosts  connect_timeout 1m
  web02  hostctl@127.0.0.1:[PORT]  keys agent, ~/.ssh/id_*  known_hosts [DIR]/home/.ssh/known_hosts  connect_timeout 1m
nothing was contacted

"#]]);
    hosts
        .run(&[
            "push",
            "-g",
            "web",
            "--dry-run",
            "--sudo",
            "one/x.conf",
            "/etc/app/",
        ])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
dry run: push on 2 hosts (pattern `web`)
push 1 entry (2 B) into `/etc/app` on each host (must exist; --mkdir creates it)
  file    one/x.conf -> /etc/app/x.conf
each changed file goes to a hidden temporary beside its path, is checked
against its SHA-256 on the host, then renamed onto it; every step runs as: sudo -n -- sh -c 'SCRIPT'
forks 64, batch all, max-fail none, retry 0
  web01  hostctl@127.0.0.1:[PORT]  keys agent, ~/.ssh/id_*  known_hosts [DIR]/home/.ssh/known_hosts  connect_timeout 1m
  web02  hostctl@127.0.0.1:[PORT]  keys agent, ~/.ssh/id_*  known_hosts [DIR]/home/.ssh/known_hosts  connect_timeout 1m
nothing was contacted

"#]]);
    assert!(!hosts.contacted(), "a host was contacted");
    assert!(!hosts.path("logs").exists());
}

#[test]
fn a_missing_local_file_is_a_usage_error_before_any_host_is_contacted() {
    let hosts = Offline::new(&["web01", "web02"]);
    hosts.write_inventory("[groups.web]\nhosts = [\"web01\", \"web02\"]\n");
    let missing = hosts.path("nope.txt");
    hosts
        .run(&["push", "-g", "web", missing.to_str().unwrap(), "/tmp/"])
        .code(2)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
error: cannot read `[DIR]/nope.txt`: No such file or directory (os error 2)

"#]]);
    std::fs::create_dir_all(hosts.path("adir")).unwrap();
    hosts
        .run(&["push", "-g", "web", "adir", "/tmp/"])
        .code(2)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
error: `adir` is a directory (use -r to copy it)

"#]]);
    assert!(!hosts.contacted(), "a host was contacted");
    assert!(!hosts.path("logs").exists());
}

#[test]
fn a_missing_remote_parent_needs_mkdir() {
    let fleet = fleet();
    let src = local_file(fleet.dir.path(), "a.txt", b"a\n", 0o644);
    let run = fleet.run(&["push", "-g", "web", "--json", &src, "/tmp/x/y/a.txt"]);
    run.code(1);
    assert_eq!(
        run.host("web01")["reason"],
        "missing directory `/tmp/x/y` on the host (try --mkdir)"
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
    let src = local_file(fleet.dir.path(), "a.txt", b"a\n", 0o644);
    let run = fleet.run(&["push", "-g", "web", "--json", &src, "/tmp/app/"]);
    run.code(1);
    assert_eq!(run.host("web01")["status"], "changed");
    let web02 = run.host("web02");
    assert_eq!(web02["status"], "failed");
    assert_eq!(
        web02["reason"],
        "permission denied writing `/tmp/app/a.txt` (try --sudo)"
    );
}

/// Issue 11 §5: the reason names the cause, what hostctl was doing, the path the command named
/// and a hint, never the host shell's text (`cannot create /etc/.app.conf.hostctl-…tmp`, or
/// `rm: cannot remove …`). The raw stderr is kept for -v, --json and the audit record.
#[test]
fn push_errors_name_the_cause_the_path_and_a_hint() {
    let fleet = fleet();
    let conf = local_file(fleet.dir.path(), "app.conf", b"k = v\n", 0o644);
    let reason = |args: &[&str]| -> String {
        let mut all = vec!["push", "-g", "web01", "--json"];
        all.extend_from_slice(args);
        let run = fleet.run(&all);
        run.code(1);
        run.host("web01")["reason"].as_str().unwrap().to_string()
    };
    // The fleet's login user is not root: /etc and /root are not its to write.
    assert_eq!(
        reason(&[&conf, "/etc/"]),
        "permission denied writing `/etc/app.conf` (try --sudo)"
    );
    assert_eq!(
        reason(&[&conf, "/root/x.conf"]),
        "permission denied writing `/root/x.conf` (try --sudo)"
    );
    assert_eq!(
        reason(&["--mkdir", &conf, "/root/sub/x.conf"]),
        "permission denied looking up `/root/sub` (try --sudo)"
    );
    assert_eq!(
        reason(&[&conf, "/tmp/none/x.conf"]),
        "missing directory `/tmp/none` on the host (try --mkdir)"
    );
    fleet.on_host("web01", "touch /tmp/plain");
    assert_eq!(
        reason(&["--mkdir", &conf, "/tmp/plain/sub/"]),
        "a parent is not a directory looking up `/tmp/plain/sub`"
    );
    // A read-only mount and a full one, in web01's own mount namespace.
    fleet.on_host(
        "web01",
        "mkdir /tmp/ro /tmp/full && mount -t tmpfs -o ro,size=1m tmpfs /tmp/ro && \
         mount -t tmpfs -o size=64k,mode=1777 tmpfs /tmp/full",
    );
    assert_eq!(
        reason(&[&conf, "/tmp/ro/"]),
        "read-only file system writing `/tmp/ro/app.conf`"
    );
    assert_eq!(
        reason(&["--sudo", "--mkdir", &conf, "/tmp/ro/etc/app.conf"]),
        "read-only file system creating directory `/tmp/ro/etc`"
    );
    let big = local_file(fleet.dir.path(), "big.bin", &vec![7u8; 1 << 20], 0o644);
    assert_eq!(
        reason(&[&big, "/tmp/full/"]),
        "no space left on device writing `/tmp/full/big.bin`"
    );
    assert_eq!(
        fleet.on_host("web01", "ls -A /tmp/full"),
        "",
        "a temporary was left"
    );
    // A file where a directory of the tree should go.
    let site = site(fleet.dir.path());
    fleet.on_host("web01", "mkdir -p /tmp/www/site && touch /tmp/www/site/css");
    assert_eq!(
        reason(&["-r", &site, "/tmp/www"]),
        "target is not a directory creating directory `/tmp/www/site/css`"
    );
    // A symlink where the tree has a directory: push does not write through it.
    fleet.on_host(
        "web01",
        "mkdir /tmp/www2 /tmp/elsewhere && chown hostctl /tmp/www2 /tmp/elsewhere && \
         ln -s /tmp/elsewhere /tmp/www2/site",
    );
    assert_eq!(
        reason(&["-r", &site, "/tmp/www2"]),
        "target is not a directory creating directory `/tmp/www2/site`"
    );
    assert_eq!(fleet.on_host("web01", "ls -A /tmp/elsewhere"), "");
    // The text output says it the same way, without the shell's words; -v and the audit
    // record keep them.
    let run = fleet.run(&["push", "-g", "web01", &conf, "/etc/"]);
    run.code(1).stderr_eq(str![]).stdout_eq(str![[r#"
=== web01: FAILED, [ELAPSED]: permission denied writing `/etc/app.conf` (try --sudo)
1 host: 1 failed in [ELAPSED]

"#]]);
    let verbose = fleet.run(&["-v", "push", "-g", "web01", &conf, "/etc/"]);
    verbose.code(1);
    assert!(
        verbose
            .stderr
            .contains("cannot create /etc/.app.conf.hostctl-"),
        "{}",
        verbose.stderr
    );
    let record = fleet
        .audit()
        .into_iter()
        .rev()
        .find(|r| r["kind"] == "host")
        .unwrap();
    assert_eq!(
        record["reason"],
        "permission denied writing `/etc/app.conf` (try --sudo)"
    );
    let raw = record["stderr"]["text"].as_str().unwrap();
    assert!(
        raw.contains("cannot create /etc/.app.conf.hostctl-"),
        "{raw}"
    );
}

/// A host that fails while the file streams stops the stream: hostctl does not send the rest
/// of a large file to a host that already said no, and reports it failed, not unreachable.
#[test]
fn a_large_file_refused_by_the_host_fails_fast_and_is_not_unreachable() {
    let fleet = fleet();
    fleet.on_host(
        "web01",
        "mkdir /tmp/full && mount -t tmpfs -o size=1m,mode=1777 tmpfs /tmp/full",
    );
    let src = fleet.path("big.bin");
    std::fs::File::create(&src)
        .unwrap()
        .set_len(1 << 30)
        .unwrap(); // sparse
    let run = fleet.run(&[
        "push",
        "-g",
        "web01",
        "--json",
        src.to_str().unwrap(),
        "/tmp/full/",
    ]);
    run.code(1);
    let web01 = run.host("web01");
    assert_eq!(
        web01["reason"], "no space left on device writing `/tmp/full/big.bin`",
        "{web01}"
    );
    // Sent: what fit, plus what was in flight when the host said so; not the whole GiB.
    let sent = web01["bytes_out"].as_u64().unwrap();
    assert!((1 << 20..256 << 20).contains(&sent), "sent {sent} bytes");
}

/// Starts a push of a large file and waits until its temporary exists on `host`.
fn push_in_flight(fleet: &Fleet, host: &str) -> (std::process::Child, String) {
    let src = fleet.path("big.bin");
    let f = std::fs::File::create(&src).unwrap();
    f.set_len(768 << 20).unwrap(); // sparse: cheap to make, full size on the wire
    let mut child = fleet
        .hostctl()
        .args([
            "push",
            "-g",
            "web",
            "--json",
            src.to_str().unwrap(),
            "/tmp/",
        ])
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
    run.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
=== web01: changed, [ELAPSED]
  changed   web01:/tmp/it's dir/who am i.txt -> [FLEET]/out/web01/who am i.txt (6 B, sha256 3043cecb…)
=== web02: changed, [ELAPSED]
  changed   web02:/tmp/it's dir/who am i.txt -> [FLEET]/out/web02/who am i.txt (6 B, sha256 0fb76cc0…)
2 hosts: 2 changed in [ELAPSED]

"#]].unordered());
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
    let src = local_file(fleet.dir.path(), name, b"safe\n", 0o644);
    fleet.run(&["push", "-g", "web01", &src, "/tmp/"]).code(0);
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
    let src = local_file(fleet.dir.path(), "blob.bin", &content, 0o644);
    let digest = sha256(&content);
    for cipher in [
        "aes128-gcm@openssh.com",
        "aes256-gcm@openssh.com",
        "chacha20-poly1305@openssh.com",
        "aes128-ctr",
        "aes256-ctr",
    ] {
        fleet.restart_with("web01", &format!("Ciphers {cipher}"));
        let run = fleet.run(&["-vv", "push", "-g", "web01", "--force", &src, "/tmp/"]);
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
    let src = local_file(fleet.dir.path(), "a.txt", b"durable\n", 0o644);
    fleet.run(&["push", "-g", "web01", &src, "/tmp/"]).code(0);
    assert_eq!(
        fleet.on_host("web01", "cat /tmp/.sync.log 2>/dev/null; true"),
        ""
    );
    fleet
        .run(&["push", "-g", "web01", "--fsync", "--force", &src, "/tmp/"])
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
        .stderr_eq(str![])
        .stdout_eq(
            str![[r#"
=== web01: unchanged, [ELAPSED]
  unchanged web01:/tmp/t/a -> [FLEET]/out/web01/t/a (4 B, sha256 61be55a8…)
  unchanged web01:/tmp/t/l -> [FLEET]/out/web01/t/l (symlink)
  unchanged web01:/tmp/t/sub/b -> [FLEET]/out/web01/t/sub/b (4 B, sha256 81cc5b17…)
1 host: 1 unchanged in [ELAPSED]

"#]]
            // In the order the host's find lists them.
            .unordered(),
        );

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
    run.code(1).stderr_eq(str![]).stdout_eq(str![[r#"
=== web01: FAILED, [ELAPSED]: permission denied reading /root (try --sudo)
1 host: 1 failed in [ELAPSED]

"#]]);

    // Without -r, find's own complaint is the raw text: shown with -v, kept in the audit log.
    let run = fleet.run(&["-v", "pull", "-g", "web01", "/root/x", out]);
    run.code(1).stdout_eq(str![[r#"
=== web01: FAILED, [ELAPSED]: permission denied reading /root/x (try --sudo)
1 host: 1 failed in [ELAPSED]

"#]]);
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
    let hosts = Offline::new(&["web01"]);
    let out = hosts.path("out");
    for remote in ["/tmp/..", "/tmp/x/.", "..", "."] {
        hosts
            .run(&["pull", "-g", "web01", remote, out.to_str().unwrap()])
            .code(2)
            .stderr_is(&format!(
                "error: cannot pull `{remote}`: its last component is `.` or `..`; name the directory itself\n"
            ));
    }
    assert!(!out.exists());
    assert!(!hosts.path("logs").exists());
    assert!(!hosts.contacted(), "a host was contacted");
}

/// A host whose tools lie or die: a wrong digest is a digest mismatch (nothing at the target,
/// no temporary left), and a script that dies without saying why is an unexpected reply.
#[test]
fn a_host_that_misbehaves_is_reported_in_plain_words() {
    let fleet = fleet();
    let src = local_file(fleet.dir.path(), "a.txt", b"a\n", 0o644);
    // openssl, which the host's hashing prefers, answers zeros for everything.
    fleet.on_host(
        "web01",
        "printf '#!/bin/sh\\necho 0000000000000000000000000000000000000000000000000000000000000000\\n' \
         > /tmp/.openssl && chmod 755 /tmp/.openssl && mount --bind /tmp/.openssl /usr/bin/openssl",
    );
    let run = fleet.run(&["push", "-g", "web01", "--json", &src, "/tmp/"]);
    run.code(1);
    assert_eq!(
        run.host("web01")["reason"],
        "digest mismatch writing `/tmp/a.txt`: the copy on the host differs from the local file"
    );
    assert_eq!(fleet.on_host("web01", "ls /tmp"), "");
    // cat kills the shell that runs it: no diagnosis, no marker.
    fleet.on_host(
        "web02",
        "printf '#!/bin/sh\\nkill -9 $PPID\\n' > /tmp/.cat && chmod 755 /tmp/.cat && \
         mount --bind /tmp/.cat /usr/bin/cat",
    );
    let run = fleet.run(&["push", "-g", "web02", "--json", &src, "/tmp/b.txt"]);
    run.code(1);
    assert_eq!(
        run.host("web02")["reason"],
        "failed writing `/tmp/b.txt`: unexpected reply from the host (-v shows its stderr)"
    );
}
