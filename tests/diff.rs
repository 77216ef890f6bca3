//! How hosts' outputs differ: `hostctl log diff` between two real runs on real sshd hosts.

mod support;

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
        .stdout_has("3 hosts: 3 same, 0 changed");

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
