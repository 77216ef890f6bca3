//! OpenSSH client configuration (`~/.ssh/config` or `-F FILE`), read and evaluated as
//! OpenSSH 9 does (readconf.c), for the settings hostctl uses.
//!
//! Loading reads every file (following `Include`) into one list of directives; evaluating it
//! for a host walks that list in order with `Host`/`Match` deciding which lines apply and the
//! first value obtained for each setting winning. Whatever ssh would reject is an error, and
//! so is any keyword that would change where or how hostctl connects but that it does not
//! implement (`keyword.rs` holds the table), each naming its file and line.

pub mod expand;
mod keyword;
mod lex;
mod pattern;

use keyword::{Arity, Check, Effect, Field, Spec};
use pattern::ListMatch;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use expand::ExpandError;

/// A file and line, shown as `~/.ssh/config:12`.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub file: Arc<str>,
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A value and the line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub at: Location,
}

/// What is wrong with a config, and where.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SshConfigError {
    #[error("cannot read ssh config `{file}`: {reason}")]
    Read { file: String, reason: String },
    #[error(
        "`{file}`: bad owner or permissions (it must belong to you or root and be writable by no one else), as ssh requires"
    )]
    Permissions { file: String },
    #[error("{at}: {problem}")]
    At { at: Location, problem: Problem },
    #[error("{at}: `{keyword}` is not supported by hostctl ({hint}); it applies to `{host}`")]
    Refused {
        at: Location,
        keyword: String,
        hint: &'static str,
        host: String,
    },
}

/// One line's problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error("`{0}` needs an argument")]
    NoArgument(String),
    #[error("unbalanced quotes")]
    Quotes,
    #[error("not valid UTF-8")]
    Utf8,
    #[error("unknown keyword `{0}` (ssh rejects it too; list it in `IgnoreUnknown` to skip it)")]
    Unknown(String),
    #[error("`{0}`: extra arguments at end of line")]
    ExtraArguments(&'static str),
    #[error("`{keyword}`: invalid value `{value}` (expected {expected})")]
    Invalid {
        keyword: &'static str,
        value: String,
        expected: String,
    },
    #[error("`{0}`: `none` must appear alone")]
    NoneNotAlone(&'static str),
    #[error("`Match`: unknown criterion `{0}`")]
    UnknownCriterion(String),
    #[error("`Match {0}` needs a pattern")]
    MissingPattern(String),
    #[error("`Match all` cannot be combined with other criteria")]
    AllCombined,
    #[error("`Match` needs a criterion")]
    NoCriterion,
    #[error("`{what}` is not supported by hostctl ({hint})")]
    Unsupported { what: String, hint: &'static str },
    #[error("`Include`: more than {MAX_DEPTH} levels of includes (does a file include itself?)")]
    IncludeDepth,
    #[error("`Include`: more than {MAX_FILES} files in all")]
    IncludeCount,
    #[error("`Include`: cannot read `{file}`: {reason}")]
    IncludeRead { file: String, reason: String },
    #[error(
        "`Include`: `{file}` has bad owner or permissions (it must belong to you or root and be writable by no one else), as ssh requires"
    )]
    IncludePermissions { file: String },
    #[error("`IdentityFile`: more than {MAX_IDENTITY_FILES} files")]
    TooManyIdentityFiles,
    #[error("`{keyword}`: {error} in `{value}`")]
    Expand {
        keyword: &'static str,
        value: String,
        error: ExpandError,
    },
}

/// As readconf.c: `READCONF_MAX_DEPTH`, `SSH_MAX_IDENTITY_FILES`.
const MAX_DEPTH: usize = 16;
const MAX_IDENTITY_FILES: usize = 100;
/// Files read through `Include` in all: a bound ssh lacks, so that a glob including itself
/// cannot take forever.
const MAX_FILES: usize = 1024;

/// A `Match` criterion.
#[derive(Debug, Clone, PartialEq)]
enum Criterion {
    /// `all`: ends the list; it holds if what came before does.
    All,
    Host(String),
    OriginalHost(String),
    User(String),
    LocalUser(String),
    Exec(String),
}

#[derive(Debug, Clone, PartialEq)]
enum What {
    Host(Vec<String>),
    Match(Vec<(bool, Criterion)>),
    Set(Field, Value),
    Refusable(&'static Spec, String),
    Ignore,
    Unknown(String),
    /// Rejected whatever the host: ssh would fail, or hostctl refuses.
    Invalid(Problem),
    IncludeStart,
    IncludeEnd,
}

/// A checked value of a setting hostctl honours.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(String),
    Words(Vec<String>),
    Port(u16),
    /// `None` for `none`, which sets nothing.
    Seconds(Option<u32>),
    Strict(Strict),
    /// A yes/no flag (`IdentitiesOnly`).
    Flag(bool),
    /// `ProxyJump`: `None` for `none`, else the list as written.
    Jump(Option<String>),
}

/// StrictHostKeyChecking as hostctl applies it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Strict {
    /// `yes`, `ask` (hostctl never prompts).
    Yes,
    /// `accept-new`, and `no`/`off`: hostctl never connects on a key it has neither checked
    /// nor recorded.
    AcceptNew,
}

#[derive(Debug, Clone)]
struct Directive {
    at: Location,
    what: What,
}

/// A loaded config: every line of every file, in the order ssh reads them.
#[derive(Debug, Clone, Default)]
pub struct SshConfig {
    directives: Vec<Directive>,
}

/// The host being resolved, and what is already decided for it before the config is read
/// (from the inventory or a jump host spec, as `ssh -l USER -p PORT -J ...` would have).
#[derive(Debug, Default)]
pub struct Query<'a> {
    /// The name as given (`Host` patterns, `Match originalhost`, `%n`).
    pub host: &'a str,
    /// The local user (`Match localuser`, and the remote user when none is set).
    pub local_user: &'a str,
    pub given_host_name: Option<&'a str>,
    pub given_user: Option<&'a str>,
    pub given_port: Option<u16>,
    /// Already decided elsewhere: the config's values for these are not even looked at.
    pub given_proxy: bool,
    pub given_known_hosts: bool,
    pub given_identity_files: bool,
    pub given_certificate_files: bool,
}

/// What the config decides for one host, with the line of each value. Values are as written:
/// the caller expands tokens once every setting is known.
#[derive(Debug, Default)]
pub struct HostConfig {
    /// With `%h` already expanded, as ssh does at once.
    pub host_name: Option<Sourced<String>>,
    pub user: Option<Sourced<String>>,
    pub port: Option<Sourced<u16>>,
    pub identity_files: Vec<Sourced<String>>,
    /// `IdentitiesOnly yes`: only the identity and certificate files, and agent keys that are
    /// theirs.
    pub identities_only: Option<Sourced<bool>>,
    /// `CertificateFile`s, in order, as written (like IdentityFile, every one counts).
    pub certificate_files: Vec<Sourced<String>>,
    pub known_hosts: Option<Sourced<String>>,
    /// `ProxyJump` as written; `Some(None)` for `none` (or `ProxyCommand none`).
    pub proxy_jump: Option<Sourced<Option<String>>>,
    pub connect_timeout: Option<Sourced<u32>>,
    pub server_alive_interval: Option<Sourced<u32>>,
    pub strict: Option<Sourced<Strict>>,
}

impl SshConfig {
    /// Reads `path` and everything it includes. `check_permissions` as ssh does for
    /// `~/.ssh/config` (never for `-F FILE`; always for included files).
    pub fn load(path: &Path, check_permissions: bool) -> Result<SshConfig, SshConfigError> {
        let file = display(path);
        let bytes = std::fs::read(path).map_err(|e| SshConfigError::Read {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        if check_permissions && !safe_permissions(path) {
            return Err(SshConfigError::Permissions { file });
        }
        let mut config = SshConfig::default();
        let mut files = 0;
        config.parse(&file, &bytes, 0, &mut files);
        Ok(config)
    }

    /// Parses `text` (one file) onto the list. `depth` counts includes.
    fn parse(&mut self, file: &str, text: &[u8], depth: usize, files: &mut usize) {
        let file: Arc<str> = Arc::from(file);
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let at = Location {
                file: file.clone(),
                line: i + 1,
            };
            let line = match std::str::from_utf8(raw) {
                Ok(l) => l,
                Err(_) => {
                    let lossy = String::from_utf8_lossy(raw);
                    if matches!(lex::split(&lossy), Ok(None)) {
                        continue;
                    }
                    self.push(at, What::Invalid(Problem::Utf8));
                    continue;
                }
            };
            let line = match lex::split(line) {
                Ok(None) => continue,
                Ok(Some(line)) => line,
                Err(lex::LexError::NoArgument(k)) => {
                    self.push(at, What::Invalid(Problem::NoArgument(k)));
                    continue;
                }
                Err(lex::LexError::Quotes) => {
                    self.push(at, What::Invalid(Problem::Quotes));
                    continue;
                }
            };
            let Some(spec) = keyword::lookup(&line.keyword) else {
                self.push(at, What::Unknown(line.keyword));
                continue;
            };
            if spec.effect == Effect::Include {
                self.include(&at, &line.args, depth, files);
                continue;
            }
            let what = directive(spec, &line).unwrap_or_else(What::Invalid);
            self.push(at, what);
        }
    }

    fn push(&mut self, at: Location, what: What) {
        self.directives.push(Directive { at, what });
    }

    /// `Include`: each word a glob, relative ones under `~/.ssh/`; files are read where the
    /// line stands, each starting in the including line's state and leaving it unchanged.
    fn include(&mut self, at: &Location, args: &[String], depth: usize, files: &mut usize) {
        for arg in args {
            if arg.is_empty() {
                self.push(
                    at.clone(),
                    What::Invalid(Problem::NoArgument("Include".into())),
                );
                return;
            }
            let pattern = if arg.starts_with('/') || arg.starts_with('~') {
                arg.clone()
            } else {
                format!("~/.ssh/{arg}")
            };
            let paths = match glob(&pattern) {
                Ok(p) => p,
                Err(reason) => {
                    self.push(
                        at.clone(),
                        What::Invalid(Problem::IncludeRead {
                            file: pattern,
                            reason,
                        }),
                    );
                    return;
                }
            };
            for path in paths {
                if depth + 1 > MAX_DEPTH {
                    self.push(at.clone(), What::Invalid(Problem::IncludeDepth));
                    return;
                }
                *files += 1;
                if *files > MAX_FILES {
                    self.push(at.clone(), What::Invalid(Problem::IncludeCount));
                    return;
                }
                let file = display(&path);
                let text = match std::fs::read(&path) {
                    Ok(t) => t,
                    // A directory reads as empty in ssh; a file gone since the glob is skipped.
                    Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Vec::new(),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        let reason = e.to_string();
                        self.push(
                            at.clone(),
                            What::Invalid(Problem::IncludeRead { file, reason }),
                        );
                        return;
                    }
                };
                if !safe_permissions(&path) {
                    self.push(
                        at.clone(),
                        What::Invalid(Problem::IncludePermissions { file }),
                    );
                    return;
                }
                self.push(at.clone(), What::IncludeStart);
                self.parse(&file, &text, depth + 1, files);
                self.push(at.clone(), What::IncludeEnd);
            }
        }
    }

    /// What the config decides for `query`'s host.
    pub fn evaluate(&self, query: &Query) -> Result<HostConfig, SshConfigError> {
        let mut state = State {
            query,
            out: HostConfig::default(),
            proxy_given: query.given_proxy,
            known_hosts_given: query.given_known_hosts,
            ignore_unknown: None,
            refusals_seen: Vec::new(),
        };
        let mut active = true;
        let mut never = false;
        let mut stack = Vec::new();
        for d in &self.directives {
            let at = &d.at;
            match &d.what {
                What::IncludeStart => {
                    stack.push((active, never));
                    never |= !active;
                }
                What::IncludeEnd => (active, never) = stack.pop().expect("include nesting"),
                What::Host(patterns) => {
                    active = false;
                    if never {
                        continue;
                    }
                    for p in patterns {
                        let (negated, p) = match p.strip_prefix('!') {
                            Some(rest) => (true, rest),
                            None => (false, p.as_str()),
                        };
                        if pattern::matches(query.host.as_bytes(), p.as_bytes()) {
                            if negated {
                                active = false;
                                break;
                            }
                            active = true;
                        }
                    }
                }
                What::Match(criteria) => {
                    active = !never && state.matches(criteria, at)?;
                }
                What::Unknown(keyword) => {
                    let ignored = state.ignore_unknown.as_deref().is_some_and(|list| {
                        pattern::list(keyword, list, true) == ListMatch::Positive
                    });
                    if !ignored {
                        return Err(at.problem(Problem::Unknown(keyword.clone())));
                    }
                }
                What::Invalid(problem) => return Err(at.problem(problem.clone())),
                What::Ignore => {}
                What::Set(field, value) if active => state.set(*field, value, at)?,
                What::Refusable(spec, value) if active => state.refusable(spec, value, at)?,
                What::Set(..) | What::Refusable(..) => {}
            }
        }
        Ok(state.out)
    }
}

/// Evaluation state for one host.
struct State<'q> {
    query: &'q Query<'q>,
    out: HostConfig,
    proxy_given: bool,
    known_hosts_given: bool,
    ignore_unknown: Option<String>,
    /// Refusable keywords already given a value (the first one decides).
    refusals_seen: Vec<&'static str>,
}

impl State<'_> {
    /// `Match`: every criterion must hold (readconf.c `match_cfg_line`).
    fn matches(
        &self,
        criteria: &[(bool, Criterion)],
        at: &Location,
    ) -> Result<bool, SshConfigError> {
        let q = self.query;
        // `Match host` sees the HostName obtained so far, `%h` expanded.
        let host = match (q.given_host_name, &self.out.host_name) {
            (Some(h), _) => h.to_string(),
            (None, Some(h)) => h.value.clone(),
            (None, None) => q.host.to_string(),
        };
        let user = q
            .given_user
            .or(self.out.user.as_ref().map(|u| u.value.as_str()))
            .unwrap_or(q.local_user);
        let mut result = true;
        for (negated, c) in criteria {
            let hit = match c {
                Criterion::All => {
                    if result {
                        result = !negated;
                    }
                    break;
                }
                Criterion::Host(p) => pattern::hostname(&host, p) == ListMatch::Positive,
                Criterion::OriginalHost(p) => pattern::hostname(q.host, p) == ListMatch::Positive,
                Criterion::User(p) => pattern::list(user, p, false) == ListMatch::Positive,
                Criterion::LocalUser(p) => {
                    pattern::list(q.local_user, p, false) == ListMatch::Positive
                }
                Criterion::Exec(_) if !result => continue,
                Criterion::Exec(_) => {
                    return Err(self.refused(
                        at,
                        "Match exec",
                        "it would run a command to decide; use Match host or originalhost",
                    ));
                }
            };
            if hit == *negated {
                result = false;
            }
        }
        Ok(result)
    }

    fn refused(&self, at: &Location, keyword: &str, hint: &'static str) -> SshConfigError {
        SshConfigError::Refused {
            at: at.clone(),
            keyword: keyword.to_string(),
            hint,
            host: self.query.host.to_string(),
        }
    }

    /// A setting hostctl honours, on an active line: the first value wins.
    fn set(&mut self, field: Field, value: &Value, at: &Location) -> Result<(), SshConfigError> {
        let q = self.query;
        let out = &mut self.out;
        match (field, value) {
            (Field::HostName, Value::Text(h))
                if q.given_host_name.is_none() && out.host_name.is_none() =>
            {
                let expanded = expand::percent(h, &[('h', q.host)], false)
                    .map_err(|error| at.expand("HostName", h, error))?;
                out.host_name = at.sourced(expanded);
            }
            (Field::User, Value::Text(u)) if q.given_user.is_none() && out.user.is_none() => {
                out.user = at.sourced(u.clone());
            }
            (Field::Port, Value::Port(p)) if q.given_port.is_none() && out.port.is_none() => {
                out.port = at.sourced(*p);
            }
            (Field::IdentityFile, Value::Text(f)) if !q.given_identity_files => {
                if out.identity_files.len() >= MAX_IDENTITY_FILES {
                    return Err(at.problem(Problem::TooManyIdentityFiles));
                }
                if !out.identity_files.iter().any(|i| &i.value == f) {
                    out.identity_files.push(Sourced {
                        value: f.clone(),
                        at: at.clone(),
                    });
                }
            }
            (Field::CertificateFile, Value::Text(f)) if !q.given_certificate_files => {
                if out.certificate_files.len() >= MAX_IDENTITY_FILES {
                    return Err(at.problem(Problem::TooManyIdentityFiles));
                }
                if !out.certificate_files.iter().any(|i| &i.value == f) {
                    out.certificate_files.push(Sourced {
                        value: f.clone(),
                        at: at.clone(),
                    });
                }
            }
            (Field::UserKnownHostsFile, Value::Words(files)) if !self.known_hosts_given => {
                self.known_hosts_given = true;
                if files.len() > 1 {
                    return Err(self.refused(
                        at,
                        "UserKnownHostsFile",
                        "several files: hostctl checks and records host keys in one file",
                    ));
                }
                if files[0].eq_ignore_ascii_case("none") {
                    return Err(self.refused(
                        at,
                        "UserKnownHostsFile none",
                        "hostctl checks host keys against a known_hosts file",
                    ));
                }
                self.out.known_hosts = at.sourced(files[0].clone());
            }
            (Field::ProxyJump, Value::Jump(j)) if !self.proxy_given => {
                self.proxy_given = true;
                self.out.proxy_jump = at.sourced(j.clone());
            }
            (Field::ProxyCommand, Value::Text(cmd)) if !self.proxy_given => {
                self.proxy_given = true;
                if !cmd.eq_ignore_ascii_case("none") {
                    return Err(self.refused(
                        at,
                        "ProxyCommand",
                        "use ProxyJump, or the inventory's `jump`",
                    ));
                }
                self.out.proxy_jump = at.sourced(None);
            }
            (Field::ConnectTimeout, Value::Seconds(Some(s))) if out.connect_timeout.is_none() => {
                out.connect_timeout = at.sourced(*s);
            }
            (Field::ServerAliveInterval, Value::Seconds(Some(s)))
                if out.server_alive_interval.is_none() =>
            {
                out.server_alive_interval = at.sourced(*s);
            }
            (Field::StrictHostKeyChecking, Value::Strict(s)) if out.strict.is_none() => {
                out.strict = at.sourced(*s);
            }
            (Field::IdentitiesOnly, Value::Flag(yes)) if out.identities_only.is_none() => {
                out.identities_only = at.sourced(*yes);
            }
            (Field::IgnoreUnknown, Value::Text(list)) if self.ignore_unknown.is_none() => {
                self.ignore_unknown = Some(list.clone());
            }
            _ => {}
        }
        Ok(())
    }

    /// A keyword hostctl refuses unless its (first) value is harmless.
    fn refusable(
        &mut self,
        spec: &'static Spec,
        value: &str,
        at: &Location,
    ) -> Result<(), SshConfigError> {
        if self.refusals_seen.contains(&spec.name) {
            return Ok(());
        }
        self.refusals_seen.push(spec.name);
        let Effect::Refuse { unless, hint } = spec.effect else {
            unreachable!("refusable keywords refuse")
        };
        if unless.iter().any(|ok| ok.eq_ignore_ascii_case(value)) {
            return Ok(());
        }
        Err(self.refused(at, spec.name, hint))
    }
}

impl Location {
    fn sourced<T>(&self, value: T) -> Option<Sourced<T>> {
        Some(Sourced {
            value,
            at: self.clone(),
        })
    }

    fn problem(&self, problem: Problem) -> SshConfigError {
        SshConfigError::At {
            at: self.clone(),
            problem,
        }
    }

    /// A value that could not be expanded.
    pub fn expand(&self, keyword: &'static str, value: &str, error: ExpandError) -> SshConfigError {
        self.problem(Problem::Expand {
            keyword,
            value: value.to_string(),
            error,
        })
    }
}

/// Turns one keyword line into a directive, checking its arguments as ssh does.
fn directive(spec: &'static Spec, line: &lex::Line) -> Result<What, Problem> {
    let args = &line.args;
    let name = spec.name;
    match spec.arity {
        Arity::One | Arity::OneOrTwo | Arity::Two => {
            if args.first().is_none_or(|a| a.is_empty()) {
                return Err(Problem::NoArgument(name.to_string()));
            }
            let max = match spec.arity {
                Arity::One => 1,
                _ => 2,
            };
            if spec.arity == Arity::Two && args.len() < 2 {
                return Err(Problem::NoArgument(name.to_string()));
            }
            if args.len() > max {
                return Err(Problem::ExtraArguments(name));
            }
        }
        Arity::Many => {
            if args.iter().any(|a| a.is_empty()) {
                return Err(Problem::NoArgument(name.to_string()));
            }
        }
        Arity::Rest => {}
    }
    if let Some(first) = args.first() {
        check(spec, first)?;
    }
    match spec.effect {
        Effect::Host => Ok(What::Host(args.clone())),
        Effect::Match => parse_match(&line.rest).map(What::Match),
        Effect::Include => unreachable!("includes are read where they stand"),
        Effect::Ignore => Ok(What::Ignore),
        Effect::Refuse { .. } => {
            if spec.name == "CanonicalizePermittedCNAMEs" {
                none_alone(spec, args)?;
            }
            let value = match spec.arity {
                Arity::Rest => command(&line.rest).to_string(),
                _ => args.first().cloned().unwrap_or_default(),
            };
            Ok(What::Refusable(spec, value))
        }
        Effect::Set(field) => {
            let first = || args[0].clone();
            let value = match field {
                Field::HostName
                | Field::User
                | Field::IdentityFile
                | Field::CertificateFile
                | Field::IgnoreUnknown => Value::Text(first()),
                Field::Port => Value::Port(
                    port(&args[0]).ok_or_else(|| invalid(spec, &args[0], "a port, 1-65535"))?,
                ),
                Field::ConnectTimeout | Field::ServerAliveInterval => {
                    Value::Seconds(seconds(&args[0]).expect("checked"))
                }
                Field::StrictHostKeyChecking => {
                    Value::Strict(match args[0].to_ascii_lowercase().as_str() {
                        "yes" | "true" | "ask" => Strict::Yes,
                        _ => Strict::AcceptNew,
                    })
                }
                Field::UserKnownHostsFile => {
                    none_alone(spec, args)?;
                    Value::Words(args.clone())
                }
                Field::ProxyCommand => Value::Text(command(&line.rest).to_string()),
                Field::ProxyJump => Value::Jump(proxy_jump(&line.rest)?),
                Field::IdentitiesOnly => Value::Flag(matches!(
                    args[0].to_ascii_lowercase().as_str(),
                    "yes" | "true"
                )),
            };
            Ok(What::Set(field, value))
        }
    }
}

/// `none` may only stand alone (readconf.c `parse_char_array`).
fn none_alone(spec: &Spec, args: &[String]) -> Result<(), Problem> {
    if args.len() > 1 && args.iter().any(|a| a.eq_ignore_ascii_case("none")) {
        return Err(Problem::NoneNotAlone(spec.name));
    }
    Ok(())
}

/// A command keyword's value: the rest of the line, after blanks and `=`.
fn command(rest: &str) -> &str {
    rest.trim_start_matches([' ', '\t', '\r', '\n', '='])
}

fn invalid(spec: &Spec, value: &str, expected: &str) -> Problem {
    Problem::Invalid {
        keyword: spec.name,
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

fn check(spec: &Spec, value: &str) -> Result<(), Problem> {
    let ok = match spec.check {
        Check::Any => true,
        Check::Flag => ["yes", "no", "true", "false"]
            .iter()
            .any(|c| c.eq_ignore_ascii_case(value)),
        Check::Choice(choices) => choices.iter().any(|c| c.eq_ignore_ascii_case(value)),
        Check::Time => seconds(value).is_some(),
        Check::Int => int(value).is_some(),
        Check::Port => port(value).is_some(),
        Check::FlagOrTime => {
            ["yes", "no", "true", "false"].contains(&value) || convtime(value).is_some()
        }
    };
    if ok {
        return Ok(());
    }
    let expected = match spec.check {
        Check::Flag => "yes or no".to_string(),
        Check::Choice(c) => format!("one of {}", c.join(", ")),
        Check::Time => "seconds, a time like 1m30s, or none".to_string(),
        Check::Int => "a number".to_string(),
        Check::Port => "a port, 1-65535".to_string(),
        Check::FlagOrTime => "yes, no or a time".to_string(),
        Check::Any => unreachable!(),
    };
    Err(invalid(spec, value, &expected))
}

/// A time (misc.c `convtime`), or `none`: `Some(None)`.
fn seconds(value: &str) -> Option<Option<u32>> {
    if value == "none" {
        return Some(None);
    }
    convtime(value).map(Some)
}

/// `90`, `90s`, `1h30m`, `2d`, `1w`: seconds, at most `i32::MAX`.
fn convtime(value: &str) -> Option<u32> {
    const MAX: i64 = i32::MAX as i64;
    if value.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut rest = value.as_bytes();
    while !rest.is_empty() {
        // strtol: blanks, a sign, then digits.
        let blanks = rest
            .iter()
            .take_while(|b| b.is_ascii_whitespace() || **b == 0x0b)
            .count();
        rest = &rest[blanks..];
        let negative = rest.first() == Some(&b'-');
        if matches!(rest.first(), Some(b'+' | b'-')) {
            rest = &rest[1..];
        }
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let number: i64 = std::str::from_utf8(&rest[..digits])
            .ok()?
            .parse()
            .unwrap_or(i64::MAX);
        if negative && number != 0 {
            return None;
        }
        rest = &rest[digits..];
        let multiplier = match rest.first() {
            None => 1,
            Some(c) => {
                rest = &rest[1..];
                match c {
                    b's' | b'S' => 1,
                    b'm' | b'M' => 60,
                    b'h' | b'H' => 3600,
                    b'd' | b'D' => 86400,
                    b'w' | b'W' => 604800,
                    _ => return None,
                }
            }
        };
        if number > MAX / multiplier {
            return None;
        }
        total += number * multiplier;
        if total > MAX {
            return None;
        }
    }
    Some(total as u32)
}

/// An `int` as ssh reads one (strtonum over the int range).
fn int(value: &str) -> Option<i32> {
    let v = value.trim_start();
    let v = v.strip_prefix('+').unwrap_or(v);
    v.parse().ok()
}

/// A port number or service name, 1-65535 (misc.c `a2port`).
fn port(value: &str) -> Option<u16> {
    let v = value.trim_start();
    let digits = v.strip_prefix('+').unwrap_or(v);
    if let Ok(n) = digits.parse::<i64>() {
        return u16::try_from(n).ok().filter(|p| *p > 0);
    }
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    service_port(value)
}

/// `/etc/services`, as getservbyname(3) reads it.
fn service_port(name: &str) -> Option<u16> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: getservbyname returns static storage or null; the port is copied out at once.
    // Configs are read before any worker thread starts.
    unsafe {
        let entry = libc::getservbyname(name.as_ptr(), c"tcp".as_ptr());
        if entry.is_null() {
            return None;
        }
        Some(u16::from_be((*entry).s_port as u16)).filter(|p| *p > 0)
    }
}

/// `ProxyJump`: `none`, or hops separated by commas, each checked (readconf.c `parse_jump`).
fn proxy_jump(rest: &str) -> Result<Option<String>, Problem> {
    let value = command(rest);
    let value = value.split('#').next().unwrap_or("").trim_end();
    if value.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    for hop in value.split(',') {
        if parse_hop(hop).is_none() {
            return Err(Problem::Invalid {
                keyword: "ProxyJump",
                value: value.to_string(),
                expected: "[user@]host[:port] or ssh://[user@]host[:port], separated by commas"
                    .to_string(),
            });
        }
    }
    Ok(Some(value.to_string()))
}

/// One jump host: `[user@]host[:port]`, `[user@][address]:port` or `ssh://[user@]host[:port]`
/// (misc.c `parse_user_host_port`, `parse_uri`).
pub fn parse_hop(spec: &str) -> Option<(Option<String>, String, Option<u16>)> {
    if let Some(uri) = spec.strip_prefix("ssh://") {
        let (user, rest) = match uri.split_once('@') {
            Some((u, r)) => {
                let u = u.split(';').next().unwrap_or("");
                (Some(url_decode(u).filter(|u| !u.is_empty())?), r)
            }
            None => (None, uri),
        };
        let (host, port) = host_port(rest, true)?;
        return Some((user, host, port));
    }
    let (user, rest) = match spec.rsplit_once('@') {
        Some(("", _)) => return None,
        Some((u, r)) => (Some(u.to_string()), r),
        None => (None, spec),
    };
    let (host, port) = host_port(rest, false)?;
    Some((user, host, port))
}

/// `host`, `host:port`, `[address]`, `[address]:port` (misc.c `hpdelim`); in a URI a path
/// after `/` is not allowed either.
fn host_port(s: &str, uri: bool) -> Option<(String, Option<u16>)> {
    let (host, rest) = if let Some(inner) = s.strip_prefix('[') {
        let (h, after) = inner.split_once(']')?;
        match after.chars().next() {
            None => (h, None),
            Some(':') => (h, Some(&after[1..])),
            _ => return None,
        }
    } else {
        match s.find([':', '/']) {
            None => (s, None),
            Some(i) if s.as_bytes()[i] == b':' => (&s[..i], Some(&s[i + 1..])),
            Some(_) => return None,
        }
    };
    if host.is_empty() {
        return None;
    }
    if uri && !valid_uri_host(host) {
        return None;
    }
    let port = match rest {
        None | Some("") => None,
        Some(p) if uri && p.contains('/') => return None,
        Some(p) => Some(port(p)?),
    };
    Some((host.to_string(), port))
}

/// misc.c `valid_domain` as `parse_uri` applies it (so no IPv6 addresses in URIs).
fn valid_uri_host(host: &str) -> bool {
    host.as_bytes()[0].is_ascii_alphanumeric()
        && !host.contains("..")
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
}

fn url_decode(s: &str) -> Option<String> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `Match` criteria (readconf.c `match_cfg_line`), read with `strdelim` like ssh does.
fn parse_match(rest: &str) -> Result<Vec<(bool, Criterion)>, Problem> {
    let mut cursor = Some(0);
    let mut criteria = Vec::new();
    let mut attributes = 0;
    let next =
        |cursor: &mut Option<usize>| lex::strdelim(rest, cursor, true).filter(|w| !w.is_empty());
    while let Some(word) = next(&mut cursor) {
        if word.starts_with('#') {
            break;
        }
        let (negated, attr) = match word.strip_prefix('!') {
            Some(a) => (true, a),
            None => (false, word.as_str()),
        };
        let attr = attr.to_ascii_lowercase();
        if attr == "all" {
            let after = next(&mut cursor);
            if attributes > 1 || after.as_ref().is_some_and(|a| !a.starts_with('#')) {
                return Err(Problem::AllCombined);
            }
            criteria.push((negated, Criterion::All));
            return Ok(criteria);
        }
        attributes += 1;
        if attr == "canonical" || attr == "final" {
            return Err(Problem::Unsupported {
                what: format!("Match {attr}"),
                hint: "hostctl reads the config once and never canonicalizes host names",
            });
        }
        if [
            "localnetwork",
            "tagged",
            "version",
            "sessiontype",
            "command",
        ]
        .contains(&attr.as_str())
        {
            return Err(Problem::Unsupported {
                what: format!("Match {attr}"),
                hint: "use Match host, originalhost, user or localuser",
            });
        }
        let Some(arg) = next(&mut cursor).filter(|a| !a.starts_with('#')) else {
            return Err(Problem::MissingPattern(attr));
        };
        let c = match attr.as_str() {
            "host" => Criterion::Host(arg),
            "originalhost" => Criterion::OriginalHost(arg),
            "user" => Criterion::User(arg),
            "localuser" => Criterion::LocalUser(arg),
            "exec" => Criterion::Exec(arg),
            _ => return Err(Problem::UnknownCriterion(attr)),
        };
        criteria.push((negated, c));
    }
    if attributes == 0 {
        return Err(Problem::NoCriterion);
    }
    Ok(criteria)
}

/// A path as errors show it: `~/...` under $HOME.
fn display(path: &Path) -> String {
    let home = crate::os::home_dir();
    match path.strip_prefix(&home) {
        Ok(rest) if home != Path::new("/") => format!("~/{}", rest.display()),
        _ => path.display().to_string(),
    }
}

/// ssh's rule for its user config and included files: owned by the user or root, and not
/// writable by group or others.
fn safe_permissions(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        // SAFETY: getuid cannot fail.
        Ok(m) => (m.uid() == 0 || m.uid() == unsafe { libc::getuid() }) && m.mode() & 0o022 == 0,
        Err(_) => false,
    }
}

/// The paths `pattern` matches, sorted, as glob(3) with GLOB_TILDE gives them to ssh.
fn glob(pattern: &str) -> Result<Vec<PathBuf>, String> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(pattern).map_err(|_| "NUL in path".to_string())?;
    // SAFETY: glob fills `g`, which we free with globfree after copying the paths out.
    unsafe {
        let mut g: libc::glob_t = std::mem::zeroed();
        let rc = libc::glob(c.as_ptr(), libc::GLOB_TILDE, None, &mut g);
        let mut paths = Vec::new();
        if rc == 0 {
            for i in 0..g.gl_pathc {
                let p = std::ffi::CStr::from_ptr(*g.gl_pathv.add(i));
                paths.push(PathBuf::from(std::ffi::OsStr::from_bytes(p.to_bytes())));
            }
        }
        libc::globfree(&mut g);
        match rc {
            0 => Ok(paths),
            libc::GLOB_NOMATCH => Ok(Vec::new()),
            _ => Err(format!("glob failed (code {rc})")),
        }
    }
}

#[cfg(test)]
mod tests;
