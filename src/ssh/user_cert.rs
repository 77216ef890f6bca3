//! User certificates: read from a file (`<identity>-cert.pub`, `certificate_file`) or an
//! agent's identity list, and checked locally to explain why a host refused one, since the
//! server itself only ever says "denied".

use ssh_encoding::{Decode, Reader};
use ssh_key::Certificate;
use ssh_key::public::KeyData;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An OpenSSH user certificate, as offered to hosts.
pub struct UserCert {
    /// Where it came from, for messages: "`FILE`", or "`COMMENT` in ssh-agent".
    pub name: String,
    /// The certificate exactly as issued: the CA signed these bytes.
    pub blob: Vec<u8>,
    cert: Certificate,
}

/// Why a certificate file cannot be offered.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("missing")]
    Missing,
    #[error("unreadable: {0}")]
    Unreadable(std::io::Error),
    #[error("not an OpenSSH certificate")]
    NotACertificate,
    #[error("a host certificate, not a user certificate")]
    HostCertificate,
}

/// What the local clock and the certificate's own fields say about a refusal.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("certificate {cert} expired at {at}")]
    Expired { cert: String, at: String },
    #[error("certificate {cert} is not valid before {at}")]
    NotYetValid { cert: String, at: String },
    #[error("certificate {cert} principals {principals} do not include the login user `{user}`")]
    Principal {
        cert: String,
        principals: String,
        user: String,
    },
    #[error(
        "certificate {cert} lists no principals, which sshd accepts only through a `cert-authority` line in authorized_keys"
    )]
    NoPrincipals { cert: String },
    #[error(
        "certificate {cert} (ID `{key_id}`) is valid for `{user}` {validity}, yet the host refused it: check that it trusts the CA {ca} (sshd_config TrustedUserCAKeys)"
    )]
    Untrusted {
        cert: String,
        key_id: String,
        user: String,
        validity: String,
        ca: String,
    },
}

impl UserCert {
    /// Reads `<type>-cert-v01@openssh.com BASE64 [comment]`, as `ssh-keygen -s` writes it.
    pub fn load(path: &Path) -> Result<UserCert, CertError> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => CertError::Missing,
            std::io::ErrorKind::InvalidData => CertError::NotACertificate,
            _ => CertError::Unreadable(e),
        })?;
        let mut fields = text.split_whitespace();
        let (Some(algorithm), Some(base64)) = (fields.next(), fields.next()) else {
            return Err(CertError::NotACertificate);
        };
        if !algorithm.ends_with("-cert-v01@openssh.com") {
            return Err(CertError::NotACertificate);
        }
        let blob = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, base64)
            .map_err(|_| CertError::NotACertificate)?;
        UserCert::from_blob(format!("`{}`", path.display()), blob)
    }

    /// A certificate in SSH wire form (an agent's identity).
    pub fn from_blob(name: String, blob: Vec<u8>) -> Result<UserCert, CertError> {
        let cert = Certificate::decode(&mut ForeverAsMax(&blob))
            .map_err(|_| CertError::NotACertificate)?;
        if !cert.cert_type().is_user() {
            return Err(CertError::HostCertificate);
        }
        Ok(UserCert { name, blob, cert })
    }

    /// True when this certificate certifies `key` (so `key` signs for it).
    pub fn certifies(&self, key: &KeyData) -> bool {
        self.cert.public_key() == key
    }

    /// Why a host may have refused this certificate for `user`, judged at `now` by what
    /// sshd checks: the validity window, then the principals. Nothing wrong with it: the
    /// host does not trust its CA (or maps principals another way).
    pub fn refusal(&self, user: &str, now: SystemTime) -> Vec<Refusal> {
        let cert = || self.name.clone();
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut problems = Vec::new();
        if now < self.cert.valid_after() {
            problems.push(Refusal::NotYetValid {
                cert: cert(),
                at: timestamp(self.cert.valid_after()),
            });
        }
        if now >= self.cert.valid_before() {
            problems.push(Refusal::Expired {
                cert: cert(),
                at: timestamp(self.cert.valid_before()),
            });
        }
        let principals = self.cert.valid_principals();
        if principals.is_empty() {
            problems.push(Refusal::NoPrincipals { cert: cert() });
        } else if !principals.iter().any(|p| p == user) {
            problems.push(Refusal::Principal {
                cert: cert(),
                principals: principals
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                user: user.to_string(),
            });
        }
        if problems.is_empty() {
            problems.push(Refusal::Untrusted {
                cert: cert(),
                key_id: self.cert.key_id().to_string(),
                user: user.to_string(),
                validity: match self.cert.valid_before() {
                    FOREVER.. => "forever".to_string(),
                    t => format!("until {}", timestamp(t)),
                },
                ca: self
                    .cert
                    .signature_key()
                    .fingerprint(Default::default())
                    .to_string(),
            });
        }
        problems
    }
}

/// Past the year 9999: what OpenSSH means by "forever" (it writes u64::MAX; see below).
const FOREVER: u64 = 253_402_300_800;

fn timestamp(secs: u64) -> String {
    if secs >= FOREVER {
        return "the end of time".to_string();
    }
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

/// ssh-key 0.6 rejects certificate times past i64::MAX, yet OpenSSH writes u64::MAX for a
/// certificate valid "forever", the default of `ssh-keygen -s` without `-V` (fixed in ssh-key
/// 0.7, RustCrypto/SSH#503). This reader shows such a time to ssh-key as i64::MAX, which it
/// accepts: only 8-byte reads of all ones change, and only in this local view; the bytes
/// offered to hosts stay the ones the CA signed.
struct ForeverAsMax<'a>(&'a [u8]);

impl Reader for ForeverAsMax<'_> {
    fn read<'o>(&mut self, out: &'o mut [u8]) -> ssh_encoding::Result<&'o [u8]> {
        self.0.read(out)?;
        if out.len() == 8 && out.iter().all(|&b| b == 0xff) {
            out.copy_from_slice(&(i64::MAX as u64).to_be_bytes());
        }
        Ok(out)
    }

    fn remaining_len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;

    fn keygen(dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        let ok = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(ok.success());
        path
    }

    /// `ssh-keygen -s ca -I id -n principals [extra] key.pub`: the certificate's path.
    fn sign(dir: &Path, key: &Path, principals: &str, extra: &[&str]) -> PathBuf {
        let ca = dir.join("ca");
        if !ca.exists() {
            keygen(dir, "ca");
        }
        let mut cmd = Command::new("ssh-keygen");
        cmd.arg("-q").arg("-s").arg(&ca).args(["-I", "test-id"]);
        if !principals.is_empty() {
            cmd.args(["-n", principals]);
        }
        let ok = cmd
            .args(extra)
            .arg(key.with_extension("pub"))
            .status()
            .unwrap();
        assert!(ok.success());
        PathBuf::from(format!("{}-cert.pub", key.display()))
    }

    fn now() -> SystemTime {
        SystemTime::now()
    }

    #[test]
    fn a_certificate_valid_forever_loads() {
        let dir = tempfile::tempdir().unwrap();
        let key = keygen(dir.path(), "id");
        let cert = UserCert::load(&sign(dir.path(), &key, "deploy", &[])).unwrap();
        let loaded = ssh_key::PublicKey::read_openssh_file(&key.with_extension("pub")).unwrap();
        assert!(cert.certifies(loaded.key_data()));
        let ca = ssh_key::PublicKey::read_openssh_file(&dir.path().join("ca.pub")).unwrap();
        assert_eq!(
            cert.refusal("deploy", now()),
            [Refusal::Untrusted {
                cert: cert.name.clone(),
                key_id: "test-id".into(),
                user: "deploy".into(),
                validity: "forever".into(),
                ca: ca.fingerprint(Default::default()).to_string(),
            }]
        );
        // The offered bytes are the file's, whatever the local view made of them.
        let text = std::fs::read_to_string(dir.path().join("id-cert.pub")).unwrap();
        let b64 = text.split_whitespace().nth(1).unwrap();
        assert_eq!(
            cert.blob,
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap()
        );
    }

    #[test]
    fn explains_expired_not_yet_valid_and_principal_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let key = keygen(dir.path(), "id");
        let path = sign(
            dir.path(),
            &key,
            "alice,bob",
            &["-V", "20200101000000Z:20210101000000Z"],
        );
        let cert = UserCert::load(&path).unwrap();
        let name = format!("`{}`", path.display());
        assert_eq!(
            cert.refusal("deploy", now()),
            [
                Refusal::Expired {
                    cert: name.clone(),
                    at: "2021-01-01T00:00:00Z".into()
                },
                Refusal::Principal {
                    cert: name.clone(),
                    principals: "`alice`, `bob`".into(),
                    user: "deploy".into()
                },
            ]
        );
        assert_eq!(
            cert.refusal("deploy", now()).last().unwrap().to_string(),
            format!(
                "certificate {name} principals `alice`, `bob` do not include the login user `deploy`"
            )
        );
        let early = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert!(matches!(
            cert.refusal("alice", early).as_slice(),
            [Refusal::NotYetValid { at, .. }] if at == "2020-01-01T00:00:00Z"
        ));
        let none = UserCert::load(&sign(dir.path(), &key, "", &[])).unwrap();
        assert!(matches!(
            none.refusal("deploy", now()).as_slice(),
            [Refusal::NoPrincipals { .. }]
        ));
    }

    #[test]
    fn host_certificates_and_plain_keys_are_not_user_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let key = keygen(dir.path(), "host");
        let host = sign(dir.path(), &key, "web1", &["-h"]);
        assert!(matches!(
            UserCert::load(&host),
            Err(CertError::HostCertificate)
        ));
        assert!(matches!(
            UserCert::load(&key.with_extension("pub")),
            Err(CertError::NotACertificate)
        ));
        assert!(matches!(
            UserCert::load(&dir.path().join("nothing")),
            Err(CertError::Missing)
        ));
    }
}
