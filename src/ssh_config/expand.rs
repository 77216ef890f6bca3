//! Runtime expansion of ssh_config values, as ssh_config(5) TOKENS and ENVIRONMENT VARIABLES
//! describe it: `%x` tokens, `${VAR}` (only where `dollar` is asked for) and a leading `~`.

use std::path::Path;

/// Why a value could not be expanded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExpandError {
    #[error("unknown token `%{0}`")]
    UnknownToken(char),
    #[error("`%` at the end (write `%%` for a literal `%`)")]
    TrailingPercent,
    #[error("`${{` without a closing `}}`")]
    UnclosedVariable,
    #[error("empty variable name in `${{}}`")]
    EmptyVariable,
    #[error("environment variable `{0}` is not set")]
    UnsetVariable(String),
    #[error("no such user `{0}`")]
    NoSuchUser(String),
}

/// Replaces `%%` and each `%x` whose `x` is in `tokens`, and `${VAR}` when `dollar`
/// (misc.c `percent_expand`, `percent_dollar_expand`).
pub fn percent(value: &str, tokens: &[(char, &str)], dollar: bool) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        if dollar && rest.starts_with("${") {
            let name_and_more = &rest[2..];
            let end = name_and_more
                .find('}')
                .ok_or(ExpandError::UnclosedVariable)?;
            let name = &name_and_more[..end];
            if name.is_empty() {
                return Err(ExpandError::EmptyVariable);
            }
            let val = std::env::var_os(name)
                .ok_or_else(|| ExpandError::UnsetVariable(name.to_string()))?;
            out.push_str(&val.to_string_lossy());
            rest = &name_and_more[end + 1..];
            continue;
        }
        rest = &rest[c.len_utf8()..];
        if c != '%' {
            out.push(c);
            continue;
        }
        let key = rest.chars().next().ok_or(ExpandError::TrailingPercent)?;
        rest = &rest[key.len_utf8()..];
        if key == '%' {
            out.push('%');
            continue;
        }
        let (_, with) = tokens
            .iter()
            .find(|(k, _)| *k == key)
            .ok_or(ExpandError::UnknownToken(key))?;
        out.push_str(with);
    }
    Ok(out)
}

/// A leading `~` or `~user` (misc.c `tilde_expand`); `home` stands for `~`.
pub fn tilde(value: &str, home: &Path) -> Result<String, ExpandError> {
    let Some(after) = value.strip_prefix('~') else {
        return Ok(value.to_string());
    };
    let (dir, path) = match after.strip_prefix('/') {
        Some(path) => (home.to_string_lossy().into_owned(), path),
        None if after.is_empty() => (home.to_string_lossy().into_owned(), ""),
        None => {
            let (user, path) = after.split_once('/').unwrap_or((after, ""));
            let dir = user_home(user).ok_or_else(|| ExpandError::NoSuchUser(user.to_string()))?;
            (dir, path)
        }
    };
    let path = path.trim_start_matches('/');
    let slash = if dir.ends_with('/') { "" } else { "/" };
    Ok(format!("{dir}{slash}{path}"))
}

/// The home directory of `user` from the passwd database.
fn user_home(user: &str) -> Option<String> {
    let name = std::ffi::CString::new(user).ok()?;
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: getpwnam_r writes into `pw` and `buf`, both ours and alive for the call; the
    // strings it points to live in `buf`, copied out before `buf` is dropped.
    unsafe {
        let mut pw: libc::passwd = std::mem::zeroed();
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwnam_r(
            name.as_ptr(),
            &mut pw,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut found,
        );
        if rc != 0 || found.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr(pw.pw_dir)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t = [('h', "web1"), ('p', "22")];
        assert_eq!(percent("%h:%p", &t, false).unwrap(), "web1:22");
        assert_eq!(percent("100%%-%h", &t, false).unwrap(), "100%-web1");
        assert_eq!(
            percent("%r", &t, false),
            Err(ExpandError::UnknownToken('r'))
        );
        assert_eq!(percent("a%", &t, false), Err(ExpandError::TrailingPercent));
        // Without `dollar`, `${X}` is text.
        assert_eq!(percent("${X}", &t, false).unwrap(), "${X}");
    }

    #[test]
    fn environment() {
        // SAFETY: tests in this module do not read this variable concurrently.
        unsafe { std::env::set_var("HOSTCTL_EXPAND_TEST", "v") };
        assert_eq!(
            percent("/${HOSTCTL_EXPAND_TEST}/%%", &[], true).unwrap(),
            "/v/%"
        );
        assert_eq!(
            percent("${HOSTCTL_EXPAND_UNSET}", &[], true),
            Err(ExpandError::UnsetVariable("HOSTCTL_EXPAND_UNSET".into()))
        );
        assert_eq!(percent("${", &[], true), Err(ExpandError::UnclosedVariable));
        assert_eq!(percent("${}", &[], true), Err(ExpandError::EmptyVariable));
    }

    #[test]
    fn tildes() {
        let home = Path::new("/h/me");
        assert_eq!(tilde("~/.ssh/x", home).unwrap(), "/h/me/.ssh/x");
        assert_eq!(tilde("~", home).unwrap(), "/h/me/");
        assert_eq!(tilde("~//x", home).unwrap(), "/h/me/x");
        assert_eq!(tilde("/a/~", home).unwrap(), "/a/~");
        assert_eq!(
            tilde("~root/k", home).unwrap(),
            format!("{}/k", user_home("root").unwrap().trim_end_matches('/'))
        );
        assert_eq!(
            tilde("~no-such-user-here/k", home),
            Err(ExpandError::NoSuchUser("no-such-user-here".into()))
        );
    }
}
