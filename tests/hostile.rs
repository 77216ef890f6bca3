//! Hosts that lie: names, symlinks, listings and sizes arranged by the test on a real sshd host
//! (`Fleet::on_host` runs as root in that host's mount namespace, so a host-side tool can be
//! swapped for a liar there and nowhere else). Whatever a host sends, hostctl writes only
//! below `LOCAL_DIR/<host>/`.

use hostctl_test_support as support;

use snapbox::str;
use std::path::Path;
use support::Fleet;

fn fleet() -> Fleet {
    Fleet::start(&["web01"])
}

/// Every path below `dir`, sorted, with `/` after directories and `@` after symlinks: what is
/// there, without following anything.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let kind = e.file_type().unwrap();
            if kind.is_symlink() {
                out.push(format!("{path}@"));
            } else if kind.is_dir() {
                out.push(format!("{path}/"));
                walk(&e.path(), &path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

/// Replaces `tool` inside `host`'s mount namespace only with a shell script; `$REAL` in the
/// script runs the real one.
fn lying(fleet: &Fleet, host: &str, tool: &str, script: &str) {
    fleet.on_host(
        host,
        &format!(
            "cp {tool} /tmp/.real && cat > /tmp/.liar <<'EOF'\n#!/bin/sh\nREAL=/tmp/.real\n{script}\nEOF\n\
             chmod 755 /tmp/.liar && mount --bind /tmp/.liar {tool}"
        ),
    );
}

/// `pull -g web01 --json ARGS... LOCAL_DIR`, which fails on web01 (exit 1, nothing on
/// stderr): web01's JSON result.
#[track_caller]
fn failed_pull(fleet: &Fleet, args: &[&str], local_dir: &Path) -> serde_json::Value {
    let mut all = vec!["pull", "-g", "web01", "--json"];
    all.extend_from_slice(args);
    all.push(local_dir.to_str().unwrap());
    let run = fleet.run(&all);
    run.code(1).stderr_eq(str![]);
    run.host("web01")
}

/// `..` as a host name once made `pull -g dots /tmp/f out` write `./f`, outside `out/`. Every
/// name that is not one plain path component is refused when the inventory is loaded, before
/// any host is contacted; names that only a group lists obey the same rule.
#[test]
fn host_names_that_are_not_one_path_component_are_refused_at_load() {
    let fleet = fleet();
    fleet.on_host("web01", "echo secret > /tmp/f");
    let address = fleet.address("web01").to_string();
    let out = fleet.path("out");
    for (name, key) in [("..", "hosts.\"..\""), (".", "hosts.\".\"")] {
        fleet.write_inventory(&format!(
            "[hosts.\"{name}\"]\naddress = \"{address}\"\n\n[groups.dots]\nhosts = [\"{name}\"]\n"
        ));
        let line = 8 + fleet.hosts.len() * 3;
        fleet
            .run(&["pull", "-g", "dots", "/tmp/f", out.to_str().unwrap()])
            .code(2)
            .stderr_is(&format!(
                "error: {}:{line}:1: `{key}`: `{name}` cannot be a host name: host names become file and directory names (pull, --out-dir), and `{name}` would point at another directory\n",
                fleet.inventory().display()
            ));
    }
    fleet.write_inventory("[groups.dots]\nhosts = [\"web01\", \"..\"]\n");
    fleet
        .run(&[
            "run",
            "-g",
            "dots",
            "--out-dir",
            out.to_str().unwrap(),
            "true",
        ])
        .code(2);
    fleet.write_inventory("[hosts.\"nl\\nx\"]\naddress = \"127.0.0.1\"\n");
    fleet
        .run(&["hosts"])
        .code(2)
        .stdout_eq(str![])
        .stderr_eq(str![[r#"
error: [FLEET]/hosts.toml:11:1: `hosts."nl\nx"`: `nl\nx` cannot be a host name: it holds a control character; host names become file and directory names (pull, --out-dir)

"#]]);
    assert!(!fleet.path("f").exists(), "a pull wrote next to LOCAL_DIR");
    assert!(!out.exists(), "nothing was to be written at all");
    assert!(!fleet.path("logs").exists(), "nothing was to be contacted");
}

/// The attack from the issue: a host makes `link -> /anywhere`, the pull copies the symlink;
/// then the host puts a directory holding `evil` where the link was, and the next pull must not
/// write `/anywhere/evil`. The same for a file and for the pulled root itself: whatever stands
/// in LOCAL_DIR/<host>/ is replaced, never followed.
#[test]
fn pull_never_follows_symlinks() {
    let fleet = fleet();
    let anywhere = fleet.path("anywhere");
    std::fs::create_dir(&anywhere).unwrap();
    let out = fleet.path("out");
    let pull = |remote: &str| {
        fleet
            .run(&["pull", "-g", "web01", "-r", remote, out.to_str().unwrap()])
            .code(0);
    };
    fleet.on_host(
        "web01",
        &format!(
            "mkdir -p /tmp/d && ln -s {a} /tmp/d/link && ln -s {a}/file /tmp/d/file && ln -s {a} /tmp/top",
            a = anywhere.display()
        ),
    );
    pull("/tmp/d");
    pull("/tmp/top");
    assert_eq!(
        tree(&out.join("web01")),
        ["d/", "d/file@", "d/link@", "top@"]
    );
    fleet.on_host(
        "web01",
        "rm /tmp/d/link /tmp/d/file /tmp/top && mkdir /tmp/d/link /tmp/top && \
         echo evil > /tmp/d/link/evil && echo evil > /tmp/d/file && echo evil > /tmp/top/evil",
    );
    pull("/tmp/d");
    pull("/tmp/top");
    assert_eq!(
        tree(&anywhere),
        Vec::<String>::new(),
        "the pull wrote through a symlink"
    );
    assert_eq!(
        tree(&out.join("web01")),
        ["d/", "d/file", "d/link/", "d/link/evil", "top/", "top/evil"]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("web01/d/link/evil")).unwrap(),
        "evil\n"
    );
}

/// Names a real file system allows: a newline, a terminal escape, a leading `-`, a name like
/// hostctl's own temporaries. They land inside the host's directory under their own names. A
/// name that is not UTF-8 cannot be asked for by name: that one file fails, with its reason, and
/// the others are still pulled.
#[test]
fn odd_names_land_inside_or_fail_that_one_file() {
    let fleet = fleet();
    fleet.on_host(
        "web01",
        "mkdir /tmp/odd && cd /tmp/odd && printf 1 > 'new
line' && printf 2 > \"$(printf 'esc\\033[31mred')\" && \
         printf 3 > -rf && printf 4 > .hostctl-1-0.tmp && printf 5 > \"$(printf 'bad\\377')\" && printf 6 > ok",
    );
    let out = fleet.path("out");
    assert_eq!(
        failed_pull(&fleet, &["-r", "/tmp/odd"], &out)["reason"],
        "`/tmp/odd/bad\\xff`: not pulled: the name is not valid UTF-8 (hostctl pulls only UTF-8 names)"
    );
    assert_eq!(
        tree(&out.join("web01")),
        [
            "odd/",
            "odd/-rf",
            "odd/.hostctl-1-0.tmp",
            "odd/esc\u{1b}[31mred",
            "odd/new\nline",
            "odd/ok"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("web01/odd/new\nline")).unwrap(),
        "1"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("web01/odd/.hostctl-1-0.tmp")).unwrap(),
        "4"
    );
}

/// A host whose `find` lies: names with `..` and absolute names are refused one by one, and
/// nothing lands outside LOCAL_DIR/<host>/. (The host really has the files such names point
/// at, in a /mnt of its own.)
#[test]
fn listed_names_that_leave_the_pulled_directory_are_refused() {
    let fleet = fleet();
    let victim = fleet.path("victim");
    fleet.on_host(
        "web01",
        "mount -t tmpfs hostile /mnt && echo pwned > /mnt/escape && \
         mkdir /tmp/lie && echo x > /tmp/lie/DOTDOT && echo y > /tmp/lie/ABS && echo fine > /tmp/lie/ok",
    );
    lying(
        &fleet,
        "web01",
        "/usr/bin/find",
        &format!(
            "$REAL \"$@\" | sed -z -e 's#DOTDOT#../../../mnt/escape#' -e 's#ABS#{}#'",
            victim.display()
        ),
    );
    let out = fleet.path("out");
    assert_eq!(
        failed_pull(&fleet, &["-r", "/tmp/lie"], &out)["reason"],
        format!(
            "`/tmp/lie/../../../mnt/escape`: not pulled: the name would leave the pulled directory (`.` or `..`); \
             `/tmp/lie/{}`: not pulled: the name is not a relative path",
            victim.display()
        )
    );
    assert_eq!(tree(&out.join("web01")), ["lie/", "lie/ok"]);
    assert!(
        !fleet.path("mnt").exists(),
        "a `..` name was written outside"
    );
    assert!(!victim.exists(), "an absolute name was written");
}

/// A host that sends more bytes than it listed is cut off at the listed size: the file fails,
/// no more than that size reaches the controller's disk, and no temporary is left. A listing
/// that never ends is cut off too.
#[test]
fn a_host_that_sends_more_than_it_listed_is_cut_off() {
    let fleet = fleet();
    fleet.on_host(
        "web01",
        "mkdir /tmp/s && printf 12345 > /tmp/s/small && printf 123 > /tmp/s/tiny",
    );
    // The liar adds 64 MiB to whatever it passes on, to the digest too: only the size gives
    // it away.
    lying(
        &fleet,
        "web01",
        "/usr/bin/tee",
        "{ cat; head -c 67108864 /dev/zero; } | $REAL \"$@\"",
    );
    let out = fleet.path("out");
    // The session goes on after a cut: the second file is asked for, and cut off in turn.
    let small = "`/tmp/s/small`: the host sent more than the 5 bytes it listed; cut off at 5";
    let tiny = "`/tmp/s/tiny`: the host sent more than the 3 bytes it listed; cut off at 3";
    for (args, reason, most) in [
        (&["-r", "/tmp/s"][..], format!("{small}; {tiny}"), 8),
        (&["/tmp/s/small"][..], small.to_string(), 5),
    ] {
        let host = failed_pull(&fleet, &[&["--timeout", "60s"][..], args].concat(), &out);
        assert_eq!(host["reason"], reason.as_str(), "{host}");
        assert!(host["bytes_in"].as_u64().unwrap() <= most, "{host}");
    }
    let leftovers = tree(&out.join("web01"));
    assert!(leftovers.iter().all(|p| p == "s/"), "{leftovers:?}");

    // A listing with no end: refused at 32 MiB, long before memory runs out.
    lying(&fleet, "web01", "/usr/bin/find", "tr '\\0' x < /dev/zero");
    assert_eq!(
        failed_pull(&fleet, &["--timeout", "60s", "-r", "/tmp/s"], &out)["reason"],
        "the host's listing of `/tmp/s` is larger than 32 MiB; pull a smaller tree"
    );
}

/// A host controls the names it lists and what its tools print: a name or a reason holding a
/// terminal escape (here: set the window title, clear the screen) must reach the operator's
/// terminal as visible text, never as a command to the terminal, in the run's own lines and in
/// `log show` (OpenSSH fixed the same in scp, CVE-2019-6109). Host output itself stays raw, as
/// ssh prints it.
#[test]
fn terminal_escapes_from_a_host_are_shown_not_obeyed() {
    let fleet = fleet();
    fleet.on_host(
        "web01",
        "mkdir /tmp/e && cd /tmp/e && printf 1 > \"$(printf 'a\\033]0;PWNED\\007b')\"",
    );
    let out = fleet.path("out");
    let run = fleet.run(&["pull", "-g", "web01", "-r", "/tmp/e", out.to_str().unwrap()]);
    run.code(0);
    assert!(!run.stdout.contains('\u{1b}'), "{:?}", run.stdout);
    run.stderr_eq(str![]).stdout_eq(str![[r#"
=== web01: changed, [ELAPSED]
  changed   web01:/tmp/e/a\u{1b}]0;PWNED\u{7}b -> [FLEET]/out/web01/e/a\u{1b}]0;PWNED\u{7}b (1 B, sha256 6b86b273…)
1 host: 1 changed in [ELAPSED]

"#]]);

    lying(
        &fleet,
        "web01",
        "/usr/bin/head",
        "printf '\\033[2J\\033]0;PWNED\\007all is well\\n' >&2; exit 1",
    );
    fleet.on_host("web01", "printf 2 > /tmp/f");
    let run = fleet.run(&["pull", "-g", "web01", "/tmp/f", out.to_str().unwrap()]);
    run.code(1);
    assert!(!run.stdout.contains('\u{1b}'), "{:?}", run.stdout);
    run.stderr_eq(str![]).stdout_eq(str![[r#"
=== web01: FAILED, [ELAPSED]: `/tmp/f`: \u{1b}[2J\u{1b}]0;PWNED\u{7}all is well
1 host: 1 failed in [ELAPSED]

"#]]);

    let ops: Vec<String> = fleet
        .audit()
        .iter()
        .filter(|r| r["kind"] == "start")
        .map(|r| r["op"].as_str().unwrap().to_string())
        .collect();
    // `log show` escapes names and reasons as the run did; the host tools' stderr, which it
    // prints as the host's output, stays raw (each ESC shown as `\e` below, BEL as `\a`).
    for (op, expected) in ops.iter().zip([str![[r#"
operation [OP]  pull  by [OPERATOR]  at [TIME]
paths:     /tmp/e -> [FLEET]/out
pattern:   web01 -> 1 hosts: web01
argv:      [BIN] -i [FLEET]/hosts.toml pull -g web01 -r /tmp/e [FLEET]/out
result:    1 changed, exit 0 in [ELAPSED]
=== web01: changed, [ELAPSED], in 1 B out 0 B
  changed   [FLEET]/out/web01/e/a\u{1b}]0;PWNED\u{7}b <-> /tmp/e/a\u{1b}]0;PWNED\u{7}b (1 B, sha256 6b86b273ff34…)

"#]], str![[r#"
operation [OP]  pull  by [OPERATOR]  at [TIME]
paths:     /tmp/f -> [FLEET]/out
pattern:   web01 -> 1 hosts: web01
argv:      [BIN] -i [FLEET]/hosts.toml pull -g web01 /tmp/f [FLEET]/out
result:    1 failed, exit 1 in [ELAPSED]
=== web01: FAILED, [ELAPSED], in 0 B out 0 B: `/tmp/f`: \u{1b}[2J\u{1b}]0;PWNED\u{7}all is well
--- web01 stderr
\e[2J\e]0;PWNED\aall is well
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

"#]]]) {
        let show = fleet.run(&["log", "show", op]).in_fleet(&fleet);
        show.code(0).stderr_eq(str![]);
        let ours = show.stdout.split("--- web01 stderr").next().unwrap();
        assert!(!ours.contains('\u{1b}'), "{:?}", show.stdout);
        let visible = show.stdout.replace('\u{1b}', "\\e").replace('\u{7}', "\\a");
        show.text_eq(&visible, expected);
    }
}
