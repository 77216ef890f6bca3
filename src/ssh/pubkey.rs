//! Public keys read exactly as OpenSSH reads them (`sshkey_read`, `sshkey_from_blob`), so a
//! known_hosts line holds the key OpenSSH would see in it, or none when OpenSSH would see none.
//!
//! Written by hand rather than through the `ssh-key` crate because they disagree at the edges
//! that decide a verdict: OpenSSH's base64 skips whitespace (even `\v`) anywhere, accepts
//! `rsa-sha2-512` as a label for an `ssh-rsa` key and mpints with leading zeros, and a
//! revoked key that hostctl failed to read would be a key hostctl fails to refuse.

use base64::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    fn name(self) -> &'static [u8] {
        match self {
            Curve::P256 => b"nistp256",
            Curve::P384 => b"nistp384",
            Curve::P521 => b"nistp521",
        }
    }

    /// Length of an uncompressed point (`04 || X || Y`), the only form OpenSSH reads.
    fn point_len(self) -> usize {
        match self {
            Curve::P256 => 65,
            Curve::P384 => 97,
            Curve::P521 => 133,
        }
    }
}

/// A key type without its certificate-ness, as `sshkey_type_plain` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    Ed25519,
    Ed25519Sk,
    Ecdsa(Curve),
    EcdsaSk,
    Dsa,
    Rsa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub base: Base,
    pub cert: bool,
}

const fn plain(base: Base) -> Kind {
    Kind { base, cert: false }
}

const fn cert(base: Base) -> Kind {
    Kind { base, cert: true }
}

/// OpenSSH's key type names (`keyimpls` in sshkey.c), signature-only RSA names included:
/// `peek_type_nid` accepts any of them as the label in front of a key.
const NAMES: &[(&str, Kind)] = &[
    ("ssh-ed25519", plain(Base::Ed25519)),
    ("ssh-ed25519-cert-v01@openssh.com", cert(Base::Ed25519)),
    ("sk-ssh-ed25519@openssh.com", plain(Base::Ed25519Sk)),
    ("sk-ssh-ed25519-cert-v01@openssh.com", cert(Base::Ed25519Sk)),
    ("ecdsa-sha2-nistp256", plain(Base::Ecdsa(Curve::P256))),
    (
        "ecdsa-sha2-nistp256-cert-v01@openssh.com",
        cert(Base::Ecdsa(Curve::P256)),
    ),
    ("ecdsa-sha2-nistp384", plain(Base::Ecdsa(Curve::P384))),
    (
        "ecdsa-sha2-nistp384-cert-v01@openssh.com",
        cert(Base::Ecdsa(Curve::P384)),
    ),
    ("ecdsa-sha2-nistp521", plain(Base::Ecdsa(Curve::P521))),
    (
        "ecdsa-sha2-nistp521-cert-v01@openssh.com",
        cert(Base::Ecdsa(Curve::P521)),
    ),
    ("sk-ecdsa-sha2-nistp256@openssh.com", plain(Base::EcdsaSk)),
    (
        "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
        cert(Base::EcdsaSk),
    ),
    (
        "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
        plain(Base::EcdsaSk),
    ),
    ("ssh-dss", plain(Base::Dsa)),
    ("ssh-dss-cert-v01@openssh.com", cert(Base::Dsa)),
    ("ssh-rsa", plain(Base::Rsa)),
    ("ssh-rsa-cert-v01@openssh.com", cert(Base::Rsa)),
    ("rsa-sha2-256", plain(Base::Rsa)),
    ("rsa-sha2-256-cert-v01@openssh.com", cert(Base::Rsa)),
    ("rsa-sha2-512", plain(Base::Rsa)),
    ("rsa-sha2-512-cert-v01@openssh.com", cert(Base::Rsa)),
];

/// Short names `sshkey_type_from_name` also accepts (case-insensitively) inside a blob, for
/// plain types. `ECDSA` and `ECDSA-SK` are left out: OpenSSH takes the curve from the exact
/// name, so a blob calling itself that never reads.
const SHORT_NAMES: &[(&str, Base)] = &[
    ("ED25519", Base::Ed25519),
    ("ED25519-SK", Base::Ed25519Sk),
    ("DSA", Base::Dsa),
    ("RSA", Base::Rsa),
];

/// The label OpenSSH gives a key type (`sshkey_ssh_name_plain`).
pub fn kind_name(kind: Kind) -> &'static str {
    NAMES
        .iter()
        .find(|(n, k)| *k == kind && !n.starts_with("rsa-sha2") && !n.starts_with("webauthn"))
        .map(|(n, _)| *n)
        .unwrap_or("unknown")
}

/// The key type a known_hosts label names (`peek_type_nid`).
pub fn kind_from_label(label: &[u8]) -> Option<Kind> {
    NAMES
        .iter()
        .find(|(n, _)| n.as_bytes() == label)
        .map(|(_, k)| *k)
}

fn kind_from_blob_name(name: &[u8]) -> Option<Kind> {
    kind_from_label(name).or_else(|| {
        SHORT_NAMES
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|(_, b)| plain(*b))
    })
}

/// Why a key could not be read; known_hosts names it when the line it spoils matters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("unknown key type `{0}`")]
    UnknownType(String),
    #[error("no key after the key type")]
    Truncated,
    #[error("the key is not valid base64")]
    Base64,
    #[error("the key is malformed ({0})")]
    Malformed(&'static str),
    #[error("the key type label `{label}` does not match the key (`{key}`)")]
    LabelMismatch { label: String, key: String },
    #[error("RSA key of {0} bits is below OpenSSH's minimum of 1024")]
    RsaTooSmall(usize),
}

/// A public key (or certificate) as OpenSSH compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    kind: Kind,
    /// The key (or certificate) in wire form; for a certificate, the key it certifies.
    plain_blob: Vec<u8>,
    /// The public values, each as OpenSSH compares them (mpints without leading zeros).
    parts: Vec<Vec<u8>>,
    /// Certificates only: the whole blob (what `cert_compare` compares) and the CA key.
    cert: Option<Box<CertParts>>,
}

/// A certificate's fields (PROTOCOL.certkeys), as read; the checks are the reader's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertParts {
    /// The whole certificate: what `cert_compare` compares.
    pub blob: Vec<u8>,
    /// The certified key alone, as `ssh-keygen -l` fingerprints it.
    pub plain_blob: Vec<u8>,
    pub cert_type: u32,
    /// `None` when the list is not a run of C strings.
    pub principals: Option<Vec<Vec<u8>>>,
    pub valid_after: u64,
    pub valid_before: u64,
    pub critical_options: Vec<u8>,
    pub signature_key: PublicKey,
    /// The CA key as the certificate holds it.
    pub signature_key_blob: Vec<u8>,
    pub signature: Vec<u8>,
    /// How many leading bytes of `blob` the signature covers.
    pub signed_len: usize,
}

impl PublicKey {
    /// A key in SSH wire form, as a server sends it or base64 holds it.
    pub fn from_blob(blob: &[u8]) -> Result<PublicKey, KeyError> {
        Self::from_blob_inner(blob, true)
    }

    fn from_blob_inner(blob: &[u8], allow_cert: bool) -> Result<PublicKey, KeyError> {
        let mut r = Reader(blob);
        let name = r.cstring()?;
        let kind = kind_from_blob_name(name)
            .ok_or_else(|| KeyError::UnknownType(String::from_utf8_lossy(name).into_owned()))?;
        if kind.cert && !allow_cert {
            return Err(KeyError::Malformed("a certificate signed by a certificate"));
        }
        if kind.cert {
            r.string()?; // nonce
        }
        let key_start = blob.len() - r.0.len();
        let parts = match kind.base {
            Base::Ed25519 | Base::Ed25519Sk => {
                let pk = r.string()?;
                if pk.len() != 32 {
                    return Err(KeyError::Malformed("ed25519 key is not 32 bytes"));
                }
                let mut parts = vec![pk.to_vec()];
                if kind.base == Base::Ed25519Sk {
                    parts.push(r.cstring()?.to_vec());
                }
                parts
            }
            Base::Ecdsa(_) | Base::EcdsaSk => {
                // The curve comes from the exact type name, as in `sshkey_ecdsa_nid_from_name`.
                let curve = match kind_from_label(name).map(|k| k.base) {
                    Some(Base::Ecdsa(c)) => c,
                    Some(Base::EcdsaSk) => Curve::P256,
                    _ => return Err(KeyError::Malformed("no curve in the key type")),
                };
                if r.cstring()? != curve.name() {
                    return Err(KeyError::Malformed("curve does not match the key type"));
                }
                let point = r.string()?;
                if point.first() != Some(&4) || point.len() != curve.point_len() {
                    return Err(KeyError::Malformed("not an uncompressed curve point"));
                }
                let mut parts = vec![point.to_vec()];
                if kind.base == Base::EcdsaSk {
                    parts.push(r.cstring()?.to_vec());
                }
                parts
            }
            Base::Rsa => {
                let e = r.bignum()?;
                let n = r.bignum()?;
                let bits = bit_len(&n);
                if bits < 1024 {
                    return Err(KeyError::RsaTooSmall(bits));
                }
                vec![e, n]
            }
            Base::Dsa => (0..4).map(|_| r.bignum()).collect::<Result<_, _>>()?,
        };
        let cert = if kind.cert {
            let key_end = blob.len() - r.0.len();
            let name = kind_name(plain(kind.base)).as_bytes();
            let mut plain_blob = (name.len() as u32).to_be_bytes().to_vec();
            plain_blob.extend_from_slice(name);
            plain_blob.extend_from_slice(&blob[key_start..key_end]);
            Some(Box::new(read_cert_fields(&mut r, blob, plain_blob)?))
        } else {
            None
        };
        if !r.0.is_empty() {
            return Err(KeyError::Malformed("trailing data"));
        }
        let plain_blob = match &cert {
            Some(c) => c.plain_blob.clone(),
            None => blob.to_vec(),
        };
        Ok(PublicKey {
            kind,
            plain_blob,
            parts,
            cert,
        })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// `sshkey_equal`: same type, same public values, and for certificates the same certificate.
    pub fn equal(&self, other: &PublicKey) -> bool {
        self.kind == other.kind
            && self.cert.as_ref().map(|c| &c.blob) == other.cert.as_ref().map(|c| &c.blob)
            && self.parts == other.parts
    }

    /// `sshkey_equal_public`: the same key, whether or not either is inside a certificate.
    pub fn equal_public(&self, other: &PublicKey) -> bool {
        self.kind.base == other.kind.base && self.parts == other.parts
    }

    /// The CA key of a certificate.
    pub fn signature_key(&self) -> Option<&PublicKey> {
        self.cert.as_ref().map(|c| &c.signature_key)
    }

    /// The wire form of the key, or of the key inside a certificate.
    pub fn plain_blob(&self) -> &[u8] {
        &self.plain_blob
    }

    pub fn cert(&self) -> Option<&CertParts> {
        self.cert.as_deref()
    }

    /// The key inside a certificate (a plain key is its own): what OpenSSH falls back to.
    pub fn plain(&self) -> PublicKey {
        PublicKey {
            kind: plain(self.kind.base),
            plain_blob: self.plain_blob.clone(),
            parts: self.parts.clone(),
            cert: None,
        }
    }
}

/// The fields after a certificate's public key. Only their shape is checked here: a
/// certificate that OpenSSH would reject still reads, which only ever makes an `@revoked`
/// line revoke more, never less; a host's own certificate is checked in full by `host_cert`.
fn read_cert_fields(
    r: &mut Reader,
    blob: &[u8],
    plain_blob: Vec<u8>,
) -> Result<CertParts, KeyError> {
    r.take(8)?; // serial
    let cert_type = r.u32()?;
    r.string()?; // key id
    let mut list = Reader(r.string()?);
    let mut principals = Some(Vec::new());
    while !list.0.is_empty() {
        match (list.cstring(), principals.as_mut()) {
            (Ok(p), Some(all)) => all.push(p.to_vec()),
            _ => {
                principals = None;
                break;
            }
        }
    }
    let valid_after = r.u64()?;
    let valid_before = r.u64()?;
    let critical_options = r.string()?.to_vec();
    r.string()?; // extensions
    r.string()?; // reserved
    let signature_key_blob = r.string()?;
    let signature_key = PublicKey::from_blob_inner(signature_key_blob, false)?;
    let signed_len = blob.len() - r.0.len();
    let signature = r.string()?.to_vec();
    Ok(CertParts {
        blob: blob.to_vec(),
        plain_blob,
        cert_type,
        principals,
        valid_after,
        valid_before,
        critical_options,
        signature_key,
        signature_key_blob: signature_key_blob.to_vec(),
        signature,
        signed_len,
    })
}

/// `sshkey_read`: `TYPE BASE64 [comment]`, fields split on space and tab only. The label must
/// name the type the blob holds.
pub fn read_text(text: &[u8]) -> Result<PublicKey, KeyError> {
    let is_sep = |c: &u8| *c == b' ' || *c == b'\t';
    let end = text.iter().position(is_sep).ok_or(KeyError::Truncated)?;
    let label = &text[..end];
    let kind = kind_from_label(label)
        .ok_or_else(|| KeyError::UnknownType(String::from_utf8_lossy(label).into_owned()))?;
    let rest = &text[end..];
    let start = rest
        .iter()
        .position(|c| !is_sep(c))
        .ok_or(KeyError::Truncated)?;
    let rest = &rest[start..];
    let b64 = &rest[..rest.iter().position(is_sep).unwrap_or(rest.len())];
    let blob = b64_pton(b64).ok_or(KeyError::Base64)?;
    let key = PublicKey::from_blob(&blob)?;
    if key.kind != kind {
        return Err(KeyError::LabelMismatch {
            label: String::from_utf8_lossy(label).into_owned(),
            key: kind_name(key.kind).to_string(),
        });
    }
    Ok(key)
}

/// The BIND/OpenBSD `b64_pton` that OpenSSH decodes keys (and known_hosts salts) with:
/// whitespace anywhere is skipped, padding must be complete, and the bits after the last
/// byte must be zero.
pub fn b64_pton(src: &[u8]) -> Option<Vec<u8>> {
    // isspace() in the C and UTF-8 locales.
    let space = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let value = |c: u8| -> Option<u8> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(src.len() * 3 / 4);
    let mut state = 0;
    let mut spill = 0u8; // bits decoded past the last whole byte
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        i += 1;
        if space(c) {
            continue;
        }
        if c == b'=' {
            // Padding: one byte short needs `==`, two bytes short `=`; then only whitespace.
            match state {
                2 => {
                    while i < src.len() && space(src[i]) {
                        i += 1;
                    }
                    if src.get(i) != Some(&b'=') {
                        return None;
                    }
                    i += 1;
                }
                3 => {}
                _ => return None,
            }
            if src[i..].iter().any(|&c| !space(c)) || spill != 0 {
                return None;
            }
            return Some(out);
        }
        let v = value(c)?;
        match state {
            0 => spill = v << 2,
            1 => {
                out.push(spill | v >> 4);
                spill = (v & 0x0f) << 4;
            }
            2 => {
                out.push(spill | v >> 2);
                spill = (v & 0x03) << 6;
            }
            _ => {
                out.push(spill | v);
                spill = 0;
            }
        }
        state = (state + 1) % 4;
    }
    (state == 0).then_some(out)
}

/// Standard padded base64, as OpenSSH writes keys and hashes.
pub fn b64_encode(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn bit_len(n: &[u8]) -> usize {
    match n.first() {
        Some(&b) => n.len() * 8 - b.leading_zeros() as usize,
        None => 0,
    }
}

/// An `sshbuf` reader with OpenSSH's rules for strings, C strings and bignums.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], KeyError> {
        if self.0.len() < n {
            return Err(KeyError::Malformed("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, KeyError> {
        Ok(u32::from_be_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn u64(&mut self) -> Result<u64, KeyError> {
        Ok(u64::from_be_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }

    fn string(&mut self) -> Result<&'a [u8], KeyError> {
        let len = self.u32()?;
        self.take(len as usize)
    }

    /// A string that may hold a NUL only as its last byte, which is not part of the value.
    fn cstring(&mut self) -> Result<&'a [u8], KeyError> {
        let s = self.string()?;
        match s.iter().position(|&c| c == 0) {
            None => Ok(s),
            Some(z) if z == s.len() - 1 => Ok(&s[..z]),
            Some(_) => Err(KeyError::Malformed("NUL inside a string")),
        }
    }

    /// A non-negative mpint of at most 16384 bits, leading zeros dropped.
    fn bignum(&mut self) -> Result<Vec<u8>, KeyError> {
        let d = self.string()?;
        if d.first().is_some_and(|&b| b & 0x80 != 0) {
            return Err(KeyError::Malformed("negative number"));
        }
        if d.len() > 2049 || (d.len() == 2049 && d[0] != 0) {
            return Err(KeyError::Malformed("number too large"));
        }
        let start = d.iter().position(|&b| b != 0).unwrap_or(d.len());
        Ok(d[start..].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(v: &[u8]) -> Vec<u8> {
        let mut b = (v.len() as u32).to_be_bytes().to_vec();
        b.extend_from_slice(v);
        b
    }

    fn ed25519(name: &[u8], pk: &[u8]) -> Vec<u8> {
        [string(name), string(pk)].concat()
    }

    #[test]
    fn base64_as_openssh_decodes_it() {
        assert_eq!(b64_pton(b"AAEC").unwrap(), [0, 1, 2]);
        assert_eq!(b64_pton(b"AA\x0bE C\r").unwrap(), [0, 1, 2]);
        assert_eq!(b64_pton(b"AAE=").unwrap(), [0, 1]);
        assert_eq!(b64_pton(b"AA==").unwrap(), [0]);
        assert_eq!(b64_pton(b"AA= =  ").unwrap(), [0]);
        assert_eq!(b64_pton(b"").unwrap(), [] as [u8; 0]);
        assert!(b64_pton(b"AAE").is_none(), "missing padding");
        assert!(
            b64_pton(b"AB==").is_none(),
            "non-zero bits after the last byte"
        );
        assert!(b64_pton(b"AAE=x").is_none(), "data after padding");
        assert!(b64_pton(b"A===").is_none());
        assert!(
            b64_pton("AA\u{a0}EC".as_bytes()).is_none(),
            "NBSP is not space"
        );
        assert!(b64_pton(b"AA-C").is_none());
    }

    #[test]
    fn labels_must_name_the_blob_type() {
        let blob = ed25519(b"ssh-ed25519", &[7; 32]);
        let text = |label: &str| format!("{label} {}", b64_encode(&blob)).into_bytes();
        assert!(read_text(&text("ssh-ed25519")).is_ok());
        assert_eq!(
            read_text(&text("ssh-rsa")),
            Err(KeyError::LabelMismatch {
                label: "ssh-rsa".into(),
                key: "ssh-ed25519".into()
            })
        );
        assert_eq!(
            read_text(&text("foo-bar")),
            Err(KeyError::UnknownType("foo-bar".into()))
        );
        assert_eq!(read_text(b"ssh-ed25519"), Err(KeyError::Truncated));
        assert_eq!(read_text(b"ssh-ed25519  \t"), Err(KeyError::Truncated));
        // Short names inside the blob read as the plain type, as `sshkey_type_from_name` does.
        let short = ed25519(b"ED25519", &[7; 32]);
        let key = PublicKey::from_blob(&short).unwrap();
        assert!(key.equal(&PublicKey::from_blob(&blob).unwrap()));
        assert!(PublicKey::from_blob(&ed25519(b"ssh-ed25519", &[7; 31])).is_err());
        assert!(PublicKey::from_blob(&[blob.clone(), vec![0]].concat()).is_err());
    }

    #[test]
    fn rsa_values_compare_without_leading_zeros() {
        let n = [&[0x00, 0xc1][..], &[0x55; 200]].concat();
        let blob = |n: &[u8]| [string(b"ssh-rsa"), string(&[1, 0, 1]), string(n)].concat();
        let a = PublicKey::from_blob(&blob(&n)).unwrap();
        let padded = [&[0, 0, 0][..], &n].concat();
        assert!(a.equal(&PublicKey::from_blob(&blob(&padded)).unwrap()));
        let small = [&[0x00, 0xc1][..], &[0x55; 100]].concat();
        assert_eq!(
            PublicKey::from_blob(&blob(&small)),
            Err(KeyError::RsaTooSmall(808))
        );
        let negative = [&[0xc1][..], &[0x55; 200]].concat();
        assert!(PublicKey::from_blob(&blob(&negative)).is_err());
        // `rsa-sha2-512` is an RSA label too.
        let text = format!("rsa-sha2-512 {}", b64_encode(&blob(&n)));
        assert!(read_text(text.as_bytes()).is_ok());
    }
}
