//! Jump hosts and ssh_config against real sshd: a host that only a bastion can reach.

mod support;

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
    run.code(4);
    assert!(
        run.host("inner")["reason"]
            .as_str()
            .unwrap()
            .starts_with("connection refused by 127.0.0.1:2222")
    );
    // Through the bastion it answers, and file transfers go through the tunnel too.
    fleet.write_inventory(&format!("[hosts.gate]\naddress = \"{gate}\"\n\n[groups.deep]\nhosts = [\"inner\"]\njump = \"gate\"\n"));
    fleet
        .run(&["run", "-g", "inner", "hostname"])
        .code(0)
        .stdout_has("=== inner: ok")
        .stdout_has("inner\n");
    let payload: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(fleet.path("payload"), &payload).unwrap();
    fleet
        .run(&[
            "push",
            "-g",
            "inner",
            fleet.path("payload").to_str().unwrap(),
            "/tmp",
        ])
        .code(0)
        .stdout_has("changed");
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
        .stdout_has("(via gate)");
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
    run.code(4);
    let reason = run.host("inner")["reason"].as_str().unwrap().to_string();
    assert!(
        reason.starts_with(&format!("jump host gate: unknown host key for {gate}:2222")),
        "{reason}"
    );
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
    listed.code(0).stdout_has("(via hop1 -> hop2)");
}
