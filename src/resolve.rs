//! From an inventory host to a `Target` with every SSH setting decided.
//!
//! Precedence, per setting, first found wins: the command line (`--connect-timeout`,
//! `--accept-new`); the inventory (host, then nearest group, then `[defaults]`); `~/.ssh/config`
//! (or `-F FILE`); the built-in defaults. The inventory plays the part of ssh's command line:
//! its values are decided before the config is read, so `Match user` and `Match host` see them
//! and the config's own values for them do not apply. `Host` patterns and `Match originalhost`
//! see the inventory name, as they would see `NAME` in `ssh NAME`. What ssh_config may say
//! and how it is read: `crate::ssh_config`.

use crate::inventory::{Host, Inventory, Settings};
use crate::os::{home_dir, local_user};
use crate::ssh::Target;
use crate::ssh_config::{
    self, HostConfig, Query, Sourced, SshConfig, SshConfigError, Strict, expand,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a host's settings could not be decided.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Config(#[from] SshConfigError),
    #[error("jump host `{spec}` (for `{host}`): expected `[user@]host[:port]`")]
    BadJump { spec: String, host: String },
    #[error(
        "jump host `{spec}` (for `{host}`) has jump hosts of its own; list the whole chain on `{host}` instead"
    )]
    NestedJump { spec: String, host: String },
    #[error(
        "jump hosts for `{host}` nest more than {MAX_DEPTH} deep; does a ProxyJump lead back to itself?"
    )]
    TooDeep { host: String },
}

/// How deep a first hop's own jump hosts may nest.
const MAX_DEPTH: usize = 16;

pub struct Resolver<'a> {
    inv: &'a Inventory,
    ssh: Option<SshConfig>,
    connect_timeout: Option<Duration>,
    accept_new: bool,
    local: Local,
}

/// A host's target and its jump hosts as written, in the order they are reached.
pub struct Route {
    pub target: Target,
    pub jump_specs: Vec<String>,
}

/// This machine, as ssh_config tokens name it.
struct Local {
    /// `%u`, and the remote user when nothing sets one.
    user: String,
    /// `%d`, and `~`: $HOME, where hostctl also finds `~/.ssh/config`.
    home: PathBuf,
    /// `%i`.
    uid: String,
    /// `%l` and `%L`.
    host: String,
    short_host: String,
}

impl Local {
    fn new() -> Local {
        let mut buf = [0u8; 256];
        // SAFETY: gethostname writes at most `buf.len()` bytes into our buffer.
        let host = if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            String::from_utf8_lossy(&buf[..end]).into_owned()
        } else {
            String::new()
        };
        Local {
            user: local_user(),
            home: home_dir(),
            // SAFETY: getuid cannot fail.
            uid: unsafe { libc::getuid() }.to_string(),
            short_host: host.split('.').next().unwrap_or("").to_string(),
            host,
        }
    }
}

/// One host (or jump host) to resolve, with what is decided before the config is read.
struct Request<'s> {
    name: &'s str,
    /// The inventory's `address`.
    address: Option<&'s str>,
    settings: &'s Settings,
    /// From a jump host spec, as ssh passes them to the ssh that reaches that hop.
    user: Option<String>,
    port: Option<u16>,
    /// Reached through the hop before it (`-J`): its own ProxyJump does not apply.
    later_hop: bool,
}

impl<'s> Request<'s> {
    /// An inventory host, as the target or as a jump host named by its inventory name.
    fn inventory(host: &'s Host, later_hop: bool) -> Request<'s> {
        Request {
            name: &host.name,
            address: host.explicit_address.then_some(host.address.as_str()),
            settings: &host.settings,
            user: None,
            port: None,
            later_hop,
        }
    }
}

impl<'a> Resolver<'a> {
    /// `config`: `-F FILE` (`none` for no config), else `~/.ssh/config` when it exists.
    pub fn new(
        inv: &'a Inventory,
        config: Option<&Path>,
        connect_timeout: Option<Duration>,
        accept_new: bool,
    ) -> Result<Resolver<'a>, ResolveError> {
        let default = home_dir().join(".ssh/config");
        let ssh = match config {
            Some(p) if p.as_os_str().eq_ignore_ascii_case("none") => None,
            Some(p) => Some(SshConfig::load(p, false)?),
            None if default.exists() => Some(SshConfig::load(&default, true)?),
            None => None,
        };
        Ok(Resolver {
            inv,
            ssh,
            connect_timeout,
            accept_new,
            local: Local::new(),
        })
    }

    pub fn target(&self, host: &Host) -> Result<Target, ResolveError> {
        Ok(self.route(host)?.target)
    }

    /// The target, and its jump hosts as written (`[user@]host[:port]` or inventory names).
    pub fn route(&self, host: &Host) -> Result<Route, ResolveError> {
        let request = Request::inventory(host, false);
        self.build(&request, 0)
    }

    fn build(&self, req: &Request, depth: usize) -> Result<Route, ResolveError> {
        let s = req.settings;
        let query = Query {
            host: req.name,
            local_user: &self.local.user,
            given_host_name: req.address,
            given_user: req.user.as_deref().or(s.user.as_deref()),
            given_port: req.port.or(s.port),
            given_proxy: s.jump.is_some() || req.later_hop,
            given_known_hosts: s.known_hosts.is_some(),
            given_identity_files: s.identity_files.is_some(),
            given_certificate_files: s.certificate_files.is_some(),
        };
        let cfg = match &self.ssh {
            Some(config) => config.evaluate(&query)?,
            None => HostConfig::default(),
        };
        let user = query
            .given_user
            .map(String::from)
            .or(cfg.user.map(|u| u.value))
            .unwrap_or_else(|| self.local.user.clone());
        let port = query.given_port.or(cfg.port.map(|p| p.value)).unwrap_or(22);
        let address = match (req.address, &cfg.host_name) {
            (Some(a), _) => a.to_string(),
            (None, Some(h)) => lowercase_name(&h.value),
            (None, None) => lowercase_name(req.name),
        };
        let port_text = port.to_string();
        let l = &self.local;
        let hash = connection_hash(&[&l.host, &address, &port_text, &user]);
        let home = l.home.to_string_lossy();
        let tokens: [(char, &str); 11] = [
            ('C', &hash),
            ('L', &l.short_host),
            ('d', &home),
            ('h', &address),
            ('i', &l.uid),
            ('k', req.name),
            ('l', &l.host),
            ('n', req.name),
            ('p', &port_text),
            ('r', &user),
            ('u', &l.user),
        ];
        let identity_files = match &s.identity_files {
            Some(files) => files.clone(),
            None => self.identity_files(&cfg.identity_files, &tokens, req.name)?,
        };
        let certificate_files = match &s.certificate_files {
            Some(files) => files.clone(),
            None => cfg
                .certificate_files
                .iter()
                .map(|f| self.path(f, "CertificateFile", &tokens).map(PathBuf::from))
                .collect::<Result<_, _>>()?,
        };
        let known_hosts = match (&s.known_hosts, &cfg.known_hosts) {
            (Some(k), _) => k.clone(),
            (None, Some(k)) => PathBuf::from(self.path(k, "UserKnownHostsFile", &tokens)?),
            (None, None) => l.home.join(".ssh/known_hosts"),
        };
        // 0 is "no timeout" and "no keepalives" to ssh; hostctl keeps its own defaults.
        let seconds = |v: &Option<Sourced<u32>>| {
            v.as_ref()
                .filter(|s| s.value > 0)
                .map(|s| Duration::from_secs(s.value.into()))
        };
        let specs: Vec<String> = match (&s.jump, &cfg.proxy_jump) {
            (Some(hops), _) => hops.iter().filter(|h| *h != "none").cloned().collect(),
            (
                None,
                Some(Sourced {
                    value: Some(list),
                    at,
                }),
            ) => {
                let jump_tokens = [
                    ('h', address.as_str()),
                    ('n', req.name),
                    ('p', &port_text),
                    ('r', &user),
                ];
                expand::percent(list, &jump_tokens, false)
                    .map_err(|e| at.expand("ProxyJump", list, e))?
                    .split(',')
                    .map(String::from)
                    .collect()
            }
            (None, _) => Vec::new(),
        };
        // The first hop is reached as ssh reaches it, by a connection of its own: its own jump
        // hosts come first. Each later hop is reached through the one before it.
        let mut jump = Vec::new();
        let mut jump_specs = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let mut hop = self.hop(spec, req.name, i > 0, depth)?;
            if i == 0 {
                jump.append(&mut hop.target.jump);
                jump_specs.append(&mut hop.jump_specs);
            }
            hop.target.jump.clear();
            jump.push(hop.target);
        }
        jump_specs.extend(specs);
        let target = Target {
            name: req.name.to_string(),
            port,
            user,
            identity_files,
            certificate_files,
            identities_only: cfg.identities_only.is_some_and(|i| i.value),
            known_hosts,
            connect_timeout: self
                .connect_timeout
                .or(s.connect_timeout)
                .or(seconds(&cfg.connect_timeout))
                .unwrap_or(Duration::from_secs(10)),
            keepalive: s
                .keepalive
                .or(seconds(&cfg.server_alive_interval))
                .unwrap_or(DEFAULT_KEEPALIVE),
            accept_new: self.accept_new || cfg.strict.is_some_and(|s| s.value == Strict::AcceptNew),
            address,
            jump,
        };
        Ok(Route { target, jump_specs })
    }

    /// One jump host: an inventory host (with all its settings), or `[user@]host[:port]`
    /// resolved through ssh_config and the defaults.
    fn hop(
        &self,
        spec: &str,
        for_host: &str,
        later: bool,
        depth: usize,
    ) -> Result<Route, ResolveError> {
        if depth >= MAX_DEPTH {
            return Err(ResolveError::TooDeep {
                host: for_host.to_string(),
            });
        }
        if let Some(host) = self.inv.hosts.iter().find(|h| h.name == spec) {
            if later && host.settings.jump.is_some() {
                return Err(ResolveError::NestedJump {
                    spec: spec.to_string(),
                    host: for_host.to_string(),
                });
            }
            let request = Request::inventory(host, later);
            return self.build(&request, depth + 1);
        }
        let (user, name, port) = ssh_config::parse_hop(spec)
            .or_else(|| bare_ipv6(spec))
            .ok_or_else(|| ResolveError::BadJump {
                spec: spec.to_string(),
                host: for_host.to_string(),
            })?;
        let none = Settings::default();
        let request = Request {
            name: &name,
            address: None,
            settings: &none,
            user,
            port,
            later_hop: later,
        };
        self.build(&request, depth + 1)
    }

    /// The config's IdentityFile list, expanded; `none` entries dropped, as ssh drops them.
    fn identity_files(
        &self,
        files: &[Sourced<String>],
        tokens: &[(char, &str)],
        host: &str,
    ) -> Result<Vec<PathBuf>, ResolveError> {
        let mut out = Vec::new();
        for f in files
            .iter()
            .filter(|f| !f.value.eq_ignore_ascii_case("none"))
        {
            out.push(PathBuf::from(self.path(f, "IdentityFile", tokens)?));
        }
        if let (true, Some(first)) = (out.is_empty(), files.first()) {
            // An empty list means the default keys to hostctl; to ssh, no key files at all.
            return Err(SshConfigError::Refused {
                at: first.at.clone(),
                keyword: "IdentityFile none".to_string(),
                hint: "without identity files hostctl would try the default keys; name a key file",
                host: host.to_string(),
            }
            .into());
        }
        Ok(out)
    }

    /// A path setting with `~`, tokens and `${VAR}` expanded, as ssh expands it.
    fn path(
        &self,
        value: &Sourced<String>,
        keyword: &'static str,
        tokens: &[(char, &str)],
    ) -> Result<String, SshConfigError> {
        let fail = |e| value.at.expand(keyword, &value.value, e);
        let tilde = expand::tilde(&value.value, &self.local.home).map_err(fail)?;
        expand::percent(&tilde, tokens, true).map_err(fail)
    }
}

/// ssh lowercases the host name it connects to, unless it is an address.
fn lowercase_name(name: &str) -> String {
    if name.parse::<std::net::IpAddr>().is_ok() {
        name.to_string()
    } else {
        name.to_ascii_lowercase()
    }
}

/// `[user@]ADDRESS` with an IPv6 address written without brackets (and so without a port),
/// which the inventory's `jump` has always accepted.
fn bare_ipv6(spec: &str) -> Option<(Option<String>, String, Option<u16>)> {
    let (user, host) = match spec.rsplit_once('@') {
        Some((u, h)) if !u.is_empty() => (Some(u.to_string()), h),
        Some(_) => return None,
        None => (None, spec),
    };
    host.parse::<std::net::Ipv6Addr>().ok()?;
    Some((user, host.to_string(), None))
}

/// `%C`: SHA-1 of `%l%h%p%r`, in hex (ssh's `ssh_connection_hash`).
fn connection_hash(parts: &[&str]) -> String {
    use sha1::Digest;
    let mut h = sha1::Sha1::new();
    for p in parts {
        h.update(p.as_bytes());
    }
    crate::digest::hex(&h.finalize())
}

/// Idle NAT and firewall timeouts are rarely under a minute.
const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(inventory: &str, ssh_config: &str, host: &str) -> Result<Target, ResolveError> {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config");
        std::fs::write(&cfg, ssh_config).unwrap();
        let inv = Inventory::parse(&dir.path().join("hosts.toml"), inventory).unwrap();
        let r = Resolver::new(&inv, Some(&cfg), None, false)?;
        let h = inv.hosts.iter().find(|h| h.name == host).unwrap();
        r.target(h)
    }

    const CONFIG: &str = "Host web*\n  HostName 10.0.0.5\n  User ssh-user\n  Port 2200\n  IdentityFile /keys/web\n  ConnectTimeout 7\n  UserKnownHostsFile /kh/web\n  StrictHostKeyChecking accept-new\n  ProxyJump jump1,ops@jump2:2022\n";

    #[test]
    fn ssh_config_fills_what_the_inventory_leaves_unset() {
        let t = resolve("[hosts.web1]\n", CONFIG, "web1").unwrap();
        assert_eq!(
            (t.address.as_str(), t.user.as_str(), t.port),
            ("10.0.0.5", "ssh-user", 2200)
        );
        assert_eq!(t.identity_files, [PathBuf::from("/keys/web")]);
        assert_eq!(t.known_hosts, PathBuf::from("/kh/web"));
        assert_eq!(t.connect_timeout, Duration::from_secs(7));
        assert!(t.accept_new);
        let hops: Vec<(String, String, u16)> = t
            .jump
            .iter()
            .map(|j| (j.name.clone(), j.user.clone(), j.port))
            .collect();
        assert_eq!(hops[1], ("jump2".to_string(), "ops".to_string(), 2022));
        assert_eq!(hops[0].0, "jump1");
    }

    #[test]
    fn the_inventory_wins_over_ssh_config() {
        let inv = "[defaults]\nuser = \"inv\"\n[hosts.web1]\naddress = \"192.0.2.1\"\nport = 22\njump = [\"bastion\"]\n[hosts.bastion]\naddress = \"192.0.2.9\"\n";
        let t = resolve(inv, CONFIG, "web1").unwrap();
        assert_eq!(
            (t.address.as_str(), t.user.as_str(), t.port),
            ("192.0.2.1", "inv", 22)
        );
        assert_eq!(t.jump.len(), 1);
        assert_eq!(t.jump[0].address, "192.0.2.9");
    }

    #[test]
    fn without_ssh_config_the_defaults_apply() {
        let t = resolve("[hosts.db]\n", "", "db").unwrap();
        assert_eq!((t.address.as_str(), t.port), ("db", 22));
        assert!(t.jump.is_empty() && !t.accept_new);
        assert_eq!(t.connect_timeout, Duration::from_secs(10));
    }

    #[test]
    fn host_patterns_see_the_inventory_name_and_match_host_its_address() {
        let inv = "[hosts.web1]\naddress = \"192.0.2.1\"\n";
        let cfg =
            "Host web1\n  User by-name\n  HostName ignored\nMatch host 192.0.2.*\n  Port 2200\n";
        let t = resolve(inv, cfg, "web1").unwrap();
        assert_eq!(
            (t.address.as_str(), t.user.as_str(), t.port),
            ("192.0.2.1", "by-name", 2200)
        );
    }

    #[test]
    fn a_first_hops_own_jump_hosts_come_first() {
        let inv = "[hosts.inner]\njump = [\"b\", \"c\"]\n[hosts.b]\njump = [\"a\"]\n[hosts.a]\n[hosts.c]\n";
        let t = resolve(inv, "", "inner").unwrap();
        let names: Vec<&str> = t.jump.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert!(t.jump.iter().all(|j| j.jump.is_empty()));
        // A later hop's own jump hosts would be bypassed: an inventory that sets them is wrong.
        let inv = "[hosts.inner]\njump = [\"c\", \"b\"]\n[hosts.b]\njump = [\"a\"]\n[hosts.a]\n[hosts.c]\n";
        let err = resolve(inv, "", "inner").unwrap_err().to_string();
        assert_eq!(
            err,
            "jump host `b` (for `inner`) has jump hosts of its own; list the whole chain on `inner` instead"
        );
        // A ProxyJump loop ends in an error, not a hang.
        let err = resolve("[hosts.x]\n", "Host *\n  ProxyJump gw\n", "x").unwrap_err();
        assert!(err.to_string().contains("nest more than 16 deep"), "{err}");
    }
}
