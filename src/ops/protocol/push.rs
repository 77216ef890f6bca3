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

    /// Every code the scripts print, as the scripts print it (a blank line first, so output
    /// without a trailing newline cannot swallow it); the last failure line is the one read.
    #[test]
    fn every_failure_code_is_read_and_only_the_last_line_counts() {
        for (word, code) in [
            ("nodir", Code::NoDir),
            ("parent", Code::Parent),
            ("notdir", Code::NotDir),
            ("isdir", Code::IsDir),
            ("denied", Code::Denied),
            ("readonly", Code::ReadOnly),
            ("nospace", Code::NoSpace),
            ("digest", Code::Digest),
            ("other", Code::Other),
        ] {
            let reply = format!("partial output\n{FAIL_MARK}{word} 1\n");
            assert_eq!(
                parse_failure(reply.as_bytes(), 2),
                Some((code, 1)),
                "{word}"
            );
            assert_eq!(Code::parse(word), Some(code));
        }
        // A hostile host cannot slip a good line past a bad one, or pick a step hostctl did not
        // send.
        assert_eq!(
            parse_failure(b"hostctl-fail denied 0\nhostctl-fail pwned 0\n", 1),
            None
        );
        assert_eq!(parse_failure(b"hostctl-fail denied 2\n", 2), None);
        assert_eq!(parse_failure(b"hostctl-fail denied 0\x1b[2J\n", 1), None);
        assert_eq!(parse_failure(b"hostctl-fail den\x00ied 0\n", 1), None);
        assert_eq!(
            parse_failure(b"hostctl-fail denied 0\r\n", 1),
            Some((Code::Denied, 0))
        );
        // Truncated mid-line, and a line of a megabyte.
        assert_eq!(parse_failure(b"hostctl-fail deni", 1), None);
        let mut huge = b"hostctl-fail denied 0".to_vec();
        huge.extend(std::iter::repeat_n(b'7', 1 << 20));
        assert_eq!(parse_failure(&huge, 1), None);
    }

    /// The input of an upload stops once the failure line is seen, wherever it is.
    #[test]
    fn a_failure_line_is_seen_anywhere_in_stdout() {
        assert!(reports_failure(b"\nhostctl-fail nospace 0\n"));
        assert!(reports_failure(b"noise hostctl-fail x"));
        assert!(!reports_failure(b""));
        assert!(!reports_failure(b"hostctl-fail"));
        assert!(!reports_failure(b"hostctl-fai\nl denied 0"));
    }

    fn check(stdout: &str, holder: bool, entries: usize) -> Option<Check> {
        parse_check(stdout, holder, entries)
    }

    /// The check reply: the holder's word when asked, then one line per entry, each in one of
    /// the shapes `c` prints.
    #[test]
    fn the_check_reply_reads_the_holder_and_every_target() {
        let sha = "0123456789abcdef".repeat(4);
        let reply = format!(
            "dir\nfile 644 {sha}\nfile 600 -\nfile 640 \nlink-same\nlink-other\ndir\nother\nnone\n"
        );
        assert_eq!(
            check(&reply, true, 8),
            Some(Check {
                holder: Some(Holder::Dir),
                targets: vec![
                    Current::File {
                        mode: "644".into(),
                        sha256: sha.clone()
                    },
                    Current::File {
                        mode: "600".into(),
                        sha256: "-".into()
                    },
                    Current::File {
                        mode: "640".into(),
                        sha256: String::new()
                    },
                    Current::LinkSame,
                    Current::LinkOther,
                    Current::Dir,
                    Current::Other,
                    Current::None,
                ]
            })
        );
        for (word, holder) in [
            ("dir", Holder::Dir),
            ("missing", Holder::Missing),
            ("notdir", Holder::NotDir),
            ("parent", Holder::Parent),
            ("denied", Holder::Denied),
        ] {
            assert_eq!(
                check(&format!("{word}\n"), true, 0),
                Some(Check {
                    holder: Some(holder),
                    targets: vec![]
                }),
                "{word}"
            );
        }
        // Later chunks do not ask for the holder: their first line is a target's.
        assert_eq!(
            check("none\n", false, 1),
            Some(Check {
                holder: None,
                targets: vec![Current::None]
            })
        );
        // Lines after the asked ones are not read.
        assert_eq!(
            check("dir\nnone\nanything at all\n", true, 1).map(|c| c.targets),
            Some(vec![Current::None])
        );
    }

    #[test]
    fn a_check_reply_a_script_cannot_have_printed_is_refused() {
        let sha = "a".repeat(64);
        for (reply, entries) in [
            // Truncated: no holder, a target missing, cut mid-line.
            ("", 0),
            ("dir\n", 1),
            ("dir\nfile 644", 1),
            ("dir\nfile 644 aaaa", 1),
            // Wrong words, case, spacing, control characters.
            ("DIR\n", 0),
            ("dir \n", 0),
            (" dir\n", 0),
            ("missing\u{1b}[2J\n", 0),
            ("dir\nnone\u{0}\n", 1),
            ("dir\nlink\n", 1),
            ("dir\nexists\n", 1),
            // Extra or malformed fields.
            (&format!("dir\nfile 644 {sha} extra\n"), 1),
            (&format!("dir\nfile 644 {sha}a\n"), 1),
            (&format!("dir\nfile 64444 {sha}\n"), 1),
            (&format!("dir\nfile 648 {sha}\n"), 1),
            (&format!("dir\nfile -644 {sha}\n"), 1),
            (&format!("dir\nfile  {sha}\n"), 1),
            ("dir\nfile 644 -- \n", 1),
        ] {
            assert_eq!(check(reply, true, entries), None, "{reply:?}");
        }
        // Invalid UTF-8 reaches the parser replaced (U+FFFD), never as a known word.
        let lossy = String::from_utf8_lossy(b"di\xffr\n");
        assert_eq!(check(&lossy, true, 0), None);
        // A megabyte on one line.
        let huge = format!("dir\nfile 644 {}\n", "a".repeat(1 << 20));
        assert_eq!(check(&huge, true, 1), None);
    }

    /// Every path reaches the host's shell single-quoted: a name cannot end the quoting.
    #[test]
    fn scripts_quote_every_path_hostctl_chose() {
        let name = "/tmp/a'b; touch x #";
        let quoted = r#"'/tmp/a'\''b; touch x #'"#;
        let entry = |kind| manifest::Entry {
            local: "x".into(),
            remote: name.into(),
            kind,
        };
        let entries = [
            entry(EntryKind::Dir { mode: 0o755 }),
            entry(EntryKind::Symlink {
                target: name.into(),
            }),
        ];
        let check = check_script(Some(name), &entries, false);
        assert!(check.ends_with(&format!("g {quoted}\nc {quoted}\nc {quoted} {quoted}\n")));
        assert!(check.contains(r#""$(h < "$1")""#));
        assert!(check_script(None, &entries, true).contains(r#""-""#));
        assert_eq!(
            setup_line(Make::Dir { mode: 0o750 }, name, 3),
            format!("mkdir -p -- {quoted} && chmod -- 750 {quoted} || f \"$(y {quoted} d 0)\" 3\n")
        );
        assert_eq!(
            setup_line(Make::Link { target: name }, name, 0),
            format!("ln -sfnT -- {quoted} {quoted} || f \"$(y {quoted} l 0)\" 0\n")
        );
        assert_eq!(
            setup_line(Make::Holder, name, 1),
            format!("mkdir -p -- {quoted} || f \"$(y {quoted} d 0)\" 1\n")
        );
        let tmp = temp_path(name, "web01.example");
        assert!(tmp.starts_with("/tmp/.a'b; touch x #.hostctl-"), "{tmp}");
        assert!(tmp.contains("-web01example-"), "{tmp}");
        let upload = upload_script(name, &tmp, 5, &"f".repeat(64), "644", false);
        assert!(upload.contains(&format!("t={quoted}; tmp='")));
        assert!(!upload.contains("sync"));
        let synced = upload_script(name, &tmp, 5, &"f".repeat(64), "644", true);
        assert!(synced.contains(r#"chmod 644 "$tmp" && sync -- "$tmp" || e 0"#));
        assert!(synced.contains(r#"mv -fT -- "$tmp" "$t" && sync -- '/tmp' || e 0"#));
    }
}
