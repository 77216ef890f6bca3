//! pull's side of the protocol: the listing (GNU find), the digests of files hostctl may
//! already hold, the fetch of one file with its digest, and the replies each may give. Every
//! name, size and digest in them comes from the host and is checked here before it is used.

use super::SHA256_FN;
use crate::manifest::join;
use crate::ssh::shell_quote as q;

/// The listing script: what `remote` is, one record per entry (`parse_listing` reads them).
/// Without `recursive` only `remote` itself, following a symlink; with it the tree below,
/// symlinks as symlinks.
pub fn listing_script(remote: &str, recursive: bool) -> String {
    // find reads a leading `-` as an expression.
    let start = if remote.starts_with('-') {
        format!("./{remote}")
    } else {
        remote.to_string()
    };
    format!(
        "exec find {follow}{start}{depth} \\( -type d \\( ! -readable -o ! -executable \\) -o -type f ! -readable \\) \
         -printf 'u %y %m %s %P\\0%l\\0' -prune -o -printf 'r %y %m %s %P\\0%l\\0'",
        follow = if recursive { "" } else { "-H " },
        start = q(&start),
        depth = if recursive { "" } else { " -maxdepth 0" },
    )
}

/// One entry of the host's listing, relative to the pulled path (`rel` empty: the path itself).
#[derive(Debug, PartialEq)]
pub struct Listed {
    pub rel: String,
    /// The host could read it (a directory: list it) as the pulling user.
    pub readable: bool,
    pub kind: Kind,
}

#[derive(Debug, PartialEq)]
pub enum Kind {
    File {
        mode: u32,
        size: u64,
    },
    Dir {
        mode: u32,
    },
    Link {
        target: Vec<u8>,
    },
    /// Sockets, fifos, devices: never copied.
    Other,
}

/// `remote` joined with a listed name (`""`: `remote` itself).
pub fn remote_of(remote: &str, rel: &str) -> String {
    if rel.is_empty() {
        remote.to_string()
    } else {
        join(remote, rel)
    }
}

/// A name as the operator can read it: control characters and invalid UTF-8 escaped.
fn shown(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s
            .chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
        Err(_) => bytes.escape_ascii().to_string(),
    }
}

/// Why a listed name cannot be a path below the pulled root, if it cannot.
fn check_rel(rel: &[u8]) -> Result<&str, &'static str> {
    let rel = std::str::from_utf8(rel)
        .map_err(|_| "the name is not valid UTF-8 (hostctl pulls only UTF-8 names)")?;
    if rel.is_empty() {
        return Ok(rel);
    }
    for part in rel.split('/') {
        match part {
            "" => return Err("the name is not a relative path"),
            "." | ".." => return Err("the name would leave the pulled directory (`.` or `..`)"),
            _ => {}
        }
    }
    Ok(rel)
}

/// The listing's records, `u|r TYPE MODE SIZE NAME\0LINK-TARGET\0`, checked one by one: each
/// record that is malformed or names a path outside the pulled root is refused with a reason.
pub fn parse_listing(data: &[u8], remote: &str) -> (Vec<Listed>, Vec<String>) {
    let (mut out, mut refused) = (Vec::new(), Vec::new());
    let mut fields = data.split(|&b| b == 0);
    while let (Some(head), Some(link)) = (fields.next(), fields.next()) {
        let mut parts = head.splitn(5, |&b| b == b' ');
        let (Some(flag), Some(kind), Some(mode), Some(size), Some(rel)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            refused.push(malformed(remote, head));
            continue;
        };
        let number = |b: &[u8], radix| {
            std::str::from_utf8(b)
                .ok()
                .and_then(|s| u64::from_str_radix(s, radix).ok())
        };
        let (Some(mode), Some(size), true) = (
            number(mode, 8).filter(|m| *m <= 0o7777),
            number(size, 10),
            flag == b"r" || flag == b"u",
        ) else {
            refused.push(malformed(remote, head));
            continue;
        };
        let rel = match check_rel(rel) {
            Ok(rel) => rel.to_string(),
            Err(why) => {
                let name = shown(rel);
                refused.push(format!("`{}`: not pulled: {why}", remote_of(remote, &name)));
                continue;
            }
        };
        let mode = mode as u32;
        let kind = match kind {
            b"f" => Kind::File { mode, size },
            b"d" => Kind::Dir { mode },
            b"l" => Kind::Link {
                target: link.to_vec(),
            },
            _ => Kind::Other,
        };
        out.push(Listed {
            rel,
            readable: flag == b"r",
            kind,
        });
    }
    (out, refused)
}

fn malformed(remote: &str, head: &[u8]) -> String {
    let mut text = shown(&head[..head.len().min(80)]);
    if head.len() > 80 {
        text.push('…');
    }
    format!("the host's listing of `{remote}` has a malformed entry `{text}`")
}

/// Why find listed nothing, from its message's last words (`find: '/root': Permission denied`).
#[derive(Debug, PartialEq)]
pub enum FindCause {
    Denied,
    Missing,
    /// A parent of the path is not a directory.
    NotDir,
    /// Anything else: the message is shown as the host gave it.
    Other,
}

pub fn find_cause(reason: &str) -> FindCause {
    match reason.rsplit(": ").next().unwrap_or("") {
        "Permission denied" => FindCause::Denied,
        "No such file or directory" => FindCause::Missing,
        "Not a directory" => FindCause::NotDir,
        _ => FindCause::Other,
    }
}

/// The digest script: SHA-256 of the first SIZE bytes of each `(path, size)`, one line each.
pub fn digests_script<'a>(files: impl IntoIterator<Item = (&'a str, u64)>) -> String {
    let mut text = format!("{SHA256_FN}d() {{ head -c \"$2\" < \"$1\" | h; }}\n");
    for (path, size) in files {
        text.push_str(&format!("d {} {size}\n", q(path)));
    }
    text
}

/// The most stdout the digest script may send for `files` files: a digest and a newline each,
/// and some slack.
pub fn digests_reply_max(files: usize) -> usize {
    files * 65 + 64
}

/// The digest script's stdout: one line per asked file, in order. A file whose line is missing
/// or is not 64 lowercase hex digits has no digest (it is fetched).
pub fn parse_digests(stdout: &[u8], files: usize) -> Vec<Option<String>> {
    let text = String::from_utf8_lossy(stdout);
    let mut lines = text.lines();
    (0..files)
        .map(|_| {
            lines
                .next()
                .filter(|l| {
                    l.len() == 64 && l.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                })
                .map(str::to_string)
        })
        .collect()
}

/// The fetch script: exactly `size` bytes of `path` on stdout (a file that grew since it was
/// listed is copied as it was listed), and their SHA-256 as the last line of stderr.
pub fn fetch_script(path: &str, size: u64) -> String {
    format!(
        "{SHA256_FN}{{ head -c {size} < {} | tee /dev/fd/3 | h >&2; }} 3>&1",
        q(path)
    )
}

/// The fetch script's stderr: the digest the host computed, and what its tools said before it.
#[derive(Debug, PartialEq)]
pub struct FetchTrailer {
    /// The first word of the last non-empty line; empty when there is none.
    pub digest: String,
    /// The non-empty lines before it: any means the copy failed on the host.
    pub messages: Vec<String>,
}

pub fn parse_fetch_stderr(stderr: &[u8]) -> FetchTrailer {
    let text = String::from_utf8_lossy(stderr);
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let digest = lines
        .pop()
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    FetchTrailer {
        digest,
        messages: lines.into_iter().map(str::to_string).collect(),
    }
}

/// Whether a reason (`reason_from` of the host's stderr) is a permission refusal.
pub fn says_denied(reason: &str) -> bool {
    reason.ends_with("Permission denied")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(data: &[u8]) -> (Vec<Listed>, Vec<String>) {
        parse_listing(data, "/tmp/d")
    }

    #[test]
    fn the_listing_reads_types_modes_sizes_and_any_byte_in_names() {
        let (listed, refused) = parse(
            b"r d 755 4096 \0\0r f 644 12 a b\nc\0\0u f 600 3 secret\0\0r l 777 9 ln\0../target\0r p 644 0 fifo\0\0",
        );
        assert!(refused.is_empty(), "{refused:?}");
        assert_eq!(
            listed,
            [
                Listed {
                    rel: String::new(),
                    readable: true,
                    kind: Kind::Dir { mode: 0o755 }
                },
                Listed {
                    rel: "a b\nc".into(),
                    readable: true,
                    kind: Kind::File {
                        mode: 0o644,
                        size: 12
                    }
                },
                Listed {
                    rel: "secret".into(),
                    readable: false,
                    kind: Kind::File {
                        mode: 0o600,
                        size: 3
                    }
                },
                Listed {
                    rel: "ln".into(),
                    readable: true,
                    kind: Kind::Link {
                        target: b"../target".to_vec()
                    }
                },
                Listed {
                    rel: "fifo".into(),
                    readable: true,
                    kind: Kind::Other
                },
            ]
        );
    }

    #[test]
    fn names_that_leave_the_pulled_directory_are_refused_one_by_one() {
        let (listed, refused) = parse(
            b"r f 644 1 ../../x\0\0r f 644 1 a/../../x\0\0r f 644 1 /etc/x\0\0r f 644 1 a//b\0\0r f 644 1 ./a\0\0r f 644 1 bad\xff\0\0r f 644 1 sub/inner\0\0",
        );
        assert_eq!(
            refused,
            [
                "`/tmp/d/../../x`: not pulled: the name would leave the pulled directory (`.` or `..`)",
                "`/tmp/d/a/../../x`: not pulled: the name would leave the pulled directory (`.` or `..`)",
                "`/tmp/d//etc/x`: not pulled: the name is not a relative path",
                "`/tmp/d/a//b`: not pulled: the name is not a relative path",
                "`/tmp/d/./a`: not pulled: the name would leave the pulled directory (`.` or `..`)",
                "`/tmp/d/bad\\xff`: not pulled: the name is not valid UTF-8 (hostctl pulls only UTF-8 names)",
            ]
        );
        // A name with `/` whose directories were not listed still lands inside.
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].rel, "sub/inner");
    }

    #[test]
    fn malformed_records_are_refused_not_guessed() {
        let (listed, refused) = parse(
            b"r f 644 x name\0\0r f 9999 1 name\0\0x f 644 1 name\0\0r f 644\0\0r f 644 -1 n\0\0r f 644 1 ok\0\0r f 644 1 trailing",
        );
        assert_eq!(listed.len(), 1);
        assert_eq!(
            refused,
            [
                "the host's listing of `/tmp/d` has a malformed entry `r f 644 x name`",
                "the host's listing of `/tmp/d` has a malformed entry `r f 9999 1 name`",
                "the host's listing of `/tmp/d` has a malformed entry `x f 644 1 name`",
                "the host's listing of `/tmp/d` has a malformed entry `r f 644`",
                "the host's listing of `/tmp/d` has a malformed entry `r f 644 -1 n`",
            ]
        );
    }

    #[test]
    fn shown_names_escape_what_a_terminal_would_interpret() {
        assert_eq!(shown(b"a\x1b[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(shown(b"caf\xc3\xa9 it's"), "café it's");
        assert_eq!(shown(b"x\xff"), "x\\xff");
        assert_eq!(remote_of("/tmp/d", ""), "/tmp/d");
        assert_eq!(remote_of("/tmp/d/", "a"), "/tmp/d/a");
    }

    /// A hostile listing: every record is checked on its own, nothing is guessed, and nothing
    /// a host sends can make the parser panic.
    #[test]
    fn hostile_listings_are_refused_record_by_record() {
        // Truncated: a record cut before its link field is not read; nor is an empty reply.
        assert_eq!(parse(b""), (vec![], vec![]));
        assert_eq!(parse(b"r f 644 1 cut"), (vec![], vec![]));
        let (listed, refused) = parse(b"r f 644 1 ok\0\0r f 644 1 cu");
        assert_eq!((listed.len(), refused.len()), (1, 0));
        // Cut after the name's NUL: the link field reads empty, as find prints it for a file.
        let (listed, _) = parse(b"r l 777 1 ln\0");
        assert_eq!(listed[0].kind, Kind::Link { target: vec![] });
        // Oversize numbers, numbers that are not UTF-8, wrong flags: malformed, one by one.
        let (listed, refused) = parse(
            b"r f 644 99999999999999999999999 big\0\0r f 77777 1 m\0\0r f 6\xff4 1 n\0\0R f 644 1 n\0\0r f 0x1 1 n\0\0r f 644 1 ok\0\0",
        );
        assert_eq!(listed.len(), 1);
        assert_eq!(
            refused,
            [
                "the host's listing of `/tmp/d` has a malformed entry `r f 644 99999999999999999999999 big`",
                "the host's listing of `/tmp/d` has a malformed entry `r f 77777 1 m`",
                "the host's listing of `/tmp/d` has a malformed entry `r f 6\\xff4 1 n`",
                "the host's listing of `/tmp/d` has a malformed entry `R f 644 1 n`",
                "the host's listing of `/tmp/d` has a malformed entry `r f 0x1 1 n`",
            ]
        );
        // An unknown type is never copied; extra spaces belong to the name.
        let (listed, refused) = parse(b"r z 644 1 odd\0\0r f 644 1 a b  c\0\0");
        assert!(refused.is_empty(), "{refused:?}");
        assert_eq!(listed[0].kind, Kind::Other);
        assert_eq!(listed[1].rel, "a b  c");
        // Control characters are names like any other, and shown escaped when refused.
        let (listed, refused) = parse(b"r f 644 1 \x1b]0;pwned\x07\0\0r f 644 1 ../\x1b[2J\0\0");
        assert_eq!(listed[0].rel, "\u{1b}]0;pwned\u{7}");
        assert_eq!(
            refused,
            [
                "`/tmp/d/../\\u{1b}[2J`: not pulled: the name would leave the pulled directory (`.` or `..`)"
            ]
        );
        // A huge malformed record is quoted in part, and a megabyte of NULs is only empty fields.
        let long = format!("x {}\0\0", "y".repeat(1 << 20));
        let (_, refused) = parse(long.as_bytes());
        assert!(
            refused[0].ends_with(&format!("`x {}…`", "y".repeat(78))),
            "{}",
            refused[0]
        );
        let (listed, refused) = parse(&vec![0u8; 1 << 20]);
        assert!(listed.is_empty());
        assert_eq!(refused.len(), 1 << 19);
    }

    /// The digest reply: one 64-digit lowercase line per asked file, in order; anything else
    /// is no digest, and that file is fetched.
    #[test]
    fn digest_replies_are_read_in_order_and_garbage_is_no_digest() {
        let (a, b) = ("a".repeat(64), "0123456789abcdef".repeat(4));
        assert_eq!(
            parse_digests(format!("{a}\n{b}\n").as_bytes(), 2),
            [Some(a.clone()), Some(b.clone())]
        );
        // Truncated: the missing ones have none; extra lines are not read.
        assert_eq!(parse_digests(a.as_bytes(), 2), [Some(a.clone()), None]);
        assert_eq!(
            parse_digests(format!("{a}\n{b}\n").as_bytes(), 1),
            [Some(a.clone())]
        );
        for garbage in [
            "A".repeat(64),
            "a".repeat(63),
            "a".repeat(65),
            format!("{a}  -"),
            format!("{a} "),
            format!("g{}", &a[1..]),
            format!("\u{1b}{}", &a[1..]),
            String::new(),
        ] {
            let reply = format!("{garbage}\n{b}\n");
            assert_eq!(
                parse_digests(reply.as_bytes(), 2),
                [None, Some(b.clone())],
                "{garbage:?}"
            );
        }
        let mut bad = a.as_bytes().to_vec();
        bad[10] = 0xff;
        assert_eq!(parse_digests(&bad, 1), [None]);
        assert_eq!(parse_digests(&vec![b'a'; 1 << 20], 1), [None]);
    }

    /// The fetch trailer: the digest is the last line's first word; any line before it is a
    /// message from the host's tools, which fails the copy.
    #[test]
    fn the_fetch_trailer_separates_the_digest_from_messages() {
        let a = "a".repeat(64);
        let trailer = |err: &[u8]| parse_fetch_stderr(err);
        assert_eq!(
            trailer(format!("{a}\n").as_bytes()),
            FetchTrailer {
                digest: a.clone(),
                messages: vec![]
            }
        );
        // sha256sum's `  -`, blank lines and CRLF do not change the digest.
        assert_eq!(trailer(format!("\n{a}  -\r\n\n  \n").as_bytes()).digest, a);
        assert_eq!(
            trailer(format!("head: cannot open '/x': Permission denied\n{a}\n").as_bytes()),
            FetchTrailer {
                digest: a.clone(),
                messages: vec!["head: cannot open '/x': Permission denied".into()]
            }
        );
        // Nothing, or only blanks: no digest, which matches no received data.
        assert_eq!(trailer(b"").digest, "");
        assert_eq!(trailer(b"\n \n\t\n").digest, "");
        // Garbage is carried as it is (the message renders it visible), never trusted as a
        // digest of the right shape.
        assert_eq!(trailer(b"\x1b[2Jpwned\n").digest, "\u{1b}[2Jpwned");
        assert_eq!(trailer(b"ab\xffcd\n").digest, "ab\u{fffd}cd");
        let t = trailer(format!("{}\nx\n", "m".repeat(1 << 20)).as_bytes());
        assert_eq!((t.digest.as_str(), t.messages[0].len()), ("x", 1 << 20));
    }

    #[test]
    fn find_failures_are_read_from_their_last_words() {
        assert_eq!(
            find_cause("find: '/root': Permission denied"),
            FindCause::Denied
        );
        assert_eq!(
            find_cause("find: '/nope': No such file or directory"),
            FindCause::Missing
        );
        assert_eq!(
            find_cause("find: '/etc/passwd/x': Not a directory"),
            FindCause::NotDir
        );
        for other in [
            "",
            "Permission denied: more",
            "find: '/x': permission denied",
            "find: '/x': Permission denied ",
            "find: '/x': Input/output error",
            "\u{1b}[2J: Permission denie",
        ] {
            assert_eq!(find_cause(other), FindCause::Other, "{other:?}");
        }
        assert!(says_denied(
            "head: cannot open '/x' for reading: Permission denied"
        ));
        assert!(!says_denied("head: Permission denied: no"));
    }
}
