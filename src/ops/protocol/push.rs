//! push's side of the protocol: the check script (what the receiving directory and every
//! target hold now), the setup script (directories and symlinks), the upload script (one file
//! into a temporary, verified, renamed), and the replies each may give.
//!
//! When a step fails, a script finds out why with tests the shell answers the same in every
//! locale (is the directory there, searchable, writable, on a read-only mount, full?) and
//! prints `hostctl-fail CODE STEP` as its last line. The controller turns the code into the
//! operator's words with the path it chose itself. Anything else a host prints is an
//! unexpected reply.

use super::SHA256_FN;
use crate::manifest::{self, EntryKind, base, parent};
use crate::ssh::shell_quote as q;

/// What a failed host script reported: `hostctl-fail CODE STEP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The directory to write in does not exist.
    NoDir,
    /// Something on the way to the target is not a directory.
    Parent,
    /// The target of a directory step exists and is not a directory.
    NotDir,
    /// The target of a file or symlink step is a directory.
    IsDir,
    Denied,
    ReadOnly,
    NoSpace,
    Digest,
    Other,
}

impl Code {
    pub fn parse(word: &str) -> Option<Code> {
        Some(match word {
            "nodir" => Code::NoDir,
            "parent" => Code::Parent,
            "notdir" => Code::NotDir,
            "isdir" => Code::IsDir,
            "denied" => Code::Denied,
            "readonly" => Code::ReadOnly,
            "nospace" => Code::NoSpace,
            "digest" => Code::Digest,
            "other" => Code::Other,
            _ => return None,
        })
    }
}

/// What starts the line a failed script prints last: `hostctl-fail CODE STEP`.
pub const FAIL_MARK: &str = "hostctl-fail ";

/// The code and step index of a failed script's `hostctl-fail CODE STEP` line; `None` for
/// anything else (no line, an unknown code, a step out of range, extra words, bad UTF-8).
pub fn parse_failure(stdout: &[u8], steps: usize) -> Option<(Code, usize)> {
    let text = std::str::from_utf8(stdout).ok()?;
    let line = text.lines().rev().find(|l| l.starts_with(FAIL_MARK))?;
    let mut words = line[FAIL_MARK.len()..].split(' ');
    let (code, step) = (words.next()?, words.next()?);
    if words.next().is_some() || !step.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = step.parse::<usize>().ok().filter(|s| *s < steps)?;
    Some((Code::parse(code)?, step))
}

/// Whether a script's stdout so far holds its failure line: the input stops there, so a
/// refused upload does not send the rest of the file.
pub fn reports_failure(stdout: &[u8]) -> bool {
    let needle = FAIL_MARK.as_bytes();
    stdout.windows(needle.len()).any(|w| w == needle)
}

/// Shell functions the scripts share. `y TARGET KIND BYTES` says why creating TARGET (a file
/// `f`, directory `d` or symlink `l` of BYTES) failed, from tests rather than error text:
/// the parent chain, searchability, a read-only mount (`r`, from /proc/self/mountinfo),
/// write permission, the sticky bit, free space and inodes (`z`).
pub const DIAGNOSE_FN: &str = r#"y() {
 if [ "$2" != d ] && [ -d "$1" ] && [ ! -L "$1" ]; then echo isdir; return; fi
 if [ "$2" = d ] && [ ! -d "$1" ] && { [ -e "$1" ] || [ -L "$1" ]; }; then echo notdir; return; fi
 q=$(dirname -- "$1"); p=$q
 while [ ! -e "$p" ] && [ "$p" != / ] && [ "$p" != . ]; do p=$(dirname -- "$p"); done
 if [ ! -d "$p" ]; then echo parent
 elif [ ! -x "$p" ]; then echo denied
 elif [ "$p" != "$q" ] && [ "$2" != d ]; then echo nodir
 elif r "$p"; then echo readonly
 elif [ ! -w "$p" ]; then echo denied
 elif [ -k "$p" ] && { [ -e "$1" ] || [ -L "$1" ]; } && [ ! -O "$1" ] && [ ! -O "$p" ]; then echo denied
 elif z "$p" "$3"; then echo nospace
 else echo other; fi
}
r() {
 m=$(stat -c %m -- "$1" 2>/dev/null) || return 1; v=1
 while read -r a b c d mp o rest; do
  if [ "$mp" = "$m" ]; then case ",$o," in *,ro,*) v=0 ;; *) v=1 ;; esac; fi
 done 2>/dev/null < /proc/self/mountinfo
 return $v
}
z() {
 set -- $(stat -f -c '%a %S %d %c' -- "$1" 2>/dev/null) "$2"
 [ $# = 5 ] || return 1
 [ "$1" = 0 ] || { [ "$4" != 0 ] && [ "$3" = 0 ]; } || [ $(($1 * $2)) -lt "$5" ]
}
"#;

/// The receiving directory on one host, from the check script.
#[derive(Debug, PartialEq)]
pub enum Holder {
    Dir,
    Missing,
    NotDir,
    /// A parent on the way is not a directory.
    Parent,
    /// A parent on the way cannot be searched.
    Denied,
}

/// What a target holds now, from the check script.
#[derive(Debug, PartialEq)]
pub enum Current {
    File { mode: String, sha256: String },
    LinkSame,
    LinkOther,
    Dir,
    Other,
    None,
}

/// The check script: `g HOLDER` when `holder` is asked for, then one `c` line per entry. With
/// `force` the digests would change nothing, so the host is spared reading the files.
pub fn check_script(holder: Option<&str>, entries: &[manifest::Entry], force: bool) -> String {
    let digest = if force { "-" } else { "$(h < \"$1\")" };
    let mut text = format!(
        "{SHA256_FN}\
         g() {{ if [ -d \"$1\" ]; then echo dir; elif [ -e \"$1\" ] || [ -L \"$1\" ]; then echo notdir; \
         else p=$(dirname -- \"$1\"); while [ ! -e \"$p\" ] && [ \"$p\" != / ] && [ \"$p\" != . ]; do p=$(dirname -- \"$p\"); done; \
         if [ ! -d \"$p\" ]; then echo parent; elif [ ! -x \"$p\" ]; then echo denied; else echo missing; fi; fi; }}\n\
         c() {{ if [ -L \"$1\" ]; then if [ \"$(readlink -- \"$1\")\" = \"$2\" ]; then echo link-same; else echo link-other; fi; \
         elif [ -f \"$1\" ]; then printf 'file %s %s\\n' \"$(stat -c %a -- \"$1\")\" \"{digest}\"; \
         elif [ -d \"$1\" ]; then echo dir; elif [ -e \"$1\" ]; then echo other; else echo none; fi; }}\n",
    );
    if let Some(holder) = holder {
        text.push_str(&format!("g {}\n", q(holder)));
    }
    for entry in entries {
        match &entry.kind {
            EntryKind::Symlink { target: link } => {
                text.push_str(&format!("c {} {}\n", q(&entry.remote), q(link)))
            }
            _ => text.push_str(&format!("c {}\n", q(&entry.remote))),
        }
    }
    text
}

/// The check script's reply: the holder when asked for, and what each target holds now.
#[derive(Debug, PartialEq)]
pub struct Check {
    pub holder: Option<Holder>,
    pub targets: Vec<Current>,
}

/// The check script's stdout: the holder's line first when `holder` was asked for, then one
/// line per entry. `None` when any of those lines is missing or is not one the script prints;
/// lines after them are not read.
pub fn parse_check(stdout: &str, holder: bool, entries: usize) -> Option<Check> {
    let mut lines = stdout.lines();
    let holder = match holder {
        false => None,
        true => Some(match lines.next()? {
            "dir" => Holder::Dir,
            "missing" => Holder::Missing,
            "notdir" => Holder::NotDir,
            "parent" => Holder::Parent,
            "denied" => Holder::Denied,
            _ => return None,
        }),
    };
    let targets = (0..entries)
        .map(|_| parse_current(lines.next()?))
        .collect::<Option<Vec<Current>>>()?;
    Some(Check { holder, targets })
}

/// One line of the check script; `None` for anything it cannot have printed.
pub fn parse_current(line: &str) -> Option<Current> {
    Some(match line {
        "dir" => Current::Dir,
        "link-same" => Current::LinkSame,
        "link-other" => Current::LinkOther,
        "other" => Current::Other,
        "none" => Current::None,
        _ => {
            let rest = line.strip_prefix("file ")?;
            let (mode, sha256) = rest.split_once(' ')?;
            let octal = !mode.is_empty()
                && mode.len() <= 4
                && mode.bytes().all(|b| (b'0'..=b'7').contains(&b));
            // Empty when the host could not read the file: then it differs.
            let digest = sha256.is_empty()
                || sha256 == "-"
                || (sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()));
            if !octal || !digest {
                return None;
            }
            Current::File {
                mode: mode.to_string(),
                sha256: sha256.to_string(),
            }
        }
    })
}

/// What one step of the setup script makes.
#[derive(Debug, Clone, Copy)]
pub enum Make<'a> {
    /// The receiving directory (`--mkdir`), never re-moded.
    Holder,
    Dir {
        mode: u32,
    },
    Link {
        target: &'a str,
    },
}

/// One line of the setup script: make PATH, and on failure print its diagnosis and `index`.
pub fn setup_line(make: Make, path: &str, index: usize) -> String {
    let (command, kind) = match make {
        Make::Holder => ("mkdir -p --".to_string(), "d"),
        Make::Dir { mode } => (
            format!("mkdir -p -- {p} && chmod -- {mode:o}", p = q(path)),
            "d",
        ),
        Make::Link { target } => (format!("ln -sfnT -- {}", q(target)), "l"),
    };
    format!(
        "{command} {p} || f \"$(y {p} {kind} 0)\" {index}\n",
        p = q(path)
    )
}

/// The setup script around its lines: the first step that fails ends it with its failure line.
pub fn setup_script(lines: &str) -> String {
    format!(
        "{DIAGNOSE_FN}f() {{ printf '\\n{FAIL_MARK}%s %s\\n' \"$1\" \"$2\"; exit 1; }}\n{lines}"
    )
}

/// Where `target`'s temporary goes on the host: beside it, hidden, unique per process, host
/// and moment (another controller may push the same file to the same host).
pub fn temp_path(target: &str, host: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tag: String = host
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(16)
        .collect();
    let name = crate::temp_name::hidden(Some(base(target)), format_args!("{tag}-{nanos:x}"));
    format!("{}/{name}", parent(target))
}

/// The upload script: stdin (SIZE bytes) into the temporary `tmp`, its SHA-256 checked against
/// `sha256`, moded `mode`, renamed onto `path`; with `fsync`, flushed before and after the
/// rename. It prints nothing on success.
pub fn upload_script(
    path: &str,
    tmp: &str,
    size: u64,
    sha256: &str,
    mode: &str,
    fsync: bool,
) -> String {
    // --fsync: the data before the rename, the directory entry after it.
    let (flush, flush_dir) = if fsync {
        (
            " && sync -- \"$tmp\"".to_string(),
            format!(" && sync -- {}", q(parent(path))),
        )
    } else {
        (String::new(), String::new())
    };
    // `e BYTES [CODE]`: drop the temporary, then say why (after the drop, so the space
    // check sees the space it held), then drain stdin until hostctl stops sending.
    format!(
        "{SHA256_FN}{DIAGNOSE_FN}umask 077; t={t}; tmp={tmp}\n\
         trap 'rm -f -- \"$tmp\"' EXIT HUP INT TERM PIPE\n\
         e() {{ rm -f -- \"$tmp\"; printf '\\n{FAIL_MARK}%s 0\\n' \"${{2:-$(y \"$t\" f \"$1\")}}\"; cat > /dev/null; exit 1; }}\n\
         cat > \"$tmp\" || e {size}\n\
         s=$(h < \"$tmp\") || e 0\n\
         [ \"$s\" = {sum} ] || {{ echo \"digest mismatch after transfer: expected {sum}, got $s\" >&2; e 0 digest; }}\n\
         chmod {mode} \"$tmp\"{flush} || e 0\n\
         mv -fT -- \"$tmp\" \"$t\"{flush_dir} || e 0\n\
         trap - EXIT\n",
        t = q(path),
        tmp = q(tmp),
        sum = sha256,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_lines_parse_and_garbage_is_refused() {
        assert_eq!(
            parse_failure(b"\nhostctl-fail denied 0\n", 1),
            Some((Code::Denied, 0))
        );
        assert_eq!(
            parse_failure(b"noise\nhostctl-fail nospace 2\n", 3),
            Some((Code::NoSpace, 2))
        );
        for garbage in [
            &b""[..],
            b"\n",
            b"hostctl-fail",
            b"hostctl-fail ",
            b"hostctl-fail denied",
            b"hostctl-fail denied 1",
            b"hostctl-fail denied 99999999999999999999999",
            b"hostctl-fail denied -1",
            b"hostctl-fail denied +0",
            b"hostctl-fail denied 0 extra",
            b"hostctl-fail DENIED 0",
            b"hostctl-fail pwned 0",
            b"hostctl-fail denied\t0",
            b"  hostctl-fail denied 0",
            b"\xff\xfe hostctl-fail denied 0\n\xff",
            b"\0\0\0\0",
            b"permission denied",
        ] {
            assert_eq!(parse_failure(garbage, 1), None, "{garbage:?}");
        }
        let long = [b'x'; 100_000];
        assert_eq!(parse_failure(&long, 1), None);
        assert_eq!(parse_failure(b"hostctl-fail denied 0", 0), None);
    }

    #[test]
    fn check_lines_parse_and_garbage_is_refused() {
        let sha = "a".repeat(64);
        assert_eq!(
            parse_current(&format!("file 644 {sha}")),
            Some(Current::File {
                mode: "644".into(),
                sha256: sha.clone()
            })
        );
        assert_eq!(
            parse_current("file 600 "),
            Some(Current::File {
                mode: "600".into(),
                sha256: String::new()
            })
        );
        assert_eq!(parse_current("link-same"), Some(Current::LinkSame));
        for garbage in [
            "",
            "file",
            "file 644",
            "file 9z9 -",
            "file 644 xyz",
            &format!("file 644 {sha} more"),
            "link",
            "DIR",
            "\u{0}",
        ] {
            assert_eq!(parse_current(garbage), None, "{garbage:?}");
        }
    }
}
