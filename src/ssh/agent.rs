//! A client for ssh-agent's protocol (draft-miller-ssh-agent): list identities, sign.
//!
//! libssh2 has one, but asks for SHA-1 when the key is an RSA certificate
//! (`rsa-sha2-512-cert-v01@openssh.com` is not matched when choosing the signature flags), a
//! signature OpenSSH refuses since 8.8. Signing here goes through the same in-process
//! callback as identity files, so every key type and certificate gets the algorithm the
//! server negotiated.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

const FAILURE: u8 = 5;
const REQUEST_IDENTITIES: u8 = 11;
const IDENTITIES_ANSWER: u8 = 12;
const SIGN_REQUEST: u8 = 13;
const SIGN_RESPONSE: u8 = 14;
const RSA_SHA2_256: u32 = 2;
const RSA_SHA2_512: u32 = 4;
/// An agent answers in microseconds, or waits for a human to confirm a key (`ssh-add -c`).
const PATIENCE: Duration = Duration::from_secs(30);
/// Far beyond any real reply; a bound on what a broken agent can make hostctl allocate.
const MAX_REPLY: usize = 1 << 20;

/// One key (or certificate) the agent holds.
pub struct AgentIdentity {
    /// The public key or certificate in SSH wire form.
    pub blob: Vec<u8>,
    pub comment: String,
}

/// The agent's identities, in the order it lists them.
pub fn identities(socket: &Path) -> std::io::Result<Vec<AgentIdentity>> {
    let reply = transact(socket, &[REQUEST_IDENTITIES])?;
    let mut r = reply.as_slice();
    if take_byte(&mut r)? != IDENTITIES_ANSWER {
        return Err(protocol("the agent did not list its identities"));
    }
    let count = take_u32(&mut r)?;
    let mut out = Vec::new();
    for _ in 0..count {
        let blob = take_string(&mut r)?.to_vec();
        let comment = String::from_utf8_lossy(take_string(&mut r)?).into_owned();
        out.push(AgentIdentity { blob, comment });
    }
    Ok(out)
}

/// The agent's signature of `data` with the key of `blob`, for the public-key `algorithm`
/// the server was asked to verify; in the form libssh2 wants after the algorithm name: the
/// signature blob, or for security keys the blob with its flags and counter.
pub fn sign(socket: &Path, blob: &[u8], data: &[u8], algorithm: &str) -> std::io::Result<Vec<u8>> {
    let plain = algorithm
        .strip_suffix("-cert-v01@openssh.com")
        .unwrap_or(algorithm);
    let flags = match plain {
        "rsa-sha2-256" => RSA_SHA2_256,
        "rsa-sha2-512" => RSA_SHA2_512,
        _ => 0,
    };
    let mut request = vec![SIGN_REQUEST];
    put_string(&mut request, blob);
    put_string(&mut request, data);
    request.extend_from_slice(&flags.to_be_bytes());
    let reply = transact(socket, &request)?;
    let mut r = reply.as_slice();
    match take_byte(&mut r)? {
        SIGN_RESPONSE => {}
        FAILURE => return Err(protocol("the agent refused to sign")),
        _ => return Err(protocol("unexpected answer to a sign request")),
    }
    let mut signature = take_string(&mut r)?;
    let signed_as = take_string(&mut signature)?;
    // libssh2 names the algorithm itself: the agent must have used that one.
    let expected = match plain {
        // sk-ecdsa-sha2-nistp256@openssh.com and sk-ssh-ed25519@openssh.com keep their names.
        p if p.starts_with("sk-") => algorithm.replace("-cert-v01@openssh.com", "@openssh.com"),
        p => p.to_string(),
    };
    if signed_as != expected.as_bytes() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "the agent signed with another algorithm",
        ));
    }
    if plain.starts_with("sk-") {
        return Ok(signature.to_vec());
    }
    Ok(take_string(&mut signature)?.to_vec())
}

fn transact(socket: &Path, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.set_write_timeout(Some(PATIENCE))?;
    let mut message = Vec::with_capacity(4 + request.len());
    put_string(&mut message, request);
    stream.write_all(&message)?;
    let mut len = [0u8; 4];
    stream.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_REPLY {
        return Err(protocol("oversized agent reply"));
    }
    let mut reply = vec![0; len];
    stream.read_exact(&mut reply)?;
    Ok(reply)
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

fn take_byte(r: &mut &[u8]) -> std::io::Result<u8> {
    let (&b, rest) = r
        .split_first()
        .ok_or_else(|| protocol("short agent reply"))?;
    *r = rest;
    Ok(b)
}

fn take_u32(r: &mut &[u8]) -> std::io::Result<u32> {
    let bytes = r.get(..4).ok_or_else(|| protocol("short agent reply"))?;
    let n = u32::from_be_bytes(bytes.try_into().expect("4 bytes"));
    *r = &r[4..];
    Ok(n)
}

fn take_string<'a>(r: &mut &'a [u8]) -> std::io::Result<&'a [u8]> {
    let len = take_u32(r)? as usize;
    let s = r.get(..len).ok_or_else(|| protocol("short agent reply"))?;
    *r = &r[len..];
    Ok(s)
}

fn protocol(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}
