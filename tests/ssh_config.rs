//! ssh_config against OpenSSH: for every config of a corpus and every host name, `ssh -G`
//! and `hostctl hosts --json` must agree on each setting hostctl resolves (HostName, Port,
//! User, IdentityFile, ProxyJump and each jump host's own settings, UserKnownHostsFile,
//! ConnectTimeout, ServerAliveInterval, StrictHostKeyChecking). A config that `ssh -G` rejects
//! must be rejected by hostctl too, naming the same line. `ssh -G` never connects: no fleet.
//!
//! Where hostctl differs on purpose, the difference is written down once, in `expected()` (a
//! value hostctl decides differently) or as a `refused` entry of a corpus case (a keyword
//! hostctl will not honour); README "ssh_config" lists the same.

use hostctl_test_support as support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::bin;

/// One config of the corpus. In every text, `{dir}` stands for the directory holding the files
/// and `{home}` for the HOME both programs run with.
struct Case {
    name: &'static str,
    config: &'static str,
    hosts: &'static [&'static str],
    /// More files: path under `{dir}`, content, mode.
    files: &'static [(&'static str, &'static str, u32)],
    /// Host names hostctl refuses while `ssh -G` accepts them, with the words its error must hold.
    refused: &'static [(&'static str, &'static str)],
}

const NO_FILES: &[(&str, &str, u32)] = &[];
const NONE_REFUSED: &[(&str, &str)] = &[];

const fn case(name: &'static str, config: &'static str, hosts: &'static [&'static str]) -> Case {
    Case {
        name,
        config,
        hosts,
        files: NO_FILES,
        refused: NONE_REFUSED,
    }
}

const HOSTS: &[&str] = &["web1", "db1", "10.9.9.9", "bastion"];

const CORPUS: &[Case] = &[
    case(
        "every_honoured_keyword",
        "Host web*\n  HostName 10.0.0.5\n  User ssh-user\n  Port 2200\n  IdentityFile /keys/web\n  ConnectTimeout 7\n  UserKnownHostsFile /kh/web\n  StrictHostKeyChecking accept-new\n  ServerAliveInterval 15\n  ProxyJump jump1,ops@jump2:2022\n",
        HOSTS,
    ),
    case(
        "match_host_applies_only_to_that_host",
        "Match host 10.9.9.9\n  User x\n  Port 2201\n  HostName 10.1.1.1\n",
        HOSTS,
    ),
    case(
        "the_first_value_obtained_wins",
        "Host web1\n  User first\nHost *\n  User later\n  Port 2022\nHost web1\n  Port 3033\n  User last\n",
        HOSTS,
    ),
    case(
        "host_negation_excludes",
        "Host * !db*\n  User not-db\nHost !web1 db1\n  Port 2300\nHost *\n  User everyone\n",
        HOSTS,
    ),
    case(
        "host_wildcards",
        "Host web?\n  Port 2001\nHost *.9.9.*\n  Port 2002\nHost b*st*n\n  Port 2003\nHost ?\n  Port 2004\n",
        &["web1", "web10", "10.9.9.9", "bastion", "x"],
    ),
    case(
        "host_patterns_are_case_sensitive",
        "Host WEB1\n  User upper\nHost web1\n  User lower\n  HostName Web1.Example.COM\n",
        &["web1", "WEB1"],
    ),
    case(
        "quoted_and_several_patterns",
        "Host \"db1\" 'web1' other\n  User quoted\n  IdentityFile \"/keys/with space\"\n",
        HOSTS,
    ),
    case(
        "equals_separators",
        "Host=web1\nUser=eq\nPort = 2200\nHostName= h.example\nIdentityFile =/keys/eq\nHost = db1\n  ConnectTimeout=9\n",
        HOSTS,
    ),
    case(
        "keywords_ignore_case",
        "HOST web1\n  HOSTNAME upper.example\n  uSeR mixed\n  pOrT 2200\n  identityFILE /keys/case\n  PROXYJUMP gw\n",
        HOSTS,
    ),
    case(
        "comments_whitespace_and_tabs",
        "# a comment\n\n   \t\nHost web1 # trailing comment\n\tUser\ttabbed # after a value\n    Port 2200   \n  # indented comment\n  IdentityFile /keys/a#b\n",
        HOSTS,
    ),
    case(
        "crlf_line_endings",
        "Host web1\r\n  User crlf\r\n  Port 2200\r\n",
        HOSTS,
    ),
    case(
        "match_all",
        "Match all\n  User all-user\n  Port 2400\n",
        HOSTS,
    ),
    case(
        "match_negated_all_never_applies",
        "Match !all\n  User never\nHost *\n  User always\n",
        HOSTS,
    ),
    case(
        "match_host_sees_hostname_originalhost_does_not",
        "Host alias\n  HostName real.example\nMatch host real.example\n  User by-hostname\nMatch originalhost alias\n  Port 2500\nMatch host alias\n  IdentityFile /keys/never\n",
        &["alias", "real.example", "web1"],
    ),
    case(
        "match_host_with_hostname_token",
        "Host *\n  HostName %h.internal\nMatch host *.internal\n  User internal\nMatch originalhost *.internal\n  Port 2600\n",
        &["web1", "db1.internal"],
    ),
    case(
        "match_host_before_hostname_is_set",
        "Match host real.example\n  User early\nHost alias\n  HostName real.example\nMatch host real.example\n  Port 2700\n",
        &["alias", "real.example"],
    ),
    case(
        "match_user_sees_the_user_so_far",
        "Host web*\n  User deploy\nMatch user deploy\n  Port 2800\nMatch user root\n  IdentityFile /keys/root\nMatch user !root\n  ConnectTimeout 11\n",
        HOSTS,
    ),
    case(
        "match_localuser",
        "Match localuser root\n  User local-root\nMatch localuser !root\n  Port 2900\nMatch localuser nobody\n  Port 2901\n",
        HOSTS,
    ),
    case(
        "match_negated_criteria",
        "Match !host web1\n  User not-web1\nMatch !originalhost db*\n  Port 3000\n",
        HOSTS,
    ),
    case(
        "match_pattern_lists",
        "Match host WEB*,db1\n  User listed\nMatch host *,!10.*\n  Port 3100\nMatch originalhost bastion,10.9.9.9\n  ConnectTimeout 12\n",
        HOSTS,
    ),
    case(
        "match_criteria_all_must_hold",
        "Host web*\n  User deploy\nMatch host web* user deploy\n  Port 3200\nMatch host db* user deploy\n  Port 3201\nMatch originalhost web1 localuser root host web1\n  IdentityFile /keys/three\n",
        HOSTS,
    ),
    case(
        "match_with_equals_and_comment",
        "Match host=web1 # comment\n  User eq-match\nMatch originalhost=db1\n  Port 3300\n",
        HOSTS,
    ),
    case(
        "match_host_and_all",
        "Match host web1 all\n  User web-and-all\n",
        HOSTS,
    ),
    Case {
        name: "include_absolute_file",
        config: "Host web1\n  User from-main\nInclude {dir}/inc/one.conf\nHost *\n  Port 3400\n",
        hosts: HOSTS,
        files: &[(
            "inc/one.conf",
            "Host db1\n  User from-include\nHost *\n  ConnectTimeout 13\n",
            0o644,
        )],
        refused: NONE_REFUSED,
    },
    Case {
        name: "include_glob_in_sorted_order",
        config: "Include {dir}/conf.d/*.conf\nHost *\n  User fallback\n",
        hosts: HOSTS,
        files: &[
            (
                "conf.d/20-b.conf",
                "Host *\n  User from-b\n  Port 3502\n",
                0o644,
            ),
            ("conf.d/10-a.conf", "Host web*\n  User from-a\n", 0o644),
            ("conf.d/30-c.txt", "Host *\n  Port 3503\n", 0o644),
        ],
        refused: NONE_REFUSED,
    },
    Case {
        name: "include_relative_to_home_ssh",
        config: "Include rel.conf\nInclude ~/.ssh/tilde.conf\n",
        hosts: HOSTS,
        files: &[
            ("home/.ssh/rel.conf", "Host web1\n  User relative\n", 0o644),
            ("home/.ssh/tilde.conf", "Host *\n  Port 3600\n", 0o644),
        ],
        refused: NONE_REFUSED,
    },
    Case {
        name: "include_in_host_and_match_blocks",
        config: "Host web1\n  Include {dir}/i/*\nHost db1\n  HostName db1.main\n  Include {dir}/i/*\nMatch host 10.9.9.9\n  Include {dir}/i/*\n  HostName ten.main\nHost bastion\n  Include {dir}/i/* # comment\n",
        hosts: HOSTS,
        files: &[
            ("i/0", "Match host xxxxxx\n", 0o644),
            (
                "i/1",
                "Host web1\n  HostName web1.one\nHost db1\n  HostName db1.one\nMatch host 10.9.9.9\n  HostName ten.one\nHost bastion\n  User one\n",
                0o644,
            ),
            ("i/2", "Host *\n  Port 3700\n  User two\n", 0o644),
        ],
        refused: NONE_REFUSED,
    },
    Case {
        name: "include_keeps_the_outer_block_state",
        config: "Host db1\n  Include {dir}/state.conf\n  User after-include\nHost *\n  Port 3800\n",
        hosts: HOSTS,
        files: &[("state.conf", "Host web1\n  IdentityFile /keys/inc\n", 0o644)],
        refused: NONE_REFUSED,
    },
    case(
        "include_of_nothing_is_no_error",
        "Include {dir}/missing.conf {dir}/none/*.conf\nHost *\n  User still-here\n",
        HOSTS,
    ),
    case(
        "hostname_tokens",
        "Host web1\n  HostName %h.example.com\nHost db1\n  HostName 100%%-%h\nHost *\n  HostName %h\n",
        HOSTS,
    ),
    case(
        "identity_file_tokens",
        "Host *\n  User remote\n  Port 2222\n  IdentityFile %d/.ssh/id_%r@%h:%p\n  IdentityFile ~/.ssh/%u-%n-%i\n  IdentityFile /keys/%L/%l/%k\n  IdentityFile /keys/%C\n  IdentityFile /keys/100%%\n",
        &["web1", "10.9.9.9"],
    ),
    case(
        "identity_file_tokens_see_the_final_values",
        "Host web1\n  IdentityFile /keys/%h-%p-%r\nHost *\n  HostName %h.final\n  Port 4000\n  User late\n",
        HOSTS,
    ),
    case(
        "known_hosts_tokens",
        "Host web1\n  UserKnownHostsFile ~/.ssh/kh_%h_%p\nHost *\n  UserKnownHostsFile %d/kh-%n-%r\n",
        HOSTS,
    ),
    case(
        "environment_variables",
        "Host web1\n  IdentityFile ${HOSTCTL_TEST_VAR}/id\n  UserKnownHostsFile /kh/${HOSTCTL_TEST_VAR}\nHost db1\n  IdentityFile ${HOSTCTL_UNSET_VAR}/id\n",
        &["web1", "db1", "bastion"],
    ),
    case(
        "proxy_jump_tokens",
        "Host web1\n  HostName web1.real\n  Port 2200\n  User deployer\n  ProxyJump gw-%h,%r@edge-%p\nHost db1\n  ProxyJump jump-for-%n:2022\nHost bastion\n  ProxyJump 100%%\n",
        HOSTS,
    ),
    case(
        "proxy_jump_none_wins_when_first",
        "Host web1\n  ProxyJump none\nHost db1\n  ProxyCommand none\nHost * !gw\n  ProxyJump gw\n",
        HOSTS,
    ),
    case(
        "proxy_jump_first_wins_over_proxy_command",
        "Host web1\n  ProxyJump gw\n  ProxyCommand nc %h %p\nHost * !other\n  ProxyJump other\n",
        &["web1"],
    ),
    case(
        "proxy_jump_addresses_ports_and_uris",
        "Host web1\n  ProxyJump 10.0.0.1:2222,[fe80::1]:22,ops@[::1]\nHost db1\n  ProxyJump ssh://ops@gw.example:2200\nHost bastion\n  ProxyJump ssh://first:2201,second\n",
        HOSTS,
    ),
    case(
        "proxy_jump_first_hop_has_its_own_jump",
        "Host inner\n  ProxyJump hop1,hop2\nHost hop1\n  ProxyJump outer\n  User hop1-user\nHost hop2\n  ProxyJump ignored-for-later-hops\n  Port 2022\nHost outer\n  HostName outer.example\n",
        &["inner", "hop1", "web1"],
    ),
    case(
        "jump_hosts_resolve_through_the_config",
        "Host web*\n  ProxyJump gate\nHost gate\n  HostName 192.0.2.7\n  User gate-user\n  Port 2222\n  IdentityFile /keys/gate\n  UserKnownHostsFile /kh/gate\n  StrictHostKeyChecking accept-new\n",
        HOSTS,
    ),
    case(
        "identity_files_accumulate_without_duplicates",
        "Host web*\n  IdentityFile /k/a\nHost *\n  IdentityFile /k/b\n  IdentityFile /k/a\nIdentityFile /k/c\n",
        HOSTS,
    ),
    case(
        "identity_file_none_is_skipped",
        "Host *\n  IdentityFile none\n  IdentityFile /k/only\n",
        HOSTS,
    ),
    case(
        "strict_host_key_checking_values",
        "Match originalhost web1\n  StrictHostKeyChecking yes\nMatch originalhost db1\n  StrictHostKeyChecking no\nMatch originalhost 10.9.9.9\n  StrictHostKeyChecking ask\nMatch originalhost bastion\n  StrictHostKeyChecking Accept-New\nMatch originalhost a\n  StrictHostKeyChecking off\nMatch originalhost b\n  StrictHostKeyChecking true\nMatch originalhost c\n  StrictHostKeyChecking false\n",
        &["web1", "db1", "10.9.9.9", "bastion", "a", "b", "c", "d"],
    ),
    case(
        "time_values",
        "Host web1\n  ConnectTimeout 1m30s\n  ServerAliveInterval 2M\nHost db1\n  ConnectTimeout none\n  ServerAliveInterval 0\nHost 10.9.9.9\n  ConnectTimeout 0\n  ServerAliveInterval 1h\nHost *\n  ConnectTimeout 5\n  ServerAliveInterval 45s\n",
        HOSTS,
    ),
    case(
        "ignore_unknown",
        "IgnoreUnknown UseKeychain,Foo*\nHost *\n  UseKeychain yes\n  FooBar something\n  User known\n",
        HOSTS,
    ),
    case(
        "harmless_keywords_change_nothing",
        "Host *\n  ForwardAgent no\n  ForwardX11 no\n  Compression yes\n  ServerAliveCountMax 5\n  ControlMaster auto\n  ControlPath ~/.ssh/cm-%C\n  ControlPersist 10m\n  SendEnv LANG LC_*\n  SetEnv FOO=bar\n  LogLevel ERROR\n  TCPKeepAlive yes\n  HashKnownHosts yes\n  CheckHostIP no\n  BatchMode yes\n  PasswordAuthentication no\n  PreferredAuthentications publickey\n  ConnectionAttempts 3\n  AddKeysToAgent yes\n  VisualHostKey no\n  UpdateHostKeys no\n  ProxyCommand none\n  CanonicalizeHostname no\n  IdentitiesOnly no\n  PubkeyAuthentication yes\n  AddressFamily any\n  EscapeChar ~\n  RequestTTY no\n  LocalForward 8080 localhost:80\n  Protocol 2\n  User harmless\n",
        HOSTS,
    ),
    case(
        "port_values",
        "Host web1\n  Port 022\nHost db1\n  Port 65535\nHost *\n  Port 1\n",
        HOSTS,
    ),
    case(
        "uppercase_names_and_addresses",
        "Host Web1\n  HostName WEB1.Example.Com\nHost db1\n  HostName 2001:DB8::1\n",
        &["Web1", "db1", "web1"],
    ),
    // ssh -G rejects each of these; hostctl must too, naming the same line.
    case(
        "unknown_keyword",
        "Host web1\n  User ok\nHost *\n  NoSuchKeyword yes\n",
        HOSTS,
    ),
    case(
        "unknown_keyword_before_ignore_unknown",
        "Host *\n  UseKeychain yes\nIgnoreUnknown UseKeychain\n",
        HOSTS,
    ),
    case(
        "ignore_unknown_in_another_block",
        "Host web1\n  IgnoreUnknown UseKeychain\nHost *\n  UseKeychain yes\n",
        HOSTS,
    ),
    case("missing_argument", "Host web1\n  User\n", HOSTS),
    case(
        "bad_port_in_a_block_that_never_applies",
        "Host nothing\n  Port 70000\n",
        HOSTS,
    ),
    case("port_zero", "Host *\n  Port 0\n", HOSTS),
    case("unbalanced_quotes", "Host web1\n  User \"open\n", HOSTS),
    case("extra_arguments", "Host *\n  User one two\n", HOSTS),
    case("bad_time", "Host *\n  ConnectTimeout soon\n", HOSTS),
    case(
        "bad_flag",
        "Host db1\n  StrictHostKeyChecking maybe\n",
        HOSTS,
    ),
    case(
        "hostname_token_ssh_does_not_allow",
        "Host web1\n  HostName %h-%p\n",
        HOSTS,
    ),
    case(
        "identity_file_unknown_token",
        "Host web1\n  IdentityFile /keys/%z\n",
        HOSTS,
    ),
    case(
        "match_unknown_criterion",
        "Match nosuch web1\n  User x\n",
        HOSTS,
    ),
    case(
        "match_all_combined",
        "Match all host web1\n  User x\n",
        HOSTS,
    ),
    case(
        "match_without_criteria_value",
        "Match host\n  User x\n",
        HOSTS,
    ),
    case("bad_proxy_jump", "Host web1\n  ProxyJump user@\n", HOSTS),
    case(
        "include_loop",
        "Include {dir}/config\nHost *\n  User loop\n",
        HOSTS,
    ),
    Case {
        name: "include_world_writable",
        config: "Include {dir}/loose.conf\n",
        hosts: HOSTS,
        files: &[("loose.conf", "Host *\n  User loose\n", 0o646)],
        refused: NONE_REFUSED,
    },
    // Deliberate differences: ssh accepts these, hostctl refuses what it does not implement
    // (and only for the hosts they apply to).
    Case {
        name: "refused_proxy_command",
        config: "Host web1\n  ProxyCommand nc %h %p\nHost legacy\n  ProxyCommand ssh -W %h:%p gw\n",
        hosts: HOSTS,
        files: NO_FILES,
        refused: &[("web1", "`ProxyCommand` is not supported by hostctl")],
    },
    Case {
        name: "refused_match_exec",
        config: "Match host web1 exec \"true\"\n  User exec\nMatch host nothing exec \"true\"\n  User never\n",
        hosts: HOSTS,
        files: NO_FILES,
        refused: &[("web1", "`Match exec` is not supported by hostctl")],
    },
    Case {
        name: "refused_match_final_and_canonical",
        config: "Host web1\n  User x\nMatch final host web1\n  User final\nMatch canonical\n  Port 2\n",
        hosts: &["web1", "db1"],
        files: NO_FILES,
        refused: &[
            ("web1", "`Match final` is not supported by hostctl"),
            ("db1", "`Match final` is not supported by hostctl"),
        ],
    },
    Case {
        name: "refused_canonicalize_hostname",
        config: "Host web1\n  CanonicalizeHostname yes\n  CanonicalDomains example.com\nHost db1\n  CanonicalizeHostname no\nHost *\n  CanonicalizeHostname always\n",
        hosts: HOSTS,
        files: NO_FILES,
        refused: &[
            ("web1", "`CanonicalizeHostname` is not supported by hostctl"),
            (
                "10.9.9.9",
                "`CanonicalizeHostname` is not supported by hostctl",
            ),
            (
                "bastion",
                "`CanonicalizeHostname` is not supported by hostctl",
            ),
        ],
    },
    Case {
        name: "identities_only_first_value_wins",
        config: "Host web1\n  IdentitiesOnly yes\nHost db*\n  IdentitiesOnly no\nHost *\n  IdentitiesOnly true\n",
        hosts: HOSTS,
        files: NO_FILES,
        refused: &[],
    },
    Case {
        name: "certificate_files_accumulate_with_tokens",
        config: "Host web1\n  CertificateFile ~/.ssh/%n-cert.pub\n  CertificateFile /certs/%r@%h\nHost *\n  CertificateFile ~/.ssh/common-cert.pub\n  CertificateFile ~/.ssh/%n-cert.pub\n",
        hosts: HOSTS,
        files: NO_FILES,
        refused: &[],
    },
    Case {
        name: "refused_several_known_hosts_files",
        config: "Host web1\n  UserKnownHostsFile /kh/one /kh/two\n",
        hosts: HOSTS,
        files: NO_FILES,
        refused: &[("web1", "several files")],
    },
    Case {
        name: "refused_keywords_that_change_how_hostctl_connects",
        config: "Host db1\n  HostKeyAlias other\nHost bastion\n  Ciphers aes128-ctr\nHost a\n  BindAddress 127.0.0.2\nHost b\n  AddressFamily inet6\nHost c\n  PubkeyAuthentication no\nHost d\n  RevokedHostKeys /revoked\n",
        hosts: &[
            "web1", "db1", "10.9.9.9", "bastion", "a", "b", "c", "d", "e",
        ],
        files: NO_FILES,
        refused: &[
            ("db1", "`HostKeyAlias` is not supported by hostctl"),
            ("bastion", "`Ciphers` is not supported by hostctl"),
            ("a", "`BindAddress` is not supported by hostctl"),
            ("b", "`AddressFamily` is not supported by hostctl"),
            ("c", "`PubkeyAuthentication` is not supported by hostctl"),
            ("d", "`RevokedHostKeys` is not supported by hostctl"),
        ],
    },
    // Upstream OpenSSH's rule; Debian's ssh also accepts a group-writable file whose group
    // holds only its owner.
    Case {
        name: "refused_group_writable_include",
        config: "Include {dir}/loose.conf\n",
        hosts: &["web1"],
        files: &[("loose.conf", "Host *\n  User loose\n", 0o664)],
        refused: &[("web1", "has bad owner or permissions")],
    },
    Case {
        name: "refused_for_a_jump_host_too",
        config: "Host web1\n  ProxyJump gw\nHost gw\n  ProxyCommand nc %h %p\n",
        hosts: HOSTS,
        files: NO_FILES,
        refused: &[("web1", "`ProxyCommand` is not supported by hostctl")],
    },
];

/// What the test runs both programs with.
struct Env {
    dir: PathBuf,
    home: PathBuf,
    /// The passwd entry's home and name: what ssh uses for `~`, `%d` and `%u`.
    pw_dir: String,
    pw_name: String,
}

impl Env {
    fn ssh(&self) -> Command {
        let mut cmd = Command::new("ssh");
        self.apply(&mut cmd);
        cmd
    }

    fn apply(&self, cmd: &mut Command) {
        cmd.env("HOME", &self.home)
            .env("USER", &self.pw_name)
            .env("HOSTCTL_TEST_VAR", "from-env")
            .env_remove("HOSTCTL_UNSET_VAR")
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("HOSTCTL_SSH_CONFIG")
            .env_remove("HOSTCTL_INVENTORY")
            .stdin(Stdio::null());
    }

    fn config(&self) -> PathBuf {
        self.dir.join("config")
    }
}

/// `ssh -G` output: each key's values, in order.
type Dump = BTreeMap<String, Vec<String>>;

/// `ssh -G -F config ARGS HOST`, or ssh's error message.
fn ssh_g(env: &Env, args: &[String], host: &str) -> Result<Dump, String> {
    let out = env
        .ssh()
        .arg("-G")
        .arg("-F")
        .arg(env.config())
        .args(args)
        .arg(host)
        .output()
        .expect("run ssh -G (install openssh-client; scripts/test does)");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let mut dump = Dump::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let (k, v) = line.split_once(' ').unwrap_or((line, ""));
        dump.entry(k.to_string()).or_default().push(v.to_string());
    }
    Ok(dump)
}

/// `ssh -G` prints IdentityFile and ProxyJump as written; it expands them only when it connects.
/// It expands UserKnownHostsFile before printing, with the same tokens (a superset of those
/// ProxyJump takes), so ssh itself expands `value` when given it as UserKnownHostsFile.
fn ssh_expand(env: &Env, args: &[String], host: &str, value: &str) -> Result<String, String> {
    let quoted = value.replace('\\', "\\\\").replace('"', "\\\"");
    let option = format!("UserKnownHostsFile=\"{quoted}\"");
    let mut all = args.to_vec();
    all.extend(["-o".to_string(), option]);
    let dump = ssh_g(env, &all, host)?;
    Ok(one(&dump, "userknownhostsfile"))
}

fn one(dump: &Dump, key: &str) -> String {
    dump.get(key)
        .and_then(|v| v.first())
        .cloned()
        .unwrap_or_else(|| panic!("ssh -G printed no `{key}`"))
}

/// One hop of a ProxyJump list: `[user@]host[:port]`, `[v6]:port`, or `ssh://user@host:port`.
#[derive(Debug, Clone, PartialEq)]
struct Hop {
    user: Option<String>,
    host: String,
    port: Option<u16>,
}

fn parse_hop(spec: &str) -> Hop {
    let rest = spec.strip_prefix("ssh://").unwrap_or(spec);
    let (user, rest) = match rest.rsplit_once('@') {
        Some((u, r)) => (Some(u.to_string()), r),
        None => (None, rest),
    };
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let (h, after) = inner.split_once(']').expect("closing ]");
        (
            h.to_string(),
            after.strip_prefix(':').map(|p| p.parse().unwrap()),
        )
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.parse().unwrap())),
            None => (rest.to_string(), None),
        }
    };
    Hop { user, host, port }
}

/// The values hostctl must show for one host (or hop), from what `ssh -G` says.
#[derive(Debug, PartialEq)]
struct Expected {
    address: String,
    port: u64,
    user: String,
    identity_files: Vec<String>,
    certificate_files: Vec<String>,
    identities_only: bool,
    known_hosts: String,
    connect_timeout_s: f64,
    keepalive_s: f64,
    strict: String,
    proxy_jump: Vec<Hop>,
    hops: Vec<Expected>,
}

const SSH_DEFAULT_IDENTITIES: &[&str] = &[
    "~/.ssh/id_rsa",
    "~/.ssh/id_ecdsa",
    "~/.ssh/id_ecdsa_sk",
    "~/.ssh/id_ed25519",
    "~/.ssh/id_ed25519_sk",
    "~/.ssh/id_xmss",
    "~/.ssh/id_dsa",
];

/// `ssh -G`'s view of `host`, turned into what hostctl must show. Every deliberate difference
/// of value is applied here, once, and nowhere else:
/// - `~` and `%d` are $HOME for hostctl (it reads `$HOME/.ssh/config`); ssh takes the passwd
///   entry's home;
/// - no IdentityFile: hostctl lists none (it then tries `id_ed25519`, `id_ecdsa`, `id_rsa`);
/// - no UserKnownHostsFile: hostctl reads `~/.ssh/known_hosts` only, not `known_hosts2`;
/// - ConnectTimeout `none` or `0`: hostctl's 10 s, never an unbounded wait;
/// - ServerAliveInterval `0` (or unset): hostctl's 30 s keepalive (and Debian's ssh, but not
///   hostctl, makes `BatchMode yes` imply 300 s);
/// - StrictHostKeyChecking `ask` is `yes` (hostctl never prompts), `no`/`off` is `accept-new`
///   (hostctl never connects on a key it has neither checked nor recorded).
fn expected(env: &Env, args: &[String], host: &str) -> Result<Expected, String> {
    let (mut want, _) = settings(env, args, host)?;
    let (proxy_jump, hops) = route(env, args, host, 0)?;
    want.proxy_jump = proxy_jump;
    want.hops = hops;
    Ok(want)
}

/// The jump hosts in the order hostctl reaches them, each with its own settings. The first hop
/// is reached by an ssh of its own that reads the config for it, so its own ProxyJump comes
/// first; later hops get `-J` from the one before, which overrides theirs.
fn route(
    env: &Env,
    args: &[String],
    host: &str,
    depth: usize,
) -> Result<(Vec<Hop>, Vec<Expected>), String> {
    assert!(depth < 6, "ProxyJump chain too deep at {host}");
    let (_, own) = settings(env, args, host)?;
    let Some(first) = own.first().cloned() else {
        return Ok((Vec::new(), Vec::new()));
    };
    let (mut specs, mut hops) = route(env, &hop_args(&first), &first.host, depth + 1)?;
    for hop in &own {
        hops.push(settings(env, &hop_args(hop), &hop.host)?.0);
    }
    specs.extend(own);
    Ok((specs, hops))
}

/// One host's own settings (route left empty) and its own ProxyJump, from `ssh -G`.
fn settings(env: &Env, args: &[String], host: &str) -> Result<(Expected, Vec<Hop>), String> {
    let dump = ssh_g(env, args, host)?;
    let home = |s: String| match s.strip_prefix(&format!("{}/", env.pw_dir)) {
        Some(rest) => format!("{}/{rest}", env.home.display()),
        None => s,
    };
    let raw_ids = dump.get("identityfile").cloned().unwrap_or_default();
    let identity_files = if raw_ids == SSH_DEFAULT_IDENTITIES {
        Vec::new()
    } else {
        let mut files = Vec::new();
        for raw in raw_ids.iter().filter(|f| !f.eq_ignore_ascii_case("none")) {
            files.push(home(ssh_expand(env, args, host, raw)?));
        }
        files
    };
    let mut certificate_files = Vec::new();
    for raw in dump.get("certificatefile").cloned().unwrap_or_default() {
        certificate_files.push(home(ssh_expand(env, args, host, &raw)?));
    }
    let kh = one(&dump, "userknownhostsfile");
    let default_kh = format!("{0}/.ssh/known_hosts {0}/.ssh/known_hosts2", env.pw_dir);
    let known_hosts = if kh == default_kh {
        format!("{}/.ssh/known_hosts", env.home.display())
    } else {
        home(kh)
    };
    let seconds = |dump: &Dump, key: &str, default: f64| match one(dump, key).as_str() {
        "none" | "0" | "-1" => default,
        n => n.parse().unwrap(),
    };
    // Debian's ssh makes BatchMode imply ServerAliveInterval 300; without it, what the config
    // says shows.
    let keepalive_dump = if one(&dump, "batchmode") == "yes" {
        let mut no_batch = args.to_vec();
        no_batch.extend(["-o".to_string(), "BatchMode=no".to_string()]);
        ssh_g(env, &no_batch, host)?
    } else {
        dump.clone()
    };
    let strict = match one(&dump, "stricthostkeychecking").as_str() {
        "true" | "ask" => "yes",
        "false" | "accept-new" => "accept-new",
        other => panic!("stricthostkeychecking {other}"),
    };
    if let Some(cmd) = dump.get("proxycommand").and_then(|v| v.first())
        && cmd != "none"
    {
        return Err(format!("ssh -G uses ProxyCommand `{cmd}`"));
    }
    let jump = match dump.get("proxyjump").and_then(|v| v.first()) {
        None => String::from("none"),
        Some(j) if j == "none" => j.clone(),
        Some(j) => ssh_expand(env, args, host, j)?,
    };
    let own = if jump == "none" {
        Vec::new()
    } else {
        jump.split(',').map(parse_hop).collect()
    };
    let want = Expected {
        address: one(&dump, "hostname"),
        port: one(&dump, "port").parse().unwrap(),
        user: one(&dump, "user"),
        identity_files,
        certificate_files,
        identities_only: one(&dump, "identitiesonly") == "yes",
        known_hosts,
        connect_timeout_s: seconds(&dump, "connecttimeout", 10.0),
        keepalive_s: seconds(&keepalive_dump, "serveraliveinterval", 30.0),
        strict: strict.to_string(),
        proxy_jump: Vec::new(),
        hops: Vec::new(),
    };
    Ok((want, own))
}

/// How ssh runs the ssh that reaches a jump host: `-l USER` and `-p PORT` from the spec.
fn hop_args(hop: &Hop) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(u) = &hop.user {
        args.extend(["-l".to_string(), u.clone()]);
    }
    if let Some(p) = hop.port {
        args.extend(["-p".to_string(), p.to_string()]);
    }
    args
}

/// hostctl's view, in the same shape.
fn actual(entry: &serde_json::Value, with_route: bool) -> Expected {
    let s = |k: &str| {
        entry[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k} in {entry}"))
            .to_string()
    };
    Expected {
        address: s("address"),
        port: entry["port"].as_u64().unwrap(),
        user: s("user"),
        identity_files: entry["identity_files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect(),
        certificate_files: entry["certificate_files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect(),
        identities_only: entry["identities_only"].as_bool().unwrap(),
        known_hosts: s("known_hosts"),
        connect_timeout_s: entry["connect_timeout_s"].as_f64().unwrap(),
        keepalive_s: entry["keepalive_s"].as_f64().unwrap(),
        strict: s("strict_host_key_checking"),
        proxy_jump: if with_route {
            entry["proxy_jump"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| parse_hop(v.as_str().unwrap()))
                .collect()
        } else {
            Vec::new()
        },
        hops: if with_route {
            entry["hops"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| actual(h, false))
                .collect()
        } else {
            Vec::new()
        },
    }
}

fn hostctl(env: &Env, host: &str) -> support::Run {
    let mut cmd = Command::new(bin());
    env.apply(&mut cmd);
    cmd.arg("-i")
        .arg(env.dir.join("hosts.toml"))
        .arg("-F")
        .arg(env.config())
        .args(["hosts", "--json", "-g", host]);
    support::Run::from(cmd.output().expect("run hostctl"))
}

fn passwd() -> (String, String) {
    // SAFETY: getpwuid returns static storage or null; copied out at once.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        assert!(!pw.is_null(), "no passwd entry for this uid");
        let s = |p| std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned();
        (s((*pw).pw_dir), s((*pw).pw_name))
    }
}

fn write_case(dir: &Path, home: &Path, case: &Case) {
    use std::os::unix::fs::PermissionsExt;
    let fill = |text: &str| {
        text.replace("{dir}", dir.to_str().unwrap())
            .replace("{home}", home.to_str().unwrap())
    };
    std::fs::write(dir.join("config"), fill(case.config)).unwrap();
    for (path, text, mode) in case.files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, fill(text)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode)).unwrap();
    }
    let mut inventory = String::new();
    for host in case.hosts {
        inventory.push_str(&format!("[hosts.\"{host}\"]\n"));
    }
    std::fs::write(dir.join("hosts.toml"), inventory).unwrap();
}

/// The line number in ssh's error (`FILE line N:` or `FILE: line N:`), if it names one.
fn ssh_error_line(stderr: &str) -> Option<usize> {
    let at = stderr.find(" line ")?;
    stderr[at + 6..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[test]
fn hostctl_resolves_every_corpus_config_as_ssh_g_does() {
    let (pw_dir, pw_name) = passwd();
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for case in CORPUS {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        write_case(dir.path(), &home, case);
        let env = Env {
            dir: dir.path().to_path_buf(),
            home,
            pw_dir: pw_dir.clone(),
            pw_name: pw_name.clone(),
        };
        for host in case.hosts {
            compared += 1;
            let what = format!("{} / {host}", case.name);
            let ssh = expected(&env, &[], host);
            let run = hostctl(&env, host);
            if let Some((_, words)) = case.refused.iter().find(|(h, _)| h == host) {
                if let Err(e) = ssh_g(&env, &[], host) {
                    mismatches.push(format!(
                        "{what}: listed as refused, but ssh -G fails too: {e}"
                    ));
                } else if run.code != 2 || !run.stderr.contains(words) {
                    mismatches.push(format!(
                        "{what}: hostctl must refuse with `{words}`; exit {}, stderr: {}",
                        run.code, run.stderr
                    ));
                }
                continue;
            }
            match ssh {
                Err(e) => {
                    if run.code != 2 {
                        mismatches.push(format!(
                            "{what}: ssh -G fails ({}) but hostctl exits {}:\n{}",
                            e.trim(),
                            run.code,
                            run.stdout
                        ));
                    } else if let Some(line) = ssh_error_line(&e)
                        && !run.stderr.contains(&format!(":{line}: "))
                    {
                        mismatches.push(format!(
                            "{what}: ssh -G fails at line {line} ({}), hostctl elsewhere: {}",
                            e.trim(),
                            run.stderr.trim()
                        ));
                    }
                }
                Ok(want) => {
                    if run.code != 0 {
                        mismatches.push(format!(
                            "{what}: ssh -G accepts it, hostctl exits {}: {}",
                            run.code,
                            run.stderr.trim()
                        ));
                        continue;
                    }
                    let list: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
                    let got = actual(&list[0], true);
                    if got != want {
                        mismatches
                            .push(format!("{what}:\n  ssh -G:  {want:?}\n  hostctl: {got:?}"));
                    }
                }
            }
        }
    }
    assert!(
        CORPUS.len() >= 40,
        "the corpus holds {} configs",
        CORPUS.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {compared} host resolutions differ from ssh -G:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// hostctl with HOME at `home` and no `-F`: it reads `home/.ssh/config` by default.
fn hostctl_at_home(home: &Path, inventory: &Path, args: &[&str]) -> support::Run {
    let (_, pw_name) = passwd();
    let out = Command::new(bin())
        .env("HOME", home)
        .env("USER", pw_name)
        .env_remove("HOSTCTL_SSH_CONFIG")
        .env_remove("HOSTCTL_INVENTORY")
        .arg("-i")
        .arg(inventory)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run hostctl");
    support::Run::from(out)
}

fn home_with_config(config: &str, mode: u32) -> (tempfile::TempDir, PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    let path = home.join(".ssh/config");
    std::fs::write(&path, config).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    let inventory = dir.path().join("hosts.toml");
    std::fs::write(&inventory, "[hosts.web1]\n[hosts.db1]\n").unwrap();
    (dir, home, inventory)
}

#[test]
fn a_refusal_names_the_file_the_line_and_the_host() {
    let (_dir, home, inventory) = home_with_config(
        "Host *\n  User ops\n\nHost web1\n  ProxyCommand nc %h %p\n",
        0o600,
    );
    hostctl_at_home(&home, &inventory, &["hosts", "-g", "web1"])
        .code(2)
        .stderr_is(
            "error: ~/.ssh/config:5: `ProxyCommand` is not supported by hostctl (use ProxyJump, or the inventory's `jump`); it applies to `web1`\n",
        );
    // A host it does not apply to is not held back by it.
    hostctl_at_home(&home, &inventory, &["hosts", "-g", "db1"])
        .code(0)
        .stdout_has("db1   db1         22  ops");
    hostctl_at_home(&home, &inventory, &["hosts", "-g", "db1,web1"]).code(2);
}

#[test]
fn a_user_config_others_can_write_is_refused_as_ssh_refuses_it() {
    let (_dir, home, inventory) = home_with_config("Host *\n  User ops\n", 0o666);
    hostctl_at_home(&home, &inventory, &["hosts"])
        .code(2)
        .stderr_is("error: `~/.ssh/config`: bad owner or permissions (it must belong to you or root and be writable by no one else), as ssh requires\n");
    // As with ssh, a file named with -F is not held to that rule; `-F none` reads no config.
    let config = home.join(".ssh/config");
    hostctl_at_home(
        &home,
        &inventory,
        &["-F", config.to_str().unwrap(), "hosts"],
    )
    .code(0)
    .stdout_has("ops");
    let run = hostctl_at_home(&home, &inventory, &["-F", "none", "hosts"]);
    run.code(0);
    assert!(!run.stdout.contains("ops"), "{}", run.stdout);
}
