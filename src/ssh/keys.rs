//! Identity files, parsed once per run and shared by every host.
//!
//! libssh2's `userauth_publickey_fromfile` re-reads and re-parses the key for every session, and
//! with OpenSSL 3 an OpenSSH-format key first goes through every OpenSSL decoder before libssh2
//! falls back to its own parser: about 1 ms of CPU per host, half of hostctl's whole cost. So
//! unencrypted ed25519 keys (the OpenSSH default) are parsed here once and sign in-process
//! through libssh2's callback API; other key types keep the file path.

use ed25519_dalek::{Signer, SigningKey};
use std::collections::HashMap;
use std::ffi::{CString, c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// An ed25519 identity ready to sign.
pub struct LoadedKey {
    /// The public key in SSH wire form (`string "ssh-ed25519" || string key`).
    public_blob: Vec<u8>,
    signing: SigningKey,
}

impl LoadedKey {
    /// `None` for key types this fast path does not handle (or unreadable/encrypted keys):
    /// the caller falls back to libssh2's own file loading, which also gives the error.
    pub fn load(path: &Path) -> Option<LoadedKey> {
        let text = std::fs::read(path).ok()?;
        let key = ssh_key::PrivateKey::from_openssh(text).ok()?;
        if key.is_encrypted() {
            return None;
        }
        let pair = key.key_data().ed25519()?;
        Some(LoadedKey {
            public_blob: key.public_key().to_bytes().ok()?,
            signing: SigningKey::from_bytes(&pair.private.to_bytes()),
        })
    }
}

/// Keys by path, each loaded at most once per run.
#[derive(Default)]
pub struct KeyCache {
    keys: Mutex<HashMap<PathBuf, Option<Arc<LoadedKey>>>>,
}

impl KeyCache {
    pub fn get(&self, path: &Path) -> Option<Arc<LoadedKey>> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        keys.entry(path.to_path_buf())
            .or_insert_with(|| LoadedKey::load(path).map(Arc::new))
            .clone()
    }
}

type SignFn = extern "C" fn(
    session: *mut c_void,
    sig: *mut *mut u8,
    sig_len: *mut usize,
    data: *const u8,
    data_len: usize,
    abstract_: *mut *mut c_void,
) -> c_int;

unsafe extern "C" {
    // In the libssh2 that libssh2-sys builds and links, not bound by libssh2-sys itself.
    fn libssh2_userauth_publickey(
        session: *mut c_void,
        username: *const c_char,
        pubkeydata: *const u8,
        pubkeydata_len: usize,
        sign_callback: SignFn,
        abstract_: *mut *mut c_void,
    ) -> c_int;
}

const LIBSSH2_ERROR_ALLOC: c_int = -6;

/// libssh2 calls this with the exact bytes to sign and frees `*sig` with `free()` (ssh2
/// creates sessions with the default allocators).
extern "C" fn sign_ed25519(
    _session: *mut c_void,
    sig: *mut *mut u8,
    sig_len: *mut usize,
    data: *const u8,
    data_len: usize,
    abstract_: *mut *mut c_void,
) -> c_int {
    // SAFETY: `abstract_` points at the `*mut c_void` that `authenticate` set to a live
    // `LoadedKey` for the duration of the libssh2 call; `data` is valid for `data_len` bytes.
    unsafe {
        let key = &*((*abstract_) as *const LoadedKey);
        let signature = key
            .signing
            .sign(std::slice::from_raw_parts(data, data_len))
            .to_bytes();
        let out = libc::malloc(signature.len()) as *mut u8;
        if out.is_null() {
            return LIBSSH2_ERROR_ALLOC;
        }
        std::ptr::copy_nonoverlapping(signature.as_ptr(), out, signature.len());
        *sig = out;
        *sig_len = signature.len();
    }
    0
}

/// One non-blocking attempt at public-key auth with `key` (repeat on EAGAIN).
pub fn authenticate(
    session: &ssh2::Session,
    user: &str,
    key: &LoadedKey,
) -> Result<(), ssh2::Error> {
    let user = CString::new(user).map_err(|_| {
        ssh2::Error::new(
            ssh2::ErrorCode::Session(-34),
            "user name contains a NUL byte",
        )
    })?;
    let rc = {
        let mut raw = session.raw();
        let session_ptr: *mut c_void = (&mut *raw as *mut _) as *mut c_void;
        let mut abstract_: *mut c_void = key as *const LoadedKey as *mut c_void;
        // SAFETY: the session pointer is valid while `raw` (ssh2's lock on it) is held; the key
        // outlives the call, and libssh2 only uses `abstract_` inside this call.
        unsafe {
            libssh2_userauth_publickey(
                session_ptr,
                user.as_ptr(),
                key.public_blob.as_ptr(),
                key.public_blob.len(),
                sign_ed25519,
                &mut abstract_,
            )
        }
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(ssh2::Error::from_session_error(session, rc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn loads_an_openssh_ed25519_key_with_its_public_blob() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("id");
        let ok = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(ok.success());
        let key = LoadedKey::load(&path).expect("ed25519 key loads");
        let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
        let b64 = public.split_whitespace().nth(1).unwrap();
        assert_eq!(
            key.public_blob,
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap()
        );
    }

    #[test]
    fn other_keys_fall_back_to_libssh2() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rsa");
        std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(LoadedKey::load(&path).is_none());
        let enc = dir.path().join("enc");
        std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "secret", "-f"])
            .arg(&enc)
            .status()
            .unwrap();
        assert!(LoadedKey::load(&enc).is_none());
        assert!(LoadedKey::load(&dir.path().join("missing")).is_none());
    }
}
