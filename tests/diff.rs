//! How hosts' outputs differ: `hostctl log diff` between two real runs on real sshd hosts.

use hostctl_test_support as support;

use snapbox::str;
use support::Fleet;

fn last_op(fleet: &Fleet) -> String {
    let audit = fleet.audit();
    let start = audit.iter().rev().find(|r| r["kind"] == "start").unwrap();
    start["op"].as_str().unwrap().to_string()
}

#[test]
fn log_diff_shows_per_host_what_changed_between_two_runs() {
    let fleet = Fleet::start(&["web01", "web02", "web03"]);
    for host in ["web01", "web02", "web03"] {
        fleet.on_host(host, "printf 'port 80\\nworkers 4\\n' > /tmp/app.conf");
    }
    fleet
        .run(&["run", "-g", "all", "--accept-new", "cat /tmp/app.conf"])
        .code(0);
    let before = last_op(&fleet);
    // Drift on one host, and another that now fails.
    fleet.on_host("web02", "printf 'port 80\\nworkers 8\\n' > /tmp/app.conf");
    fleet.on_host("web03", "rm /tmp/app.conf");
    fleet
        .run(&["run", "-g", "all", "cat /tmp/app.conf"])
        .code(1);
    let after = last_op(&fleet);

    let diff = fleet.run(&["log", "diff", &before, &after]);
    diff.code(1);
    assert_eq!(
        diff.stdout,
        format!(
            "=== web02: changed (ok, exit 0)\n\
             --- web02 stdout ({before})\n+++ web02 stdout ({after})\n\
             @@ -1,2 +1,2 @@\n port 80\n-workers 4\n+workers 8\n\
             === web03: changed (ok, exit 0 -> failed, exit 1)\n\
             --- web03 stdout ({before})\n+++ web03 stdout ({after})\n\
             @@ -1,2 +0,0 @@\n-port 80\n-workers 4\n\
             --- web03 stderr ({before})\n+++ web03 stderr ({after})\n\
             @@ -0,0 +1 @@\n+cat: /tmp/app.conf: No such file or directory\n\
             3 hosts: 1 same, 2 changed, 0 only in {before}, 0 only in {after}\n"
        )
    );

    // The same operation against itself: nothing changed, exit 0, as diff(1) says.
    fleet
        .run(&["log", "diff", &before, &before])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
3 hosts: 3 same, 0 changed, 0 only in [OP], 0 only in [OP]

"#]]);

    // JSON for scripts, narrowed to one host.
    let json = fleet.run(&["log", "diff", &before, &after, "--host", "web02", "--json"]);
    json.code(1);
    let lines = json.json();
    assert_eq!(lines[0]["host"], "web02");
    assert_eq!(lines[0]["changed"], true);
    assert!(
        lines[0]["stdout_diff"]
            .as_str()
            .unwrap()
            .contains("+workers 8\n")
    );
    assert_eq!(lines[1]["type"], "summary");
    assert_eq!(lines[1]["changed"], 1);

    fleet
        .run(&["log", "diff", &before, "ffffffffff"])
        .code(2)
        .stderr_is("error: no operation `ffffffffff` in the log\n");
}

#[test]
fn run_diff_prints_the_common_output_once_and_each_drift_as_a_diff() {
    let fleet = Fleet::start(&["web01", "web02", "web03", "web04", "web05"]);
    for host in ["web01", "web02", "web03", "web04"] {
        fleet.on_host(
            host,
            "printf 'port 80\\nworkers 4\\nlog on\\n' > /tmp/app.conf",
        );
    }
    fleet.on_host(
        "web04",
        "printf 'port 80\\nworkers 8\\nlog on\\n' > /tmp/app.conf",
    );
    let run = fleet.run(&[
        "run",
        "-g",
        "all",
        "--accept-new",
        "--diff",
        "cat /tmp/app.conf",
    ]);
    run.code(1);
    let summary = run.stdout.lines().last().unwrap().to_string();
    assert_eq!(
        run.stdout,
        format!(
            "=== web[01-03] (3): ok, exit 0\n\
             port 80\nworkers 4\nlog on\n\
             === web04: ok, exit 0 (differs from web[01-03] (3))\n\
             --- web[01-03] (3) stdout\n+++ web04 stdout\n\
             @@ -1,3 +1,3 @@\n port 80\n-workers 4\n+workers 8\n log on\n\
             === web05: FAILED, exit 1\n\
             --- web05 stderr\ncat: /tmp/app.conf: No such file or directory\n\
             {summary}\n"
        )
    );

    // The same as JSON: one object per host as they finish, then the groups, then the summary.
    let run = fleet.run(&["run", "-g", "all", "--diff", "--json", "cat /tmp/app.conf"]);
    run.code(1);
    let groups: Vec<serde_json::Value> = run
        .json()
        .into_iter()
        .filter(|v| v["type"] == "group")
        .collect();
    assert_eq!(groups.len(), 3);
    assert_eq!(
        groups[0]["hosts"],
        serde_json::json!(["web01", "web02", "web03"])
    );
    assert_eq!(groups[0]["reference"], true);
    assert_eq!(groups[0]["stdout"]["text"], "port 80\nworkers 4\nlog on\n");
    assert_eq!(groups[1]["hosts"], serde_json::json!(["web04"]));
    assert!(
        groups[1]["stdout_diff"]
            .as_str()
            .unwrap()
            .contains("-workers 4\n+workers 8\n")
    );
    assert_eq!(groups[2]["status"], "failed");
    assert_eq!(run.json().last().unwrap()["type"], "summary");
}

#[test]
fn similar_folds_outputs_that_differ_only_by_each_hosts_own_name() {
    let fleet = Fleet::start(&["web01", "web02", "web03"]);
    let command = "echo \"I am $(hostname), serving /srv/$(hostname)/www\"; \
                   case $(hostname) in web03) echo 'and one more line';; esac";
    // Exact gathering folds nothing: every line names its host.
    let exact = fleet.run(&["run", "-g", "all", "--accept-new", "-b", command]);
    exact.code(0);
    assert_eq!(exact.stdout.matches("=== ").count(), 3, "{}", exact.stdout);
    // Similar folds web01 and web02, never web03, whose output differs in more than its name.
    let similar = fleet.run(&["run", "-g", "all", "--gather=similar", command]);
    similar.code(0);
    let summary = similar.stdout.lines().last().unwrap().to_string();
    assert_eq!(
        similar.stdout,
        format!(
            "=== web[01-02] (2) [similar: `{{host}}` is each host's own name or address]: ok, exit 0\n\
             I am {{host}}, serving /srv/{{host}}/www\n\
             === web03: ok, exit 0\n\
             I am web03, serving /srv/web03/www\nand one more line\n\
             {summary}\n"
        )
    );
    // A host that prints the placeholder itself is not folded with one that prints its name.
    let tricky = "case $(hostname) in web01) echo '{host}';; *) hostname;; esac";
    let run = fleet.run(&["run", "-g", "all", "--gather=similar", tricky]);
    run.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
=== web[02-03] (2) [similar: `{host}` is each host's own name or address]: ok, exit 0
{host}
=== web01: ok, exit 0
{host}
3 hosts: 3 ok in [ELAPSED]

"#]]);
    // Names longer than the placeholder make the shown text shorter: still nothing was cut.
    let longer = "echo $(hostname).example.internal $(hostname) $(hostname)";
    let run = fleet.run(&["run", "-g", "all", "--gather=similar", longer]);
    run.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
=== web[01-03] (3) [similar: `{host}` is each host's own name or address]: ok, exit 0
{host}.example.internal {host} {host}
3 hosts: 3 ok in [ELAPSED]

"#]]);
}
