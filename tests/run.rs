//! `hostctl run` against real sshd hosts.

use hostctl_test_support as support;

use snapbox::{IntoData, str};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Fleet, Run};

const GROUPS: &str =
    "[groups.web]\nhosts = [\"web01\", \"web02\"]\n\n[groups.db]\nhosts = [\"db01\"]\n";

fn fleet() -> Fleet {
    let fleet = Fleet::start(&["web01", "web02", "db01"]);
    fleet.write_inventory(GROUPS);
    fleet
}

fn hosts_in(run: &Run) -> Vec<String> {
    let mut names: Vec<String> = run
        .json()
        .iter()
        .filter(|v| v["type"] == "host")
        .map(|v| v["host"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn runs_on_one_group_and_each_host_answers_for_itself() {
    let fleet = fleet();
    let run = fleet.run(&["run", "-g", "web", "hostname"]);
    // Hosts come in the order they finish: the lines in any order, then each block whole.
    run.code(0).stderr_eq(str![]).stdout_eq(
        str![[r#"
=== web01: ok, exit 0, [ELAPSED]
web01
=== web02: ok, exit 0, [ELAPSED]
web02
2 hosts: 2 ok in [ELAPSED]

"#]]
        .unordered(),
    );
    // Each block holds that host's own hostname (its own UTS namespace), never another's.
    for block in run.stdout.split("=== ").skip(1) {
        let (header, body) = block.split_once('\n').unwrap();
        if let Some(name) = header.split(':').next().filter(|n| n.starts_with("web")) {
            assert_eq!(body.lines().next(), Some(name), "block of {name}: {block}");
        }
    }
}

#[test]
fn union_exclusion_and_intersection_patterns() {
    let fleet = fleet();
    let run = fleet.run(&["run", "-g", "web,db,!web02", "--json", "true"]);
    run.code(0);
    assert_eq!(hosts_in(&run), ["db01", "web01"]);
    let run = fleet.run(&["run", "-g", "all,&web", "--json", "true"]);
    assert_eq!(hosts_in(&run), ["web01", "web02"]);
}

#[test]
fn a_failing_command_exits_1_and_is_counted() {
    let fleet = fleet();
    let run = fleet.run(&["run", "-g", "web", "test $(hostname) = web01 || exit 3"]);
    run.code(1).stderr_eq(str![]).stdout_eq(
        str![[r#"
=== web01: ok, exit 0, [ELAPSED]
=== web02: FAILED, exit 3, [ELAPSED]
2 hosts: 1 ok, 1 failed in [ELAPSED]

"#]]
        .unordered(),
    );
}

#[test]
fn an_unreachable_host_fails_alone_and_exits_4() {
    let fleet = fleet();
    fleet.kill("web02");
    let run = fleet.run(&["run", "-g", "web,db", "--json", "hostname"]);
    run.code(4);
    let down = run.host("web02");
    assert_eq!(down["status"], "unreachable");
    run.text_eq(
        down["reason"].as_str().unwrap(),
        str!["connection refused by [NET].2:2222 (is sshd running on port 2222?)"],
    );
    assert_eq!(run.host("web01")["stdout"]["text"], "web01\n");
    assert_eq!(run.host("db01")["status"], "ok");
    // A failed command and an unreachable host together: 5.
    fleet
        .run(&["run", "-g", "web,db", "test $(hostname) != db01"])
        .code(5);
}

#[test]
fn an_unknown_host_key_fails_until_accepted() {
    let fleet = fleet();
    let known = std::fs::read_to_string(fleet.path("known_hosts")).unwrap();
    let kept: String = known
        .lines()
        .filter(|l| !l.contains(fleet.address("web02")))
        .map(|l| format!("{l}\n"))
        .collect();
    support::write(&fleet.path("known_hosts"), &kept);

    let run = fleet.run(&["run", "-g", "web", "--json", "true"]);
    run.code(4);
    run.text_eq(run.host("web02")["reason"].as_str().unwrap(), str!["unknown host key for [NET].2:2222 (ssh-ed25519 [FINGERPRINT]); not in [FLEET]/known_hosts. Check the fingerprint, then rerun with --accept-new to record it"]);
    assert_eq!(run.host("web01")["status"], "ok");

    fleet
        .run(&["run", "-g", "web", "--accept-new", "true"])
        .code(0);
    let recorded = std::fs::read_to_string(fleet.path("known_hosts")).unwrap();
    assert!(
        recorded.contains(&format!("[{}]:2222 ssh-ed25519 ", fleet.address("web02"))),
        "{recorded}"
    );
    // Recorded once, then trusted without the flag.
    fleet.run(&["run", "-g", "web", "true"]).code(0);
}

#[test]
fn a_changed_host_key_always_fails_that_host() {
    let fleet = fleet();
    fleet.rekey("web01");
    for extra in [None, Some("--accept-new")] {
        let mut args = vec!["run", "-g", "web", "--json"];
        args.extend(extra);
        args.push("true");
        let run = fleet.run(&args);
        run.code(4);
        run.text_eq(run.host("web01")["reason"].as_str().unwrap(), str!["HOST KEY CHANGED for [NET].1:2222 (ssh-ed25519 [FINGERPRINT]); [FLEET]/known_hosts:1 holds a different key. This may be an attack. If the host was reinstalled, remove that line and reconnect with --accept-new"]);
        assert_eq!(run.host("web02")["status"], "ok");
    }
}

#[test]
fn a_refused_key_fails_with_a_plain_reason() {
    let fleet = fleet();
    let other = fleet.path("other_key");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .unwrap();
    assert!(status.success());
    fleet.write_inventory(&format!(
        "{GROUPS}\n[groups.stranger]\nhosts = [\"db01\"]\nidentity_file = \"{}\"\n",
        other.display()
    ));
    let run = fleet.run(&["run", "-g", "db", "--json", "true"]);
    run.code(4);
    run.text_eq(run.host("db01")["reason"].as_str().unwrap(), str!["permission denied for user `hostctl` on [NET].3:2222 (server accepts: publickey,password; tried: [FLEET]/other_key)"]);
}

#[test]
fn authenticates_with_ssh_agent_and_with_a_password() {
    let fleet = fleet();
    // An inventory with no identity file at all: only the agent or a password can work.
    let text = std::fs::read_to_string(fleet.inventory())
        .unwrap()
        .replace("identity_file = \"id_ed25519\"\n", "");
    support::write(&fleet.inventory(), &text);
    fleet.run(&["run", "-g", "web", "true"]).code(4);

    let sock = fleet.path("agent.sock");
    let agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&sock)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _kill = KillOnDrop(agent);
    let started = Instant::now();
    while !sock.exists() && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    // A key the hosts do not accept first, then the right one: every identity must be tried.
    let decoy = fleet.path("decoy");
    Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&decoy)
        .status()
        .unwrap();
    for key in [decoy, fleet.path("id_ed25519")] {
        let added = Command::new("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &sock)
            .output()
            .unwrap();
        assert!(
            added.status.success(),
            "{}",
            String::from_utf8_lossy(&added.stderr)
        );
    }
    let run = Run::from(
        fleet
            .hostctl()
            .args(["run", "-g", "web", "whoami"])
            .env("SSH_AUTH_SOCK", &sock)
            .output()
            .unwrap(),
    );
    run.code(0).stderr_eq(str![]).stdout_eq(
        str![[r#"
=== web02: ok, exit 0, [ELAPSED]
hostctl
=== web01: ok, exit 0, [ELAPSED]
hostctl
2 hosts: 2 ok in [ELAPSED]

"#]]
        .unordered(),
    );

    let run = fleet.run_with_stdin(
        &["run", "-g", "db", "--ask-pass", "whoami"],
        "hostctl-fleet
",
    );
    run.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
=== db01: ok, exit 0, [ELAPSED]
hostctl
1 host: 1 ok in [ELAPSED]

"#]]);
    let log = hostctl::audit::read_lines(&fleet.path("logs")).unwrap();
    assert!(!log.is_empty());
    assert!(
        !log.iter().any(|l| l.contains("hostctl-fleet")),
        "the password reached the audit log"
    );
}

struct KillOnDrop(std::process::Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_command_timeout_is_reported_and_the_command_is_stopped_on_the_host() {
    let fleet = fleet();
    let started = Instant::now();
    let run = fleet.run(&[
        "run",
        "-g",
        "web01",
        "--timeout",
        "1s",
        "--json",
        "sleep 317; echo never",
    ]);
    run.code(1);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    let host = run.host("web01");
    assert_eq!(host["status"], "timeout");
    assert_eq!(
        host["reason"],
        "command timed out after 1s (stopped on the host)"
    );
    let summary = run.json().pop().unwrap();
    assert_eq!(
        (summary["timeout"].as_u64(), summary["unreachable"].as_u64()),
        (Some(1), Some(0))
    );
    gone_within(&fleet, &["web01"], 317, Duration::from_secs(5));
}

/// A timed-out command is `timeout` everywhere, never `unreachable` (the host answered) nor
/// `failed, killed by signal KILL` (a command that ignores SIGTERM is KILLed 2 s later).
#[test]
fn a_timeout_is_a_timeout_in_every_output_even_when_sigterm_is_ignored() {
    let fleet = fleet();
    let secs = 6000 + std::process::id() % 997;
    let command = format!("echo started; trap '' TERM; sleep {secs}");
    let run = fleet.run(&["run", "-g", "web", "--timeout", "1s", &command]);
    run.code(1).stderr_eq(str![]).stdout_eq(
        str![[r#"
=== web01: TIMEOUT, [ELAPSED]: command timed out after 1s (stopped on the host)
started
=== web02: TIMEOUT, [ELAPSED]: command timed out after 1s (stopped on the host)
started
2 hosts: 2 timeout in [ELAPSED]

"#]]
        .unordered(),
    );
    gone_within(&fleet, &["web01", "web02"], secs, Duration::from_secs(5));
    let records = fleet.audit();
    let web02 = records.iter().find(|r| r["host"] == "web02").unwrap();
    assert_eq!(web02["status"], "timeout");
    assert_eq!(web02["stdout"]["text"], "started\n");
    let end = records.last().unwrap();
    assert_eq!(
        (
            end["timeout"].as_u64(),
            end["unreachable"].as_u64(),
            end["failed"].as_u64(),
            end["exit_code"].as_i64()
        ),
        (Some(2), Some(0), Some(0), Some(1))
    );
    let id = end["op"].as_str().unwrap();
    fleet
        .run(&["log", "show", id, "--host", "web01"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
operation [OP]  run  by [OPERATOR]  at [TIME]
command:   echo started; trap '' TERM; sleep [..]
pattern:   web -> 2 hosts: web01, web02
argv:      [BIN] -i [FLEET]/hosts.toml run -g web --timeout 1s 'echo started; trap '\'''\'' TERM; sleep [..]'
result:    2 timeout, exit 1 in [ELAPSED]
=== web01: TIMEOUT, [ELAPSED], in 8 B out 0 B: command timed out after 1s (stopped on the host)
started

"#]]);
    let listed = fleet.run(&["log", "--json", "--failed"]);
    assert_eq!(listed.json()[0]["timeout"], 2);
}

#[test]
fn large_stdout_and_stderr_arrive_complete_while_memory_is_capped() {
    let fleet = fleet();
    // 24 MiB on each stream at once: a reader that drains only one of them would deadlock.
    let script = "head -c 25165824 /dev/zero | tr '\\0' o & head -c 25165824 /dev/zero | tr '\\0' e >&2; wait";
    let run = fleet.run(&["run", "-g", "web01", "--json", "--timeout", "60s", script]);
    run.code(0);
    let host = run.host("web01");
    assert_eq!(host["stdout"]["bytes"], 25165824);
    assert_eq!(host["stderr"]["bytes"], 25165824);
    assert_eq!(host["stdout"]["truncated"], true);
    assert_eq!(host["stdout"]["text"].as_str().unwrap().len(), 1 << 20);
    assert_eq!(host["bytes_in"], 2 * 25165824);

    let run = fleet.run(&["run", "-g", "web01", "--output-limit", "1K", "seq 1 100000"]);
    run.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
=== web01: ok, exit 0, [ELAPSED]
1
2
...
282
283
[hostctl: stdout truncated: kept 1.0 KiB of 575.1 KiB; --stream shows all of it]
1 host: 1 ok in [ELAPSED]

"#]]);

    // --stream shows every line.
    let run = fleet.run(&["run", "-g", "web01", "--stream", "seq 1 100000"]);
    run.code(0);
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("web01: "))
        .collect();
    assert_eq!(lines.len(), 100000);
    assert_eq!(lines[99999], "web01: 100000");
}

#[test]
fn json_output_is_one_object_per_host_then_a_summary() {
    let fleet = fleet();
    let run = fleet.run(&[
        "run",
        "-g",
        "all",
        "--json",
        "echo out; echo err >&2; exit $(( $(hostname | tr -dc 0-9) - 1 ))",
    ]);
    run.code(1);
    let values = run.json();
    assert_eq!(values.len(), 4);
    let summary = values.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(
        (
            summary["hosts"].as_u64(),
            summary["ok"].as_u64(),
            summary["failed"].as_u64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(summary["exit_code"], 1);
    let web02 = run.host("web02");
    assert_eq!(
        (web02["status"].as_str(), web02["exit_code"].as_i64()),
        (Some("failed"), Some(1))
    );
    assert_eq!(
        (
            web02["stdout"]["text"].as_str(),
            web02["stderr"]["text"].as_str()
        ),
        (Some("out\n"), Some("err\n"))
    );
    assert!(values.iter().all(|v| v["op"] == summary["op"]));
}

#[test]
fn the_audit_log_records_who_ran_what_where_and_how_it_went() {
    let fleet = fleet();
    fleet.kill("db01");
    fleet
        .run(&["run", "-g", "web,db", "echo hi from $(hostname)"])
        .code(4);
    let records = fleet.audit();
    assert_eq!(records.len(), 5, "{records:#?}");
    let start = &records[0];
    assert_eq!(start["kind"], "start");
    assert_eq!(start["operation"], "run");
    assert_eq!(start["pattern"], "web,db");
    assert_eq!(start["command"], "echo hi from $(hostname)");
    assert_eq!(
        start["hosts"],
        serde_json::json!(["db01", "web01", "web02"])
    );
    assert!(start["operator"].as_str().unwrap().starts_with("root@"));
    assert!(
        start["argv"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "echo hi from $(hostname)")
    );
    let op = start["op"].clone();
    let web01 = records.iter().find(|r| r["host"] == "web01").unwrap();
    assert_eq!(
        (web01["status"].as_str(), web01["exit_code"].as_i64()),
        (Some("ok"), Some(0))
    );
    assert_eq!(web01["stdout"]["text"], "hi from web01\n");
    assert_eq!(web01["op"], op);
    let db01 = records.iter().find(|r| r["host"] == "db01").unwrap();
    assert_eq!(db01["status"], "unreachable");
    let end = records.last().unwrap();
    assert_eq!(
        (
            end["kind"].as_str(),
            end["ok"].as_u64(),
            end["unreachable"].as_u64(),
            end["exit_code"].as_i64()
        ),
        (Some("end"), Some(2), Some(1), Some(4))
    );
    // Each record chains to the one before.
    assert_eq!(records[0]["prev"], "0".repeat(64));
    assert!(records.windows(2).all(|w| w[1]["prev"] != w[0]["prev"]));
}

#[test]
fn ctrl_c_stops_new_hosts_records_the_end_and_exits_130() {
    let fleet = fleet();
    let child = fleet
        .hostctl()
        .args(["run", "-g", "all", "-f", "1", "sleep 2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let run = Run::from(child.wait_with_output().unwrap());
    run.code(130)
        .stderr_eq(str![[r#"
hostctl: interrupted: starting no more hosts, waiting for running ones (Ctrl-C again to abort them)

"#]])
        .stdout_eq(str![[r#"
=== db01: ok, exit 0, [ELAPSED]
=== web01: SKIPPED, [ELAPSED]: not started: interrupted
=== web02: SKIPPED, [ELAPSED]: not started: interrupted
3 hosts: 1 ok, 2 skipped in [ELAPSED] (interrupted)

"#]]);
    let end = fleet.audit().pop().unwrap();
    assert_eq!(
        (
            end["kind"].as_str(),
            end["interrupted"].as_bool(),
            end["exit_code"].as_i64()
        ),
        (Some("end"), Some(true), Some(130))
    );
}

#[test]
fn sigkill_leaves_the_start_record_and_finished_hosts_on_disk() {
    let fleet = fleet();
    let mut child = fleet
        .hostctl()
        .args(["run", "-g", "web", "test $(hostname) = web01 || sleep 60"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    fleet.wait_for_host_record("web01");
    child.kill().unwrap();
    child.wait().unwrap();
    let kinds: Vec<String> = fleet
        .audit()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["kind"].as_str().unwrap(),
                r["host"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(kinds, ["start ", "host web01"]);
}

/// After `--`, hostctl's own options are the command's: they reach the host untouched, and so
/// does a `--` that comes after the command started.
#[test]
fn options_after_dashdash_reach_the_command() {
    let fleet = fleet();
    let run = fleet.run(&[
        "run",
        "-g",
        "web01",
        "--json",
        "--",
        "echo",
        "x",
        "--dry-run",
        "-b",
        "--timeout",
        "1s",
    ]);
    run.code(0);
    assert_eq!(
        run.host("web01")["stdout"]["text"],
        "x --dry-run -b --timeout 1s\n"
    );
    let run = fleet.run(&[
        "run",
        "-g",
        "web01",
        "--json",
        "echo",
        "a",
        "--",
        "-f",
        "--dry-run",
    ]);
    run.code(0);
    assert_eq!(run.host("web01")["stdout"]["text"], "a -- -f --dry-run\n");
}

/// Processes on `host` whose command line holds `sleep {secs}`.
fn sleeps_on(fleet: &Fleet, host: &str, secs: u32) -> String {
    fleet.processes(host, &format!("sleep {secs}"))
}

/// Polls until no `sleep {secs}` is left on the hosts; the time it took.
fn gone_within(fleet: &Fleet, hosts: &[&str], secs: u32, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let left: String = hosts.iter().map(|h| sleeps_on(fleet, h, secs)).collect();
        if left.is_empty() {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "still running on the hosts after {:?}:\n{left}",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// hostctl started with `args`, its stderr lines on a channel, once `sleep {secs}` runs on
/// every host.
fn started_everywhere(
    fleet: &Fleet,
    args: &[&str],
    hosts: &[&str],
    secs: u32,
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut child = fleet
        .hostctl()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = Instant::now();
    while hosts.iter().any(|h| sleeps_on(fleet, h, secs).is_empty()) {
        assert!(started.elapsed() < Duration::from_secs(20), "never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, rx)
}

fn wait_for_line(rx: &std::sync::mpsc::Receiver<String>, text: &str) {
    loop {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if line.contains(text) => return,
            Ok(_) => {}
            Err(e) => panic!("no stderr line with `{text}`: {e}"),
        }
    }
}

/// The second Ctrl-C stops the command on the hosts (the whole process group), not only
/// hostctl's side of it, and the hosts are `aborted`, not unreachable.
#[test]
fn a_second_ctrl_c_stops_the_command_on_the_hosts() {
    let fleet = fleet();
    let secs = 3000 + std::process::id() % 997;
    let command = format!("sh -c 'sleep {secs}'");
    let (child, rx) = started_everywhere(
        &fleet,
        &["run", "-g", "web", &command],
        &["web01", "web02"],
        secs,
    );
    let pid = child.id() as i32;
    unsafe { libc::kill(pid, libc::SIGINT) };
    wait_for_line(&rx, "interrupted: starting no more hosts");
    unsafe { libc::kill(pid, libc::SIGINT) };
    let took = gone_within(&fleet, &["web01", "web02"], secs, Duration::from_secs(10));
    assert!(
        took <= Duration::from_secs(2),
        "the processes lived {took:?} after the second Ctrl-C"
    );
    let run = Run::from(child.wait_with_output().unwrap());
    run.code(130).stderr_eq(str![]).stdout_eq(
        str![[r#"
=== web01: ABORTED, [ELAPSED]: aborted: the command was stopped on the host
=== web02: ABORTED, [ELAPSED]: aborted: the command was stopped on the host
2 hosts: 2 aborted in [ELAPSED] (interrupted)

"#]]
        .unordered(),
    );
    let records = fleet.audit();
    assert_eq!(
        records.iter().filter(|r| r["status"] == "aborted").count(),
        2
    );
    let end = records.last().unwrap();
    assert_eq!(
        (
            end["aborted"].as_u64(),
            end["unreachable"].as_u64(),
            end["exit_code"].as_i64()
        ),
        (Some(2), Some(0), Some(130))
    );
}

/// SIGTERM aborts at once, through sudo as well (the command's processes are root's), and a
/// command that ignores SIGTERM is KILLed 2 s later.
#[test]
fn sigterm_stops_the_command_on_the_hosts_through_sudo_too() {
    let fleet = fleet();
    let secs = 4000 + std::process::id() % 997;
    let command = format!("trap '' TERM; sh -c 'sleep {secs}'");
    let (child, _rx) = started_everywhere(
        &fleet,
        &["run", "-g", "web", "--sudo", "--json", &command],
        &["web01", "web02"],
        secs,
    );
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let took = gone_within(&fleet, &["web01", "web02"], secs, Duration::from_secs(15));
    assert!(
        took <= Duration::from_secs(6),
        "the processes lived {took:?} after SIGTERM"
    );
    let run = Run::from(child.wait_with_output().unwrap());
    run.code(130);
    for host in ["web01", "web02"] {
        assert_eq!(run.host(host)["status"], "aborted", "{}", run.stdout);
    }
}

/// `--timeout` through sudo stops the root-owned command too, and on time.
#[test]
fn a_timeout_through_sudo_stops_the_command_on_the_host() {
    let fleet = fleet();
    let secs = 5000 + std::process::id() % 997;
    let started = Instant::now();
    let run = fleet.run(&[
        "run",
        "-g",
        "web01",
        "--sudo",
        "--timeout",
        "1s",
        "--json",
        &format!("sleep {secs}"),
    ]);
    run.code(1);
    assert_eq!(run.host("web01")["status"], "timeout");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}: hostctl gave up waiting instead of the host stopping it",
        started.elapsed()
    );
    gone_within(&fleet, &["web01"], secs, Duration::from_secs(5));
}

/// A host whose `timeout` does not stop the command (a broken or lying one that ignores
/// SIGTERM): hostctl gives up waiting at `--timeout` plus its grace, and must neither claim the
/// command was "stopped on the host" when it was not, nor leave it running: it KILLs the
/// command's process group itself, and says so.
#[test]
fn a_timeout_the_hosts_own_timeout_does_not_enforce_is_enforced_and_told() {
    let fleet = fleet();
    let secs = 7000 + std::process::id() % 997;
    fleet.on_host(
        "web01",
        &format!(
            "printf '#!/bin/sh\\ntrap \"\" TERM INT HUP\\nsleep {secs}\\n' > /tmp/.liar && \
             chmod 755 /tmp/.liar && mount --bind /tmp/.liar /usr/bin/timeout"
        ),
    );
    let run = fleet.run(&["run", "-g", "web01", "--timeout", "1s", "--json", "true"]);
    run.code(1);
    let host = run.host("web01");
    assert_eq!(host["status"], "timeout");
    assert_eq!(
        host["reason"],
        "command timed out after 1s; the host's `timeout` did not stop it, so hostctl killed its process group"
    );
    gone_within(&fleet, &["web01"], secs, Duration::from_secs(5));
}

/// On a host without coreutils `timeout` (the README: an abort there sends SIGTERM only), the
/// abort must still reach the command's whole process group, not only its shell: with dash as
/// the login shell, `kill -TERM -- -PGID` is refused and only the shell was hit, leaving its
/// children running.
#[test]
fn sigterm_stops_the_whole_command_on_a_host_without_timeout() {
    let fleet = fleet();
    fleet.on_host("web01", "mount --bind /dev/null /usr/bin/timeout");
    let secs = 5000 + std::process::id() % 997;
    let command = format!("sleep {secs}; echo never");
    let (child, _rx) = started_everywhere(
        &fleet,
        &["run", "-g", "web01", "--json", &command],
        &["web01"],
        secs,
    );
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let run = Run::from(child.wait_with_output().unwrap());
    run.code(130);
    assert_eq!(
        run.host("web01")["reason"],
        "aborted: the command was stopped on the host"
    );
    gone_within(&fleet, &["web01"], secs, Duration::from_secs(5));
}
