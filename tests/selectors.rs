//! `@last:failed` and friends: hosts picked by how an earlier operation went, read from the
//! audit log at plan time, against real sshd hosts.

use hostctl_test_support as support;

use snapbox::str;
use support::Fleet;

/// web01 ok, web02 fails, web03 down: one operation with three outcomes. Returns its id.
fn mixed_run(fleet: &Fleet) -> String {
    fleet.kill("web03");
    fleet
        .run(&[
            "run",
            "-g",
            "all",
            "--accept-new",
            "case $(hostname) in web02) exit 1;; esac",
        ])
        .code(5);
    let audit = fleet.audit();
    let start = audit.iter().rev().find(|r| r["kind"] == "start").unwrap();
    start["op"].as_str().unwrap().to_string()
}

#[test]
fn at_last_failed_reruns_exactly_where_it_went_wrong() {
    let fleet = Fleet::start(&["web01", "web02", "web03"]);
    let op = mixed_run(&fleet);

    // --dry-run shows what the term picked and where from; it contacts nothing.
    let dry = fleet.run(&["run", "-g", "@last:failed", "--dry-run", "true"]);
    dry.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
dry run: run on 2 hosts (pattern `@last:failed`)
run on the hosts: true
exact remote command: hostctl_cmd='true'; printf '%s %s\n' hostctl-pgid-RUN "$$"; command -v timeout >/dev/null 2>&1 && exec timeout -k 2 0 "${SHELL:-/bin/sh}" -c "$hostctl_cmd"; exec "${SHELL:-/bin/sh}" -c "$hostctl_cmd"
`@last:failed` = operation [OP]: web02 web03
forks 64, batch all, max-fail none, retry 0
  web02  hostctl@[NET].2:2222  keys [FLEET]/id_ed25519  known_hosts [FLEET]/known_hosts  connect_timeout 5s
  web03  hostctl@[NET].3:2222  keys [FLEET]/id_ed25519  known_hosts [FLEET]/known_hosts  connect_timeout 5s
nothing was contacted

"#]]);
    assert!(dry.stdout.contains(&format!("operation {op}: ")));

    // Combined with other terms: web hosts that failed last time, minus the one still down.
    let rerun = fleet.run(&[
        "run",
        "-g",
        "@last:failed,!web03",
        "--json",
        "hostname; false",
    ]);
    rerun.code(1);
    assert_eq!(rerun.host("web02")["stdout"]["text"], "web02\n");
    assert_eq!(
        rerun.json().iter().filter(|v| v["type"] == "host").count(),
        1
    );
    let start = fleet
        .audit()
        .into_iter()
        .rev()
        .find(|r| r["kind"] == "start")
        .unwrap();
    assert_eq!(
        start["selected_from"],
        serde_json::json!([{"term": "@last:failed", "op": op, "hosts": ["web02", "web03"]}])
    );

    let show = fleet.run(&["log", "show", start["op"].as_str().unwrap()]);
    show.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
operation [OP]  run  by [OPERATOR]  at [TIME]
command:   hostname; false
pattern:   @last:failed,!web03 -> 1 hosts: web02
selected:  `@last:failed` = operation [OP]: web02 web03
argv:      [BIN] -i [FLEET]/hosts.toml run -g '@last:failed,!web03' --json 'hostname; false'
result:    1 failed, exit 1 in [ELAPSED]
=== web02: FAILED, exit 1, [ELAPSED], in 6 B out 0 B
web02

"#]]);
    assert!(show.stdout.contains(&format!("operation {op}: ")));

    // An id prefix reaches back past the newest operation; statuses select exactly.
    let by_id = |term: &str| {
        let run = fleet.run(&["hosts", "-g", term]);
        run.code(0);
        run.stdout
            .lines()
            .skip(1)
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| n.starts_with("web"))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(by_id(&format!("@{op}:ok")), ["web01"]);
    assert_eq!(
        by_id(&format!("@{}:unreachable", &op[..op.len() - 2])),
        ["web03"]
    );
    assert_eq!(by_id(&format!("@{op}")), ["web01", "web02", "web03"]);
    assert_eq!(by_id("@last"), ["web02"]);
    assert_eq!(by_id("@mylast:failed"), ["web02"]);
    assert_eq!(by_id("all,&@last"), ["web02"]);
}

#[test]
fn at_terms_that_select_nothing_or_name_nothing_are_clear_errors() {
    let fleet = Fleet::start(&["web01", "web02", "web03"]);
    fleet.write_inventory("[groups.web]\nhosts = [\"web01\", \"web02\", \"web03\"]\n");
    // No log yet.
    fleet
        .run(&["run", "-g", "@last:failed", "true"])
        .code(2)
        .stderr_is(&format!(
            "error: `@last:failed` needs the audit log, and there is none at `{}` (set --log-dir or HOSTCTL_LOG_DIR)\n",
            fleet.path("logs").display()
        ));
    let op = mixed_run(&fleet);
    for (pattern, message) in [
        (
            "@last:timeout".to_string(),
            format!(
                "error: `@last:timeout` selects no hosts: operation {op} (case $(hostname) in web02) exit 1;; esac) had 1 ok, 1 failed, 1 unreachable\n"
            ),
        ),
        (
            "@last:faild".to_string(),
            "error: unknown status `faild` in `@last:faild` (did you mean `failed`?) (one of: ok, changed, unchanged, failed, timeout, unreachable, aborted, skipped, unrecorded)\n".to_string(),
        ),
        (
            "@ffffffff".to_string(),
            format!(
                "error: `@ffffffff`: no operation `ffffffff` in the log at `{}` (see `hostctl log`)\n",
                fleet.path("logs").display()
            ),
        ),
        (
            "@yesterday".to_string(),
            "error: `@yesterday`: say `@last`, `@mylast` or `@` and an operation id (see `hostctl log`), then `:STATUS` if you like\n".to_string(),
        ),
    ] {
        fleet.run(&["run", "-g", &pattern, "true"]).code(2).stderr_is(&message);
    }
    // A host the log names but the inventory lost.
    fleet.write_inventory("");
    let text = std::fs::read_to_string(fleet.inventory())
        .unwrap()
        .replace("[hosts.web02]", "[hosts.web02-renamed]");
    support::write(&fleet.inventory(), &text);
    fleet
        .run(&["run", "-g", "@last:failed", "true"])
        .code(2)
        .stderr_is("error: `@last:failed` names host `web02`, which the inventory no longer has\n");
    // None of these wrote an operation.
    let starts = fleet
        .audit()
        .iter()
        .filter(|r| r["kind"] == "start")
        .count();
    assert_eq!(starts, 1);
}

/// Another run (another operator's, or the operator's own in another terminal) still in
/// flight has no results yet: its hosts read as `unrecorded`, which is meant for a killed run.
/// A `:STATUS` term on it would re-run hosts that operation is still working on, or name the
/// wrong hosts, so it is refused, saying the operation is still running.
#[test]
fn a_status_term_on_an_operation_still_running_is_refused() {
    let fleet = Fleet::start(&["web01", "web02"]);
    fleet
        .run(&["run", "-g", "web02", "--accept-new", "false"])
        .code(1);
    let mut running = fleet
        .hostctl()
        .args(["run", "-g", "web01", "--timeout", "60s", "sleep 60"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let op = loop {
        let audit = fleet.audit();
        let starts: Vec<_> = audit.iter().filter(|r| r["kind"] == "start").collect();
        if starts.len() == 2 {
            break starts[1]["op"].as_str().unwrap().to_string();
        }
        assert!(started.elapsed().as_secs() < 20, "the run never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let terms = ["@last:unrecorded", "@last:failed", "@mylast:ok"];
    let runs: Vec<_> = terms
        .iter()
        .map(|term| fleet.run(&["run", "-g", term, "--dry-run", "true"]))
        .collect();
    // Without a status, its hosts are its hosts.
    let plain = fleet.run(&["hosts", "-g", "@last"]);
    unsafe { libc::kill(running.id() as i32, libc::SIGTERM) };
    running.wait().unwrap();
    for (term, run) in terms.iter().zip(runs) {
        run.code(2).stderr_is(&format!(
            "error: `{term}`: operation {op} (sleep 60) is still running, so it has no results to select by yet; wait for it to end, or name an earlier operation by its id (see `hostctl log`)\n"
        ));
    }
    // The address column is as wide as the fleet's address, which depends on its network.
    plain.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
HOST   ADDRESS[..]PORT  USER          GROUPS
web01  [NET].1[..]2222  hostctl       
1 host

"#]]);
}
