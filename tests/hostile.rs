//! Hosts that lie: names, symlinks, listings and sizes arranged by the test on a real sshd host
//! (`Fleet::on_host` runs as root in that host's mount namespace, so a host-side tool can be
//! swapped for a liar there and nowhere else). Whatever a host sends, hostctl writes only
//! below `LOCAL_DIR/<host>/`.

mod support;

use support::Fleet;

fn fleet() -> Fleet {
    Fleet::start(&["web01"])
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
    let run = fleet.run(&["hosts"]);
    run.code(2);
    assert!(
        run.stderr.contains(
            ": `hosts.\"nl\\nx\"`: `nl\\nx` cannot be a host name: it holds a control character"
        ),
        "{}",
        run.stderr
    );
    assert!(!fleet.path("f").exists(), "a pull wrote next to LOCAL_DIR");
    assert!(!out.exists(), "nothing was to be written at all");
    assert!(!fleet.path("logs").exists(), "nothing was to be contacted");
}
