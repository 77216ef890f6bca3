//! Evaluation semantics on configs written here; `tests/ssh_config.rs` holds them against
//! `ssh -G`.

use super::*;

fn config(text: &str) -> SshConfig {
    let mut c = SshConfig::default();
    c.parse("cfg", text.as_bytes(), 0, &mut 0);
    c
}

fn eval(text: &str, host: &str) -> Result<HostConfig, SshConfigError> {
    config(text).evaluate(&Query {
        host,
        local_user: "me",
        ..Query::default()
    })
}

fn user(text: &str, host: &str) -> Option<String> {
    eval(text, host).unwrap().user.map(|u| u.value)
}

#[test]
fn match_host_applies_only_to_its_host() {
    let text = "Match host 10.9.9.9\n  User x\n";
    assert_eq!(user(text, "10.9.9.9").as_deref(), Some("x"));
    assert_eq!(user(text, "web1"), None);
}

#[test]
fn first_value_wins_and_lines_are_located() {
    let c = eval(
        "Host web1\n  Port 2200\nHost *\n  Port 22\n  User u\n",
        "web1",
    )
    .unwrap();
    assert_eq!(c.port.as_ref().unwrap().value, 2200);
    assert_eq!(c.port.unwrap().at.to_string(), "cfg:2");
    assert_eq!(c.user.unwrap().at.to_string(), "cfg:5");
}

#[test]
fn given_values_win_and_match_sees_them() {
    let c = config("Match user deploy\n  Port 2200\nUser other\n");
    let q = Query {
        host: "web1",
        local_user: "me",
        given_user: Some("deploy"),
        ..Query::default()
    };
    let got = c.evaluate(&q).unwrap();
    assert_eq!(got.port.unwrap().value, 2200);
    assert!(got.user.is_none());
}

#[test]
fn refusals_name_file_line_and_host() {
    let err = eval("Host web*\n  ProxyCommand nc %h %p\n", "web1").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cfg:2: `ProxyCommand` is not supported by hostctl (use ProxyJump, or the inventory's `jump`); it applies to `web1`"
    );
    // Not where it does not apply, nor after a first value that is harmless.
    assert!(eval("Host web*\n  ProxyCommand nc %h %p\n", "db1").is_ok());
    assert!(eval("Host *\n  ProxyJump gw\n  ProxyCommand nc %h %p\n", "db1").is_ok());
    assert!(eval("IdentitiesOnly no\nIdentitiesOnly yes\n", "db1").is_ok());
    let err = eval(
        "Match host x exec true\n  User a\nMatch host db1 exec true\n",
        "db1",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cfg:3: `Match exec` is not supported"),
        "{err}"
    );
}

#[test]
fn errors_anywhere_fail_every_host() {
    let err = eval("Host none\n  Port 0\n", "web1").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cfg:2: `Port`: invalid value `0` (expected a port, 1-65535)"
    );
    let err = eval("Host web1\n  Frobnicate yes\n", "db1").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cfg:2: unknown keyword `frobnicate`"),
        "{err}"
    );
    assert!(eval("IgnoreUnknown frob*\nFrobnicate yes\n", "db1").is_ok());
    assert!(
        eval("Match final\n", "db1")
            .unwrap_err()
            .to_string()
            .contains("`Match final` is not supported")
    );
}

#[test]
fn times_ports_and_jumps() {
    assert_eq!(convtime("1h30m"), Some(5400));
    assert_eq!(convtime("90"), Some(90));
    assert_eq!(convtime("2W"), Some(1209600));
    assert_eq!(convtime("5x"), None);
    assert_eq!(convtime(""), None);
    assert_eq!(convtime("99999999999"), None);
    assert_eq!(port("022"), Some(22));
    assert_eq!(port("0"), None);
    assert_eq!(port("65536"), None);
    assert_eq!(
        parse_hop("ops@gw:2022"),
        Some((Some("ops".into()), "gw".into(), Some(2022)))
    );
    assert_eq!(parse_hop("[::1]:22"), Some((None, "::1".into(), Some(22))));
    assert_eq!(
        parse_hop("ssh://a%40b@gw"),
        Some((Some("a@b".into()), "gw".into(), None))
    );
    assert_eq!(parse_hop("user@"), None);
    assert_eq!(parse_hop("gw:notaport"), None);
    assert_eq!(parse_hop("ssh://[::1]"), None);
}
