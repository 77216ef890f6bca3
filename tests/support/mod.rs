//! Test fixtures: a fleet of real sshd hosts (via `scripts/fleet`), hosts that are never reached
//! ([`Offline`]), and a runner for the real hostctl binary. A fleet that cannot start fails the
//! test loudly; nothing is skipped.

pub mod offline;
pub mod oracle;
pub use offline::Offline;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// The hostctl binary under test. Cargo sets `CARGO_BIN_EXE_hostctl` for integration tests when
/// it builds them and when it runs them; this library is built as their dependency, so it reads
/// the variable at run time.
pub fn bin() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var("CARGO_BIN_EXE_hostctl")
            .expect("CARGO_BIN_EXE_hostctl: run the tests through cargo (cargo test)")
    })
}

const FLEET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/fleet");

static NEXT_NET: AtomicU32 = AtomicU32::new(1);

/// Where fleets live: never under /tmp, which every host replaces with its own.
fn fleet_base() -> PathBuf {
    // Cargo's CARGO_TARGET_TMPDIR: `tmp` in the target directory, next to the profile's.
    let target = Path::new(bin())
        .parent()
        .and_then(Path::parent)
        .expect("hostctl in target/PROFILE/")
        .join("tmp");
    std::fs::create_dir_all(&target).expect("target tmp dir");
    let physical = target.canonicalize().unwrap_or(target.clone());
    if !physical.starts_with("/tmp") {
        return target;
    }
    let base = PathBuf::from("/var/tmp/hostctl-test-fleets");
    std::fs::create_dir_all(&base).expect("fleet base outside /tmp");
    base
}

pub struct Fleet {
    /// Not under /tmp: each host mounts its own private /tmp.
    pub dir: tempfile::TempDir,
    pub hosts: Vec<(String, String)>,
    /// This fleet's /24 on loopback (`127.a.b`).
    pub net: String,
}

impl Fleet {
    /// Starts one sshd per name on its own loopback address. `ns:NAME` puts that host in a
    /// network namespace of its own (127.0.0.1 there), reachable only through a bastion.
    pub fn start(names: &[&str]) -> Fleet {
        assert!(
            unsafe { libc::geteuid() } == 0,
            "the sshd test fleet needs root (mount/UTS namespaces, a login user); run the suite as root, e.g. via scripts/test"
        );
        let dir = tempfile::Builder::new()
            .prefix("fleet-")
            .tempdir_in(fleet_base())
            .expect("fleet dir");
        // A /24 per fleet: per test process and per fleet within it. HOSTCTL_TEST_NET pins the
        // second octet, so suites run side by side (other checkouts) never share an address.
        let n = NEXT_NET.fetch_add(1, Ordering::SeqCst);
        let octet = std::env::var("HOSTCTL_TEST_NET")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|o| (2..=254).contains(o))
            .unwrap_or(20 + std::process::id() % 200);
        let net = format!("127.{octet}.{}", n % 250 + 1);
        let hosts: Vec<(String, String)> = names
            .iter()
            .enumerate()
            .map(|(i, name)| match name.strip_prefix("ns:") {
                Some(inner) => (inner.to_string(), "127.0.0.1".to_string()),
                None => (name.to_string(), format!("{net}.{}", i + 1)),
            })
            .collect();
        let specs: Vec<String> = names
            .iter()
            .zip(&hosts)
            .map(|(spec, (n, a))| {
                if spec.starts_with("ns:") {
                    format!("{n}=netns")
                } else {
                    format!("{n}={a}")
                }
            })
            .collect();
        let fleet = Fleet { dir, hosts, net };
        let out = Command::new(FLEET)
            .arg("up")
            .arg(fleet.dir.path())
            .args(&specs)
            .output()
            .expect("run scripts/fleet");
        assert!(
            out.status.success(),
            "fleet up failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        fleet.write_inventory("");
        fleet
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn inventory(&self) -> PathBuf {
        self.path("hosts.toml")
    }

    pub fn address(&self, host: &str) -> &str {
        &self
            .hosts
            .iter()
            .find(|(n, _)| n == host)
            .expect("host in fleet")
            .1
    }

    /// hosts.toml with every fleet host under [hosts], then `extra` (groups, more hosts).
    pub fn write_inventory(&self, extra: &str) {
        let mut text = String::from(
            "[defaults]\nuser = \"hostctl\"\nport = 2222\nidentity_file = \"id_ed25519\"\nknown_hosts = \"known_hosts\"\nconnect_timeout = \"5s\"\n\n",
        );
        for (name, address) in &self.hosts {
            text.push_str(&format!("[hosts.{name}]\naddress = \"{address}\"\n\n"));
        }
        text.push_str(extra);
        std::fs::write(self.inventory(), text).expect("write inventory");
    }

    /// The real binary with this fleet's inventory, a private HOME and no ssh-agent.
    pub fn hostctl(&self) -> Command {
        let home = self.path("home");
        std::fs::create_dir_all(&home).expect("home");
        let mut cmd = Command::new(bin());
        cmd.arg("-i").arg(self.inventory());
        cmd.env("HOME", &home)
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("HOSTCTL_INVENTORY")
            .env_remove("HOSTCTL_LOG_DIR");
        cmd.stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.hostctl().args(args).output().expect("run hostctl")).in_fleet(self)
    }

    /// The real binary with `stdin` on its standard input (as --ask-pass and -K read it when
    /// stdin is not a terminal).
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut cmd = self.hostctl();
        cmd.args(args);
        Run::from(output_with_stdin(cmd, stdin)).in_fleet(self)
    }

    /// Waits until the audit log holds `host`'s result (of a run still in flight).
    pub fn wait_for_host_record(&self, host: &str) {
        let started = std::time::Instant::now();
        while !self.audit().iter().any(|r| r["host"] == host) {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "{host} never recorded"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    pub(crate) fn listener_pid(&self, host: &str) -> i32 {
        let pid = std::fs::read_to_string(self.path(&format!("hosts/{host}/listener.pid")))
            .expect("listener pid");
        pid.trim().parse().expect("pid")
    }

    /// Runs `script` with sh inside `host`'s namespaces (its /tmp, its hostname), as root.
    pub fn on_host(&self, host: &str, script: &str) -> String {
        let out = Command::new("nsenter")
            .args([
                "-t",
                &self.listener_pid(host).to_string(),
                "-m",
                "-u",
                "sh",
                "-c",
                script,
            ])
            .output()
            .expect("nsenter");
        assert!(
            out.status.success(),
            "on {host}: `{script}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The processes of `host` whose command line contains `needle`, one `PID ARGS` line each.
    /// A host's processes are those in its mount namespace, so this sees a command even after
    /// it was reparented to init, and never a process of another host or another test's fleet.
    pub fn processes(&self, host: &str, needle: &str) -> String {
        let ns = |pid: &str| std::fs::read_link(format!("/proc/{pid}/ns/mnt")).ok();
        let host_ns = ns(&self.listener_pid(host).to_string()).expect("host's mount namespace");
        let mut out = String::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if !pid.bytes().all(|b| b.is_ascii_digit()) || ns(&pid).as_ref() != Some(&host_ns) {
                continue;
            }
            let args = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let args = String::from_utf8_lossy(&args).replace('\0', " ");
            if args.contains(needle) {
                out.push_str(&format!("{pid} {}\n", args.trim_end()));
            }
        }
        out
    }

    /// Kills `host`'s sshd and every session it serves: the host is down.
    pub fn kill(&self, host: &str) {
        let root = self.listener_pid(host);
        let mut pids = descendants(root);
        pids.push(root);
        for pid in pids {
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        // Down means down: until the listener is gone, its socket may still take a connection
        // that nobody answers ("Failed getting banner" instead of "connection refused").
        let started = std::time::Instant::now();
        while std::fs::read_to_string(format!("/proc/{root}/stat")).is_ok_and(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        }) {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "{host}'s sshd survived SIGKILL"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = std::fs::remove_file(self.path(&format!("hosts/{host}/listener.pid")));
    }

    /// Drops every open connection to `host`: SIGKILL to the per-connection sshd processes
    /// (monitor and session), sparing the listener and the user's commands, whose pipes close
    /// as they would when the network cuts a session.
    pub fn drop_connections(&self, host: &str) {
        for pid in descendants(self.listener_pid(host)) {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() == "sshd" {
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }

    /// Gives `host` a new host key (as a reinstall would) and restarts its sshd.
    pub fn rekey(&self, host: &str) {
        self.kill(host);
        let key = self.path(&format!("hosts/{host}/ssh_host_ed25519_key"));
        let _ = std::fs::remove_file(&key);
        let _ = std::fs::remove_file(key.with_extension("pub"));
        let keep = std::fs::read_to_string(self.path("known_hosts")).unwrap();
        self.start_again(host, "");
        // known_hosts keeps only the old key: the client must see a changed key.
        std::fs::write(self.path("known_hosts"), keep).unwrap();
    }

    /// Restarts `host`'s sshd with `sshd_config` lines added (e.g. `Ciphers aes128-ctr`).
    pub fn restart_with(&self, host: &str, sshd_config: &str) {
        self.kill(host);
        self.start_again(host, sshd_config);
    }

    fn start_again(&self, host: &str, sshd_config: &str) {
        // Only `ns:` hosts have 127.0.0.1 (inside their own network namespace).
        let address = match self.address(host) {
            "127.0.0.1" => "netns",
            a => a,
        };
        let out = Command::new(FLEET)
            .arg("up")
            .arg(self.dir.path())
            .arg(format!("{host}={address}"))
            .env("FLEET_SSHD_EXTRA", sshd_config)
            .output()
            .expect("fleet up");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Records of the audit log (default location: logs/ next to the inventory), oldest first.
    pub fn audit(&self) -> Vec<serde_json::Value> {
        hostctl::audit::read_lines(&self.path("logs"))
            .expect("read the audit log")
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line `{l}`: {e}")))
            .collect()
    }

    /// Whether `host`'s sshd saw a connection (from anyone: hostctl, a probe, a bastion).
    pub fn contacted(&self, host: &str) -> bool {
        std::fs::read_to_string(self.path(&format!("hosts/{host}/sshd.log")))
            .expect("sshd.log")
            .contains("Connection from")
    }
}

/// A bastion that listens on a loopback address of the root network namespace and serves each
/// connection with `sshd -i` inside another host's network namespace: the only way in.
pub struct Bastion {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The per-connection `sshd -i` processes running now.
    connections: Arc<std::sync::Mutex<Vec<i32>>>,
}

impl Bastion {
    /// Cuts every connection the bastion holds (SIGKILL to its sshd processes), as a crash or
    /// a network cut would. New connections are still accepted.
    pub fn cut(&self) {
        for pid in self.connections.lock().unwrap().drain(..) {
            for p in descendants(pid).into_iter().chain([pid]) {
                unsafe { libc::kill(p, libc::SIGKILL) };
            }
        }
    }
}

impl Fleet {
    pub fn bastion_into(&self, name: &str, address: &str, inner: &str) -> Bastion {
        let h = self.path(&format!("hosts/{name}"));
        std::fs::create_dir_all(&h).unwrap();
        let key = h.join("ssh_host_ed25519_key");
        let ok = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key)
            .status()
            .unwrap();
        assert!(ok.success());
        let config = h.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "HostKey {}\nAuthorizedKeysFile {}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nPidFile none\nLogLevel VERBOSE\n",
                key.display(),
                self.path("authorized_keys").display()
            ),
        )
        .unwrap();
        let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        let line = format!(
            "[{address}]:2222 {}\n",
            public
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        );
        let mut known = std::fs::OpenOptions::new()
            .append(true)
            .open(self.path("known_hosts"))
            .unwrap();
        std::io::Write::write_all(&mut known, line.as_bytes()).unwrap();
        let listener = std::net::TcpListener::bind((address, 2222)).expect("bastion address");
        listener.set_nonblocking(true).unwrap();
        let netns = format!("--net=/proc/{}/ns/net", self.listener_pid(inner));
        let log = h.join("sshd.log");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let connections = Arc::new(std::sync::Mutex::new(Vec::new()));
        let live = connections.clone();
        let thread = std::thread::spawn(move || {
            let mut children = Vec::new();
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let out = stream.try_clone().unwrap();
                        let child = Command::new("nsenter")
                            .arg(&netns)
                            .args(["/usr/sbin/sshd", "-i", "-f"])
                            .arg(&config)
                            .arg("-E")
                            .arg(&log)
                            .stdin(Stdio::from(std::os::fd::OwnedFd::from(stream)))
                            .stdout(Stdio::from(std::os::fd::OwnedFd::from(out)))
                            .stderr(Stdio::null())
                            .spawn();
                        if let Ok(c) = &child {
                            live.lock().unwrap().push(c.id() as i32);
                        }
                        children.extend(child);
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
                }
                children.retain_mut(|c| c.try_wait().ok().flatten().is_none());
            }
            for mut c in children {
                let _ = c.kill();
                let _ = c.wait();
            }
        });
        Bastion {
            stop,
            thread: Some(thread),
            connections,
        }
    }
}

impl Drop for Bastion {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = Command::new(FLEET)
            .arg("down")
            .arg(self.dir.path())
            .output();
    }
}

/// All processes below `root` (sshd's per-connection children and their sessions).
pub fn descendants(root: i32) -> Vec<i32> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The command name is in parentheses and may hold spaces: split after the last ')'.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let ppid: i32 = after
            .split(' ')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        parent_of.push((pid, ppid));
    }
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for &(child, parent) in &parent_of {
            if parent == p && !out.contains(&child) {
                out.push(child);
                frontier.push(child);
            }
        }
    }
    out
}

/// A finished hostctl run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// What varies between runs, for [`Run::stdout_eq`] and [`Run::stderr_eq`].
    redactions: snapbox::Redactions,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            redactions: redactions(),
        }
    }
}

/// The redactions every whole-output assertion shares: only what differs from one run of the
/// same test to the next. Each placeholder stands for a shape, never for free text, so a
/// changed word, count, status or host name still fails the assertion.
/// - `[ELAPSED]`: a duration as hostctl measures it (`0.31s`); fixed durations such as
///   `--timeout 1s` keep their text.
/// - `[OP]`: an operation id (hex milliseconds and 4 hex digits).
/// - `[TIME]`: a timestamp of today (`2026-11-25T03:52:28Z`, `2026-11-25 03:52:28`); `[TODAY]`
///   today's date (UTC), as in the daily file's name. Other dates and times (a test's own, such
///   as a certificate's expiry) stay as they are. "Today" is every date since this test process
///   started (see [`dates_of_this_run`]), so a run that crosses midnight UTC still passes.
/// - `[FINGERPRINT]`: a key's `SHA256:` fingerprint (every fleet makes keys of its own).
/// - `[OPERATOR]`: `user@machine` of whoever runs the suite; `[BIN]` the hostctl binary.
///
/// Paths and addresses that a test creates are added per run: [`Fleet::run`] redacts the
/// fleet's directory as `[FLEET]` and its network as `[NET]` (so `web02` shows as `[NET].2`).
pub fn redactions() -> snapbox::Redactions {
    redactions_on(&dates_of_this_run())
}

/// [`redactions`] with `dates` as the dates of "today".
pub fn redactions_on(dates: &[String]) -> snapbox::Redactions {
    let mut r = snapbox::Redactions::new();
    let regex = |re: &str| regex::Regex::new(re).expect("redaction regex");
    r.insert("[ELAPSED]", regex(r"\b\d+\.\d\ds\b")).unwrap();
    r.insert("[OP]", regex(r"\b[0-9a-f]{15}\b")).unwrap();
    // Only this run's dates: a fixed time a test chose (a certificate's expiry) stays as it is.
    let today = format!("(?:{})", dates.join("|"));
    r.insert(
        "[TIME]",
        regex(&format!(
            r"\b{today}[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?"
        )),
    )
    .unwrap();
    // Not the date of a timestamp: that is all `[TIME]`.
    r.insert(
        "[TODAY]",
        regex(&format!(r"(?<redacted>\b{today})(?:[^T 0-9]|$)")),
    )
    .unwrap();
    // Every fleet has keys of its own.
    r.insert("[FINGERPRINT]", regex(r"\bSHA256:[A-Za-z0-9+/]{43}\b"))
        .unwrap();
    r.insert("[OPERATOR]", operator()).unwrap();
    r.insert("[BIN]", bin()).unwrap();
    r
}

/// The dates (UTC, `YYYY-MM-DD`, as the audit log names its daily file) from when this test
/// process started to now: one date, or two for a run that crossed midnight. Every date
/// hostctl wrote in this run is one of them, and a date a test chose is hidden only if it is
/// one of them.
pub fn dates_of_this_run() -> Vec<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    dates_between(process_start().unwrap_or(now), now)
}

/// The dates (UTC) from `from` to `to`, both in seconds since the epoch.
pub fn dates_between(from: u64, to: u64) -> Vec<String> {
    (from.min(to) / 86400..=to / 86400)
        .map(civil_date)
        .collect()
}

/// When this process started, in seconds since the epoch: the boot time (`btime` in
/// /proc/stat) plus the process's start in clock ticks since boot (/proc/self/stat).
fn process_start() -> Option<u64> {
    let btime: u64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name in parentheses, field 22 (starttime) is the 20th.
    let ticks: u64 = stat[stat.rfind(')')? + 2..]
        .split(' ')
        .nth(19)?
        .parse()
        .ok()?;
    let per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok()?;
    Some(btime + ticks / per_second.max(1))
}

/// The date `days` after 1970-01-01, `YYYY-MM-DD` (Howard Hinnant's civil-from-days).
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `user@machine` as hostctl records the operator.
pub fn operator() -> String {
    let mut buf = [0u8; 256];
    assert_eq!(
        unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) },
        0
    );
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
    format!("{user}@{}", String::from_utf8_lossy(&buf[..end]))
}

impl Run {
    /// Adds a redaction for this run's output, e.g. a temp dir the test made as `[DIR]`.
    pub fn redact(mut self, placeholder: &'static str, value: impl std::fmt::Display) -> Run {
        self.redactions
            .insert(placeholder, value.to_string())
            .expect("placeholder in brackets");
        self
    }

    /// Redacts `fleet`'s directory as `[FLEET]` and its addresses' network as `[NET]`.
    pub fn in_fleet(self, fleet: &Fleet) -> Run {
        let dir = fleet.dir.path();
        let canonical = dir.canonicalize().unwrap_or(dir.to_path_buf());
        self.redact("[FLEET]", canonical.display())
            .redact("[FLEET]", dir.display())
            .redact_regex(
                "[NET]",
                &format!(r"(?<redacted>\b{})\.\d", fleet.net.replace('.', r"\.")),
            )
    }

    /// Adds a redaction of what `regex` matches (its `redacted` group, if it has one).
    pub fn redact_regex(mut self, placeholder: &'static str, regex: &str) -> Run {
        self.redactions
            .insert(
                placeholder,
                regex::Regex::new(regex).expect("redaction regex"),
            )
            .expect("placeholder in brackets");
        self
    }

    #[track_caller]
    fn assert_eq(&self, stream: &str, actual: &str, expected: snapbox::Data) {
        let checked = snapbox::Assert::new()
            .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
            // hostctl's output is not a path to make portable: `\n` in a quoted script is text.
            .normalize_paths(false)
            .redact_with(self.redactions.clone())
            .try_eq(Some(&stream), actual.into(), expected);
        if let Err(e) = checked {
            panic!(
                "{e}\n(exit status {})\n--- stdout\n{}\n--- stderr\n{}",
                self.code, self.stdout, self.stderr
            );
        }
    }

    /// The whole of stdout, redacted (see [`redactions`]). `str![[...]]` inline; rewrite them
    /// all with `SNAPSHOTS=overwrite cargo test`.
    #[track_caller]
    pub fn stdout_eq(&self, expected: impl snapbox::IntoData) -> &Run {
        self.assert_eq("stdout", &self.stdout, expected.into_data());
        self
    }

    /// A whole value taken from this run (a JSON field, a file it wrote), with this run's
    /// redactions.
    #[track_caller]
    pub fn text_eq(&self, actual: &str, expected: impl snapbox::IntoData) -> &Run {
        self.assert_eq("value", actual, expected.into_data());
        self
    }

    /// The whole of stderr, redacted (see [`redactions`]).
    #[track_caller]
    pub fn stderr_eq(&self, expected: impl snapbox::IntoData) -> &Run {
        self.assert_eq("stderr", &self.stderr, expected.into_data());
        self
    }

    #[track_caller]
    pub fn code(&self, expected: i32) -> &Run {
        assert_eq!(
            self.code, expected,
            "exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, text: &str) -> &Run {
        assert!(
            self.stdout.contains(text),
            "stdout lacks `{text}`:\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_is(&self, text: &str) -> &Run {
        assert_eq!(self.stderr, text, "stderr");
        self
    }

    /// `--json` output: one value per line.
    pub fn json(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: `{l}`: {e}")))
            .collect()
    }

    /// `--json` host results by host name.
    pub fn host(&self, name: &str) -> serde_json::Value {
        self.json()
            .into_iter()
            .find(|v| v["type"] == "host" && v["host"] == name)
            .unwrap_or_else(|| panic!("no result for {name} in\n{}", self.stdout))
    }
}

/// The audit log's daily files in `dir`, oldest first; none when `dir` does not exist yet.
pub fn daily_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|f| f.extension().is_some_and(|e| e == "jsonl"));
    files.sort();
    files
}

/// `cmd`'s output with `stdin` on its standard input. A program that stops reading early
/// (refusing too much input) closes the pipe: that is its answer, not a test failure.
pub fn output_with_stdin(mut cmd: Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hostctl");
    let _ = std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), stdin.as_bytes());
    child.wait_with_output().expect("hostctl output")
}

/// A new key pair at `path` (and `path.pub`), no passphrase, no comment: `ssh-keygen` with
/// `args` (`-t ed25519`, ...).
pub fn keygen(path: &Path, args: &[&str]) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-N", "", "-C", ""])
        .args(args)
        .arg("-f")
        .arg(path)
        .status()
        .expect("ssh-keygen");
    assert!(ok.success(), "ssh-keygen {args:?}");
}

pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write file");
}

/// A TCP forwarder that cuts any connection on which nothing moved for `idle`, like a NAT or
/// firewall dropping idle flows.
pub struct IdleProxy {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl IdleProxy {
    pub fn start(listen: &str, target: &str, port: u16, idle: std::time::Duration) -> IdleProxy {
        use std::net::{Shutdown, TcpListener, TcpStream};
        let listener = TcpListener::bind((listen, port)).expect("proxy address");
        listener.set_nonblocking(true).unwrap();
        let target = format!("{target}:{port}");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                let server = TcpStream::connect(&target).unwrap();
                let start = std::time::Instant::now();
                let last = Arc::new(std::sync::atomic::AtomicU64::new(0));
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let last = last.clone();
                    std::thread::spawn(move || {
                        from.set_read_timeout(Some(std::time::Duration::from_millis(50)))
                            .unwrap();
                        let mut buf = [0u8; 16384];
                        loop {
                            match std::io::Read::read(&mut from, &mut buf) {
                                Ok(0) => break,
                                Ok(n) => {
                                    if std::io::Write::write_all(&mut to, &buf[..n]).is_err() {
                                        break;
                                    }
                                    last.store(
                                        start.elapsed().as_millis() as u64,
                                        Ordering::SeqCst,
                                    );
                                }
                                Err(e)
                                    if matches!(
                                        e.kind(),
                                        std::io::ErrorKind::WouldBlock
                                            | std::io::ErrorKind::TimedOut
                                    ) =>
                                {
                                    let quiet = start.elapsed().as_millis() as u64
                                        - last.load(Ordering::SeqCst);
                                    if quiet > idle.as_millis() as u64 {
                                        break;
                                    }
                                }
                                Err(_) => break,
                            }
                        }
                        let _ = from.shutdown(Shutdown::Both);
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        IdleProxy {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for IdleProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// SHA-256 as lowercase hex, as hostctl reports it.
pub fn sha256(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
