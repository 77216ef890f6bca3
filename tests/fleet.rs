//! The test fleet itself: each host is a machine of its own, so every example in the README is
//! safe to try on the demo and tests can write anywhere on a host.

use hostctl_test_support as support;

use support::Fleet;

#[test]
fn a_sudo_push_to_etc_changes_that_one_host_only() {
    let fleet = Fleet::start(&["web01", "web02"]);
    let conf = fleet.path("app.conf");
    support::write(&conf, "listen 8080\n");
    let marker = format!("/etc/hostctl-fleet-test-{}.conf", std::process::id());
    fleet
        .run(&[
            "push",
            "-g",
            "web01",
            "--sudo",
            conf.to_str().unwrap(),
            &marker,
        ])
        .code(0);
    assert_eq!(
        fleet.on_host("web01", &format!("cat {marker}")),
        "listen 8080\n"
    );
    assert_eq!(
        fleet.on_host(
            "web02",
            &format!("test -e {marker} && echo present || echo absent")
        ),
        "absent\n"
    );
    assert!(
        !std::path::Path::new(&marker).exists(),
        "the push reached the machine running the fleet"
    );
}

#[test]
fn hosts_have_their_own_hostname_and_tmp() {
    let fleet = Fleet::start(&["web01", "web02"]);
    fleet.on_host("web01", "echo one > /tmp/mine");
    assert_eq!(
        fleet.on_host("web01", "hostname; cat /tmp/mine"),
        "web01\none\n"
    );
    assert_eq!(
        fleet.on_host("web02", "hostname; cat /tmp/mine 2>/dev/null || echo none"),
        "web02\nnone\n"
    );
}

#[test]
fn a_hosts_processes_are_told_apart_even_once_reparented_to_init() {
    let fleet = Fleet::start(&["web01", "web02"]);
    let secs = 4000 + std::process::id() % 997;
    // Detached from everything, as a command that escaped its session would be.
    fleet.on_host(
        "web01",
        &format!("setsid sh -c 'sleep {secs}' </dev/null >/dev/null 2>&1 &"),
    );
    let needle = format!("sleep {secs}");
    let started = std::time::Instant::now();
    // Until the process is `sleep` itself: before its exec, `sh -c 'sleep N'` matches too.
    let exactly = |list: String| {
        list.lines()
            .any(|l| l.split_once(' ').map(|(_, a)| a) == Some(needle.as_str()))
    };
    while !exactly(fleet.processes("web01", &needle)) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "never saw it"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(fleet.processes("web02", &needle), "");
    fleet.on_host("web01", &format!("pkill -f '^sleep {secs}$'"));
}
