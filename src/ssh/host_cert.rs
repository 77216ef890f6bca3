//! Host certificates: the checks OpenSSH makes on a certificate a host presents, before
//! known_hosts' `@cert-authority` lines vouch for it (`cert_parse`, `sshkey_cert_check_host`).
//!
//! The fields are read by `pubkey` and the CA signature is verified by the `ssh-key` crate's
//! algorithms, over the signed bytes exactly as the host sent them. Not through
//! `ssh_key::Certificate`: 0.6 cannot read a certificate valid "forever" (`valid_before` of
//! 2^64-1, what `ssh-keygen -s` writes without `-V`), and it verifies a re-encoding of the
//! fields rather than the bytes the CA signed.

use super::pubkey::PublicKey;
use ed25519_dalek::Verifier;

/// `SSH2_CERT_TYPE_USER`, `SSH2_CERT_TYPE_HOST`.
const USER: u32 = 1;
const HOST: u32 = 2;
/// `SSHKEY_CERT_MAX_PRINCIPALS`.
const MAX_PRINCIPALS: usize = 256;
/// OpenSSH's default `CASignatureAlgorithms`.
const CA_SIGNATURE_ALGORITHMS: &[&str] = &[
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "rsa-sha2-512",
    "rsa-sha2-256",
];

/// Why a host certificate is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertIssue {
    /// No `@cert-authority` line for the host holds the key that signed it.
    #[error("signed by an unknown CA (fingerprint {fingerprint})")]
    UnknownCa { fingerprint: String },
    #[error("expired since {since}")]
    Expired { since: String },
    #[error("not valid before {from}")]
    NotYetValid { from: String },
    #[error("principal `{name}` not in the certificate (it names {listed})")]
    Principal { name: String, listed: String },
    #[error("it is a user certificate, not a host certificate")]
    NotHost,
    #[error("it has critical options, which a host certificate must not have")]
    CriticalOptions,
    #[error("its CA signed it with `{0}`, which OpenSSH no longer accepts")]
    SignatureAlgorithm(String),
    /// OpenSSH would refuse this certificate and judge the plain key inside it; hostctl
    /// cannot verify the signature at all, and refuses the host.
    #[error("its CA signed it with `ssh-rsa` (SHA-1), which hostctl cannot verify")]
    Sha1Signature,
    /// The certificate itself is bad: OpenSSH drops the connection, whatever known_hosts says.
    #[error("it is not a valid certificate ({0})")]
    Invalid(&'static str),
}

impl CertIssue {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            CertIssue::UnknownCa { .. } => {
                "Add `@cert-authority HOSTS KEY` for that CA to known_hosts to trust what it signs"
            }
            CertIssue::Expired { .. } | CertIssue::NotYetValid { .. } => {
                "Renew the host certificate (ssh-keygen -s CA_KEY -h -V ...)"
            }
            CertIssue::Principal { .. } => {
                "Sign the host key for the name hostctl connects to (ssh-keygen -s CA_KEY -h -n NAME)"
            }
            CertIssue::Sha1Signature => {
                "Reissue the host certificate with rsa-sha2-512 (ssh-keygen -s CA_KEY -t rsa-sha2-512 -h)"
            }
            _ => "Reissue the host certificate",
        }
    }

    /// Whether OpenSSH refuses the host outright, without falling back to its plain key.
    pub fn is_fatal(&self) -> bool {
        matches!(self, CertIssue::Invalid(_) | CertIssue::Sha1Signature)
    }
}

/// `cert_parse`: what makes OpenSSH refuse the key exchange itself. The CA signature must
/// verify over the bytes the host sent.
pub fn check_wellformed(key: &PublicKey) -> Result<(), CertIssue> {
    let cert = key.cert().ok_or(CertIssue::Invalid("not a certificate"))?;
    if cert.cert_type != USER && cert.cert_type != HOST {
        return Err(CertIssue::Invalid("unknown certificate type"));
    }
    match &cert.principals {
        None => return Err(CertIssue::Invalid("malformed principals")),
        Some(p) if p.len() > MAX_PRINCIPALS => {
            return Err(CertIssue::Invalid("too many principals"));
        }
        Some(_) => {}
    }
    if signature_algorithm(&cert.signature) == Some("ssh-rsa") {
        // SHA-1, which ssh-key cannot verify. OpenSSH would verify it, refuse the certificate
        // for its algorithm, and fall back to the plain key; hostctl refuses the host.
        return Err(CertIssue::Sha1Signature);
    }
    let ca = ssh_key::PublicKey::from_bytes(&cert.signature_key_blob)
        .map_err(|_| CertIssue::Invalid("unreadable CA key"))?;
    let signature = ssh_key::Signature::try_from(cert.signature.as_slice())
        .map_err(|_| CertIssue::Invalid("unreadable CA signature"))?;
    ca.key_data()
        .verify(&cert.blob[..cert.signed_len], &signature)
        .map_err(|_| CertIssue::Invalid("the CA signature does not verify"))
}

/// `sshkey_cert_check_host` at `now` (seconds since the epoch), for the name connected to.
pub fn check_host(key: &PublicKey, name: &str, now: u64) -> Result<(), CertIssue> {
    let cert = key.cert().ok_or(CertIssue::Invalid("not a certificate"))?;
    if cert.cert_type != HOST {
        return Err(CertIssue::NotHost);
    }
    if now < cert.valid_after {
        return Err(CertIssue::NotYetValid {
            from: timestamp(cert.valid_after),
        });
    }
    if now >= cert.valid_before {
        return Err(CertIssue::Expired {
            since: timestamp(cert.valid_before),
        });
    }
    let principals = cert.principals.as_deref().unwrap_or_default();
    // No principals: valid for any host, as in OpenSSH. Otherwise an exact match.
    if !principals.is_empty() && !principals.iter().any(|p| p == name.as_bytes()) {
        let listed: Vec<String> = principals
            .iter()
            .map(|p| format!("`{}`", String::from_utf8_lossy(p)))
            .collect();
        return Err(CertIssue::Principal {
            name: name.to_string(),
            listed: listed.join(", "),
        });
    }
    if !cert.critical_options.is_empty() {
        return Err(CertIssue::CriticalOptions);
    }
    let algorithm = signature_algorithm(&cert.signature).unwrap_or("unknown");
    if !CA_SIGNATURE_ALGORITHMS.contains(&algorithm) {
        return Err(CertIssue::SignatureAlgorithm(algorithm.to_string()));
    }
    Ok(())
}

/// The algorithm name a signature blob starts with.
fn signature_algorithm(signature: &[u8]) -> Option<&str> {
    let len = u32::from_be_bytes(signature.get(..4)?.try_into().ok()?) as usize;
    std::str::from_utf8(signature.get(4..4 + len)?).ok()
}

fn timestamp(secs: u64) -> String {
    match std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(secs)) {
        Some(t) if secs < 253_402_300_800 => humantime::format_rfc3339_seconds(t).to_string(),
        _ => "forever".to_string(),
    }
}

/// Seconds since the epoch, now.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssh_key::certificate::{Builder, CertType};
    use ssh_key::private::{Ed25519Keypair, PrivateKey};

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
    }

    /// A certificate for key 1, signed by key 9, valid in [100, 200).
    fn cert_of(cert_type: CertType, edit: impl FnOnce(&mut Builder)) -> PublicKey {
        let mut builder = Builder::new([7; 16], key(1).public_key().key_data().clone(), 100, 200)
            .expect("builder");
        builder.cert_type(cert_type).unwrap();
        builder.valid_principal("web1").unwrap();
        edit(&mut builder);
        let cert = builder.sign(&key(9)).expect("sign");
        PublicKey::from_blob(&cert.to_bytes().unwrap()).expect("reads")
    }

    fn cert(edit: impl FnOnce(&mut Builder)) -> PublicKey {
        cert_of(CertType::Host, edit)
    }

    #[test]
    fn a_good_certificate_passes_every_check() {
        let c = cert(|_| {});
        assert_eq!(check_wellformed(&c), Ok(()));
        assert_eq!(check_host(&c, "web1", 150), Ok(()));
        let ca = PublicKey::from_blob(&key(9).public_key().to_bytes().unwrap()).unwrap();
        assert!(c.signature_key().unwrap().equal_public(&ca));
        // The plain key inside it is the host's key.
        let plain = PublicKey::from_blob(&key(1).public_key().to_bytes().unwrap()).unwrap();
        assert!(c.plain().equal(&plain));
        assert_eq!(c.plain_blob(), key(1).public_key().to_bytes().unwrap());
    }

    #[test]
    fn each_check_names_what_failed() {
        let c = cert(|_| {});
        assert_eq!(
            check_host(&c, "web1", 200),
            Err(CertIssue::Expired {
                since: "1970-01-01T00:03:20Z".into()
            })
        );
        assert_eq!(
            check_host(&c, "web1", 99),
            Err(CertIssue::NotYetValid {
                from: "1970-01-01T00:01:40Z".into()
            })
        );
        assert_eq!(
            check_host(&c, "WEB1", 150),
            Err(CertIssue::Principal {
                name: "WEB1".into(),
                listed: "`web1`".into()
            })
        );
        let any = cert(|b| {
            b.all_principals_valid().unwrap();
        });
        assert_eq!(check_host(&any, "anything", 150), Ok(()));
        let user = cert_of(CertType::User, |_| {});
        assert_eq!(check_host(&user, "web1", 150), Err(CertIssue::NotHost));
        let critical = cert(|b| {
            b.critical_option("force-command", "true").unwrap();
        });
        assert_eq!(
            check_host(&critical, "web1", 150),
            Err(CertIssue::CriticalOptions)
        );
    }

    #[test]
    fn a_forged_signature_is_refused_outright() {
        let c = cert(|_| {});
        let mut blob = c.cert().unwrap().blob.clone();
        // Flip a bit of the nonce (after the 4 + 32 bytes of the type name and its 4-byte
        // length): still a well-formed certificate, no longer the one signed.
        blob[45] ^= 1;
        let forged = PublicKey::from_blob(&blob).expect("still reads");
        let issue = check_wellformed(&forged).unwrap_err();
        assert!(issue.is_fatal(), "{issue}");
    }
}
