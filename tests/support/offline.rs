//! Hosts that are never reached: for what hostctl does before contacting any host (usage
//! errors, --dry-run) and for what only reads files (`hostctl log`). No sshd, no root.

use crate::{Run, bin};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A directory with an inventory (`hosts.toml`, hosts on 127.0.0.1) and the real binary run in
/// it with a private HOME. The hosts either point at a tripwire, a port that accepts and never
/// answers, so [`Offline::contacted`] tells whether hostctl tried to connect, or at port 1,
/// where the connection is refused at once, so an operation is recorded in no time.
pub struct Offline {
    pub dir: tempfile::TempDir,
    names: Vec<String>,
    port: u16,
    tripwire: Option<TcpListener>,
}

impl Offline {
    /// Hosts `names` behind a tripwire.
    pub fn new(names: &[&str]) -> Offline {
        let tripwire = TcpListener::bind("127.0.0.1:0").expect("tripwire port");
        tripwire
            .set_nonblocking(true)
            .expect("nonblocking tripwire");
        let port = tripwire.local_addr().expect("tripwire address").port();
        Offline::build(names, port, Some(tripwire))
    }

    /// Hosts `names` on 127.0.0.1 port 1: every connection refused at once.
    pub fn refusing(names: &[&str]) -> Offline {
        Offline::build(names, 1, None)
    }

    fn build(names: &[&str], port: u16, tripwire: Option<TcpListener>) -> Offline {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("home")).expect("home");
        let offline = Offline {
            dir,
            names: names.iter().map(|n| n.to_string()).collect(),
            port,
            tripwire,
        };
        offline.write_inventory("");
        offline
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn inventory(&self) -> PathBuf {
        self.path("hosts.toml")
    }

    /// hosts.toml with every host under [hosts], then `extra` (groups, more hosts).
    pub fn write_inventory(&self, extra: &str) {
        let mut text = format!(
            "[defaults]\nuser = \"hostctl\"\nport = {}\nconnect_timeout = \"60s\"\n\n",
            self.port
        );
        for name in &self.names {
            text.push_str(&format!("[hosts.{name}]\naddress = \"127.0.0.1\"\n\n"));
        }
        text.push_str(extra);
        std::fs::write(self.inventory(), text).expect("write inventory");
    }

    /// The real binary in this directory (relative paths are the test's), with its inventory,
    /// a private HOME and no ssh-agent.
    pub fn hostctl(&self) -> Command {
        let mut cmd = Command::new(bin());
        cmd.current_dir(self.dir.path())
            .env("HOME", self.path("home"))
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("HOSTCTL_INVENTORY")
            .env_remove("HOSTCTL_LOG_DIR")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs hostctl; its output has this directory redacted as `[DIR]`, a tripwire's port as
    /// `[PORT]`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.finish(self.hostctl().args(args).output().expect("run hostctl"))
    }

    /// Runs hostctl with `stdin` on its standard input.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut cmd = self.hostctl();
        cmd.args(args);
        self.finish(crate::output_with_stdin(cmd, stdin))
    }

    fn finish(&self, output: std::process::Output) -> Run {
        let dir = self.dir.path();
        let canonical = dir.canonicalize().unwrap_or(dir.to_path_buf());
        let run = Run::from(output)
            .redact("[DIR]", canonical.display())
            .redact("[DIR]", dir.display());
        match self.tripwire {
            // Port 1 is always port 1; the tripwire's is the kernel's pick.
            None => run,
            Some(_) => run.redact_regex(
                "[PORT]",
                &format!(r"127\.0\.0\.1:(?<redacted>{})\b", self.port),
            ),
        }
    }

    /// Whether anything connected to the tripwire since it was set.
    pub fn contacted(&self) -> bool {
        let tripwire = self
            .tripwire
            .as_ref()
            .expect("contacted() needs hosts behind the tripwire (Offline::new)");
        tripwire.accept().is_ok()
    }
}
