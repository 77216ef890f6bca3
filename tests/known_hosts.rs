//! known_hosts, differentially: each file of a corpus is checked by OpenSSH's `ssh` and by
//! hostctl against the same real sshd (ed25519, RSA and ECDSA host keys; ports 2222 and 22;
//! reached by address and by name), and both must reach the same verdict. The few cases where
//! hostctl refuses what OpenSSH accepts are listed with their reason (`stricter`).

use hostctl_test_support as support;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::oracle::{self, Verdict};
use support::{Fleet, bin, keygen};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// How a case reaches the host.
#[derive(Debug, Clone, Copy)]
enum Via {
    /// 127.0.0.1 port 2222
    Ip,
    /// 127.0.0.1 port 22: known_hosts names it without brackets
    Ip22,
    /// `kh.corp` (127.0.0.1 in the test's /etc/hosts) port 2222
    Name,
}

impl Via {
    fn address(self) -> &'static str {
        match self {
            Via::Ip | Via::Ip22 => "127.0.0.1",
            Via::Name => "kh.corp",
        }
    }

    fn port(self) -> u16 {
        match self {
            Via::Ip22 => 22,
            _ => 2222,
        }
    }
}

struct Case {
    name: String,
    via: Via,
    text: Vec<u8>,
    /// Why hostctl refuses this file although OpenSSH accepts it.
    stricter: Option<&'static str>,
}

/// The host's own keys and two it does not have, as SSH wire blobs.
struct Keys {
    ed: Vec<u8>,
    rsa: Vec<u8>,
    ec: Vec<u8>,
    other_ed: Vec<u8>,
    other_rsa: Vec<u8>,
    /// A type the host has no key of.
    other_p384: Vec<u8>,
}

/// One sshd in a network namespace of its own, listening on 127.0.0.1 ports 2222 and 22,
/// and the means to run `ssh` and hostctl in that namespace with `kh.corp` resolving to it.
struct Lab {
    fleet: Fleet,
    keys: Keys,
    etc_hosts: PathBuf,
}

fn public_blob(pub_file: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(pub_file).expect("public key");
    B64.decode(text.split_whitespace().nth(1).expect("key field"))
        .expect("base64")
}

impl Lab {
    fn start() -> Lab {
        let fleet = Fleet::start(&["ns:kh"]);
        let dir = fleet.path("keys");
        std::fs::create_dir_all(&dir).unwrap();
        keygen(&dir.join("rsa"), &["-t", "rsa", "-b", "2048"]);
        keygen(&dir.join("ecdsa"), &["-t", "ecdsa", "-b", "256"]);
        keygen(&dir.join("other_ed"), &["-t", "ed25519"]);
        keygen(&dir.join("other_rsa"), &["-t", "rsa", "-b", "2048"]);
        keygen(&dir.join("other_p384"), &["-t", "ecdsa", "-b", "384"]);
        fleet.restart_with(
            "kh",
            &format!(
                "HostKey {}\nHostKey {}\nListenAddress 127.0.0.1:22\n",
                dir.join("rsa").display(),
                dir.join("ecdsa").display()
            ),
        );
        let keys = Keys {
            ed: public_blob(&fleet.path("hosts/kh/ssh_host_ed25519_key.pub")),
            rsa: public_blob(&dir.join("rsa.pub")),
            ec: public_blob(&dir.join("ecdsa.pub")),
            other_ed: public_blob(&dir.join("other_ed.pub")),
            other_rsa: public_blob(&dir.join("other_rsa.pub")),
            other_p384: public_blob(&dir.join("other_p384.pub")),
        };
        let etc_hosts = fleet.path("etc-hosts");
        support::write(&etc_hosts, "127.0.0.1 localhost\n127.0.0.1 kh.corp\n");
        std::fs::create_dir_all(fleet.path("kh")).unwrap();
        Lab {
            fleet,
            keys,
            etc_hosts,
        }
    }

    /// `program` inside the host's network namespace, with our /etc/hosts bound over the
    /// real one in a private mount namespace.
    fn command(&self, program: &str) -> Command {
        oracle::isolated(&self.fleet, &self.etc_hosts, Some("kh"), program)
    }

    /// OpenSSH's verdict on `file` for a connection `via`.
    fn ssh(&self, via: Via, file: &Path, strict: &str) -> (Verdict, String) {
        let ssh = self.command("ssh");
        oracle::ssh_verdict(ssh, &self.fleet, via.address(), via.port(), file, strict)
    }

    /// hostctl's verdict on each case, in one run over all of them (`-f` bounded).
    fn hostctl(&self, cases: &[Case], dir: &str, extra: &[&str]) -> Vec<(Verdict, String)> {
        let cases: Vec<oracle::Case> = cases
            .iter()
            .map(|case| oracle::Case {
                name: case.name.clone(),
                address: case.via.address().to_string(),
                port: case.via.port(),
                known_hosts: format!("{dir}/{}", case.name),
            })
            .collect();
        oracle::hostctl_verdicts(
            &self.fleet,
            self.command(bin()),
            &cases,
            extra,
            &["host key", "known_hosts", "refusing to trust"],
        )
    }
}

fn line(hosts: &str, label: &str, blob: &[u8]) -> String {
    format!("{hosts} {label} {}\n", B64.encode(blob))
}

fn ssh_string(v: &[u8]) -> Vec<u8> {
    let mut b = (v.len() as u32).to_be_bytes().to_vec();
    b.extend_from_slice(v);
    b
}

/// Splits an SSH wire blob into its strings.
fn strings(mut blob: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !blob.is_empty() {
        let len = u32::from_be_bytes(blob[..4].try_into().unwrap()) as usize;
        out.push(blob[4..4 + len].to_vec());
        blob = &blob[4 + len..];
    }
    out
}

/// `ssh-keygen -H`: `|1|` base64(salt) `|` base64(HMAC-SHA1(salt, host)).
fn hashed(host: &str, salt: &[u8]) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(salt).unwrap();
    mac.update(host.as_bytes());
    format!(
        "|1|{}|{}",
        B64.encode(salt),
        B64.encode(mac.finalize().into_bytes())
    )
}

const H: &str = "[127.0.0.1]:2222";
const BARE: &str = "127.0.0.1";
const NAME: &str = "[kh.corp]:2222";

/// The corpus: (name, how the host is reached, the known_hosts bytes, stricter-reason).
fn corpus(k: &Keys) -> Vec<Case> {
    let ed = |hosts: &str| line(hosts, "ssh-ed25519", &k.ed);
    let ed_b64 = B64.encode(&k.ed);
    let salt: Vec<u8> = (1..=20).collect();
    let (head, tail) = ed_b64.split_at(30);
    let mut rsa_padded = strings(&k.rsa);
    rsa_padded[2].splice(0..0, [0, 0]);
    let rsa_padded: Vec<u8> = rsa_padded.iter().flat_map(|s| ssh_string(s)).collect();
    let ed_short_name = [ssh_string(b"ED25519"), ssh_string(&strings(&k.ed)[1])].concat();
    let ed_trailing = [k.ed.clone(), ssh_string(b"x")].concat();

    let mut cases: Vec<(&str, Via, Vec<u8>, Option<&'static str>)> = Vec::new();
    let mut add = |name: &'static str, via: Via, text: String| {
        cases.push((name, via, text.into_bytes(), None));
    };
    // Plain lines, labels and key types.
    add("plain", Via::Ip, ed(H));
    add("empty", Via::Ip, String::new());
    add("changed", Via::Ip, line(H, "ssh-ed25519", &k.other_ed));
    add("label-rsa-on-ed25519", Via::Ip, line(H, "ssh-rsa", &k.ed));
    add("label-bogus", Via::Ip, line(H, "foo-bar", &k.ed));
    add(
        "label-rsa-sha2-512",
        Via::Ip,
        line(H, "rsa-sha2-512", &k.rsa),
    );
    add(
        "label-rsa-sha2-256-on-ed25519",
        Via::Ip,
        line(H, "rsa-sha2-256", &k.ed),
    );
    add(
        "label-cert-on-plain",
        Via::Ip,
        line(H, "ssh-ed25519-cert-v01@openssh.com", &k.ed),
    );
    add("rsa", Via::Ip, line(H, "ssh-rsa", &k.rsa));
    add("ecdsa", Via::Ip, line(H, "ecdsa-sha2-nistp256", &k.ec));
    add(
        "label-wrong-curve",
        Via::Ip,
        line(H, "ecdsa-sha2-nistp384", &k.ec),
    );
    add(
        "label-ed25519-on-ecdsa",
        Via::Ip,
        line(H, "ssh-ed25519", &k.ec),
    );
    add(
        "blob-short-type-name",
        Via::Ip,
        line(H, "ssh-ed25519", &ed_short_name),
    );
    add(
        "blob-rsa-leading-zeros",
        Via::Ip,
        line(H, "ssh-rsa", &rsa_padded),
    );
    add(
        "blob-trailing-data",
        Via::Ip,
        line(H, "ssh-ed25519", &ed_trailing),
    );
    add("label-only", Via::Ip, format!("{H} ssh-ed25519\n"));
    add(
        "comment-after-key",
        Via::Ip,
        format!("{H} ssh-ed25519 {ed_b64} a comment\n"),
    );
    add(
        "comment-before-key",
        Via::Ip,
        format!("{H} #x ssh-ed25519 {ed_b64}\n"),
    );
    add("commented-out", Via::Ip, format!("# {}", ed(H)));
    add("commented-out-indented", Via::Ip, format!(" \t#{}", ed(H)));
    // Hashed host names.
    add("hashed", Via::Ip, ed(&hashed(H, &salt)));
    add(
        "hashed-then-comma",
        Via::Ip,
        ed(&format!("{},{H}", hashed(H, &salt))),
    );
    add(
        "hashed-garbage-comma",
        Via::Ip,
        ed(&format!("|1|!!!|!!!,{H}")),
    );
    add("hashed-bare-name", Via::Ip, ed(&hashed(BARE, &salt)));
    add("hashed-short-salt", Via::Ip, ed(&hashed(H, &salt[..16])));
    add(
        "hashed-other-magic",
        Via::Ip,
        ed(&hashed(H, &salt).replacen("|1|", "|2|", 1)),
    );
    add(
        "hashed-negated",
        Via::Ip,
        ed(&format!("!{}", hashed(H, &salt))),
    );
    add("hashed-name", Via::Name, ed(&hashed(NAME, &salt)));
    add(
        "hashed-name-uppercase",
        Via::Name,
        ed(&hashed("[KH.CORP]:2222", &salt)),
    );
    // Ports.
    add("bare-name-on-2222", Via::Ip, ed(BARE));
    add(
        "bare-name-changed",
        Via::Ip,
        line(BARE, "ssh-ed25519", &k.other_ed),
    );
    add(
        "port-changed-bare-good",
        Via::Ip,
        line(H, "ssh-ed25519", &k.other_ed) + &ed(BARE),
    );
    add("port-22-bare", Via::Ip22, ed(BARE));
    add("port-22-bracketed", Via::Ip22, ed("[127.0.0.1]:22"));
    add("port-22-other-port-line", Via::Ip22, ed(H));
    // Wildcards, negation, lists.
    add("wildcard-star", Via::Ip, ed("*"));
    add("wildcard-address", Via::Ip, ed("[127.0.0.*]:2222"));
    add("wildcard-question", Via::Ip, ed("[127.0.0.?]:2222"));
    add("wildcard-two-questions", Via::Ip, ed("[127.0.0.??]:2222"));
    add("wildcard-port", Via::Ip, ed("[127.0.0.1]:*"));
    add("wildcard-bare", Via::Ip, ed("127.0.0.*"));
    add("negation-excludes", Via::Ip, ed(&format!("*,!{H},!{BARE}")));
    // Excluded with its port, the host still matches by its bare name.
    add(
        "negation-port-bare-fallback",
        Via::Ip,
        ed(&format!("*,!{H}")),
    );
    add("negation-other", Via::Ip, ed("![127.0.0.2]:2222,*"));
    add("negation-only", Via::Ip, ed("![127.0.0.2]:2222"));
    add("negation-bare", Via::Ip, ed("*,!127.0.0.1"));
    add("list", Via::Ip, ed(&format!("foo,{H},bar")));
    add("list-empty-items", Via::Ip, ed(&format!(",,{H},,")));
    add("list-space-after-comma", Via::Ip, ed(&format!("foo, {H}")));
    add(
        "list-pattern-too-long",
        Via::Ip,
        ed(&format!("{H},{}", "x".repeat(1100))),
    );
    // Names.
    add("name", Via::Name, ed(NAME));
    add("name-uppercase", Via::Name, ed("[KH.Corp]:2222"));
    add("name-address-only", Via::Name, ed(H));
    add("name-bare-wildcard", Via::Name, ed("*.corp"));
    add("name-wildcard", Via::Name, ed("[*.corp]:2222"));
    add(
        "name-negated",
        Via::Name,
        ed("[*.corp]:2222,![kh.corp]:2222"),
    );
    // Markers.
    add("revoked", Via::Ip, ed(H) + "@revoked " + &ed(H));
    add(
        "revoked-first",
        Via::Ip,
        "@revoked ".to_string() + &ed(H) + &ed(H),
    );
    add(
        "revoked-other-key",
        Via::Ip,
        ed(H) + "@revoked " + &line(H, "ssh-ed25519", &k.other_ed),
    );
    add(
        "revoked-other-host",
        Via::Ip,
        ed(H) + "@revoked " + &ed("[127.0.0.2]:2222"),
    );
    add("revoked-wildcard", Via::Ip, ed(H) + "@revoked " + &ed("*"));
    add(
        "revoked-bare-with-port-line",
        Via::Ip,
        ed(H) + "@revoked " + &ed(BARE),
    );
    add(
        "revoked-bare-only",
        Via::Ip,
        ed(BARE) + "@revoked " + &ed(BARE),
    );
    add(
        "revoked-crlf",
        Via::Ip,
        ed(H) + &format!("@revoked {H} ssh-ed25519 {ed_b64}\r\n"),
    );
    add(
        "revoked-tabs-only",
        Via::Ip,
        ed(H) + &format!("@revoked\t{H}\tssh-ed25519\t{ed_b64}\n"),
    );
    add(
        "revoked-hashed",
        Via::Ip,
        ed(H) + "@revoked " + &ed(&hashed(H, &salt)),
    );
    add("marker-unknown", Via::Ip, "@foo ".to_string() + &ed(H));
    add(
        "marker-unknown-and-plain",
        Via::Ip,
        "@foo ".to_string() + &line(H, "ssh-ed25519", &k.other_ed) + &ed(H),
    );
    add(
        "marker-cert-authority",
        Via::Ip,
        "@cert-authority ".to_string() + &ed(H),
    );
    add(
        "marker-twice",
        Via::Ip,
        "@revoked @revoked ".to_string() + &ed(H) + &ed(H),
    );
    add("marker-alone", Via::Ip, "@revoked\n".to_string() + &ed(H));
    // Line ends and whitespace.
    add("crlf", Via::Ip, format!("{H} ssh-ed25519 {ed_b64}\r\n"));
    add(
        "crlf-comment",
        Via::Ip,
        format!("{H} ssh-ed25519 {ed_b64} c\r\n"),
    );
    add("leading-blanks", Via::Ip, format!(" \t {}", ed(H)));
    add("tabs", Via::Ip, format!("{H}\tssh-ed25519\t{ed_b64}\n"));
    add(
        "many-spaces",
        Via::Ip,
        format!("{H}   ssh-ed25519 \t  {ed_b64}\n"),
    );
    add(
        "nbsp-after-host",
        Via::Ip,
        format!("{H}\u{a0}ssh-ed25519 {ed_b64}\n"),
    );
    add(
        "nbsp-before-key",
        Via::Ip,
        format!("{H} ssh-ed25519\u{a0}{ed_b64}\n"),
    );
    add(
        "vtab-after-host",
        Via::Ip,
        format!("{H}\x0bssh-ed25519 {ed_b64}\n"),
    );
    add(
        "formfeed-before-key",
        Via::Ip,
        format!("{H} ssh-ed25519\x0c{ed_b64}\n"),
    );
    add(
        "vtab-inside-key",
        Via::Ip,
        format!("{H} ssh-ed25519 {head}\x0b{tail}\n"),
    );
    add(
        "cr-inside-key",
        Via::Ip,
        format!("{H} ssh-ed25519 {head}\r{tail}\n"),
    );
    add(
        "nbsp-inside-key",
        Via::Ip,
        format!("{H} ssh-ed25519 {head}\u{a0}{tail}\n"),
    );
    add(
        "vtab-after-key",
        Via::Ip,
        format!("{H} ssh-ed25519 {ed_b64}\x0b\n"),
    );
    add("no-final-newline", Via::Ip, ed(H).trim_end().to_string());
    // Several keys for one host (the server has ed25519, RSA and ECDSA keys).
    add(
        "several-first-wrong",
        Via::Ip,
        line(H, "ssh-ed25519", &k.other_ed) + &ed(H),
    );
    add(
        "several-first-right",
        Via::Ip,
        ed(H) + &line(H, "ssh-ed25519", &k.other_ed),
    );
    add(
        "several-rsa-and-other-ed25519",
        Via::Ip,
        line(H, "ssh-rsa", &k.rsa) + &line(H, "ssh-ed25519", &k.other_ed),
    );
    add(
        "several-ecdsa-and-other-rsa",
        Via::Ip,
        line(H, "ecdsa-sha2-nistp256", &k.ec) + &line(H, "ssh-rsa", &k.other_rsa),
    );
    add("other-rsa-only", Via::Ip, line(H, "ssh-rsa", &k.other_rsa));
    add(
        "several-rsa-and-ecdsa",
        Via::Ip,
        line(H, "ssh-rsa", &k.rsa) + &line(H, "ecdsa-sha2-nistp256", &k.ec),
    );

    let mut out: Vec<Case> = cases
        .into_iter()
        .map(|(name, via, text, stricter)| Case {
            name: name.to_string(),
            via,
            text,
            stricter,
        })
        .collect();
    // Bytes that are not text: NUL ends a line, invalid UTF-8 spoils nothing.
    let raw = |name: &str, text: Vec<u8>| Case {
        name: name.to_string(),
        via: Via::Ip,
        text,
        stricter: None,
    };
    out.push(raw(
        "nul-before-key",
        [format!("{H}\0").as_bytes(), ed(H).as_bytes()].concat(),
    ));
    out.push(raw(
        "nul-in-comment",
        format!("{H} ssh-ed25519 {ed_b64} co\0mment\n").into_bytes(),
    ));
    out.push(raw(
        "invalid-utf8-comment",
        [
            format!("{H} ssh-ed25519 {ed_b64} ").as_bytes(),
            b"\xff\xfe\n",
        ]
        .concat(),
    ));
    out.push(raw(
        "invalid-utf8-other-line",
        [&b"\xff\xfe x\n"[..], ed(H).as_bytes()].concat(),
    ));
    // Deliberately stricter than OpenSSH.
    out.push(Case {
        name: "revoked-tab-then-space".into(),
        via: Via::Ip,
        text: (ed(H) + &format!("@revoked\t{H} ssh-ed25519 {ed_b64}\n")).into_bytes(),
        stricter: Some(
            "OpenSSH ends a marker at the line's first space, so `@revoked<TAB>host key` \
             is an unknown marker to it and the revocation is ignored; hostctl honours it",
        ),
    });
    out.push(Case {
        name: "last-line-host-only".into(),
        via: Via::Ip,
        text: format!("[127.0.0.2]:2222 ssh-ed25519 {ed_b64} a longer comment\n{H}").into_bytes(),
        stricter: Some(
            "a last line holding only host names and no newline: OpenSSH reads on past \
             the end of that line into what its buffer kept of the line before, and trusts \
             that line's key for this host",
        ),
    });
    out
}

#[test]
fn known_hosts_verdicts_agree_with_openssh() {
    let lab = Lab::start();
    let cases = corpus(&lab.keys);
    assert!(cases.len() >= 40, "the corpus shrank to {}", cases.len());
    for case in &cases {
        std::fs::write(lab.fleet.path(&format!("kh/{}", case.name)), &case.text).unwrap();
    }
    let ours = lab.hostctl(&cases, "kh", &[]);
    let theirs: Vec<(Verdict, String)> = std::thread::scope(|s| {
        let lab = &lab;
        let handles: Vec<_> = cases
            .chunks(cases.len().div_ceil(6))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|c| lab.ssh(c.via, &lab.fleet.path(&format!("kh/{}", c.name)), "yes"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("ssh thread"))
            .collect()
    });
    let mut wrong = Vec::new();
    let mut tally = [0; 2];
    for ((case, (ssh, ssh_err)), (hostctl, reason)) in cases.iter().zip(&theirs).zip(&ours) {
        tally[(*ssh == Verdict::Accepted) as usize] += 1;
        let expected = match case.stricter {
            None => *ssh,
            Some(_) => Verdict::Refused,
        };
        if case.stricter.is_some() && *ssh != Verdict::Accepted {
            wrong.push(format!(
                "{}: listed as stricter than OpenSSH, but OpenSSH refuses it too",
                case.name
            ));
        } else if *hostctl != expected {
            wrong.push(format!(
                "{}: ssh {ssh:?}, hostctl {hostctl:?}\n  known_hosts: {:?}\n  ssh: {}\n  hostctl: {reason}",
                case.name,
                String::from_utf8_lossy(&case.text),
                ssh_err.lines().last().unwrap_or_default()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases disagree:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    // The corpus exercises both verdicts.
    assert!(
        tally[0] >= 10 && tally[1] >= 10,
        "refused/accepted: {tally:?}"
    );
}

/// `--accept-new` against `StrictHostKeyChecking=accept-new`: the same verdict, and the same
/// file afterwards (hostctl starts a new line where OpenSSH would glue the key onto a last
/// line that has no newline).
#[test]
fn accept_new_agrees_with_openssh() {
    let lab = Lab::start();
    let k = &lab.keys;
    let ed = |hosts: &str| line(hosts, "ssh-ed25519", &k.ed);
    let case = |name: &str, via: Via, text: String, stricter: Option<&'static str>| Case {
        name: name.to_string(),
        via,
        text: text.into_bytes(),
        stricter,
    };
    let cases = [
        case("empty", Via::Ip, String::new(), None),
        case("empty-port-22", Via::Ip22, String::new(), None),
        case("empty-by-name", Via::Name, String::new(), None),
        case("other-host", Via::Ip, ed("[127.0.0.2]:2222"), None),
        case("ignored-line", Via::Ip, line(H, "ssh-rsa", &k.ed), None),
        case(
            "cert-authority-only",
            Via::Ip,
            "@cert-authority ".to_string() + &ed(H),
            None,
        ),
        case("no-final-newline", Via::Ip, "# a comment".into(), None),
        case("known-by-bare-name", Via::Ip, ed(BARE), None),
        case(
            "changed",
            Via::Ip,
            line(H, "ssh-ed25519", &k.other_ed),
            None,
        ),
        case("revoked", Via::Ip, ed(H) + "@revoked " + &ed(H), None),
        case(
            "revoked-by-bare-name",
            Via::Ip,
            "@revoked ".to_string() + &ed(BARE),
            Some(
                "OpenSSH finds the revoked key only on its second look (by the bare name), \
                 then treats the key as unknown and with accept-new records it",
            ),
        ),
    ];
    std::fs::create_dir_all(lab.fleet.path("ssh-new")).unwrap();
    std::fs::create_dir_all(lab.fleet.path("hostctl-new")).unwrap();
    for c in &cases {
        std::fs::write(lab.fleet.path(&format!("ssh-new/{}", c.name)), &c.text).unwrap();
        std::fs::write(lab.fleet.path(&format!("hostctl-new/{}", c.name)), &c.text).unwrap();
    }
    let ours = lab.hostctl(&cases, "hostctl-new", &["--accept-new"]);
    let mut wrong = Vec::new();
    for (c, (hostctl, reason)) in cases.iter().zip(&ours) {
        let ssh_file = lab.fleet.path(&format!("ssh-new/{}", c.name));
        let (ssh, ssh_err) = lab.ssh(c.via, &ssh_file, "accept-new");
        let ssh_text = std::fs::read(&ssh_file).unwrap();
        let our_text = std::fs::read(lab.fleet.path(&format!("hostctl-new/{}", c.name))).unwrap();
        let expected_text = match c.text.last() {
            Some(&last) if last != b'\n' && ssh_text.len() > c.text.len() => {
                [&c.text[..], b"\n", &ssh_text[c.text.len()..]].concat()
            }
            _ => ssh_text.clone(),
        };
        if c.stricter.is_some() {
            if ssh != Verdict::Accepted || *hostctl != Verdict::Refused || our_text != c.text {
                wrong.push(format!(
                    "{}: listed as stricter, but ssh {ssh:?}, hostctl {hostctl:?} ({reason})",
                    c.name
                ));
            }
        } else if ssh != *hostctl || our_text != expected_text {
            wrong.push(format!(
                "{}: ssh {ssh:?}, hostctl {hostctl:?} ({reason}; ssh: {})\n  ssh wrote:     {:?}\n  hostctl wrote: {:?}",
                c.name,
                ssh_err.lines().last().unwrap_or_default(),
                String::from_utf8_lossy(&ssh_text),
                String::from_utf8_lossy(&our_text)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // What was recorded is trusted next time, by both.
    for c in cases.iter().filter(|c| c.stricter.is_none()) {
        let file = lab.fleet.path(&format!("hostctl-new/{}", c.name));
        if ours[cases.iter().position(|x| x.name == c.name).unwrap()].0 == Verdict::Accepted {
            assert_eq!(
                lab.ssh(c.via, &file, "yes").0,
                Verdict::Accepted,
                "{}",
                c.name
            );
        }
    }
}

/// Four runs with `--accept-new` at once, ten new hosts: each key is recorded exactly once.
#[test]
fn concurrent_accept_new_records_each_key_once() {
    let names: Vec<String> = (1..=10).map(|i| format!("new{i:02}")).collect();
    let fleet = Fleet::start(&names.iter().map(String::as_str).collect::<Vec<_>>());
    support::write(&fleet.path("known_hosts"), "");
    let runs: Vec<_> = (0..4)
        .map(|_| {
            fleet
                .hostctl()
                .args(["run", "-g", "all", "--accept-new", "--json", "true"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run hostctl")
        })
        .collect();
    for child in runs {
        let run = support::Run::from(child.wait_with_output().unwrap());
        run.code(0);
    }
    let text = std::fs::read_to_string(fleet.path("known_hosts")).unwrap();
    for name in &names {
        let spec = format!("[{}]:2222 ", fleet.address(name));
        let count = text.lines().filter(|l| l.starts_with(&spec)).count();
        assert_eq!(count, 1, "{name} recorded {count} times:\n{text}");
    }
    assert_eq!(text.lines().count(), names.len(), "{text}");
    // And the file is one that OpenSSH reads: trusted without the flag.
    fleet.run(&["run", "-g", "all", "true"]).code(0);
}

/// Refusals name the file and the line, and say what to do.
#[test]
fn refusals_name_the_file_and_line() {
    let lab = Lab::start();
    let k = &lab.keys;
    let fp = {
        use sha2::Digest;
        format!(
            "SHA256:{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha2::Sha256::digest(&k.ed))
        )
    };
    let cases = [
        ("unknown", line(H, "ssh-rsa", &k.ed)),
        (
            "changed",
            "# old key\n".to_string() + &line(H, "ssh-ed25519", &k.other_ed),
        ),
        (
            "revoked",
            line(H, "ssh-ed25519", &k.ed) + "@revoked " + &line("*", "ssh-ed25519", &k.ed),
        ),
        ("other-type", line(H, "ecdsa-sha2-nistp384", &k.other_p384)),
    ]
    .map(|(name, text)| Case {
        name: name.to_string(),
        via: Via::Ip,
        text: text.into_bytes(),
        stricter: None,
    });
    for c in &cases {
        std::fs::write(lab.fleet.path(&format!("kh/{}", c.name)), &c.text).unwrap();
    }
    let reasons: Vec<String> = lab
        .hostctl(&cases, "kh", &[])
        .into_iter()
        .map(|(verdict, reason)| {
            assert_eq!(verdict, Verdict::Refused);
            reason
        })
        .collect();
    let file = |name: &str| lab.fleet.path(&format!("kh/{name}")).display().to_string();
    assert_eq!(
        reasons[0],
        format!(
            "unknown host key for 127.0.0.1:2222 (ssh-ed25519 {fp}); not in {} (line 1 names the host \
             but is ignored: the key type label `ssh-rsa` does not match the key (`ssh-ed25519`)). \
             Check the fingerprint, then rerun with --accept-new to record it",
            file("unknown")
        )
    );
    assert_eq!(
        reasons[1],
        format!(
            "HOST KEY CHANGED for 127.0.0.1:2222 (ssh-ed25519 {fp}); {}:2 holds a different key. \
             This may be an attack. If the host was reinstalled, remove that line and reconnect with --accept-new",
            file("changed")
        )
    );
    assert_eq!(
        reasons[2],
        format!(
            "host key of 127.0.0.1:2222 (ssh-ed25519 {fp}) is revoked ({}:2)",
            file("revoked")
        )
    );
    assert_eq!(
        reasons[3],
        format!(
            "127.0.0.1:2222 presented a ssh-ed25519 host key ({fp}) but {}:1 records a \
             ecdsa-sha2-nistp384 key for it; refusing to trust it without checking",
            file("other-type")
        )
    );
}
