use super::pattern::{select, select_with};
use super::*;

fn parse(text: &str) -> Result<Inventory, InventoryError> {
    Inventory::parse(Path::new("hosts.toml"), text)
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

fn host<'a>(inv: &'a Inventory, name: &str) -> &'a Host {
    inv.hosts
        .iter()
        .find(|h| h.name == name)
        .unwrap_or_else(|| panic!("no host {name}"))
}

const EXAMPLE: &str = r#"
[defaults]
user = "deploy"
port = 22
identity_file = "~/.ssh/id_ed25519"
known_hosts = "/etc/hostctl/known_hosts"
connect_timeout = "10s"

[hosts.db1]                # a named host with its own settings
address = "10.0.1.5"
port = 2222
user = "postgres"

[groups.web]
hosts = ["web01", "web[02:04].example.com", "10.0.0.[20:29]"]
user = "www"

[groups.db]
hosts = ["db1"]

[groups.prod]
children = ["web", "db"]
"#;

#[test]
fn the_documented_example_parses() {
    let inv = parse(EXAMPLE).unwrap();
    assert_eq!(inv.hosts.len(), 1 + 1 + 3 + 10);
    let db1 = host(&inv, "db1");
    assert_eq!(
        (
            db1.address.as_str(),
            db1.settings.port,
            db1.settings.user.as_deref()
        ),
        ("10.0.1.5", Some(2222), Some("postgres"))
    );
    assert!(db1.explicit_address);
    let web = host(&inv, "web03.example.com");
    assert_eq!(web.address, "web03.example.com");
    assert!(!web.explicit_address);
    assert_eq!(web.settings.user.as_deref(), Some("www"));
    assert_eq!(web.settings.port, Some(22));
    assert_eq!(web.settings.connect_timeout, Some(Duration::from_secs(10)));
    assert_eq!(
        web.settings.known_hosts,
        Some(PathBuf::from("/etc/hostctl/known_hosts"))
    );
    assert_eq!(web.groups, ["prod", "web"]);
    assert_eq!(inv.groups["prod"].len(), 15);
    // Natural order: 10.0.0.9 would sort before 10.0.0.20; web02 before web10.
    assert_eq!(inv.hosts[0].name, "10.0.0.20");
}

#[test]
fn precedence_host_then_nearest_group_then_defaults() {
    let inv = parse(
        r#"
        [defaults]
        user = "d"
        port = 2200
        [hosts.a]
        user = "own"
        [groups.inner]
        hosts = ["a", "b"]
        port = 2201
        [groups.outer]
        children = ["inner"]
        hosts = ["c"]
        port = 2202
        user = "outer"
        "#,
    )
    .unwrap();
    let (a, b, c) = (host(&inv, "a"), host(&inv, "b"), host(&inv, "c"));
    assert_eq!(
        (a.settings.user.as_deref(), a.settings.port),
        (Some("own"), Some(2201))
    );
    assert_eq!(
        (b.settings.user.as_deref(), b.settings.port),
        (Some("outer"), Some(2201))
    );
    assert_eq!(
        (c.settings.user.as_deref(), c.settings.port),
        (Some("outer"), Some(2202))
    );
    // Unset everywhere stays unset: ssh_config and the defaults decide later.
    let bare = parse("[hosts.x]\n").unwrap();
    assert_eq!(bare.hosts[0].settings, Settings::default());
}

#[test]
fn relative_paths_are_next_to_the_inventory() {
    let inv = Inventory::parse(
        Path::new("/srv/fleet/hosts.toml"),
        "[defaults]\nidentity_file = [\"keys/a\", \"/abs/b\"]\nknown_hosts = \"kh\"\n[hosts.x]\n",
    )
    .unwrap();
    let s = &inv.hosts[0].settings;
    assert_eq!(
        s.identity_files,
        Some(vec![
            PathBuf::from("/srv/fleet/keys/a"),
            PathBuf::from("/abs/b")
        ])
    );
    assert_eq!(s.known_hosts, Some(PathBuf::from("/srv/fleet/kh")));
}

#[test]
fn certificate_file_is_a_path_or_a_list_and_resolves_like_identity_file() {
    let inv = Inventory::parse(
        Path::new("/srv/fleet/hosts.toml"),
        "[defaults]\ncertificate_file = \"certs/all-cert.pub\"\n[groups.web]\nhosts = [\"w\"]\ncertificate_file = [\"w-cert.pub\", \"/abs/x-cert.pub\"]\n[hosts.x]\n[hosts.w]\n",
    )
    .unwrap();
    assert_eq!(
        host(&inv, "x").settings.certificate_files,
        Some(vec![PathBuf::from("/srv/fleet/certs/all-cert.pub")])
    );
    assert_eq!(
        host(&inv, "w").settings.certificate_files,
        Some(vec![
            PathBuf::from("/srv/fleet/w-cert.pub"),
            PathBuf::from("/abs/x-cert.pub")
        ])
    );
    assert_eq!(
        error("[defaults]\ncertificate_file = 3\n"),
        "hosts.toml:2:20: `defaults.certificate_file`: certificate_file must be a path or a list of paths"
    );
}

#[test]
fn toml_syntax_errors_name_file_and_line() {
    assert_eq!(
        error("[hosts.a]\naddress = \"x\n"),
        "hosts.toml:2:13: `hosts.a.address`: invalid basic string, expected `\"`"
    );
}

#[test]
fn unknown_keys_are_rejected_with_their_path() {
    let e = error("[groups.web]\nhosts = [\"a\"]\nusr = \"x\"\n");
    assert!(
        e.starts_with("hosts.toml:3:1: `groups.web.usr`: unknown field `usr`, expected one of"),
        "{e}"
    );
    let e = error("[default]\nuser = \"x\"\n");
    assert!(
        e.starts_with("hosts.toml:1:2: `default`: unknown field `default`"),
        "{e}"
    );
}

#[test]
fn a_group_naming_an_unknown_group_suggests_one() {
    assert_eq!(
        error("[groups.web]\nhosts = [\"a\"]\n[groups.prod]\nchildren = [\"wbe\"]\n"),
        "hosts.toml:4:13: `groups.prod.children`: unknown group `wbe` (did you mean `web`?)"
    );
    assert_eq!(
        error("[hosts.a]\n[groups.prod]\nchildren = [\"a\"]\n"),
        "hosts.toml:3:13: `groups.prod.children`: `a` is a host, not a group; list it under `hosts`"
    );
}

#[test]
fn group_cycles_are_rejected() {
    assert_eq!(
        error(
            "[groups.a]\nchildren = [\"b\"]\n[groups.b]\nchildren = [\"c\"]\n[groups.c]\nchildren = [\"a\"]\n"
        ),
        "hosts.toml:6:13: `groups.c.children`: group cycle: a -> b -> c -> a"
    );
    assert_eq!(
        error("[groups.a]\nchildren = [\"a\"]\n"),
        "hosts.toml:2:13: `groups.a.children`: group cycle: a -> a"
    );
}

#[test]
fn bad_ranges_point_at_the_entry() {
    assert_eq!(
        error("[groups.web]\nhosts = [\"ok\", \"web[05:01]\"]\n"),
        "hosts.toml:2:16: `groups.web.hosts`: range `[05:01]` in `web[05:01]` goes backwards (5 > 1)"
    );
}

#[test]
fn duplicate_hosts_are_rejected() {
    assert_eq!(
        error("[groups.web]\nhosts = [\"web[01:03]\", \"web02\"]\n"),
        "hosts.toml:2:24: `groups.web.hosts`: duplicate host `web02` in group `web`"
    );
    assert_eq!(
        error("[hosts.db1]\naddress = \"10.0.1.5\"\n[groups.db]\nhosts = [\"10.0.1.5\"]\n"),
        "hosts.toml:4:10: `groups.db.hosts`: duplicate host: `10.0.1.5` is the address of host `db1`; list `db1` instead"
    );
    assert_eq!(
        error("[hosts.web]\n[groups.web]\nhosts = [\"a\"]\n"),
        "hosts.toml:1:1: `hosts.web`: `web` is both a host and a group; names must be unique"
    );
}

#[test]
fn ports_and_durations_are_checked() {
    assert_eq!(
        error("[hosts.a]\nport = 70000\n"),
        "hosts.toml:2:8: `hosts.a.port`: port 70000 is out of range (1-65535)"
    );
    assert_eq!(
        error("[defaults]\nport = 0\n"),
        "hosts.toml:2:8: `defaults.port`: port 0 is out of range (1-65535)"
    );
    assert_eq!(
        error("[defaults]\nconnect_timeout = \"soon\"\n"),
        "hosts.toml:2:19: `defaults.connect_timeout`: invalid duration `soon` (examples: `10s`, `1m30s`, `500ms`)"
    );
    let e = error("[hosts.a]\nport = \"22\"\n");
    assert!(
        e.starts_with("hosts.toml:2:8: `hosts.a.port`: invalid type: string \"22\", expected i64"),
        "{e}"
    );
}

#[test]
fn conflicting_groups_at_the_same_distance_are_an_error() {
    assert_eq!(
        error(
            "[groups.a]\nhosts = [\"h\"]\nuser = \"x\"\n[groups.b]\nhosts = [\"h\"]\nuser = \"y\"\n"
        ),
        "hosts.toml:6:8: `groups.b.user`: host `h` gets `user` from both group `a` and group `b` with different values; set it on the host or in one group"
    );
    // The same value from both is fine.
    parse("[groups.a]\nhosts = [\"h\"]\nuser = \"x\"\n[groups.b]\nhosts = [\"h\"]\nuser = \"x\"\n")
        .unwrap();
}

#[test]
fn bad_names_are_rejected() {
    assert_eq!(
        error("[groups.all]\nhosts = [\"a\"]\n"),
        "hosts.toml:1:1: `groups.all`: `all` cannot be a name: names are non-empty, not `all`, and have no `,` `*` `?` `[` `]` `/`, spaces, or leading `!`/`&`"
    );
    assert_eq!(
        error("[groups.web]\nhosts = [\"user@host\"]\n"),
        "hosts.toml:2:10: `groups.web.hosts`: `user@host` is neither a host name from [hosts] nor a valid address"
    );
}

#[test]
fn jump_hosts_are_one_or_a_chain() {
    let inv =
        parse("[hosts.a]\njump = \"b1\"\n[hosts.b]\njump = [\"b1\", \"ops@b2:2022\"]\n").unwrap();
    assert_eq!(host(&inv, "a").settings.jump, Some(vec!["b1".to_string()]));
    assert_eq!(
        host(&inv, "b").settings.jump,
        Some(vec!["b1".to_string(), "ops@b2:2022".to_string()])
    );
    assert_eq!(
        error("[hosts.a]\njump = 3\n"),
        "hosts.toml:2:8: `hosts.a.jump`: jump must be a host or a list of hosts (first hop first)"
    );
}

#[test]
fn the_shipped_example_inventory_is_valid() {
    let inv = parse(include_str!("../../hosts.toml")).unwrap();
    assert_eq!(inv.groups["web"].len(), 4);
    assert_eq!(inv.groups["prod"].len(), 6);
    let db01 = host(&inv, "db01");
    assert_eq!(
        (db01.address.as_str(), db01.settings.port),
        ("127.0.10.21", Some(2222))
    );
}

#[test]
fn host_names_are_single_safe_path_components() {
    // Named hosts: the key is shown as TOML writes it.
    assert_eq!(
        error("[hosts.\"..\"]\naddress = \"10.0.0.1\"\n"),
        "hosts.toml:1:1: `hosts.\"..\"`: `..` cannot be a host name: host names become file and directory names (pull, --out-dir), and `..` would point at another directory"
    );
    assert_eq!(
        error("[defaults]\nport = 22\n\n[hosts.\".\"]\n"),
        "hosts.toml:4:1: `hosts.\".\"`: `.` cannot be a host name: host names become file and directory names (pull, --out-dir), and `.` would point at another directory"
    );
    assert_eq!(
        error("[hosts.\"nl\\nx\"]\naddress = \"10.0.0.1\"\n"),
        "hosts.toml:1:1: `hosts.\"nl\\nx\"`: `nl\\nx` cannot be a host name: it holds a control character; host names become file and directory names (pull, --out-dir)"
    );
    assert_eq!(
        error("[hosts.\"a\\u0000b\"]\n"),
        "hosts.toml:1:1: `hosts.\"a\\0b\"`: `a\\0b` cannot be a host name: it holds a control character; host names become file and directory names (pull, --out-dir)"
    );
    assert_eq!(
        error("[hosts.\"a/b\"]\n"),
        "hosts.toml:1:1: `hosts.\"a/b\"`: `a/b` cannot be a host name: host names become file and directory names (pull, --out-dir), and a `/` would split it in two"
    );
    // Names that only a group lists (addresses, range expansions) obey the same rule.
    assert_eq!(
        error("[groups.dots]\nhosts = [\"ok\", \"..\"]\n"),
        "hosts.toml:2:16: `groups.dots.hosts`: `..` cannot be a host name: host names become file and directory names (pull, --out-dir), and `..` would point at another directory"
    );
    assert_eq!(
        error("[groups.g]\nhosts = [\"tab\\there\"]\n"),
        "hosts.toml:2:10: `groups.g.hosts`: `tab\\there` cannot be a host name: it holds a control character; host names become file and directory names (pull, --out-dir)"
    );
    assert_eq!(
        error("[groups.g]\nhosts = [\"del\\u007f[1:2]\"]\n"),
        "hosts.toml:2:10: `groups.g.hosts`: `del\\u{7f}1` cannot be a host name: it holds a control character; host names become file and directory names (pull, --out-dir)"
    );
    let long = "h".repeat(MAX_HOST_NAME + 1);
    assert_eq!(
        error(&format!("[groups.g]\nhosts = [\"{long}\"]\n")),
        format!(
            "hosts.toml:2:10: `groups.g.hosts`: `{}…` cannot be a host name: it is 252 bytes long, and host names become file names (`<name>.out` in --out-dir) of at most 251 bytes",
            "h".repeat(32)
        )
    );
    // What stays allowed: dotted names, leading dots, IPv6, the longest name, a name that
    // merely contains `..`.
    let longest = "h".repeat(MAX_HOST_NAME);
    let inv = parse(&format!(
        "[hosts.\"web01.example.com\"]\n[hosts.\".hidden\"]\n[hosts.\"a..b\"]\n[groups.g]\nhosts = [\"::1\", \"{longest}\", \"10.0.0.[1:2]\"]\n"
    ))
    .unwrap();
    assert_eq!(inv.hosts.len(), 7);
}

#[test]
fn audit_table_sets_forwarding() {
    let inv = parse(
        "[audit]\nforward = [\"syslog+tls://logs.example.com\", \"journald\"]\nrequired = true\nspool_size = \"16M\"\nca_file = \"certs/site-ca.pem\"\n",
    )
    .unwrap();
    let urls: Vec<String> = inv.audit.destinations.iter().map(|d| d.url()).collect();
    assert_eq!(urls, ["syslog+tls://logs.example.com:6514", "journald"]);
    assert!(inv.audit.required);
    assert_eq!(inv.audit.spool_size, Some(16 << 20));
    assert_eq!(inv.audit.ca_file, Some(PathBuf::from("certs/site-ca.pem")));
    let none = parse("").unwrap();
    assert!(none.audit.destinations.is_empty() && !none.audit.required);
}

#[test]
fn audit_table_errors_name_the_line_and_key() {
    assert_eq!(
        error("[audit]\nforward = [\"syslog+tcp://logs:514\", \"syslog://logs\"]\n"),
        "hosts.toml:2:37: `audit.forward`: unknown audit destination `syslog://logs`: expected `syslog+udp://HOST:PORT`, `syslog+tcp://HOST:PORT`, `syslog+tls://HOST:PORT` or `journald`"
    );
    assert_eq!(
        error("[audit]\nspool_size = \"lots\"\n"),
        "hosts.toml:2:14: `audit.spool_size`: invalid size `lots` (at least 1K; examples: `64M`, `1G`)"
    );
    assert_eq!(
        error("[audit]\nrequired = \"yes\"\n"),
        "hosts.toml:2:12: `audit.required`: invalid type: string \"yes\", expected a boolean"
    );
    assert_eq!(
        error("[audit]\nforwad = []\n"),
        "hosts.toml:2:1: `audit.forwad`: unknown field `forwad`, expected one of `forward`, `required`, `spool_size`, `ca_file`"
    );
}

/// Every way a `-g` pattern is refused, with its whole message (exit 2 comes from
/// `Error::Pattern`): these words are what the operator sees after `error: `.
#[test]
fn pattern_errors_say_exactly_this() {
    let inv =
        parse("[groups.web]\nhosts = [\"web[01:04]\"]\n[groups.db]\nhosts = [\"db1\", \"db2\"]\n")
            .unwrap();
    let refuse = |pattern: &str| select(&inv, pattern).unwrap_err().to_string();
    assert_eq!(refuse("web,,db"), "empty term in pattern `web,,db`");
    assert_eq!(refuse("web,! "), "empty term in pattern `web,! `");
    assert_eq!(
        refuse("wbe"),
        "unknown group or host `wbe` (did you mean `web`?)"
    );
    assert_eq!(refuse("mail"), "unknown group or host `mail`");
    assert_eq!(
        refuse("web[1:4]"),
        "unknown group or host `web1` in `web[1:4]` (did you mean `web[01:04]`?)"
    );
    assert_eq!(
        refuse("db[1:3]"),
        "unknown group or host `db3` (did you mean `db`?)"
    );
    assert_eq!(
        refuse("web[4:1]"),
        "range `[4:1]` in `web[4:1]` goes backwards (4 > 1)"
    );
    assert_eq!(refuse("mail*"), "`mail*` matches no group or host");
    assert_eq!(
        refuse("web,@last:failed"),
        "`@last:failed` selects from the audit log, which is not read here"
    );
    let gone = |_: &str| Ok(vec!["web01".to_string(), "web05".to_string()]);
    assert_eq!(
        select_with(&inv, "@last", &gone).unwrap_err().to_string(),
        "`@last` names host `web05`, which the inventory no longer has"
    );
    let no_log = |_: &str| Err("no operation in the log yet".to_string());
    assert_eq!(
        select_with(&inv, "@last", &no_log).unwrap_err().to_string(),
        "no operation in the log yet"
    );
}

/// The inventory messages no other test pins whole, each against the text the `format!` at its
/// site produced before the reasons were typed: what the operator sees after `error: `.
#[test]
fn the_other_inventory_errors_say_exactly_this() {
    assert_eq!(
        error("[hosts.a]\nuser = \"\"\n"),
        "hosts.toml:2:8: `hosts.a.user`: user must not be empty"
    );
    assert_eq!(
        error("[hosts.a]\naddress = \" \"\n"),
        "hosts.toml:2:11: `hosts.a.address`: address must not be empty"
    );
    assert_eq!(
        error("[defaults]\nidentity_file = [\"k\", 3]\n"),
        "hosts.toml:2:17: `defaults.identity_file`: identity_file must be a path or a list of paths"
    );
    assert_eq!(
        error("[groups.g]\nkeepalive = \"-1s\"\n"),
        "hosts.toml:2:13: `groups.g.keepalive`: invalid duration `-1s` (examples: `10s`, `1m30s`, `500ms`)"
    );
    assert_eq!(
        error("[hosts.a]\njump = [\"b\", \"\"]\n"),
        "hosts.toml:2:8: `hosts.a.jump`: jump must be a host or a list of hosts (first hop first)"
    );
    assert_eq!(
        error("[groups.db]\nhosts = [\"d\"]\n[groups.web]\nhosts = [\"db\"]\n"),
        "hosts.toml:4:10: `groups.web.hosts`: `db` is a group; list it under `children`"
    );
    assert_eq!(
        error("[groups.prod]\nchildren = [\"zzzzzz\"]\n"),
        "hosts.toml:2:13: `groups.prod.children`: unknown group `zzzzzz`"
    );
    assert_eq!(
        error("[hosts.\"!a\"]\n"),
        "hosts.toml:1:1: `hosts.!a`: `!a` cannot be a name: names are non-empty, not `all`, and have no `,` `*` `?` `[` `]` `/`, spaces, or leading `!`/`&`"
    );
    assert_eq!(
        error("[groups.web]\nhosts = [\"a[1:2\"]\n"),
        "hosts.toml:2:10: `groups.web.hosts`: unclosed `[` in `a[1:2`"
    );
    assert_eq!(
        error("[audit]\nspool_size = 1000\n"),
        "hosts.toml:2:14: `audit.spool_size`: invalid size `1000` (at least 1K; examples: `64M`, `1G`)"
    );
    assert_eq!(
        error("[audit]\nforward = [\"syslog+tcp://logs:0\"]\n"),
        "hosts.toml:2:12: `audit.forward`: `syslog+tcp://logs:0`: invalid port `0` (1-65535)"
    );
    // The text ends without trailing whitespace, even where a name ends in a tab.
    assert_eq!(
        error("[groups.\"a\\t\"]\nchildren = [\"a\\t\"]\n"),
        "hosts.toml:2:13: `groups.a\t.children`: group cycle: a\t -> a"
    );
    // Messages of the TOML parser itself, with the hints added to two of them.
    assert_eq!(
        error("[hosts.a]\nuser = \"x\"\nport = 22\nuser = \"y\"\n"),
        "hosts.toml:4:1: `hosts.a.user`: duplicate key: already set on line 2"
    );
    assert_eq!(
        error("[groups.web]\nhosts = [10.0.0.1]\n"),
        "hosts.toml:2:14: `groups.web.hosts`: invalid float, expected nothing (names and addresses are strings: quote them, as in `hosts = [\"10.0.0.1\"]`)"
    );
    assert_eq!(
        error("[hosts.a]\n[hosts.a]\n"),
        "hosts.toml:2:8: `hosts.a`: duplicate key: already set on line 1"
    );
    // On one line there is no earlier line to name.
    assert_eq!(
        error("[hosts]\na = { port = 1, port = 2 }\n"),
        "hosts.toml:2:17: `hosts.a`: duplicate key"
    );
    assert_eq!(
        error("[groups.web]\nhosts = [\"a\"]\nusr = \"x\"\n"),
        "hosts.toml:3:1: `groups.web.usr`: unknown field `usr`, expected one of `hosts`, `children`, `user`, `port`, `identity_file`, `certificate_file`, `known_hosts`, `connect_timeout`, `keepalive`, `jump`"
    );
}
