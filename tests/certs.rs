//! Host certificates, differentially: sshd hosts with `HostCertificate` (good, for another
//! principal, expired, not yet valid, a user certificate, signed by ed25519, ECDSA and RSA
//! CAs), each checked by `ssh` and by hostctl against the same known_hosts
//! (`@cert-authority` with patterns, negation and hashes; `@revoked` CAs and keys; plain keys
//! to fall back on). The verdicts must agree, and hostctl's refusals say which check failed.

use hostctl_test_support as support;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use std::path::{Path, PathBuf};
use std::process::Command;
use support::oracle::{self, Verdict};
use support::{Fleet, bin, keygen};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Each host and how its host key is certified (`ssh-keygen -s` arguments).
const HOSTS: &[(&str, &str, &[&str])] = &[
    ("good", "ca", &["-h", "-n", "{addr},good.corp"]),
    ("anyname", "ca", &["-h"]),
    ("otherprincipal", "ca", &["-h", "-n", "elsewhere.corp"]),
    ("upper", "ca", &["-h", "-n", "UPPER.corp"]),
    ("expired", "ca", &["-h", "-n", "{addr}", "-V", "-2d:-1d"]),
    ("notyet", "ca", &["-h", "-n", "{addr}", "-V", "+1d:+2d"]),
    ("usercert", "ca", &["-n", "{addr}"]),
    ("ecdsaca", "ca_ecdsa", &["-h", "-n", "{addr}"]),
    ("rsaca", "ca_rsa", &["-h", "-n", "{addr}"]),
    ("sha1ca", "ca_rsa", &["-t", "ssh-rsa", "-h", "-n", "{addr}"]),
];

struct Lab {
    fleet: Fleet,
    etc_hosts: PathBuf,
}

/// `TYPE BASE64` of a public key file.
fn public(pub_file: &Path) -> String {
    let text = std::fs::read_to_string(pub_file).expect("public key");
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn hashed(host: &str) -> String {
    let salt: Vec<u8> = (10..30).collect();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&salt).unwrap();
    mac.update(host.as_bytes());
    format!(
        "|1|{}|{}",
        B64.encode(&salt),
        B64.encode(mac.finalize().into_bytes())
    )
}

impl Lab {
    fn start() -> Lab {
        let names: Vec<&str> = HOSTS.iter().map(|h| h.0).collect();
        let fleet = Fleet::start(&names);
        let keys = fleet.path("keys");
        std::fs::create_dir_all(&keys).unwrap();
        keygen(&keys.join("ca"), &["-t", "ed25519"]);
        keygen(&keys.join("ca_ecdsa"), &["-t", "ecdsa", "-b", "384"]);
        keygen(&keys.join("ca_rsa"), &["-t", "rsa", "-b", "2048"]);
        keygen(&keys.join("other_ca"), &["-t", "ed25519"]);
        let mut etc_hosts = String::from("127.0.0.1 localhost\n");
        for (name, ca, args) in HOSTS {
            let addr = fleet.address(name).to_string();
            etc_hosts.push_str(&format!("{addr} {name}.corp\n"));
            let key = fleet.path(&format!("hosts/{name}/ssh_host_ed25519_key.pub"));
            let args: Vec<String> = args.iter().map(|a| a.replace("{addr}", &addr)).collect();
            let ok = Command::new("ssh-keygen")
                .args(["-q", "-s"])
                .arg(keys.join(ca))
                .args(["-I", name])
                .args(&args)
                .arg(&key)
                .status()
                .unwrap();
            assert!(ok.success(), "sign {name}");
            let cert = fleet.path(&format!("hosts/{name}/ssh_host_ed25519_key-cert.pub"));
            fleet.restart_with(name, &format!("HostCertificate {}\n", cert.display()));
        }
        let etc = fleet.path("etc-hosts");
        support::write(&etc, &etc_hosts);
        std::fs::create_dir_all(fleet.path("kh")).unwrap();
        Lab {
            fleet,
            etc_hosts: etc,
        }
    }

    fn key(&self, name: &str) -> String {
        public(&self.fleet.path(&format!("keys/{name}.pub")))
    }

    fn host_key(&self, host: &str) -> String {
        public(
            &self
                .fleet
                .path(&format!("hosts/{host}/ssh_host_ed25519_key.pub")),
        )
    }

    /// `program` with our /etc/hosts bound over the real one, in a private mount namespace.
    fn command(&self, program: &str) -> Command {
        oracle::isolated(&self.fleet, &self.etc_hosts, None, program)
    }

    fn ssh(&self, address: &str, file: &Path, strict: &str) -> (Verdict, String) {
        oracle::ssh_verdict(
            self.command("ssh"),
            &self.fleet,
            address,
            2222,
            file,
            strict,
        )
    }

    /// hostctl's verdict and reason on each case, in one run.
    fn hostctl(&self, cases: &[Case], dir: &str, extra: &[&str]) -> Vec<(Verdict, String)> {
        let cases: Vec<oracle::Case> = cases
            .iter()
            .map(|case| oracle::Case {
                name: format!("c-{}", case.name),
                address: case.address.clone(),
                port: 2222,
                known_hosts: format!("{dir}/{}", case.name),
            })
            .collect();
        oracle::hostctl_verdicts(
            &self.fleet,
            self.command(bin()),
            &cases,
            extra,
            &["host key", "host certificate"],
        )
    }
}

struct Case {
    name: String,
    address: String,
    text: String,
    /// Part of hostctl's reason, when it refuses.
    reason: Option<String>,
    /// Why hostctl refuses this although OpenSSH accepts it.
    stricter: Option<&'static str>,
}

fn corpus(lab: &Lab) -> Vec<Case> {
    let ca = lab.key("ca");
    let other_ca = lab.key("other_ca");
    let addr = |host: &str| lab.fleet.address(host).to_string();
    let spec = |host: &str| format!("[{}]:2222", addr(host));
    let mut cases = Vec::new();
    let mut add = |name: &str, host: &str, by_name: bool, text: String, reason: Option<&str>| {
        cases.push(Case {
            name: name.to_string(),
            address: if by_name {
                format!("{host}.corp")
            } else {
                addr(host)
            },
            text,
            reason: reason.map(str::to_string),
            stricter: None,
        });
    };
    let ca_for = |pattern: &str| format!("@cert-authority {pattern} {ca}\n");
    add("good", "good", false, ca_for("*"), None);
    add(
        "good-by-name",
        "good",
        true,
        ca_for("[good.corp]:2222"),
        None,
    );
    add("good-pattern", "good", false, ca_for("[127.*]:2222"), None);
    add("good-bare-name", "good", false, ca_for(&addr("good")), None);
    add(
        "good-hashed",
        "good",
        false,
        ca_for(&hashed(&spec("good"))),
        None,
    );
    add(
        "hashed-other-host",
        "good",
        false,
        ca_for(&hashed("[127.0.0.9]:2222")),
        Some("signed by an unknown CA (fingerprint SHA256:"),
    );
    add(
        "negated",
        "good",
        false,
        ca_for(&format!("*,!{},!{}", spec("good"), addr("good"))),
        Some("signed by an unknown CA"),
    );
    add(
        "unknown-ca",
        "good",
        false,
        format!("@cert-authority * {other_ca}\n"),
        Some("signed by an unknown CA (fingerprint SHA256:"),
    );
    add(
        "no-known-hosts",
        "good",
        false,
        String::new(),
        Some("signed by an unknown CA"),
    );
    add(
        "ca-as-plain-key",
        "good",
        false,
        format!("* {ca}\n"),
        Some("signed by an unknown CA"),
    );
    add(
        "revoked-ca",
        "good",
        false,
        ca_for("*") + &format!("@revoked * {ca}\n"),
        Some("is revoked"),
    );
    add(
        "revoked-host-key",
        "good",
        false,
        ca_for("*") + &format!("@revoked * {}\n", lab.host_key("good")),
        Some("is revoked"),
    );
    add(
        "revoked-ca-plain-known",
        "good",
        false,
        format!(
            "{} {}\n@revoked * {ca}\n",
            spec("good"),
            lab.host_key("good")
        ),
        Some("is revoked"),
    );
    add("any-principal", "anyname", false, ca_for("*"), None);
    add(
        "other-principal",
        "otherprincipal",
        false,
        ca_for("*"),
        Some("principal `"),
    );
    add(
        "principal-case",
        "upper",
        true,
        ca_for("*"),
        Some("principal `upper.corp` not in the certificate"),
    );
    add(
        "expired",
        "expired",
        false,
        ca_for("*"),
        Some("expired since "),
    );
    add(
        "not-yet-valid",
        "notyet",
        false,
        ca_for("*"),
        Some("not valid before "),
    );
    add(
        "user-certificate",
        "usercert",
        false,
        ca_for("*"),
        Some("a user certificate, not a host certificate"),
    );
    // OpenSSH falls back to the plain key inside a certificate it cannot accept.
    add(
        "expired-plain-known",
        "expired",
        false,
        ca_for("*") + &format!("{} {}\n", spec("expired"), lab.host_key("expired")),
        None,
    );
    add(
        "unknown-ca-plain-known",
        "good",
        false,
        format!(
            "@cert-authority * {other_ca}\n{} {}\n",
            spec("good"),
            lab.host_key("good")
        ),
        None,
    );
    add(
        "expired-plain-changed",
        "expired",
        false,
        ca_for("*") + &format!("{} {}\n", spec("expired"), lab.host_key("good")),
        Some("HOST KEY CHANGED"),
    );
    add(
        "ecdsa-ca",
        "ecdsaca",
        false,
        format!("@cert-authority * {}\n", lab.key("ca_ecdsa")),
        None,
    );
    add(
        "rsa-ca",
        "rsaca",
        false,
        format!("@cert-authority * {}\n", lab.key("ca_rsa")),
        None,
    );
    add(
        "rsa-ca-for-ecdsa-host",
        "ecdsaca",
        false,
        format!("@cert-authority * {}\n", lab.key("ca_rsa")),
        Some("signed by an unknown CA"),
    );
    add(
        "sha1-ca",
        "sha1ca",
        false,
        format!("@cert-authority * {}\n", lab.key("ca_rsa")),
        Some("`ssh-rsa` (SHA-1)"),
    );
    let sha1_plain = Case {
        name: "sha1-ca-plain-known".into(),
        address: addr("sha1ca"),
        text: format!(
            "@cert-authority * {}\n{} {}\n",
            lab.key("ca_rsa"),
            spec("sha1ca"),
            lab.host_key("sha1ca")
        ),
        reason: Some("`ssh-rsa` (SHA-1)".into()),
        stricter: Some(
            "a certificate its CA signed with `ssh-rsa` (SHA-1): OpenSSH verifies it, refuses it \
             for that algorithm and falls back to the plain key; ssh-key cannot verify SHA-1 \
             signatures, so hostctl refuses the host",
        ),
    };
    cases.push(sha1_plain);
    cases
}

#[test]
fn host_certificates_agree_with_openssh() {
    let lab = Lab::start();
    let cases = corpus(&lab);
    for case in &cases {
        support::write(&lab.fleet.path(&format!("kh/{}", case.name)), &case.text);
    }
    let ours = lab.hostctl(&cases, "kh", &[]);
    let mut wrong = Vec::new();
    for (case, (hostctl, reason)) in cases.iter().zip(&ours) {
        let (ssh, ssh_err) = lab.ssh(
            &case.address,
            &lab.fleet.path(&format!("kh/{}", case.name)),
            "yes",
        );
        eprintln!(
            "{:28} ssh {ssh:?}, hostctl {hostctl:?}: {reason}",
            case.name
        );
        let expected = match case.stricter {
            Some(_) if ssh == Verdict::Accepted => Verdict::Refused,
            Some(_) => {
                wrong.push(format!(
                    "{}: listed as stricter, but OpenSSH refuses it too",
                    case.name
                ));
                continue;
            }
            None => ssh,
        };
        if expected != *hostctl {
            wrong.push(format!(
                "{}: ssh {ssh:?}, hostctl {hostctl:?}\n  known_hosts: {:?}\n  ssh: {}\n  hostctl: {reason}",
                case.name,
                case.text,
                ssh_err.lines().last().unwrap_or_default()
            ));
        } else if let Some(expected) = &case.reason
            && !reason.contains(expected.as_str())
        {
            wrong.push(format!(
                "{}: hostctl's reason lacks `{expected}`: {reason}",
                case.name
            ));
        } else if case.reason.is_none() && *hostctl == Verdict::Refused {
            wrong.push(format!(
                "{}: refused by both, expected accepted: {reason}",
                case.name
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

/// `--accept-new` records nothing for a host that presents a certificate: with a CA line for
/// the host, a certificate that fails its checks is refused (OpenSSH would record the plain
/// key inside it). Without one, hostctl does not ask for a certificate and records the plain
/// key, the same line OpenSSH writes.
#[test]
fn accept_new_records_nothing_for_a_certificate() {
    let lab = Lab::start();
    let ca = format!("@cert-authority * {}\n", lab.key("ca"));
    let case = |name: &str, host: &str, text: &str| Case {
        name: name.to_string(),
        address: lab.fleet.address(host).to_string(),
        text: text.to_string(),
        reason: None,
        stricter: None,
    };
    let cases = [
        case("expired-with-ca", "expired", &ca),
        case("good-with-ca", "good", &ca),
        case("no-ca", "good", ""),
        case("expired-no-ca", "expired", ""),
    ];
    for dir in ["ssh-new", "hostctl-new"] {
        std::fs::create_dir_all(lab.fleet.path(dir)).unwrap();
        for c in &cases {
            support::write(&lab.fleet.path(&format!("{dir}/{}", c.name)), &c.text);
        }
    }
    let ours = lab.hostctl(&cases, "hostctl-new", &["--accept-new"]);
    let file = |dir: &str, c: &Case| {
        std::fs::read_to_string(lab.fleet.path(&format!("{dir}/{}", c.name))).unwrap()
    };
    let ssh: Vec<Verdict> = cases
        .iter()
        .map(|c| {
            lab.ssh(
                &c.address,
                &lab.fleet.path(&format!("ssh-new/{}", c.name)),
                "accept-new",
            )
            .0
        })
        .collect();
    // Stricter than OpenSSH: it falls back to the plain key of the expired certificate and
    // records it.
    assert_eq!(ssh[0], Verdict::Accepted);
    assert!(file("ssh-new", &cases[0]).len() > ca.len());
    assert_eq!(ours[0].0, Verdict::Refused);
    assert!(
        ours[0].1.contains("is not trusted: expired since ")
            && ours[0]
                .1
                .ends_with("(--accept-new records nothing for a host that presents a certificate)"),
        "{}",
        ours[0].1
    );
    assert_eq!(file("hostctl-new", &cases[0]), ca);
    // A good certificate: trusted through the CA, nothing recorded by either.
    assert_eq!((ssh[1], ours[1].0), (Verdict::Accepted, Verdict::Accepted));
    assert_eq!(file("ssh-new", &cases[1]), ca);
    assert_eq!(file("hostctl-new", &cases[1]), ca);
    // No CA line: both record the host's plain key, the same line.
    for i in [2, 3] {
        assert_eq!((ssh[i], ours[i].0), (Verdict::Accepted, Verdict::Accepted));
        let recorded = file("hostctl-new", &cases[i]);
        assert_eq!(recorded, file("ssh-new", &cases[i]), "{}", cases[i].name);
        assert!(recorded.contains(" ssh-ed25519 "), "{recorded}");
    }
}
