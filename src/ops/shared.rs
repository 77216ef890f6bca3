//! What every host's job in one run shares, made once before the first host starts:
//! credentials, known_hosts, jump-host sessions, sudo, and `run -I`'s input.

use super::sudo::SudoRunner;
use crate::audit::record::InputDigest;
use crate::error::{Error, UsageError};
use crate::plan::{Operation, Plan, RunSpec};
use crate::ssh::known_hosts::KnownHostsCache;
use crate::ssh::{Bastions, Credentials};

/// What every host's job shares: credentials, known_hosts, limits.
pub struct Shared {
    pub credentials: Credentials,
    pub known_hosts: KnownHostsCache,
    /// One session per jump host for the whole run, shared by the hosts behind it.
    pub bastions: Bastions,
    pub output_limit: usize,
    /// sudo on the hosts, for commands and transfers alike.
    pub sudo: SudoRunner,
    /// `--retry`: extra connection attempts.
    pub retry: u32,
    /// `run -I`: what every host's command reads on its stdin.
    pub input: Option<Input>,
}

/// hostctl's stdin, read once and given to every host, with what the audit log says of it.
pub struct Input {
    pub data: Vec<u8>,
    pub digest: InputDigest,
}

/// More than this on stdin is a file to push, not input to hand to every host.
const MAX_INPUT: u64 = 64 << 20;

impl Shared {
    pub fn new(plan: &Plan) -> Result<Shared, Error> {
        let password = match plan.ask_pass {
            true => Some(read_password("SSH password: ", "--ask-pass")?),
            false => None,
        };
        let become_password = match &plan.sudo {
            Some(sudo) if sudo.ask_pass => {
                Some(read_password("sudo password: ", "--ask-become-pass")?)
            }
            _ => None,
        };
        // After the password lines: the rest of stdin is the command's input.
        let input = match &plan.operation {
            Operation::Run(RunSpec { stdin: true, .. }) => Some(read_input()?),
            _ => None,
        };
        Ok(Shared {
            credentials: Credentials::from_env(password),
            known_hosts: KnownHostsCache::default(),
            bastions: Bastions::default(),
            output_limit: plan.output_limit,
            sudo: SudoRunner::new(plan.sudo.clone(), become_password),
            retry: plan.retry,
            input,
        })
    }
}

fn read_input() -> Result<Input, Error> {
    use sha2::Digest;
    use std::io::Read;
    let mut data = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut data)
        .map_err(|source| UsageError::StdinUnreadable { source })?;
    if data.len() as u64 > MAX_INPUT {
        return Err(Error::Usage(UsageError::StdinTooLarge {
            max_mib: MAX_INPUT >> 20,
        }));
    }
    let digest = InputDigest {
        bytes: data.len() as u64,
        sha256: crate::digest::hex(&sha2::Sha256::digest(&data)),
    };
    Ok(Input { data, digest })
}

/// From the terminal without echo; when stdin is not a terminal, its first line (for scripts).
fn read_password(prompt: &str, flag: &str) -> Result<String, Error> {
    use std::io::IsTerminal;
    let err = |source| {
        Error::Usage(UsageError::PasswordUnreadable {
            flag: flag.to_string(),
            source,
        })
    };
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt).map_err(err);
    }
    // Scripts: one line per asked password, in flag order (--ask-pass, then --ask-become-pass).
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(err)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
