//! User certificates against real sshd hosts that trust a user CA (`TrustedUserCAKeys`) and
//! have no authorized_keys at all, and RSA/ECDSA identity files on the in-process signer.

use hostctl_test_support as support;

use snapbox::str;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Fleet, Run, keygen};

/// `ssh-keygen -s CA -I id -n PRINCIPALS -V VALIDITY key.pub`, the certificate then moved to
/// `cert` (ssh-keygen writes it next to the key).
fn certify(fleet: &Fleet, key: &Path, principals: &str, validity: &str, cert: &Path) {
    let out = Command::new("ssh-keygen")
        .arg("-q")
        .arg("-s")
        .arg(fleet.path("ca"))
        .args(["-I", "test-user", "-n", principals, "-V", validity])
        .arg(public(key))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = PathBuf::from(format!("{}-cert.pub", key.display()));
    if written != cert {
        std::fs::rename(written, cert).unwrap();
    }
}

fn public(key: &Path) -> PathBuf {
    PathBuf::from(format!("{}.pub", key.display()))
}

fn next_to(key: &Path) -> PathBuf {
    PathBuf::from(format!("{}-cert.pub", key.display()))
}

/// One host that accepts only certificates signed by the fleet's CA (`ca`), and a user key
/// (`user_key`) that the host does not accept by itself. `sshd` keeps the first value of a
/// keyword, so `AuthorizedKeysFile none` here beats the fleet's own.
fn ca_fleet(sshd_extra: &str) -> (Fleet, PathBuf) {
    let fleet = Fleet::start(&["cert01"]);
    keygen(&fleet.path("ca"), &["-t", "ed25519"]);
    fleet.restart_with(
        "cert01",
        &format!(
            "AuthorizedKeysFile none\nTrustedUserCAKeys {}\n{sshd_extra}",
            public(&fleet.path("ca")).display()
        ),
    );
    let key = fleet.path("user_key");
    keygen(&key, &["-t", "ed25519"]);
    (fleet, key)
}

/// The fleet's inventory with `settings` in place of its `identity_file` default.
fn set_identity(fleet: &Fleet, settings: &str) {
    fleet.write_inventory("");
    let text = std::fs::read_to_string(fleet.inventory())
        .unwrap()
        .replace("identity_file = \"id_ed25519\"\n", settings);
    support::write(&fleet.inventory(), &text);
}

fn whoami(fleet: &Fleet) -> Run {
    fleet.run(&["run", "-g", "cert01", "--json", "whoami"])
}

/// `whoami` ran on the host as the login user.
#[track_caller]
fn logged_in(run: &Run) {
    run.code(0);
    assert_eq!(run.host("cert01")["stdout"]["text"], "hostctl\n");
}

fn reason(run: &Run) -> String {
    run.host("cert01")["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// OpenSSH's own client against the same host, with only `args` as its identities.
fn openssh(fleet: &Fleet, args: &[&str]) -> std::process::Output {
    Command::new("ssh")
        .args(["-F", "/dev/null", "-p", "2222", "-o", "BatchMode=yes"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            fleet.path("known_hosts").display()
        ))
        .args(["-o", "IdentitiesOnly=yes"])
        .args(args)
        .arg(format!("hostctl@{}", fleet.address("cert01")))
        .arg("true")
        .env("HOME", fleet.path("home"))
        .env_remove("SSH_AUTH_SOCK")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_certificate_next_to_the_identity_file_is_offered() {
    let (fleet, key) = ca_fleet("");
    set_identity(&fleet, "identity_file = \"user_key\"\n");
    // The key alone is refused: the host has no authorized_keys.
    assert!(reason(whoami(&fleet).code(4)).contains("permission denied for user `hostctl`"));
    certify(&fleet, &key, "hostctl", "-5m:+1h", &next_to(&key));
    logged_in(&whoami(&fleet));
    // OpenSSH's verdict on the same files.
    let ssh = openssh(&fleet, &["-i", key.to_str().unwrap()]);
    assert!(
        ssh.status.success(),
        "{}",
        String::from_utf8_lossy(&ssh.stderr)
    );
}

#[test]
fn a_certificate_from_certificate_file_is_offered() {
    let (fleet, key) = ca_fleet("");
    std::fs::create_dir(fleet.path("certs")).unwrap();
    let cert = fleet.path("certs/deploy.pub");
    certify(&fleet, &key, "hostctl", "-5m:+1h", &cert);
    set_identity(&fleet, "identity_file = \"user_key\"\n");
    whoami(&fleet).code(4);
    set_identity(
        &fleet,
        "identity_file = \"user_key\"\ncertificate_file = \"certs/deploy.pub\"\n",
    );
    logged_in(&whoami(&fleet));
    let ssh = openssh(
        &fleet,
        &[
            "-i",
            key.to_str().unwrap(),
            "-o",
            &format!("CertificateFile={}", cert.display()),
        ],
    );
    assert!(
        ssh.status.success(),
        "{}",
        String::from_utf8_lossy(&ssh.stderr)
    );
}

struct KillOnDrop(std::process::Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running ssh-agent (killed on drop) and its socket.
struct Agent {
    socket: PathBuf,
    _process: KillOnDrop,
}

impl Agent {
    fn start(fleet: &Fleet) -> Agent {
        let socket = fleet.path("agent.sock");
        let process = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while !socket.exists() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        Agent {
            socket,
            _process: KillOnDrop(process),
        }
    }

    /// `ssh-add KEY`, which also loads the certificate next to it.
    fn add(&self, key: &Path) -> String {
        let added = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&added.stderr).into_owned();
        assert!(added.status.success(), "{said}");
        said
    }

    /// hostctl (`-vv`) with this agent.
    fn run(&self, fleet: &Fleet) -> Run {
        Run::from(
            fleet
                .hostctl()
                .args(["run", "-g", "cert01", "-vv", "--json", "whoami"])
                .env("SSH_AUTH_SOCK", &self.socket)
                .output()
                .unwrap(),
        )
        .in_fleet(fleet)
    }
}

#[test]
fn certificates_from_ssh_agent_are_offered_and_explained() {
    let (fleet, _) = ca_fleet("");
    // No identity file at all: only the agent can get in.
    set_identity(&fleet, "");
    let agent = Agent::start(&fleet);
    let old = fleet.path("old_key");
    keygen(&old, &["-t", "ed25519", "-C", "old-laptop-key"]);
    certify(
        &fleet,
        &old,
        "hostctl",
        "20200101000000Z:20210101000000Z",
        &next_to(&old),
    );
    assert!(agent.add(&old).contains("Certificate added"));
    let run = agent.run(&fleet);
    run.code(4).text_eq(&reason(&run), str!["permission denied for user `hostctl` on [NET].1:2222 (server accepts: publickey,password; tried: `old-laptop-key` in ssh-agent, `old-laptop-key` in ssh-agent); certificate `old-laptop-key` in ssh-agent expired at 2021-01-01T00:00:00Z"]);
    // An RSA key and its certificate, as many CAs still issue them: the agent must sign
    // with SHA-2, for the certificate as for the key.
    let rsa = fleet.path("rsa_key");
    keygen(&rsa, &["-t", "rsa", "-b", "3072"]);
    certify(&fleet, &rsa, "hostctl", "-5m:+1h", &next_to(&rsa));
    assert!(agent.add(&rsa).contains("Certificate added"));
    let run = agent.run(&fleet);
    logged_in(&run);
    assert!(
        run.stderr
            .contains("authenticated (rsa-sha2-512-cert-v01@openssh.com, signed by ssh-agent)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_configured_certificate_signs_with_the_agents_key() {
    let (fleet, key) = ca_fleet("");
    let cert = fleet.path("issued-cert.pub");
    certify(&fleet, &key, "hostctl", "-5m:+1h", &cert);
    let agent = Agent::start(&fleet);
    agent.add(&key);
    // The key is only in the agent; the inventory names the certificate alone.
    std::fs::remove_file(&key).unwrap();
    set_identity(&fleet, "certificate_file = \"issued-cert.pub\"\n");
    let run = agent.run(&fleet);
    logged_in(&run);
    assert!(
        run.stderr
            .contains("authenticated (ssh-ed25519-cert-v01@openssh.com, signed by ssh-agent)"),
        "{}",
        run.stderr
    );
    let ssh = Command::new("ssh")
        .args(["-F", "/dev/null", "-p", "2222", "-o", "BatchMode=yes"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            fleet.path("known_hosts").display()
        ))
        .arg("-o")
        .arg(format!("CertificateFile={}", cert.display()))
        .arg(format!("hostctl@{}", fleet.address("cert01")))
        .arg("true")
        .env("HOME", fleet.path("home"))
        .env("SSH_AUTH_SOCK", &agent.socket)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        ssh.status.success(),
        "{}",
        String::from_utf8_lossy(&ssh.stderr)
    );
}

#[test]
fn an_expired_certificate_is_refused_with_the_reason() {
    let (fleet, key) = ca_fleet("");
    set_identity(&fleet, "identity_file = \"user_key\"\n");
    certify(
        &fleet,
        &key,
        "hostctl",
        "20200101000000Z:20210101000000Z",
        &next_to(&key),
    );
    let run = whoami(&fleet);
    run.code(4).text_eq(&reason(&run), str!["permission denied for user `hostctl` on [NET].1:2222 (server accepts: publickey,password; tried: [FLEET]/user_key, [FLEET]/user_key-cert.pub); certificate `[FLEET]/user_key-cert.pub` expired at 2021-01-01T00:00:00Z"]);
    assert!(
        !openssh(&fleet, &["-i", key.to_str().unwrap()])
            .status
            .success()
    );
}

#[test]
fn a_certificate_for_another_principal_is_refused_with_the_reason() {
    let (fleet, key) = ca_fleet("");
    set_identity(&fleet, "identity_file = \"user_key\"\n");
    certify(&fleet, &key, "alice,deploy", "-5m:+1h", &next_to(&key));
    let run = whoami(&fleet);
    run.code(4);
    let reason = reason(&run);
    assert_eq!(
        reason,
        format!(
            "permission denied for user `hostctl` on {}:2222 (server accepts: publickey,password; tried: {}, {}); certificate `{}` principals `alice`, `deploy` do not include the login user `hostctl`",
            fleet.address("cert01"),
            key.display(),
            next_to(&key).display(),
            next_to(&key).display(),
        )
    );
    assert!(
        !openssh(&fleet, &["-i", key.to_str().unwrap()])
            .status
            .success()
    );
}

/// The public keys a client offered, in order, from sshd's debug log since `from`:
/// `(algorithm, key fingerprint)` for each `test pkalg` query.
fn offered(fleet: &Fleet, from: usize) -> Vec<String> {
    let log = std::fs::read_to_string(fleet.path("hosts/cert01/sshd.log")).unwrap();
    log[from..]
        .lines()
        .filter_map(|l| l.split_once("test pkalg ").map(|(_, rest)| rest))
        .map(|rest| rest.trim_end_matches(" [preauth]").to_string())
        .collect()
}

fn log_len(fleet: &Fleet) -> usize {
    std::fs::metadata(fleet.path("hosts/cert01/sshd.log"))
        .unwrap()
        .len() as usize
}

#[test]
fn keys_and_certificates_are_offered_in_openssh_order() {
    let (fleet, key) = ca_fleet("LogLevel DEBUG1\n");
    // Every certificate is for another principal: the host refuses all, and both clients
    // show their whole order.
    certify(&fleet, &key, "nobody", "-5m:+1h", &next_to(&key));
    let other = fleet.path("other_key");
    keygen(&other, &["-t", "ed25519"]);
    let cert = fleet.path("configured-cert.pub");
    certify(&fleet, &other, "nobody", "-5m:+1h", &cert);
    for configured in [false, true] {
        let mut ssh_args = vec!["-i".to_string(), key.display().to_string()];
        ssh_args.extend(["-i".into(), other.display().to_string()]);
        let mut settings = "identity_file = [\"user_key\", \"other_key\"]\n".to_string();
        if configured {
            ssh_args.extend(["-o".into(), format!("CertificateFile={}", cert.display())]);
            settings.push_str("certificate_file = \"configured-cert.pub\"\n");
        }
        let before = log_len(&fleet);
        let ssh_args: Vec<&str> = ssh_args.iter().map(String::as_str).collect();
        let ssh = openssh(&fleet, &ssh_args);
        let by_openssh = offered(&fleet, before);
        set_identity(&fleet, &settings);
        let before = log_len(&fleet);
        let run = whoami(&fleet);
        let by_hostctl = offered(&fleet, before);
        run.code(4);
        assert!(!ssh.status.success());
        // Identity files and a certificate: the key next to it, or the configured one.
        assert_eq!(by_openssh.len(), 3, "{by_openssh:?}");
        assert_eq!(by_hostctl, by_openssh, "certificate_file set: {configured}");
    }
}

/// Appends `key`'s public key to the fleet's authorized_keys.
fn authorize(fleet: &Fleet, key: &Path) {
    let line = std::fs::read_to_string(public(key)).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(fleet.path("authorized_keys"))
        .unwrap();
    std::io::Write::write_all(&mut file, line.as_bytes()).unwrap();
}

/// A key of `args`' type that this build signs in-process: ssh-key 0.6 cannot read about one
/// P-521 key in seven (a short private scalar), which then falls back to libssh2.
fn in_process_key(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    for i in 0..30 {
        let path = dir.join(format!("{name}-{i}"));
        keygen(&path, args);
        if ssh_key::PrivateKey::read_openssh_file(&path).is_ok() {
            return path;
        }
    }
    panic!("no {name} key ssh-key reads");
}

/// `whoami` on cert01 logs in as hostctl, the signature made in-process with `algorithm`.
fn signs_in_process(fleet: &Fleet, name: &str, algorithm: &str) {
    let run = fleet.run(&["run", "-g", "cert01", "-vv", "whoami"]);
    run.code(0)
        .stdout_eq("=== cert01: ok, exit 0, [ELAPSED]\nhostctl\n1 host: 1 ok in [ELAPSED]\n");
    // -vv's diagnostics vary; the line that says how it signed does not.
    assert!(
        run.stderr
            .contains(&format!("authenticated ({algorithm}, signed in-process)")),
        "{name}: {}",
        run.stderr
    );
}

#[test]
fn rsa_and_ecdsa_identity_files_sign_in_process() {
    let fleet = Fleet::start(&["cert01"]);
    let cases = [
        ("rsa", vec!["-t", "rsa", "-b", "3072"], "rsa-sha2-512"),
        (
            "p256",
            vec!["-t", "ecdsa", "-b", "256"],
            "ecdsa-sha2-nistp256",
        ),
        (
            "p384",
            vec!["-t", "ecdsa", "-b", "384"],
            "ecdsa-sha2-nistp384",
        ),
        (
            "p521",
            vec!["-t", "ecdsa", "-b", "521"],
            "ecdsa-sha2-nistp521",
        ),
    ];
    for (name, args, algorithm) in cases {
        let key = in_process_key(fleet.dir.path(), name, &args);
        authorize(&fleet, &key);
        set_identity(&fleet, &format!("identity_file = \"{}\"\n", key.display()));
        signs_in_process(&fleet, name, algorithm);
    }
}

#[test]
fn certificates_for_rsa_and_ecdsa_keys_sign_in_process() {
    let (fleet, _) = ca_fleet("");
    let cases = [
        (
            "rsa",
            vec!["-t", "rsa", "-b", "3072"],
            "rsa-sha2-512-cert-v01@openssh.com",
        ),
        (
            "p256",
            vec!["-t", "ecdsa", "-b", "256"],
            "ecdsa-sha2-nistp256-cert-v01@openssh.com",
        ),
    ];
    for (name, args, algorithm) in cases {
        let key = in_process_key(fleet.dir.path(), name, &args);
        certify(&fleet, &key, "hostctl", "-5m:+1h", &next_to(&key));
        set_identity(&fleet, &format!("identity_file = \"{}\"\n", key.display()));
        signs_in_process(&fleet, name, algorithm);
    }
}

#[test]
fn a_certificate_for_a_key_only_libssh2_reads_is_offered_too() {
    let (fleet, _) = ca_fleet("");
    // A PEM-format RSA key: the in-process signer leaves it to libssh2's file loading.
    let key = fleet.path("pem_key");
    keygen(&key, &["-t", "rsa", "-b", "2048", "-m", "PEM"]);
    certify(&fleet, &key, "hostctl", "-5m:+1h", &next_to(&key));
    set_identity(&fleet, "identity_file = \"pem_key\"\n");
    let run = fleet.run(&["run", "-g", "cert01", "-vv", "whoami"]);
    run.code(0).stdout_has("hostctl\n");
    assert!(
        run.stderr
            .contains("authenticated (signed by libssh2 from the key file)"),
        "{}",
        run.stderr
    );
}

/// ssh_config's `IdentitiesOnly yes`: the agent's keys that are not the configured identity
/// files' are not offered, by ssh or by hostctl; without it both log in with the agent's key.
#[test]
fn identities_only_keeps_other_agent_keys_out_as_ssh_does() {
    let fleet = Fleet::start(&["web01"]);
    // An inventory that leaves the keys to ssh_config.
    std::fs::write(
        fleet.inventory(),
        format!(
            "[defaults]\nuser = \"hostctl\"\nport = 2222\nknown_hosts = \"known_hosts\"\n\n[hosts.web01]\naddress = \"{}\"\n",
            fleet.address("web01")
        ),
    )
    .unwrap();
    let other = fleet.path("not-authorized");
    keygen(&other, &["-t", "ed25519"]);
    let agent = Agent::start(&fleet);
    agent.add(&fleet.path("id_ed25519"));
    let config = fleet.path("ssh_config");
    for (identities_only, logs_in) in [(false, true), (true, false)] {
        let mut text = format!("Host *\n  IdentityFile {}\n", other.display());
        if identities_only {
            text.push_str("  IdentitiesOnly yes\n");
        }
        std::fs::write(&config, text).unwrap();
        let ssh = Command::new("ssh")
            .args(["-F"])
            .arg(&config)
            .args(["-p", "2222", "-o", "BatchMode=yes", "-o"])
            .arg(format!(
                "UserKnownHostsFile={}",
                fleet.path("known_hosts").display()
            ))
            .arg(format!("hostctl@{}", fleet.address("web01")))
            .arg("true")
            .env("SSH_AUTH_SOCK", &agent.socket)
            .env("HOME", fleet.path("home"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(
            ssh.status.success(),
            logs_in,
            "ssh, IdentitiesOnly {identities_only}"
        );
        let run = Run::from(
            fleet
                .hostctl()
                .arg("-F")
                .arg(&config)
                .args(["run", "-g", "web01", "--json", "true"])
                .env("SSH_AUTH_SOCK", &agent.socket)
                .output()
                .unwrap(),
        );
        assert_eq!(
            run.code == 0,
            logs_in,
            "hostctl, IdentitiesOnly {identities_only}: {}",
            run.stdout
        );
    }
}
