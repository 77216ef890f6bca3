//! RSA and ECDSA identity files on the in-process signer, against real sshd hosts.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::Fleet;

/// `ssh-keygen -t TYPE` without a passphrase at `path`.
fn keygen(path: &Path, args: &[&str]) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-N", ""])
        .args(args)
        .arg("-f")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn public(key: &Path) -> PathBuf {
    PathBuf::from(format!("{}.pub", key.display()))
}

/// The fleet's inventory with `settings` in place of its `identity_file` default.
fn set_identity(fleet: &Fleet, settings: &str) {
    fleet.write_inventory("");
    let text = std::fs::read_to_string(fleet.inventory())
        .unwrap()
        .replace("identity_file = \"id_ed25519\"\n", settings);
    support::write(&fleet.inventory(), &text);
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
        let run = fleet.run(&["run", "-g", "cert01", "-vv", "whoami"]);
        run.code(0).stdout_has("hostctl\n");
        assert!(
            run.stderr
                .contains(&format!("authenticated ({algorithm}, signed in-process)")),
            "{name}: {}",
            run.stderr
        );
    }
}
