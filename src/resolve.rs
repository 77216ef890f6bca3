//! From an inventory host to a `Target` with every SSH setting decided.
//!
//! Precedence, per setting, first found wins: the command line (`--connect-timeout`,
//! `--accept-new`); the inventory (host, then nearest group, then `[defaults]`); `~/.ssh/config`
//! (or `-F FILE`); the built-in defaults. From ssh_config hostctl reads `Host` patterns,
//! `HostName` (when the inventory gives no explicit `address`), `User`, `Port`, `IdentityFile`,
//! `ProxyJump`, `ConnectTimeout`, `ServerAliveInterval`, `UserKnownHostsFile` and
//! `StrictHostKeyChecking`
//! (`accept-new`, and `no`, which hostctl treats as `accept-new`: it never connects on a key it
//! has neither checked nor recorded).

use crate::error::Error;
use crate::inventory::{Host, Inventory, expand_home, home_dir, local_user};
use crate::ssh::Target;
use ssh2_config::{ParseRule, SshConfig};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Resolver<'a> {
    inv: &'a Inventory,
    ssh: Option<SshConfig>,
    connect_timeout: Option<Duration>,
    accept_new: bool,
}

impl<'a> Resolver<'a> {
    /// `config`: `-F FILE`, else `~/.ssh/config` when it exists.
    pub fn new(
        inv: &'a Inventory,
        config: Option<&Path>,
        connect_timeout: Option<Duration>,
        accept_new: bool,
    ) -> Result<Resolver<'a>, Error> {
        let default = home_dir().join(".ssh/config");
        let path = match config {
            Some(p) => Some(p.to_path_buf()),
            None => default.exists().then_some(default),
        };
        let ssh = match path {
            None => None,
            Some(path) => {
                let file = std::fs::File::open(&path).map_err(|e| {
                    Error::Usage(format!("cannot read ssh config `{}`: {e}", path.display()))
                })?;
                let rules = ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS;
                let parsed = SshConfig::default()
                    .parse(&mut std::io::BufReader::new(file), rules)
                    .map_err(|e| Error::Usage(format!("ssh config `{}`: {e}", path.display())))?;
                Some(parsed)
            }
        };
        Ok(Resolver {
            inv,
            ssh,
            connect_timeout,
            accept_new,
        })
    }

    pub fn target(&self, host: &Host) -> Result<Target, Error> {
        let s = &host.settings;
        let params = self.query(&host.address);
        let address = match (&host.explicit_address, &params.host_name) {
            (false, Some(real)) => real.clone(),
            _ => host.address.clone(),
        };
        let jump_specs = s
            .jump
            .clone()
            .or_else(|| params.proxy_jump.clone())
            .unwrap_or_default();
        let mut jump = Vec::new();
        for spec in jump_specs.iter().filter(|h| h.as_str() != "none") {
            jump.push(self.hop(spec, &host.name)?);
        }
        Ok(Target {
            name: host.name.clone(),
            port: s.port.or(params.port).unwrap_or(22),
            user: s
                .user
                .clone()
                .or(params.user.clone())
                .unwrap_or_else(local_user),
            identity_files: s
                .identity_files
                .clone()
                .or(params.identity_file.clone())
                .unwrap_or_default(),
            certificate_files: s.certificate_files.clone().unwrap_or_default(),
            known_hosts: s
                .known_hosts
                .clone()
                .or_else(|| self.known_hosts_file(&params))
                .unwrap_or_else(default_known_hosts),
            connect_timeout: self
                .connect_timeout
                .or(s.connect_timeout)
                .or(params.connect_timeout)
                .unwrap_or(Duration::from_secs(10)),
            keepalive: s
                .keepalive
                .or(params.server_alive_interval)
                .unwrap_or(DEFAULT_KEEPALIVE),
            accept_new: self.accept_new || accepts_new(&params),
            address,
            jump,
        })
    }

    /// One jump host: an inventory host (with all its settings), or `[user@]host[:port]`
    /// resolved through ssh_config and the defaults.
    fn hop(&self, spec: &str, for_host: &str) -> Result<Target, Error> {
        if let Some(host) = self.inv.hosts.iter().find(|h| h.name == spec) {
            let mut t = self.target(host)?;
            if !t.jump.is_empty() {
                return Err(Error::Usage(format!(
                    "jump host `{spec}` (for `{for_host}`) has jump hosts of its own; list the whole chain on `{for_host}` instead"
                )));
            }
            t.jump.clear();
            return Ok(t);
        }
        let (user, rest) = match spec.rsplit_once('@') {
            Some((u, r)) => (Some(u.to_string()), r),
            None => (None, spec),
        };
        let (name, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') || h.starts_with('[') => {
                let port = p
                    .parse::<u16>()
                    .map_err(|_| Error::Usage(format!("jump host `{spec}`: bad port `{p}`")))?;
                (
                    h.trim_start_matches('[').trim_end_matches(']').to_string(),
                    Some(port),
                )
            }
            _ => (rest.to_string(), None),
        };
        let params = self.query(&name);
        Ok(Target {
            address: params.host_name.clone().unwrap_or_else(|| name.clone()),
            name,
            port: port.or(params.port).unwrap_or(22),
            user: user.or(params.user.clone()).unwrap_or_else(local_user),
            identity_files: params.identity_file.clone().unwrap_or_default(),
            certificate_files: Vec::new(),
            known_hosts: self
                .known_hosts_file(&params)
                .unwrap_or_else(default_known_hosts),
            connect_timeout: self
                .connect_timeout
                .or(params.connect_timeout)
                .unwrap_or(Duration::from_secs(10)),
            keepalive: params.server_alive_interval.unwrap_or(DEFAULT_KEEPALIVE),
            accept_new: self.accept_new || accepts_new(&params),
            jump: Vec::new(),
        })
    }

    fn query(&self, host: &str) -> ssh2_config::HostParams {
        match &self.ssh {
            Some(cfg) => cfg.query(host),
            None => SshConfig::default().query(host),
        }
    }

    fn known_hosts_file(&self, params: &ssh2_config::HostParams) -> Option<PathBuf> {
        let value = params
            .unsupported_fields
            .get("userknownhostsfile")?
            .first()?;
        Some(expand_home(value))
    }
}

fn accepts_new(params: &ssh2_config::HostParams) -> bool {
    params
        .unsupported_fields
        .get("stricthostkeychecking")
        .and_then(|v| v.first())
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "accept-new" | "no" | "off"))
}

/// Idle NAT and firewall timeouts are rarely under a minute.
const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(30);

fn default_known_hosts() -> PathBuf {
    home_dir().join(".ssh/known_hosts")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(inventory: &str, ssh_config: &str, host: &str) -> Result<Target, Error> {
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
}
