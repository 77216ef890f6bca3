//! What the operating system says about the local user: the home directory and the login
//! name, as ssh finds them.

use std::path::PathBuf;

/// `$HOME`, else `/`.
pub fn home_dir() -> PathBuf {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// The local login name, as ssh would use by default.
pub fn local_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| {
            // SAFETY: getpwuid returns a pointer into static storage or null; we copy out at once.
            unsafe {
                let pw = libc::getpwuid(libc::getuid());
                if pw.is_null() {
                    "root".to_string()
                } else {
                    std::ffi::CStr::from_ptr((*pw).pw_name)
                        .to_string_lossy()
                        .into_owned()
                }
            }
        })
}
