//! Jump hosts and ssh_config against real sshd: a host that only a bastion can reach.

use hostctl_test_support as support;

use snapbox::str;
use support::Fleet;

/// web01 (plain), inner (own network namespace, 127.0.0.1 there) and gate, a bastion that is
/// the only way to inner.
fn topology() -> (Fleet, support::Bastion, String) {
    let fleet = Fleet::start(&["web01", "ns:inner"]);
    let gate = format!("{}.200", fleet.net);
    let bastion = fleet.bastion_into("gate", &gate, "inner");
    (fleet, bastion, gate)
}

#[test]
fn an_inventory_jump_host_reaches_what_the_client_cannot() {
    let (fleet, _bastion, gate) = topology();
    fleet.write_inventory("");
    // Directly, inner is out of reach.
    let run = fleet.run(&["run", "-g", "inner", "--json", "hostname"]);
    run.code(4).text_eq(
        run.host("inner")["reason"].as_str().unwrap(),
        str!["connection refused by 127.0.0.1:2222 (is sshd running on port 2222?)"],
    );
    // Through the bastion it answers, and file transfers go through the tunnel too.
    fleet.write_inventory(&format!("[hosts.gate]\naddress = \"{gate}\"\n\n[groups.deep]\nhosts = [\"inner\"]\njump = \"gate\"\n"));
    fleet
        .run(&["run", "-g", "inner", "hostname"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
=== inner: ok, exit 0, [ELAPSED]
inner
1 host: 1 ok in [ELAPSED]

"#]]);
    let payload: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(fleet.path("payload"), &payload).unwrap();
    fleet
        .run(&[
            "push",
            "-g",
            "inner",
            fleet.path("payload").to_str().unwrap(),
            "/tmp/",
        ])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
=== inner: changed, [ELAPSED]
  changed   [FLEET]/payload -> inner:/tmp/payload (2.9 MiB, sha256 3f373df6…)
1 host: 1 changed in [ELAPSED]

"#]]);
    let out = fleet.path("back");
    fleet
        .run(&["pull", "-g", "inner", "/tmp/payload", out.to_str().unwrap()])
        .code(0);
    assert!(
        std::fs::read(out.join("inner/payload")).unwrap() == payload,
        "payload changed on the way"
    );
    fleet
        .run(&["hosts", "-g", "inner"])
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
HOST   ADDRESS     PORT  USER          GROUPS
inner  127.0.0.1   2222  hostctl       deep  (via gate)
1 host

"#]]);
}

#[test]
fn the_jump_hosts_key_is_verified_like_any_other() {
    let (fleet, _bastion, gate) = topology();
    fleet.write_inventory(&format!("[hosts.gate]\naddress = \"{gate}\"\n\n[groups.deep]\nhosts = [\"inner\"]\njump = \"gate\"\n"));
    let known = std::fs::read_to_string(fleet.path("known_hosts")).unwrap();
    let without_gate: String = known
        .lines()
        .filter(|l| !l.contains(&gate))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(fleet.path("known_hosts"), without_gate).unwrap();
    let run = fleet.run(&["run", "-g", "inner", "--json", "true"]);
    run.code(4)
        .text_eq(run.host("inner")["reason"].as_str().unwrap(), str!["jump host gate: unknown host key for [NET].200:2222 (ssh-ed25519 [FINGERPRINT]); not in [FLEET]/known_hosts. Check the fingerprint, then rerun with --accept-new to record it"]);
}

#[test]
fn ssh_config_aliases_and_a_two_hop_proxy_jump() {
    let (fleet, _bastion, gate) = topology();
    let common = format!(
        "  Port 2222\n  User hostctl\n  IdentityFile {}\n  UserKnownHostsFile {}\n",
        fleet.path("id_ed25519").display(),
        fleet.path("known_hosts").display()
    );
    let config = format!(
        "Host hop1\n  HostName {}\n{common}\nHost hop2\n  HostName {gate}\n{common}\nHost deep-inner\n  HostName 127.0.0.1\n  ProxyJump hop1,hop2\n{common}",
        fleet.address("web01")
    );
    std::fs::write(fleet.path("ssh_config"), config).unwrap();
    // An inventory that names only aliases: everything else comes from ssh_config.
    std::fs::write(
        fleet.inventory(),
        "[groups.all_aliases]\nhosts = [\"hop1\", \"deep-inner\"]\n",
    )
    .unwrap();
    let run = fleet.run(&[
        "-F",
        fleet.path("ssh_config").to_str().unwrap(),
        "run",
        "-g",
        "all_aliases",
        "--json",
        "hostname",
    ]);
    run.code(0);
    assert_eq!(run.host("hop1")["stdout"]["text"], "web01\n");
    // client -> web01 -> gate -> inner
    assert_eq!(run.host("deep-inner")["stdout"]["text"], "inner\n");
    assert_eq!(run.host("deep-inner")["address"], "127.0.0.1");
    let listed = fleet.run(&[
        "-F",
        fleet.path("ssh_config").to_str().unwrap(),
        "hosts",
        "-g",
        "deep-inner",
    ]);
    listed.code(0).stderr_eq(str![]).stdout_eq(str![[r#"
HOST        ADDRESS     PORT  USER          GROUPS
deep-inner  127.0.0.1   2222  hostctl       all_aliases  (via hop1 -> hop2)
1 host

"#]]);
}

/// Every host behind a bastion shares one session to it: eight hosts (names for the same inner
/// sshd) make one login on the bastion, not eight, and each still gets its own answer.
#[test]
fn hosts_behind_one_bastion_share_one_session_to_it() {
    let (fleet, _bastion, gate) = topology();
    let mut extra = format!("[hosts.gate]\naddress = \"{gate}\"\n\n");
    let names: Vec<String> = (1..=8).map(|i| format!("deep{i}")).collect();
    for name in &names {
        extra.push_str(&format!("[hosts.{name}]\naddress = \"127.0.0.1\"\n\n"));
    }
    extra.push_str("[groups.deep]\nhosts = [\"deep[1:8]\"]\njump = \"gate\"\n");
    fleet.write_inventory(&extra);
    let run = fleet.run(&["run", "-g", "deep", "--json", "echo $$; hostname"]);
    run.code(0);
    let mut shells = std::collections::HashSet::new();
    for name in &names {
        let out = run.host(name)["stdout"]["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(out.ends_with("inner\n"), "{name}: {out}");
        shells.insert(out);
    }
    assert_eq!(shells.len(), 8, "each host ran its own command");
    let log = std::fs::read_to_string(fleet.path("hosts/gate/sshd.log")).unwrap();
    assert_eq!(
        log.matches("Accepted publickey for hostctl").count(),
        1,
        "bastion log:\n{log}"
    );
}

/// When the bastion's connection is lost, the host using it fails with a plain reason and the
/// hosts after it get a new session to the bastion.
#[test]
fn a_lost_bastion_session_is_replaced_for_the_hosts_after_it() {
    let (fleet, bastion, gate) = topology();
    fleet.write_inventory(&format!(
        "[hosts.gate]\naddress = \"{gate}\"\n\n[hosts.deep1]\naddress = \"127.0.0.1\"\n\n\
         [hosts.deep2]\naddress = \"127.0.0.1\"\n\n[groups.deep]\nhosts = [\"deep1\", \"deep2\"]\njump = \"gate\"\n"
    ));
    let child = fleet
        .hostctl()
        .args([
            "run",
            "-g",
            "deep",
            "--batch",
            "1",
            "--json",
            "sleep 2; hostname",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once deep1's command runs on inner, cut the bastion's sshd. sshd logs "Starting
    // session" before hostctl has heard that its command started: cut then, the host is lost
    // while starting the command, not while it runs. So wait for the command's own process,
    // and a moment for hostctl to read the reply that comes with it (the command sleeps 2 s).
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while fleet.processes("inner", "sleep 2").is_empty() {
        assert!(
            std::time::Instant::now() < until,
            "no session on the bastion"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    bastion.cut();
    let run: support::Run = child.wait_with_output().unwrap().into();
    assert_eq!(run.host("deep1")["status"], "unreachable");
    assert_eq!(
        run.host("deep1")["reason"],
        "the command: connection to 127.0.0.1:2222 via gate was lost"
    );
    assert_eq!(run.host("deep2")["status"], "ok");
    assert_eq!(run.host("deep2")["stdout"]["text"], "inner\n");
    let logins = std::fs::read_to_string(fleet.path("hosts/gate/sshd.log"))
        .unwrap()
        .matches("Accepted publickey for hostctl")
        .count();
    assert_eq!(logins, 2);
}
