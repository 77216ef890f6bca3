//! The inventory: `hosts.toml` parsed, checked and resolved into hosts with their final SSH
//! settings, before anything touches the network.
//!
//! Settings resolve host > group > defaults. Among groups, the nearest wins: a group that lists
//! the host directly beats a group that only reaches it through `children`. Two groups at the
//! same distance that set different values for one key are an error, not a coin toss.

pub mod pattern;
pub mod range;
mod raw;

use crate::audit::forward::DestinationError;
use crate::os::home_dir;
use crate::quantity::{BadDuration, parse_duration, parse_size};
use crate::suggest::suggest;
use range::RangeError;
use raw::{RawInventory, RawSettingsRef};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// A host with everything needed to reach it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Host {
    pub name: String,
    pub address: String,
    /// `address` was written in the inventory (else it is the name, which an ssh_config
    /// `HostName` may still map).
    pub explicit_address: bool,
    #[serde(flatten)]
    pub settings: Settings,
    /// The groups that contain this host, directly or through `children`.
    pub groups: Vec<String>,
}

/// What the inventory itself sets for a host; unset values fall back to ~/.ssh/config, then to
/// the built-in defaults (see `resolve::Resolver`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Settings {
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity_files: Option<Vec<PathBuf>>,
    pub certificate_files: Option<Vec<PathBuf>>,
    pub known_hosts: Option<PathBuf>,
    #[serde(skip)]
    pub connect_timeout: Option<Duration>,
    /// Interval between keepalive messages on otherwise silent sessions.
    #[serde(skip)]
    pub keepalive: Option<Duration>,
    /// Jump hosts, first hop first: inventory host names or `[user@]host[:port]`.
    pub jump: Option<Vec<String>>,
}

#[derive(Debug)]
pub struct Inventory {
    pub path: PathBuf,
    /// In natural name order (`web2` before `web10`).
    pub hosts: Vec<Host>,
    /// Each group's hosts (children included), as indexes into `hosts`, ascending.
    pub groups: BTreeMap<String, Vec<usize>>,
    /// `[audit]`: where records are forwarded.
    pub audit: crate::audit::forward::Settings,
}

/// What is wrong with an inventory, and where.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error(
        "no inventory at `{}` (looked for {}); name one with `-i PATH` or `HOSTCTL_INVENTORY=PATH` (see the README's \"The inventory\")",
        path.display(), absolute.display()
    )]
    NotFound { path: PathBuf, absolute: PathBuf },
    #[error("cannot read inventory `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The problem's text ends without trailing whitespace (a group name may end in a tab).
    #[error(
        "{}:{line}:{column}: {}{}",
        path.display(),
        key.as_ref().map(|k| format!("`{k}`: ")).unwrap_or_default(),
        problem.to_string().trim_end()
    )]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        key: Option<String>,
        problem: Box<InventoryProblem>,
    },
}

/// What is wrong at one place in `hosts.toml` (the place is [`InventoryError::Invalid`]'s):
/// each variant carries the offending values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryProblem {
    /// The TOML parser's or the deserializer's own words (a syntax error, an unknown field, a
    /// value of the wrong type).
    #[error("{0}")]
    Toml(String),
    /// The parser's duplicate-key message, with the line the key was first set on.
    #[error("{message}: already set on line {first_line}")]
    DuplicateKey { message: String, first_line: usize },
    /// The parser's message for a bare number where a string belongs (`10.0.0.1` unquoted).
    #[error(
        "{message} (names and addresses are strings: quote them, as in `hosts = [\"10.0.0.1\"]`)"
    )]
    Unquoted { message: String },
    #[error("user must not be empty")]
    EmptyUser,
    #[error("port {port} is out of range (1-65535)")]
    PortOutOfRange { port: i64 },
    /// `identity_file` or `certificate_file`.
    #[error("{setting} must be a path or a list of paths")]
    NotPaths { setting: &'static str },
    #[error(transparent)]
    Duration(#[from] BadDuration),
    #[error("jump must be a host or a list of hosts (first hop first)")]
    BadJump,
    #[error(
        "`{name}` cannot be a name: names are non-empty, not `all`, and have no `,` `*` `?` `[` `]` `/`, spaces, or leading `!`/`&`"
    )]
    BadName { name: String },
    #[error(transparent)]
    HostName(#[from] HostNameError),
    #[error("`{name}` is both a host and a group; names must be unique")]
    HostAndGroup { name: String },
    #[error("address must not be empty")]
    EmptyAddress,
    #[error(transparent)]
    Range(#[from] RangeError),
    #[error("`{name}` is a group; list it under `children`")]
    GroupInHosts { name: String },
    /// A group lists a host by the address a named host has.
    #[error("duplicate host: `{address}` is the address of host `{host}`; list `{host}` instead")]
    AddressOfHost { address: String, host: String },
    #[error("`{address}` is neither a host name from [hosts] nor a valid address")]
    BadAddress { address: String },
    #[error("duplicate host `{name}` in group `{group}`")]
    DuplicateHost { name: String, group: String },
    #[error("`{name}` is a host, not a group; list it under `hosts`")]
    HostInChildren { name: String },
    /// `suggestion` is the closest group name, if one is close.
    #[error("unknown group `{name}`{}", suggest(suggestion.as_deref()))]
    UnknownGroup {
        name: String,
        suggestion: Option<String>,
    },
    /// The groups of the cycle in order, the first one again at the end.
    #[error("group cycle: {}", cycle.join(" -> "))]
    GroupCycle { cycle: Vec<String> },
    /// Two groups at the same distance from `host` set `setting` to different values.
    #[error(
        "host `{host}` gets `{setting}` from both group `{first_group}` and group `{group}` with different values; set it on the host or in one group"
    )]
    Conflict {
        host: String,
        setting: String,
        first_group: String,
        group: String,
    },
    #[error(transparent)]
    Destination(#[from] DestinationError),
    /// `text` is the value as written (a number is shown as TOML writes it).
    #[error("invalid size `{text}` (at least 1K; examples: `64M`, `1G`)")]
    SpoolSize { text: String },
}

impl Inventory {
    pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => InventoryError::NotFound {
                path: path.to_path_buf(),
                absolute: std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
            },
            _ => InventoryError::Read {
                path: path.to_path_buf(),
                source,
            },
        })?;
        Inventory::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Inventory, InventoryError> {
        let cx = Cx { path, text };
        let raw: RawInventory = match toml::Deserializer::parse(text) {
            Ok(de) => serde_path_to_error::deserialize(de).map_err(|e| {
                let key = Some(clean_path(&e.path().to_string())).filter(|k| k != ".");
                let inner = e.into_inner();
                let message = InventoryProblem::Toml(inner.message().trim_end().to_string());
                cx.err(inner.span().unwrap_or(0..0), key, message)
            })?,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let key = toml_key_at(text, span.start);
                let message = syntax_message(text, span.start, key.as_deref(), e.message());
                return Err(cx.err(span, key, message));
            }
        };
        Builder::new(cx, &raw)?.build()
    }

    pub fn host_names(&self) -> impl Iterator<Item = &str> {
        self.hosts.iter().map(|h| h.name.as_str())
    }
}

/// The dotted key a TOML syntax error sits in (`groups.web.hosts`), read from the text around
/// it: the parser reports only a position, and "invalid float" alone does not say where to look.
fn toml_key_at(text: &str, offset: usize) -> Option<String> {
    let before = &text[..offset.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut lines = text[..line_end].lines().rev();
    let unquote = |k: &str| k.trim().trim_matches(['"', '\'']).to_string();
    let header = |l: &str| {
        let l = l.trim();
        (l.starts_with('[')).then(|| unquote(l.trim_matches(['[', ']'])))
    };
    let mut key = None;
    for line in lines.by_ref() {
        if let Some(table) = header(line) {
            return Some(match key {
                Some(k) => format!("{table}.{k}"),
                None => table,
            });
        }
        let line = line.trim_start();
        if key.is_none()
            && !line.starts_with('#')
            && let Some((k, _)) = line.split_once('=')
        {
            key = Some(unquote(k));
        }
    }
    key
}

/// The parser's message, with what to do about the two slips people make most.
fn syntax_message(text: &str, offset: usize, key: Option<&str>, message: &str) -> InventoryProblem {
    let message = message.trim_end().to_string();
    if message.starts_with("duplicate key") {
        // The first definition: the earliest line that sits in the same key.
        let line_of = |at: usize| text[..at].matches('\n').count() + 1;
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            if start >= offset || line_of(start) == line_of(offset) {
                break;
            }
            let content = start + (line.len() - line.trim_start().len());
            if key.is_some() && toml_key_at(text, content).as_deref() == key {
                return InventoryProblem::DuplicateKey {
                    message,
                    first_line: line_of(start),
                };
            }
            start += line.len();
        }
        return InventoryProblem::Toml(message);
    }
    if message.starts_with("invalid float") || message.starts_with("invalid integer") {
        return InventoryProblem::Unquoted { message };
    }
    InventoryProblem::Toml(message)
}

/// serde_path_to_error's path minus serde_spanned's private wrapper segments.
fn clean_path(path: &str) -> String {
    path.split('.')
        .filter(|seg| !seg.starts_with("$__serde_spanned"))
        .collect::<Vec<_>>()
        .join(".")
}

/// The file being read, for turning byte spans into `file:line:column` errors.
#[derive(Clone, Copy)]
struct Cx<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Cx<'_> {
    fn err(
        &self,
        span: Range<usize>,
        key: Option<String>,
        problem: impl Into<InventoryProblem>,
    ) -> InventoryError {
        let before = &self.text[..span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        InventoryError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            key,
            problem: Box::new(problem.into()),
        }
    }

    fn at<T>(
        &self,
        value: &Spanned<T>,
        key: impl Into<String>,
        problem: impl Into<InventoryProblem>,
    ) -> InventoryError {
        self.err(value.span(), Some(key.into()), problem)
    }

    /// Relative paths are taken from the inventory's own directory; `~` is the home directory.
    fn path_setting(&self, value: &str) -> PathBuf {
        let expanded = expand_home(value);
        if expanded.is_relative() {
            self.path.parent().unwrap_or(Path::new("")).join(expanded)
        } else {
            expanded
        }
    }
}

pub fn expand_home(value: &str) -> PathBuf {
    match value.strip_prefix("~/").or((value == "~").then_some("")) {
        Some(rest) => home_dir().join(rest),
        None => PathBuf::from(value),
    }
}

/// One setting value, checked, with where it was written.
#[derive(Debug, Clone)]
struct Sourced<T> {
    value: T,
    span: Range<usize>,
}

/// The settings one section sets (each optional).
#[derive(Debug, Clone, Default)]
struct Layer {
    user: Option<Sourced<String>>,
    port: Option<Sourced<u16>>,
    identity_files: Option<Sourced<Vec<PathBuf>>>,
    certificate_files: Option<Sourced<Vec<PathBuf>>>,
    known_hosts: Option<Sourced<PathBuf>>,
    connect_timeout: Option<Sourced<Duration>>,
    keepalive: Option<Sourced<Duration>>,
    jump: Option<Sourced<Vec<String>>>,
}

impl Layer {
    fn check(cx: Cx, section: &str, raw: RawSettingsRef) -> Result<Layer, InventoryError> {
        let key = |k: &str| format!("{section}.{k}");
        let sourced = |s: &Spanned<String>| Sourced {
            value: s.get_ref().clone(),
            span: s.span(),
        };
        let mut layer = Layer::default();
        if let Some(user) = raw.user {
            if user.get_ref().is_empty() {
                return Err(cx.at(user, key("user"), InventoryProblem::EmptyUser));
            }
            layer.user = Some(sourced(user));
        }
        if let Some(port) = raw.port {
            let value = u16::try_from(*port.get_ref())
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| {
                    cx.at(
                        port,
                        key("port"),
                        InventoryProblem::PortOutOfRange {
                            port: *port.get_ref(),
                        },
                    )
                })?;
            layer.port = Some(Sourced {
                value,
                span: port.span(),
            });
        }
        let paths = |files: &Spanned<toml::Value>, name: &'static str| {
            let bad = || {
                cx.at(
                    files,
                    key(name),
                    InventoryProblem::NotPaths { setting: name },
                )
            };
            let list: Vec<&str> = match files.get_ref() {
                toml::Value::String(one) => vec![one.as_str()],
                toml::Value::Array(many) => many
                    .iter()
                    .map(|v| v.as_str().ok_or_else(bad))
                    .collect::<Result<_, _>>()?,
                _ => return Err(bad()),
            };
            Ok(Sourced {
                value: list.iter().map(|f| cx.path_setting(f)).collect(),
                span: files.span(),
            })
        };
        if let Some(files) = raw.identity_file {
            layer.identity_files = Some(paths(files, "identity_file")?);
        }
        if let Some(files) = raw.certificate_file {
            layer.certificate_files = Some(paths(files, "certificate_file")?);
        }
        if let Some(known) = raw.known_hosts {
            layer.known_hosts = Some(Sourced {
                value: cx.path_setting(known.get_ref()),
                span: known.span(),
            });
        }
        if let Some(timeout) = raw.connect_timeout {
            let value = parse_duration(&timeout.get_ref().0)
                .map_err(|m| cx.at(timeout, key("connect_timeout"), m))?;
            layer.connect_timeout = Some(Sourced {
                value,
                span: timeout.span(),
            });
        }
        if let Some(interval) = raw.keepalive {
            let value = parse_duration(&interval.get_ref().0)
                .map_err(|m| cx.at(interval, key("keepalive"), m))?;
            layer.keepalive = Some(Sourced {
                value,
                span: interval.span(),
            });
        }
        if let Some(jump) = raw.jump {
            let bad = || cx.at(jump, key("jump"), InventoryProblem::BadJump);
            let hops: Vec<String> = match jump.get_ref() {
                toml::Value::String(one) => one.split(',').map(|h| h.trim().to_string()).collect(),
                toml::Value::Array(many) => many
                    .iter()
                    .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
                    .collect::<Result<_, _>>()?,
                _ => return Err(bad()),
            };
            if hops.iter().any(String::is_empty) {
                return Err(bad());
            }
            layer.jump = Some(Sourced {
                value: hops,
                span: jump.span(),
            });
        }
        Ok(layer)
    }
}

/// Builds the checked [`Inventory`] from the raw one: host names, group members (ranges
/// expanded, `children` followed, cycles refused), then each host's settings from itself, its
/// nearest group and `[defaults]` (ssh_config comes later, in `resolve::Resolver`).
struct Builder<'a> {
    cx: Cx<'a>,
    raw: &'a RawInventory,
    defaults: Layer,
    /// (name, address, address written explicitly, own settings).
    hosts: Vec<(String, String, bool, Layer)>,
    by_name: HashMap<String, usize>,
    /// Group name -> direct member host indexes.
    direct: BTreeMap<&'a str, Vec<usize>>,
    layers: BTreeMap<&'a str, Layer>,
}

impl<'a> Builder<'a> {
    fn new(cx: Cx<'a>, raw: &'a RawInventory) -> Result<Self, InventoryError> {
        let defaults = Layer::check(cx, "defaults", raw.defaults.settings())?;
        let mut builder = Builder {
            cx,
            raw,
            defaults,
            hosts: Vec::new(),
            by_name: HashMap::new(),
            direct: BTreeMap::new(),
            layers: BTreeMap::new(),
        };
        builder.named_hosts()?;
        builder.group_members()?;
        Ok(builder)
    }

    fn named_hosts(&mut self) -> Result<(), InventoryError> {
        for (name, host) in &self.raw.hosts {
            let section = format!("hosts.{name}");
            check_host_name(name)
                .map_err(|e| self.cx.at(host, format!("hosts.{}", toml_key(name)), e))?;
            check_name(self.cx, name, host, &section)?;
            if self.raw.groups.contains_key(name) {
                return Err(self.cx.at(
                    host,
                    section,
                    InventoryProblem::HostAndGroup { name: name.clone() },
                ));
            }
            let explicit = host.get_ref().address.is_some();
            let address = match &host.get_ref().address {
                Some(a) if a.get_ref().trim().is_empty() => {
                    return Err(self.cx.at(
                        a,
                        format!("{section}.address"),
                        InventoryProblem::EmptyAddress,
                    ));
                }
                Some(a) => a.get_ref().clone(),
                None => name.clone(),
            };
            let layer = Layer::check(self.cx, &section, host.get_ref().settings())?;
            self.by_name.insert(name.clone(), self.hosts.len());
            self.hosts.push((name.clone(), address, explicit, layer));
        }
        Ok(())
    }

    fn group_members(&mut self) -> Result<(), InventoryError> {
        let addresses: HashMap<String, String> = self
            .hosts
            .iter()
            .map(|(name, address, _, _)| (address.clone(), name.clone()))
            .collect();
        for (group, body) in &self.raw.groups {
            let section = format!("groups.{group}");
            check_name(self.cx, group, body, &section)?;
            let body = body.get_ref();
            self.layers
                .insert(group, Layer::check(self.cx, &section, body.settings())?);
            let mut members: Vec<usize> = Vec::new();
            let key = format!("{section}.hosts");
            for entry in &body.hosts {
                let names = if self.by_name.contains_key(entry.get_ref()) {
                    vec![entry.get_ref().clone()]
                } else {
                    range::expand(entry.get_ref()).map_err(|e| self.cx.at(entry, key.clone(), e))?
                };
                for name in names {
                    if self.raw.groups.contains_key(&name) {
                        return Err(self.cx.at(
                            entry,
                            key.clone(),
                            InventoryProblem::GroupInHosts { name: name.clone() },
                        ));
                    }
                    let index = match self.by_name.get(&name) {
                        Some(&i) => i,
                        None => {
                            if let Some(named) = addresses.get(&name) {
                                return Err(self.cx.at(
                                    entry,
                                    key.clone(),
                                    InventoryProblem::AddressOfHost {
                                        address: name,
                                        host: named.clone(),
                                    },
                                ));
                            }
                            check_host_name(&name)
                                .map_err(|e| self.cx.at(entry, key.clone(), e))?;
                            check_address(&name).map_err(|e| self.cx.at(entry, key.clone(), e))?;
                            let i = self.hosts.len();
                            self.by_name.insert(name.clone(), i);
                            self.hosts
                                .push((name.clone(), name.clone(), false, Layer::default()));
                            i
                        }
                    };
                    if members.contains(&index) {
                        return Err(self.cx.at(
                            entry,
                            key.clone(),
                            InventoryProblem::DuplicateHost {
                                name,
                                group: group.clone(),
                            },
                        ));
                    }
                    members.push(index);
                }
            }
            self.direct.insert(group, members);
        }
        Ok(())
    }

    /// Every group's members with their distance (0 = listed directly), after checking
    /// `children` for unknown names and cycles.
    fn distances(&self) -> Result<BTreeMap<&'a str, HashMap<usize, usize>>, InventoryError> {
        let groups: BTreeMap<&str, &raw::RawGroup> = self
            .raw
            .groups
            .iter()
            .map(|(k, v)| (k.as_str(), v.get_ref()))
            .collect();
        for (name, body) in &groups {
            for child in &body.children {
                let key = format!("groups.{name}.children");
                if !groups.contains_key(child.get_ref().as_str()) {
                    let name = child.get_ref().clone();
                    let problem = if self.by_name.contains_key(&name) {
                        InventoryProblem::HostInChildren { name }
                    } else {
                        let known = groups.keys().copied();
                        let suggestion = crate::suggest::closest(&name, known).map(str::to_string);
                        InventoryProblem::UnknownGroup { name, suggestion }
                    };
                    return Err(self.cx.at(child, key, problem));
                }
            }
        }
        let mut done: BTreeMap<&'a str, HashMap<usize, usize>> = BTreeMap::new();
        for name in groups.keys() {
            self.visit(name, &groups, &mut Vec::new(), &mut done)?;
        }
        Ok(done)
    }

    fn visit(
        &self,
        name: &'a str,
        groups: &BTreeMap<&'a str, &'a raw::RawGroup>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeMap<&'a str, HashMap<usize, usize>>,
    ) -> Result<(), InventoryError> {
        if done.contains_key(name) {
            return Ok(());
        }
        stack.push(name);
        let mut members: HashMap<usize, usize> =
            self.direct[name].iter().map(|&h| (h, 0)).collect();
        for child in &groups[name].children {
            let child_name = child.get_ref().as_str();
            if let Some(start) = stack.iter().position(|g| *g == child_name) {
                let mut cycle: Vec<String> = stack[start..].iter().map(|g| g.to_string()).collect();
                cycle.push(child_name.to_string());
                return Err(self.cx.at(
                    child,
                    format!("groups.{name}.children"),
                    InventoryProblem::GroupCycle { cycle },
                ));
            }
            self.visit(child_name, groups, stack, done)?;
            for (&host, &distance) in &done[child_name] {
                let entry = members.entry(host).or_insert(distance + 1);
                *entry = (*entry).min(distance + 1);
            }
        }
        stack.pop();
        done.insert(name, members);
        Ok(())
    }

    fn build(self) -> Result<Inventory, InventoryError> {
        let distances = self.distances()?;
        let mut hosts = Vec::with_capacity(self.hosts.len());
        for (index, (name, address, explicit, own)) in self.hosts.iter().enumerate() {
            let mut groups: Vec<(usize, &str, &Layer)> = distances
                .iter()
                .filter_map(|(g, members)| members.get(&index).map(|&d| (d, *g, &self.layers[g])))
                .collect();
            groups.sort_by_key(|(d, g, _)| (*d, *g));
            let pick = Picker {
                cx: self.cx,
                host: name,
                own,
                groups: &groups,
                defaults: &self.defaults,
            };
            let settings = Settings {
                user: pick.one("user", |l| l.user.as_ref())?,
                port: pick.one("port", |l| l.port.as_ref())?,
                identity_files: pick.one("identity_file", |l| l.identity_files.as_ref())?,
                certificate_files: pick
                    .one("certificate_file", |l| l.certificate_files.as_ref())?,
                known_hosts: pick.one("known_hosts", |l| l.known_hosts.as_ref())?,
                connect_timeout: pick.one("connect_timeout", |l| l.connect_timeout.as_ref())?,
                keepalive: pick.one("keepalive", |l| l.keepalive.as_ref())?,
                jump: pick.one("jump", |l| l.jump.as_ref())?,
            };
            let mut member_of: Vec<String> = groups.iter().map(|(_, g, _)| g.to_string()).collect();
            member_of.sort();
            hosts.push(Host {
                name: name.clone(),
                address: address.clone(),
                explicit_address: *explicit,
                settings,
                groups: member_of,
            });
        }
        let mut order: Vec<usize> = (0..hosts.len()).collect();
        order.sort_by(|&a, &b| range::natural_cmp(&hosts[a].name, &hosts[b].name));
        let mut new_index = vec![0; hosts.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let groups = distances
            .into_iter()
            .map(|(g, members)| {
                let mut list: Vec<usize> = members.keys().map(|&h| new_index[h]).collect();
                list.sort_unstable();
                (g.to_string(), list)
            })
            .collect();
        let mut slots: Vec<Option<Host>> = hosts.into_iter().map(Some).collect();
        let hosts = order
            .iter()
            .map(|&old| slots[old].take().expect("each host once"))
            .collect();
        Ok(Inventory {
            path: self.cx.path.to_path_buf(),
            hosts,
            groups,
            audit: audit_settings(self.cx, &self.raw.audit)?,
        })
    }
}

/// Resolves one setting for one host: its own value, else the nearest group's, else the default.
struct Picker<'a> {
    cx: Cx<'a>,
    host: &'a str,
    own: &'a Layer,
    groups: &'a [(usize, &'a str, &'a Layer)],
    defaults: &'a Layer,
}

impl Picker<'_> {
    fn one<T: Clone + PartialEq + std::fmt::Debug>(
        &self,
        key: &str,
        get: impl Fn(&Layer) -> Option<&Sourced<T>>,
    ) -> Result<Option<T>, InventoryError> {
        if let Some(own) = get(self.own) {
            return Ok(Some(own.value.clone()));
        }
        let mut set = self
            .groups
            .iter()
            .filter_map(|(d, g, l)| get(l).map(|v| (*d, *g, v)));
        if let Some((distance, first_group, first)) = set.next() {
            for (_, group, value) in set.take_while(|(d, _, _)| *d == distance) {
                if value.value != first.value {
                    return Err(self.cx.err(
                        value.span.clone(),
                        Some(format!("groups.{group}.{key}")),
                        InventoryProblem::Conflict {
                            host: self.host.to_string(),
                            setting: key.to_string(),
                            first_group: first_group.to_string(),
                            group: group.to_string(),
                        },
                    ));
                }
            }
            return Ok(Some(first.value.clone()));
        }
        Ok(get(self.defaults).map(|v| v.value.clone()))
    }
}

/// `[audit]`, checked: each destination parses, the spool size is a size, the CA file a path.
fn audit_settings(
    cx: Cx,
    raw: &raw::RawAudit,
) -> Result<crate::audit::forward::Settings, InventoryError> {
    use crate::audit::forward::{Destination, Settings};
    let destinations = raw
        .forward
        .iter()
        .map(|d| Destination::parse(d.get_ref()).map_err(|m| cx.at(d, "audit.forward", m)))
        .collect::<Result<Vec<_>, _>>()?;
    let spool_size = match &raw.spool_size {
        None => None,
        Some(size) => {
            let text = match size.get_ref() {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(n) => n.to_string(),
                other => other.to_string(),
            };
            let bytes = parse_size(&text)
                .ok()
                .filter(|b| *b >= 1024)
                .ok_or_else(|| {
                    cx.at(
                        size,
                        "audit.spool_size",
                        InventoryProblem::SpoolSize { text: text.clone() },
                    )
                })?;
            Some(bytes as u64)
        }
    };
    Ok(Settings {
        destinations,
        required: raw.required.as_ref().is_some_and(|r| *r.get_ref()),
        spool_size,
        ca_file: raw.ca_file.as_ref().map(|f| cx.path_setting(f.get_ref())),
    })
}

fn check_name<T>(cx: Cx, n: &str, at: &Spanned<T>, section: &str) -> Result<(), InventoryError> {
    let bad = n.is_empty()
        || n.starts_with(['!', '&'])
        || n.contains([',', '*', '?', '[', ']', ' ', '/'])
        || n == "all";
    if bad {
        return Err(cx.at(at, section, InventoryProblem::BadName { name: n.into() }));
    }
    Ok(())
}

/// The longest host name: `--out-dir` writes `<name>.out`, and a file name holds 255 bytes.
pub const MAX_HOST_NAME: usize = 251;

/// Why a name cannot be a host's. Host names become file and directory names on the
/// controller (`pull`'s `LOCAL_DIR/<host>/`, `--out-dir`'s `<host>.out`), so each must be one
/// plain path component: these are refused when the inventory is loaded, before anything runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostNameError {
    #[error(
        "`{0}` cannot be a host name: host names become file and directory names (pull, --out-dir), and `{0}` would point at another directory"
    )]
    Dots(String),
    #[error(
        "`{}` cannot be a host name: host names become file and directory names (pull, --out-dir), and a `/` would split it in two",
        .0.escape_debug()
    )]
    Slash(String),
    #[error(
        "`{}` cannot be a host name: it holds a control character; host names become file and directory names (pull, --out-dir)",
        .0.escape_debug()
    )]
    Control(String),
    #[error(
        "`{}…` cannot be a host name: it is {len} bytes long, and host names become file names (`<name>.out` in --out-dir) of at most {MAX_HOST_NAME} bytes",
        name.chars().take(32).collect::<String>().escape_debug()
    )]
    TooLong { name: String, len: usize },
}

/// A host name, whether written under `[hosts]` or only listed in a group (an address or a
/// range's expansion), is one safe path component.
pub fn check_host_name(name: &str) -> Result<(), HostNameError> {
    if name == "." || name == ".." {
        Err(HostNameError::Dots(name.to_string()))
    } else if name.contains('/') {
        Err(HostNameError::Slash(name.to_string()))
    } else if name.chars().any(char::is_control) {
        Err(HostNameError::Control(name.to_string()))
    } else if name.len() > MAX_HOST_NAME {
        Err(HostNameError::TooLong {
            name: name.to_string(),
            len: name.len(),
        })
    } else {
        Ok(())
    }
}

/// `name` as a TOML key: bare when it can be, else quoted with escapes (`"nl\nx"`).
fn toml_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.escape_debug())
    }
}

fn check_address(address: &str) -> Result<(), InventoryProblem> {
    if address.is_empty() || address.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
        return Err(InventoryProblem::BadAddress {
            address: address.into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
