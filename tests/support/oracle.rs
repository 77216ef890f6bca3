//! The host-key oracle of the known_hosts and certificate corpora: OpenSSH's verdict and
//! hostctl's on the same cases, both run where names resolve the same way.

use crate::{Fleet, Run};
use std::path::Path;
use std::process::{Command, Stdio};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    Refused,
}

/// `program` with `etc_hosts` bound over /etc/hosts in a private mount namespace (inside the
/// network namespace of `fleet`'s host `netns_of`, when given), with the fleet's HOME, the C
/// locale and no agent: `ssh` and hostctl resolve the corpus's names alike.
pub fn isolated(fleet: &Fleet, etc_hosts: &Path, netns_of: Option<&str>, program: &str) -> Command {
    let unshare = [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        r#"mount --bind "$0" /etc/hosts && exec "$@""#,
    ];
    let mut cmd = match netns_of {
        Some(host) => {
            let mut cmd = Command::new("nsenter");
            cmd.arg(format!("--net=/proc/{}/ns/net", fleet.listener_pid(host)))
                .args(unshare);
            cmd
        }
        None => {
            let mut cmd = Command::new(unshare[0]);
            cmd.args(&unshare[1..]);
            cmd
        }
    };
    cmd.arg(etc_hosts)
        .arg(program)
        .env("HOME", fleet.path("home"))
        .env("LC_ALL", "C")
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("HOSTCTL_INVENTORY")
        .env_remove("HOSTCTL_LOG_DIR")
        .stdin(Stdio::null());
    cmd
}

/// OpenSSH's own verdict on a host key, the oracle of the known_hosts and certificate tests:
/// `ssh` (prepared by the caller with its environment) with `known_hosts` as its only file,
/// StrictHostKeyChecking `strict`, and the fleet's client key, to `address:port`. Accepted when
/// it logged in, refused on "Host key verification failed."; any other failure fails the test.
pub fn ssh_verdict(
    mut ssh: Command,
    fleet: &Fleet,
    address: &str,
    port: u16,
    known_hosts: &Path,
    strict: &str,
) -> (Verdict, String) {
    std::fs::create_dir_all(fleet.path("home")).unwrap();
    let out = ssh
        .args(["-F", "/dev/null", "-o", "BatchMode=yes", "-o"])
        .arg(format!("StrictHostKeyChecking={strict}"))
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .args([
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "UpdateHostKeys=no",
            "-o",
            "CheckHostIP=no",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "ConnectTimeout=60",
            "-i",
        ])
        .arg(fleet.path("id_ed25519"))
        .arg("-p")
        .arg(port.to_string())
        .arg(format!("hostctl@{address}"))
        .arg("true")
        .output()
        .expect("run ssh");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    match out.status.code() {
        Some(0) => (Verdict::Accepted, stderr),
        Some(255) if stderr.contains("Host key verification failed.") => (Verdict::Refused, stderr),
        _ => panic!("ssh failed for another reason than the host key:\n{stderr}"),
    }
}

/// One case for hostctl: a host name of its own, where it connects, and the one known_hosts file
/// it trusts.
pub struct Case {
    pub name: String,
    pub address: String,
    pub port: u16,
    pub known_hosts: String,
}

/// hostctl's verdict and reason on each case, in one run over all of them (`-f 8`), through
/// `hostctl` (the binary prepared by the caller, e.g. with [`isolated`]). A refusal whose reason
/// holds none of `about_host_key` (lowercase) fails the test: it failed for another reason.
pub fn hostctl_verdicts(
    fleet: &Fleet,
    mut hostctl: Command,
    cases: &[Case],
    extra: &[&str],
    about_host_key: &[&str],
) -> Vec<(Verdict, String)> {
    let mut inventory = String::from("[groups.cases]\nhosts = [");
    for case in cases {
        inventory.push_str(&format!("\"{}\", ", case.name));
    }
    inventory.push_str("]\n\n");
    for case in cases {
        inventory.push_str(&format!(
            "[hosts.{}]\naddress = \"{}\"\nport = {}\nknown_hosts = \"{}\"\nconnect_timeout = \"60s\"\n\n",
            case.name, case.address, case.port, case.known_hosts
        ));
    }
    fleet.write_inventory(&inventory);
    let out = hostctl
        .arg("-i")
        .arg(fleet.inventory())
        .args(["run", "-g", "cases", "-f", "8", "--json"])
        .args(extra)
        .arg("true")
        .output()
        .expect("run hostctl");
    let run = Run::from(out);
    assert!(!run.stdout.is_empty(), "hostctl: {}", run.stderr);
    cases
        .iter()
        .map(|case| {
            let host = run.host(&case.name);
            if host["status"] == "ok" {
                return (Verdict::Accepted, String::new());
            }
            let reason = host["reason"].as_str().unwrap_or_default().to_string();
            let lower = reason.to_lowercase();
            assert!(
                about_host_key.iter().any(|w| lower.contains(w)),
                "{}: hostctl failed for another reason than the host key: {reason}",
                case.name
            );
            (Verdict::Refused, reason)
        })
        .collect()
}
