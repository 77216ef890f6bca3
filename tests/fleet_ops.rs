//! Operating a fleet: gathered output, --out-dir, rolling batches, --max-fail, --dry-run,
//! --retry and sudo, against real sshd hosts.

use hostctl_test_support as support;

use snapbox::{IntoData, str};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Fleet, Offline, Run};

fn fleet(names: &[&str]) -> Fleet {
    let fleet = Fleet::start(names);
    fleet.write_inventory("");
    fleet
}

#[test]
fn gather_folds_identical_results_largest_group_first() {
    let fleet = fleet(&["web01", "web02", "web03", "web04", "web05", "db01"]);
    // Same output on web01-03 and web05, another on db01, a failure on web04.
    let cmd = "case $(hostname) in db*) echo db;; web04) echo broken; exit 2;; *) echo web;; esac";
    let run = fleet.run(&["run", "-g", "all", "--gather", cmd]);
    run.code(1).stderr_eq(str![]).stdout_eq(str![[r#"
=== web[01-03,05] (4): ok, exit 0
web
=== db01: ok, exit 0
db
=== web04: FAILED, exit 2
broken
6 hosts: 5 ok, 1 failed in [ELAPSED]

"#]]);
    // Deterministic: the same results print the same.
    assert_eq!(
        fleet
            .run(&["run", "-g", "all", "-b", cmd])
            .stdout
            .lines()
            .take(6)
            .collect::<Vec<_>>(),
        run.stdout.lines().take(6).collect::<Vec<_>>()
    );
    // Transfers gather too.
    let file = fleet.path("conf");
    std::fs::write(&file, "x\n").unwrap();
    let push = fleet.run(&[
        "push",
        "-g",
        "web0[1:3]",
        "-b",
        file.to_str().unwrap(),
        "/tmp/",
    ]);
    push.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
=== web[01-03] (3): changed
  changed   [FLEET]/conf -> web[01-03] (3):/tmp/conf (2 B, sha256 73cb3858…)
3 hosts: 3 changed in [ELAPSED]

"#]]);
}

#[test]
fn out_dir_keeps_every_byte_per_host() {
    let fleet = fleet(&["web01", "web02"]);
    let dir = fleet.path("out");
    let run = fleet.run(&[
        "run",
        "-g",
        "all",
        "--out-dir",
        dir.to_str().unwrap(),
        "--output-limit",
        "10",
        "seq 1 20000; hostname >&2",
    ]);
    run.code(0).stderr_eq(str![]).stdout_eq(
        str![[r#"
=== web01: ok, exit 0, [ELAPSED]
1
2
3
4
5
[hostctl: stdout truncated: kept 10 B of 106.3 KiB; --stream shows all of it]
--- web01 stderr
web01
=== web02: ok, exit 0, [ELAPSED]
1
2
3
4
5
[hostctl: stdout truncated: kept 10 B of 106.3 KiB; --stream shows all of it]
--- web02 stderr
web02
2 hosts: 2 ok in [ELAPSED]

"#]]
        .unordered(),
    );
    for host in ["web01", "web02"] {
        let out = std::fs::read_to_string(dir.join(format!("{host}.out"))).unwrap();
        assert_eq!(out.lines().count(), 20000);
        assert_eq!(
            std::fs::read_to_string(dir.join(format!("{host}.err"))).unwrap(),
            format!("{host}\n")
        );
    }
}

#[test]
fn batches_run_one_after_another() {
    let fleet = fleet(&["h1", "h2", "h3", "h4"]);
    // Each host records when it started and ended (seconds with nanoseconds, same clock).
    let run = fleet.run(&[
        "run",
        "-g",
        "all",
        "--batch",
        "2",
        "--json",
        "s=$(date +%s.%N); sleep 0.5; echo $s $(date +%s.%N)",
    ]);
    run.code(0);
    let span = |h: &str| -> (f64, f64) {
        let text = run.host(h)["stdout"]["text"].as_str().unwrap().to_string();
        let v: Vec<f64> = text
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        (v[0], v[1])
    };
    let first_end = span("h1").1.max(span("h2").1);
    let second_start = span("h3").0.min(span("h4").0);
    assert!(
        second_start >= first_end,
        "batch 2 started at {second_start} before batch 1 ended at {first_end}"
    );
    // 50% of 4 is 2 per batch as well.
    fleet
        .run(&["run", "-g", "all", "--batch", "50%", "true"])
        .code(0);
}

#[test]
fn max_fail_stops_starting_hosts_and_says_so() {
    let fleet = fleet(&["h1", "h2", "h3", "h4", "h5"]);
    let run = fleet.run(&[
        "run",
        "-g",
        "all",
        "-f",
        "1",
        "--max-fail",
        "2",
        "--json",
        "case $(hostname) in h1|h2) exit 1;; esac",
    ]);
    run.code(6);
    let statuses: Vec<String> = ["h1", "h2", "h3", "h4", "h5"]
        .iter()
        .map(|h| run.host(h)["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        statuses,
        ["failed", "failed", "skipped", "skipped", "skipped"]
    );
    assert_eq!(
        run.host("h3")["reason"],
        "not started: --max-fail 2 reached"
    );
    let text = fleet.run(&[
        "run",
        "-g",
        "all",
        "-f",
        "1",
        "--max-fail",
        "40%",
        "case $(hostname) in h1|h2) exit 1;; esac",
    ]);
    text.code(6).stderr_eq(str![]).stdout_eq(str![[r#"
=== h1: FAILED, exit 1, [ELAPSED]
=== h2: FAILED, exit 1, [ELAPSED]
=== h3: SKIPPED, [ELAPSED]: not started: --max-fail 2 reached
=== h4: SKIPPED, [ELAPSED]: not started: --max-fail 2 reached
=== h5: SKIPPED, [ELAPSED]: not started: --max-fail 2 reached
5 hosts: 2 failed, 3 skipped in [ELAPSED] (stopped by --max-fail)

"#]]);
}

#[test]
fn dry_run_contacts_nothing() {
    let hosts = Offline::new(&["web01", "web02"]);
    hosts
        .run(&[
            "run",
            "-g",
            "all",
            "--dry-run",
            "--sudo",
            "--timeout",
            "5s",
            "systemctl restart app",
        ])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
dry run: run on 2 hosts (pattern `all`)
run on the hosts: systemctl restart app
exact remote command: sudo -n -- sh -c 'hostctl_cmd='\''systemctl restart app'\''; printf '\''%s %s\n'\'' hostctl-pgid-RUN "$$"; exec timeout -k 2 5.000 sh -c "$hostctl_cmd"'
forks 64, batch all, max-fail none, retry 0
  web01  hostctl@127.0.0.1:[PORT]  keys agent, ~/.ssh/id_*  known_hosts [DIR]/home/.ssh/known_hosts  connect_timeout 1m
  web02  hostctl@127.0.0.1:[PORT]  keys agent, ~/.ssh/id_*  known_hosts [DIR]/home/.ssh/known_hosts  connect_timeout 1m
nothing was contacted

"#]]);
    assert!(!hosts.contacted(), "a host was contacted");
    assert!(
        !hosts.path("logs").exists(),
        "a dry run is not an operation to audit"
    );
}

#[test]
fn retry_reaches_a_host_that_comes_back() {
    let fleet = fleet(&["web01", "web02"]);
    fleet.kill("web02");
    let child = fleet
        .hostctl()
        .args(["run", "-g", "all", "--retry", "3", "--json", "hostname"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(600));
    let up = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fleet"))
        .arg("up")
        .arg(fleet.dir.path())
        .arg(format!("web02={}", fleet.address("web02")))
        .output()
        .unwrap();
    assert!(up.status.success());
    let run = Run::from(child.wait_with_output().unwrap());
    run.code(0);
    assert_eq!(run.host("web02")["stdout"]["text"], "web02\n");
    // Without --retry it fails at once; a host that stays down says how often it was tried.
    fleet.kill("web02");
    let run = fleet.run(&["run", "-g", "web02", "--retry", "1", "--json", "true"]);
    run.code(4);
    assert!(
        run.host("web02")["reason"]
            .as_str()
            .unwrap()
            .ends_with("(after 2 attempts)")
    );
}

#[test]
fn sudo_with_and_without_a_password() {
    let fleet = fleet(&["web01", "web02"]);
    fleet
        .run(&["run", "-g", "all", "--sudo", "whoami"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(
            str![[r#"
=== web02: ok, exit 0, [ELAPSED]
root
=== web01: ok, exit 0, [ELAPSED]
root
2 hosts: 2 ok in [ELAPSED]

"#]]
            .unordered(),
        );
    let run = fleet.run(&[
        "run",
        "-g",
        "web01",
        "--sudo-user",
        "nobody",
        "--json",
        "whoami",
    ]);
    run.code(1);
    assert_eq!(
        run.host("web01")["reason"],
        "sudo: a password is required (use --ask-become-pass)"
    );

    let with_password = |password: &str| {
        fleet.run_with_stdin(
            &[
                "run",
                "-g",
                "all",
                "-K",
                "--sudo-user",
                "nobody",
                "--json",
                "whoami",
            ],
            &format!("{password}\n"),
        )
    };
    let run = with_password("hostctl-fleet");
    run.code(0);
    assert_eq!(run.host("web02")["stdout"]["text"], "nobody\n");
    let started = Instant::now();
    let run = with_password("wrong");
    run.code(1);
    assert_eq!(run.host("web01")["reason"], "sudo: incorrect password");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "a wrong sudo password must not hang"
    );
    let log: String = fleet.audit().iter().map(|r| r.to_string()).collect();
    assert!(
        !log.contains("hostctl-fleet"),
        "the sudo password reached the audit log"
    );
}

#[test]
fn keepalives_hold_a_quiet_session_through_an_idle_timeout() {
    let fleet = fleet(&["web01"]);
    // Margins from this machine's pace right now, not constants: on a loaded machine a plain
    // command takes longer, keepalives go out later, and the middlebox's idle cut grows with it
    // (a fixed 2 s cut failed once at load average 33). Keepalives every 1 s stay well inside it.
    let pace = Instant::now();
    fleet
        .run(&["run", "-g", "web01", "--accept-new", "true"])
        .code(0);
    let idle = (pace.elapsed() * 4).max(Duration::from_secs(3));
    let quiet = idle * 2;
    // A middlebox that drops connections idle for `idle`, in front of web01.
    let proxy = format!("{}.100", fleet.net);
    let _middlebox = support::IdleProxy::start(&proxy, fleet.address("web01"), 2222, idle);
    fleet.write_inventory(&format!(
        "[hosts.chatty]\naddress = \"{proxy}\"\nkeepalive = \"1s\"\n\n[hosts.silent]\naddress = \"{proxy}\"\nkeepalive = \"1h\"\n"
    ));
    // Record the proxy's address in known_hosts once, before the two runs race to do it.
    fleet
        .run(&["run", "-g", "chatty", "--accept-new", "true"])
        .code(0);
    // `quiet` without output: only keepalives keep the flow alive. Both hosts at once.
    let command = format!("sleep {}; echo still here", quiet.as_secs_f64());
    let (chatty, silent) = std::thread::scope(|s| {
        let chatty = s.spawn(|| fleet.run(&["run", "-g", "chatty", "--json", &command]));
        let silent = s.spawn(|| fleet.run(&["run", "-g", "silent", "--json", &command]));
        (chatty.join().unwrap(), silent.join().unwrap())
    });
    chatty.code(0);
    assert_eq!(chatty.host("chatty")["stdout"]["text"], "still here\n");
    silent.code(4);
    assert_eq!(
        silent.host("silent")["status"],
        "unreachable",
        "{}",
        silent.stdout
    );
}

#[test]
fn a_sudo_password_never_reaches_the_command_when_sudo_does_not_ask() {
    let fleet = fleet(&["web01"]);
    // Root needs no password on the fleet: sudo never reads it, and `cat` must not get it.
    let run = fleet.run_with_stdin(
        &[
            "run",
            "-g",
            "all",
            "-K",
            "--sudo",
            "--json",
            "cat; echo end",
        ],
        "hostctl-fleet\n",
    );
    run.code(0);
    assert_eq!(run.host("web01")["stdout"]["text"], "end\n");
    assert!(!run.stdout.contains("hostctl-fleet"));
}

#[test]
fn push_and_pull_through_sudo() {
    let fleet = fleet(&["web01"]);
    fleet.on_host("web01", "mkdir /tmp/etc && chmod 755 /tmp/etc && echo secret > /tmp/etc/shadowy && chmod 600 /tmp/etc/shadowy");
    let file = fleet.path("app.conf");
    std::fs::write(&file, "key = value\n").unwrap();
    let src = file.to_str().unwrap();
    fleet
        .run(&["push", "-g", "all", src, "/tmp/etc/"])
        .code(1)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
=== web01: FAILED, [ELAPSED]: permission denied writing `/tmp/etc/app.conf` (try --sudo)
1 host: 1 failed in [ELAPSED]

"#]]);
    fleet
        .run(&["push", "-g", "all", "--sudo", src, "/tmp/etc/"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
=== web01: changed, [ELAPSED]
  changed   [FLEET]/app.conf -> web01:/tmp/etc/app.conf (12 B, sha256 3bd7a6f9…)
1 host: 1 changed in [ELAPSED]

"#]]);
    assert_eq!(
        fleet.on_host(
            "web01",
            "stat -c %U /tmp/etc/app.conf; cat /tmp/etc/app.conf"
        ),
        "root\nkey = value\n"
    );
    // As another user, with a password: the file arrives intact after the password.
    fleet.on_host("web01", "mkdir /tmp/nob && chown nobody /tmp/nob");
    let run = fleet.run_with_stdin(
        &[
            "push",
            "-g",
            "all",
            "-K",
            "--sudo-user",
            "nobody",
            src,
            "/tmp/nob/",
        ],
        "hostctl-fleet\n",
    );
    run.code(0);
    assert_eq!(
        fleet.on_host(
            "web01",
            "stat -c %U /tmp/nob/app.conf; cat /tmp/nob/app.conf"
        ),
        "nobody\nkey = value\n"
    );
    // A root-only file comes back only through sudo.
    let out = fleet.path("out");
    let run = fleet.run(&[
        "pull",
        "-g",
        "all",
        "--json",
        "/tmp/etc/shadowy",
        out.to_str().unwrap(),
    ]);
    run.code(1);
    assert_eq!(
        run.host("web01")["reason"],
        "permission denied reading /tmp/etc/shadowy (try --sudo)"
    );
    fleet
        .run(&[
            "pull",
            "-g",
            "all",
            "--sudo",
            "/tmp/etc/shadowy",
            out.to_str().unwrap(),
        ])
        .code(0);
    assert_eq!(
        std::fs::read_to_string(out.join("web01/shadowy")).unwrap(),
        "secret\n"
    );
}

/// `-I`: hostctl's stdin goes to the command on every host, whole. With -K the password line
/// comes first and never reaches the command; the audit records the input's size and digest.
#[test]
fn stdin_goes_to_every_host_and_the_password_line_does_not() {
    let fleet = fleet(&["web01", "web02"]);
    let script = "echo \"from $(hostname)\"\nexpr 6 \\* 7\n";
    let run = fleet.run_with_stdin(&["run", "-g", "all", "-I", "--json", "sh -s"], script);
    run.code(0);
    for host in ["web01", "web02"] {
        assert_eq!(
            run.host(host)["stdout"]["text"],
            format!("from {host}\n42\n")
        );
    }
    let start = fleet
        .audit()
        .into_iter()
        .rfind(|r| r["kind"] == "start")
        .unwrap();
    assert_eq!(start["input"]["bytes"], script.len());
    assert_eq!(start["input"]["sha256"], support::sha256(script.as_bytes()));

    let run = fleet.run_with_stdin(
        &[
            "run",
            "-g",
            "web01",
            "-K",
            "--sudo-user",
            "nobody",
            "-I",
            "--json",
            "whoami; cat",
        ],
        "hostctl-fleet\nline one\nline two\n",
    );
    run.code(0);
    assert_eq!(
        run.host("web01")["stdout"]["text"],
        "nobody\nline one\nline two\n"
    );

    // Without -I the command's stdin is closed: `cat` ends at once.
    let run = fleet.run_with_stdin(&["run", "-g", "web01", "--json", "cat"], "ignored\n");
    run.code(0);
    assert_eq!(run.host("web01")["stdout"]["text"], "");
}

#[test]
fn stdin_larger_than_the_limit_is_a_usage_error() {
    let hosts = Offline::new(&["web01"]);
    let big = "x".repeat((64 << 20) + 1);
    let run = hosts.run_with_stdin(&["run", "-g", "web01", "-I", "cat"], &big);
    run.code(2).stdout_eq("").stderr_is(
        "error: -I/--stdin: more than 64 MiB on stdin; push the file and run it instead\n",
    );
    assert!(!hosts.contacted(), "a host was contacted");
}

/// With every host started at once, `--max-fail` has nothing to stop: hostctl says so before
/// the run and in its summary, and stops no running host.
#[test]
fn max_fail_says_when_it_cannot_act() {
    let fleet = fleet(&["h1", "h2", "h3"]);
    let cmd = "case $(hostname) in h1|h2) exit 1;; esac";
    let run = fleet.run(&["run", "-g", "all", "--max-fail", "1", cmd]);
    run.code(1).stdout_eq(str![[r#"
=== h3: ok, exit 0, [ELAPSED]
=== h1: FAILED, exit 1, [ELAPSED]
=== h2: FAILED, exit 1, [ELAPSED]
3 hosts: 1 ok, 2 failed in [ELAPSED] (--max-fail 1 reached when every host had started: nothing was stopped)

"#]].unordered());
    assert_eq!(
        run.stderr,
        "hostctl: note: --max-fail 1 cannot stop anything here: all 3 hosts start at once (-f 64), \
         and hosts already running are never stopped; use --batch or a smaller -f to stage the rollout\n"
    );
    let run = fleet.run(&["run", "-g", "all", "--max-fail", "1", "--json", cmd]);
    let summary = run.json().pop().unwrap();
    assert_eq!(
        (
            summary["max_fail_reached"].as_bool(),
            summary["stopped"].as_bool()
        ),
        (Some(true), Some(false))
    );
    fleet
        .run(&["run", "-g", "all", "--max-fail", "1", "--dry-run", "true"])
        .code(0)
        .stdout_eq(str![[r#"
dry run: run on 3 hosts (pattern `all`)
run on the hosts: true
exact remote command: hostctl_cmd='true'; printf '%s %s\n' hostctl-pgid-RUN "$$"; command -v timeout >/dev/null 2>&1 && exec timeout -k 2 0 "${SHELL:-/bin/sh}" -c "$hostctl_cmd"; exec "${SHELL:-/bin/sh}" -c "$hostctl_cmd"
forks 64, batch all, max-fail 1, retry 0
note: --max-fail 1 cannot stop anything here: all 3 hosts start at once (-f 64), and hosts already running are never stopped; use --batch or a smaller -f to stage the rollout
  h1  hostctl@[NET].1:2222  keys [FLEET]/id_ed25519  known_hosts [FLEET]/known_hosts  connect_timeout 5s
  h2  hostctl@[NET].2:2222  keys [FLEET]/id_ed25519  known_hosts [FLEET]/known_hosts  connect_timeout 5s
  h3  hostctl@[NET].3:2222  keys [FLEET]/id_ed25519  known_hosts [FLEET]/known_hosts  connect_timeout 5s
nothing was contacted

"#]]);
    // Staged, it acts and says nothing of the kind.
    let run = fleet.run(&["run", "-g", "all", "--max-fail", "1", "--batch", "1", cmd]);
    run.code(6).stdout_eq(str![[r#"
=== h1: FAILED, exit 1, [ELAPSED]
=== h2: SKIPPED, [ELAPSED]: not started: --max-fail 1 reached
=== h3: SKIPPED, [ELAPSED]: not started: --max-fail 1 reached
3 hosts: 1 failed, 2 skipped in [ELAPSED] (stopped by --max-fail)

"#]]);
    assert_eq!(run.stderr, "");
}
