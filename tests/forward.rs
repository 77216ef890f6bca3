//! Forwarding the audit log to a real rsyslog (UDP, TCP with octet counting, TLS through
//! rsyslog's gnutls driver), started by each test on its own loopback address, and to a journal
//! socket that speaks journald's native protocol (this machine may have no journald: the test
//! owns the socket and parses what arrives).

use hostctl_test_support as support;

use snapbox::str;
use std::collections::HashSet;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use support::{Fleet, Offline, Run};

static NEXT_COLLECTOR: AtomicU32 = AtomicU32::new(1);

const UDP_PORT: u16 = 5514;
const TCP_PORT: u16 = 5514;
const TLS_PORT: u16 = 6514;

/// A real rsyslogd with UDP, TCP and TLS inputs, each written to its own file as
/// `MSGID <TAB> structured data as rsyslog parsed it (JSON) <TAB> MSG`.
struct Collector {
    dir: tempfile::TempDir,
    address: String,
    child: Option<Child>,
}

/// One message as rsyslog received it.
#[derive(Debug, Clone)]
struct Received {
    msgid: String,
    sd: serde_json::Value,
    msg: String,
}

impl Received {
    fn param(&self, name: &str) -> Option<&str> {
        self.sd["hostctl@32473"][name].as_str()
    }
}

impl Collector {
    /// Generates a CA and a server certificate for the collector's address, writes its own
    /// configuration and starts it.
    fn start() -> Collector {
        let octet = std::env::var("HOSTCTL_TEST_NET")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|o| (2..=254).contains(o))
            .unwrap_or(20 + std::process::id() % 200);
        // Fleets use 127.OCTET.1-250.x: the .0 network is free for collectors.
        let n = NEXT_COLLECTOR.fetch_add(1, Ordering::SeqCst);
        let address = format!("127.{octet}.0.{}", n % 250 + 1);
        let dir = tempfile::tempdir().expect("collector dir");
        let d = dir.path();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(d)
                .output()
                .expect("run openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=hostctl test CA",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=collector",
        ]);
        std::fs::write(d.join("san.ext"), format!("subjectAltName=IP:{address}\n")).unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ]);
        std::fs::create_dir_all(d.join("work")).unwrap();
        let p = |name: &str| d.join(name).display().to_string();
        let conf = format!(
            r#"global(workDirectory="{work}" maxMessageSize="1m"
  defaultNetstreamDriverCAFile="{ca}" defaultNetstreamDriverCertFile="{cert}"
  defaultNetstreamDriverKeyFile="{key}")
module(load="imudp")
module(load="imtcp" maxFrameSize="1100000")
module(load="mmpstrucdata")
template(name="received" type="string" string="%msgid%\t%$!rfc5424-sd%\t%msg%\n")
ruleset(name="udp") {{ action(type="mmpstrucdata") action(type="omfile" file="{udp}" template="received") }}
ruleset(name="tcp") {{ action(type="mmpstrucdata") action(type="omfile" file="{tcp}" template="received") }}
ruleset(name="tls") {{ action(type="mmpstrucdata") action(type="omfile" file="{tls}" template="received") }}
input(type="imudp" address="{address}" port="{UDP_PORT}" ruleset="udp")
input(type="imtcp" address="{address}" port="{TCP_PORT}" ruleset="tcp")
input(type="imtcp" address="{address}" port="{TLS_PORT}" ruleset="tls"
  streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
"#,
            work = p("work"),
            ca = p("ca.pem"),
            cert = p("server.pem"),
            key = p("server.key"),
            udp = p("udp.log"),
            tcp = p("tcp.log"),
            tls = p("tls.log"),
        );
        std::fs::write(d.join("rsyslog.conf"), conf).unwrap();
        let mut collector = Collector {
            dir,
            address,
            child: None,
        };
        collector.start_again();
        collector
    }

    fn start_again(&mut self) {
        assert!(self.child.is_none(), "collector already running");
        let d = self.dir.path();
        let _ = std::fs::remove_file(d.join("rsyslogd.pid"));
        let child = Command::new("rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(d.join("rsyslog.conf"))
            .arg("-i")
            .arg(d.join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(d.join("rsyslogd.out")).unwrap())
            .stderr(std::fs::File::create(d.join("rsyslogd.err")).unwrap())
            .spawn()
            .expect("rsyslogd (Debian package rsyslog; scripts/test installs it)");
        self.child = Some(child);
        // Ready when both TCP listeners accept.
        let started = Instant::now();
        for port in [TCP_PORT, TLS_PORT] {
            let addr = format!("{}:{port}", self.address).parse().unwrap();
            while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "rsyslogd did not listen on {addr}: {}",
                    std::fs::read_to_string(d.join("rsyslogd.err")).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// SIGKILL: the collector is gone at once, as in a crash.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn url(&self, transport: &str) -> String {
        let port = match transport {
            "udp" => UDP_PORT,
            "tcp" => TCP_PORT,
            _ => TLS_PORT,
        };
        format!("syslog+{transport}://{}:{port}", self.address)
    }

    /// `run` with what varies redacted: the fleet's paths, this collector's address as
    /// `[COLLECTOR]` and the spool's sizes as `[SIZE]` (records hold the operator, whose name
    /// is as long as this machine's).
    fn redact(&self, run: Run, fleet: &Fleet) -> Run {
        run.in_fleet(fleet)
            .redact("[COLLECTOR]", &self.address)
            .redact_regex(
                "[SIZE]",
                r"(records|pending) \((?<redacted>[0-9.]+ (B|KiB|MiB))\)",
            )
            .redact_regex("[SIZE]", r"\((?<redacted>\d+) of \d+ bytes waiting\)")
    }

    fn received(&self, input: &str) -> Vec<Received> {
        let text = std::fs::read_to_string(self.dir.path().join(format!("{input}.log")))
            .unwrap_or_default();
        text.lines()
            .map(|line| {
                let mut parts = line.splitn(3, '\t');
                let msgid = parts.next().unwrap().to_string();
                let sd = serde_json::from_str(parts.next().expect("sd")).expect("sd as JSON");
                let msg = parts.next().expect("msg").trim_start().to_string();
                Received { msgid, sd, msg }
            })
            .collect()
    }

    /// Waits until `input` holds every record whose hash is in `hashes`.
    fn wait_for(&self, input: &str, hashes: &[String]) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.received(input);
            let seen: HashSet<&str> = got.iter().filter_map(|r| r.param("hash")).collect();
            if hashes.iter().all(|h| seen.contains(h.as_str())) {
                return got;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{input}: {} of {} records arrived",
                hashes.iter().filter(|h| seen.contains(h.as_str())).count(),
                hashes.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits until the local log holds `n` lines and the collector got the first `n` over each
/// of `transports`.
fn forwarded(fleet: &Fleet, collector: &Collector, n: usize, transports: &[&str]) {
    let started = Instant::now();
    loop {
        let lines = local_lines(fleet);
        if lines.len() >= n {
            for transport in transports {
                collector.wait_for(transport, &hashes(&lines[..n]));
            }
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no host finished"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The local log's lines, oldest first.
fn local_lines(fleet: &Fleet) -> Vec<String> {
    hostctl::audit::read_lines(&fleet.path("logs")).unwrap()
}

/// `dir` and everything under it.
fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn hashes(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| support::sha256(l.as_bytes()))
        .collect()
}

/// The records in the order they first arrived (at-least-once: duplicates dropped by hash).
fn first_arrivals(got: &[Received]) -> Vec<String> {
    let mut seen = HashSet::new();
    got.iter()
        .filter_map(|r| r.param("hash"))
        .filter(|h| seen.insert(h.to_string()))
        .map(String::from)
        .collect()
}

fn fleet() -> Fleet {
    Fleet::start(&["web01", "web02", "db01"])
}

#[test]
fn every_record_reaches_udp_tcp_and_tls_with_its_structured_data() {
    let fleet = fleet();
    let collector = Collector::start();
    // One destination from the inventory, two from the command line.
    fleet.write_inventory(&format!(
        "[audit]\nforward = [\"{}\"]\nca_file = \"{}\"\n",
        collector.url("udp"),
        collector.ca().display()
    ));
    // An operator name that needs RFC 5424 escaping (`"`, `\`, `]`) in the structured data.
    let run = Run::from(
        fleet
            .hostctl()
            .env("USER", r#"ali"ce\]"#)
            .args([
                "run",
                "-g",
                "web[01:02],db01",
                "--audit-forward",
                &collector.url("tcp"),
                "--audit-forward",
                &collector.url("tls"),
                "echo out; test $(hostname) != db01",
            ])
            .output()
            .unwrap(),
    );
    run.code(1);
    assert_eq!(run.stderr, "", "nothing to warn about");
    let lines = local_lines(&fleet);
    assert_eq!(lines.len(), 5, "start, three hosts, end");
    let records: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let op = records[0]["op"].as_str().unwrap();
    let operator = records[0]["operator"].as_str().unwrap();
    assert!(operator.starts_with(r#"ali"ce\]@"#), "{operator}");
    for input in ["udp", "tcp", "tls"] {
        let got = collector.wait_for(input, &hashes(&lines));
        assert_eq!(got.len(), 5, "{input}: each record once: {got:?}");
        for ((received, line), record) in got.iter().zip(&lines).zip(&records) {
            // The MSG is the record's line as the local log holds it.
            assert_eq!(&received.msg, line, "{input}");
            assert_eq!(received.msgid, record["kind"].as_str().unwrap());
            assert_eq!(
                received.param("hash"),
                Some(support::sha256(line.as_bytes()).as_str())
            );
            assert_eq!(received.param("op"), Some(op));
            assert_eq!(received.param("operator"), Some(operator), "{input}");
            assert_eq!(received.param("operation"), Some("run"));
            assert_eq!(received.param("pattern"), Some("web[01:02],db01"));
            match record["kind"].as_str().unwrap() {
                "host" => {
                    assert_eq!(received.param("host"), record["host"].as_str());
                    assert_eq!(received.param("status"), record["status"].as_str());
                }
                "start" => assert_eq!(received.param("status"), Some("started")),
                "end" => {
                    assert_eq!(received.param("status"), Some("done"));
                    assert_eq!(received.param("exit"), Some("1"));
                }
                other => panic!("unexpected record {other}"),
            }
        }
        let statuses: Vec<_> = got.iter().filter_map(|r| r.param("status")).collect();
        assert_eq!(statuses.iter().filter(|s| **s == "failed").count(), 1);
    }
}

#[test]
fn records_that_log_commands_write_go_where_operations_forwarded() {
    let fleet = fleet();
    let collector = Collector::start();
    fleet
        .run(&[
            "run",
            "-g",
            "all",
            "--audit-forward",
            &collector.url("tcp"),
            "true",
        ])
        .code(0);
    // `log` commands read no inventory: they forward to the destinations the spools name.
    let key = fleet.path("auditor.key");
    fleet
        .run(&["log", "seal", "init", "--verify-key", key.to_str().unwrap()])
        .code(0);
    fleet.run(&["log", "prune", "--older-than", "30d"]).code(0);
    let lines = local_lines(&fleet);
    assert_eq!(lines.len(), 7);
    let got = collector.wait_for("tcp", &hashes(&lines));
    assert_eq!(first_arrivals(&got), hashes(&lines));
    assert_eq!(got[5].msgid, "seal_init");
    assert_eq!(got[6].msgid, "prune");
    // The prune record goes out as the log holds it: sealed, first of the new epoch.
    assert_eq!(got[6].msg, lines[6]);
    let prune: serde_json::Value = serde_json::from_str(&got[6].msg).unwrap();
    assert_eq!(
        (&prune["seal"]["epoch"], &prune["seal"]["seq"]),
        (&1.into(), &1.into()),
        "{prune}"
    );
}

#[test]
fn a_collector_outage_loses_nothing_and_keeps_the_order() {
    let fleet = fleet();
    let mut collector = Collector::start();
    fleet.write_inventory(&format!(
        "[audit]\nforward = [\"{}\", \"{}\"]\nca_file = \"{}\"\n",
        collector.url("tcp"),
        collector.url("tls"),
        collector.ca().display()
    ));
    fleet.run(&["run", "-g", "all", "true"]).code(0);
    collector.wait_for("tcp", &hashes(&local_lines(&fleet)));

    // One host at a time, a second each: the collector dies after the first host's record
    // arrived, while the others still run.
    let child = fleet
        .hostctl()
        .args(["run", "-g", "all", "-f", "1", "sleep 1; hostname"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    forwarded(&fleet, &collector, 7, &["tcp", "tls"]);
    collector.kill();
    let during = collector.redact(Run::from(child.wait_with_output().unwrap()), &fleet);
    during.code(0).stderr_eq(str![[r#"
hostctl: warning: audit forwarding: `syslog+tcp://[COLLECTOR]:5514`: Connection refused (os error 111); 3 records ([SIZE]) wait in the spool: they go first in the next operation, or now with `hostctl log forward`
hostctl: warning: audit forwarding: `syslog+tls://[COLLECTOR]:6514`: Connection refused (os error 111); 3 records ([SIZE]) wait in the spool: they go first in the next operation, or now with `hostctl log forward`

"#]]);

    // While it is down, `log forward` says what waits and fails.
    let pending = collector.redact(fleet.run(&["log", "forward"]), &fleet);
    pending
        .code(3)
        .stdout_eq(str![[r#"
syslog+tcp://[COLLECTOR]:5514: sent 0 records, 3 pending ([SIZE]): Connection refused (os error 111)
syslog+tls://[COLLECTOR]:6514: sent 0 records, 3 pending ([SIZE]): Connection refused (os error 111)

"#]])
        .stderr_eq(str![]);

    // Back up: the next operation sends what waited before its own records.
    collector.start_again();
    fleet.run(&["run", "-g", "all", "true"]).code(0);
    let lines = local_lines(&fleet);
    assert_eq!(lines.len(), 15);
    for input in ["tcp", "tls"] {
        let got = collector.wait_for(input, &hashes(&lines));
        assert_eq!(
            first_arrivals(&got),
            hashes(&lines),
            "{input}: in log order"
        );
        for received in &got {
            let line = lines
                .iter()
                .find(|l| support::sha256(l.as_bytes()) == received.param("hash").unwrap())
                .unwrap();
            assert_eq!(&received.msg, line);
        }
    }
    collector
        .redact(fleet.run(&["log", "forward"]), &fleet)
        .code(0)
        .stdout_eq(str![[r#"
syslog+tcp://[COLLECTOR]:5514: sent 0 records, nothing pending
syslog+tls://[COLLECTOR]:6514: sent 0 records, nothing pending

"#]])
        .stderr_eq(str![]);
}

#[test]
fn log_forward_drains_the_spool_once_the_collector_is_back() {
    let fleet = fleet();
    let mut collector = Collector::start();
    collector.kill();
    fleet.write_inventory(&format!(
        "[audit]\nforward = [\"{}\"]\n",
        collector.url("tcp")
    ));
    let run = collector.redact(fleet.run(&["run", "-g", "all", "hostname"]), &fleet);
    run.code(0).stderr_eq(str![[r#"
hostctl: warning: audit forwarding: `syslog+tcp://[COLLECTOR]:5514`: Connection refused (os error 111); 5 records ([SIZE]) wait in the spool: they go first in the next operation, or now with `hostctl log forward`

"#]]);
    // The spool holds the records: private like the log.
    for entry in walk(&fleet.path("logs/forward")) {
        let mode = std::fs::metadata(&entry).unwrap().permissions().mode() & 0o777;
        let want = if entry.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{}", entry.display());
    }
    let down = fleet.run(&["log", "forward", "--json"]);
    down.code(3);
    let report = &down.json()[0];
    assert_eq!(report["url"], collector.url("tcp").as_str());
    assert_eq!(
        (report["sent"].as_u64(), report["pending"].as_u64()),
        (Some(0), Some(5))
    );
    down.text_eq(
        report["error"].as_str().unwrap(),
        str!["Connection refused (os error 111)"],
    );

    collector.start_again();
    collector
        .redact(fleet.run(&["log", "forward"]), &fleet)
        .code(0)
        .stdout_eq(str![[r#"
syslog+tcp://[COLLECTOR]:5514: sent 5 records, nothing pending

"#]])
        .stderr_eq(str![]);
    let lines = local_lines(&fleet);
    let got = collector.wait_for("tcp", &hashes(&lines));
    assert_eq!(first_arrivals(&got), hashes(&lines));
}

#[test]
fn a_full_spool_is_reported_and_fails_the_exit_status() {
    let fleet = fleet();
    let mut collector = Collector::start();
    collector.kill();
    fleet.write_inventory(&format!(
        "[audit]\nforward = [\"{}\"]\nspool_size = \"4K\"\n",
        collector.url("tcp")
    ));
    // Host records of more than 1 KiB each, one host at a time: the spool fills up.
    let run = fleet.run(&[
        "run",
        "-g",
        "all",
        "-f",
        "1",
        "head -c 1200 /dev/zero | tr '\\0' x",
    ]);
    run.code(3);
    let run = collector.redact(run, &fleet);
    run.stderr_eq(str![[r#"
error: audit forwarding: `syslog+tcp://[COLLECTOR]:5514`: the spool is full ([SIZE] of 4096 bytes waiting): 2 records not forwarded (they are in the local log); raise `[audit] spool_size`

"#]]);
    // Records that did not fit, as the message counts them (pinned above).
    let dropped: usize = run
        .stderr
        .split("bytes waiting): ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", run.stderr));
    // The local log has every record, and still verifies.
    let lines = local_lines(&fleet);
    assert_eq!(lines.len(), 5);
    fleet.run(&["log", "verify"]).code(0);

    // What fit arrives in log order once the collector is back; what did not is missing.
    collector.start_again();
    fleet.run(&["log", "forward"]).code(0);
    let all = hashes(&lines);
    let started = Instant::now();
    let got = loop {
        let got = first_arrivals(&collector.received("tcp"));
        if got.len() + dropped >= all.len() || started.elapsed() > Duration::from_secs(30) {
            break got;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(got.len(), all.len() - dropped, "{got:?}");
    let mut rest = all.iter();
    assert!(
        got.iter().all(|h| rest.any(|a| a == h)),
        "in log order, nothing but the log's records"
    );
    assert_eq!(got[0], all[0], "the start record fit");
}

#[test]
fn audit_required_with_the_collector_down_contacts_no_host() {
    let fleet = fleet();
    let mut collector = Collector::start();
    collector.kill();
    let run = fleet.run(&[
        "run",
        "-g",
        "all",
        "--audit-required",
        "--audit-forward",
        &collector.url("tcp"),
        "touch /tmp/ran",
    ]);
    collector.redact(run, &fleet).code(3).stderr_eq(str![[r#"
hostctl: warning: audit forwarding: `syslog+tcp://[COLLECTOR]:5514`: Connection refused (os error 111); 2 records ([SIZE]) wait in the spool: they go first in the next operation, or now with `hostctl log forward`
error: audit forwarding is required, and `syslog+tcp://[COLLECTOR]:5514`: Connection refused (os error 111): no host was contacted

"#]]);
    for host in ["web01", "web02", "db01"] {
        assert!(!fleet.contacted(host), "{host} was contacted");
    }
    // The local log says so: a start, and an end with every host skipped.
    let records: Vec<serde_json::Value> = local_lines(&fleet)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["kind"], "end");
    assert_eq!(records[1]["skipped"], 3);
    assert_eq!(records[1]["exit_code"], 3);
}

#[test]
fn audit_required_stops_new_hosts_once_a_record_cannot_be_delivered() {
    let fleet = fleet();
    let mut collector = Collector::start();
    // One host at a time (db01, web01, web02), three seconds each: the collector dies once the
    // first host's record arrived, while the second host runs.
    let child = fleet
        .hostctl()
        .args([
            "run",
            "-g",
            "all",
            "-f",
            "1",
            "--audit-required",
            "--audit-forward",
            &collector.url("tcp"),
            "sleep 3; hostname",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    forwarded(&fleet, &collector, 2, &["tcp"]);
    collector.kill();
    let run = collector.redact(Run::from(child.wait_with_output().unwrap()), &fleet);
    run.code(3).stderr_eq(str![[r#"
hostctl: warning: audit forwarding: `syslog+tcp://[COLLECTOR]:5514`: Connection refused (os error 111); 3 records ([SIZE]) wait in the spool: they go first in the next operation, or now with `hostctl log forward`
error: audit forwarding is required, and `syslog+tcp://[COLLECTOR]:5514`: Connection refused (os error 111): 1 of 3 hosts were not started

"#]]);
    assert!(fleet.contacted("db01") && fleet.contacted("web01"));
    assert!(
        !fleet.contacted("web02"),
        "a host started after a record was lost"
    );
    let records: Vec<serde_json::Value> = local_lines(&fleet)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let web02 = records.iter().find(|r| r["host"] == "web02").unwrap();
    assert_eq!(web02["status"], "skipped");
    assert_eq!(
        web02["reason"],
        "not started: an audit record did not reach its destination (--audit-required)"
    );
    assert_eq!(records.last().unwrap()["exit_code"], 3);
}

/// A journal socket owned by the test: parses journald's native protocol, including a payload
/// passed in a memfd.
struct Journal {
    socket: UnixDatagram,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Journal {
    fn bind() -> Journal {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.socket");
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Journal {
            socket,
            path,
            _dir: dir,
        }
    }

    /// The next entry's fields; a datagram carrying a descriptor is read from that memfd.
    fn next(&self) -> Vec<(String, Vec<u8>)> {
        let mut buf = vec![0u8; 1 << 20];
        let mut control = [0u8; 64];
        // SAFETY: recvmsg into buffers that outlive the call; the control message, if any,
        // carries one descriptor that we take ownership of.
        let (n, fd) = unsafe {
            let mut iov = libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            };
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = control.len() as _;
            let n = libc::recvmsg(self.socket.as_raw_fd(), &mut msg, 0);
            assert!(n >= 0, "recvmsg: {}", std::io::Error::last_os_error());
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            let fd = if cmsg.is_null() {
                None
            } else {
                assert_eq!((*cmsg).cmsg_type, libc::SCM_RIGHTS);
                let fd: libc::c_int = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                Some(OwnedFd::from_raw_fd(fd))
            };
            (n as usize, fd)
        };
        let data = match fd {
            Some(fd) => {
                assert_eq!(n, 0, "a memfd comes in an empty datagram");
                let seals = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) };
                assert!(seals & libc::F_SEAL_WRITE != 0, "the memfd is sealed");
                let mut file = std::fs::File::from(fd);
                let mut data = Vec::new();
                std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0)).unwrap();
                std::io::Read::read_to_end(&mut file, &mut data).unwrap();
                data
            }
            None => buf[..n].to_vec(),
        };
        parse_native(&data)
    }
}

/// journald's native format: `NAME=value\n`, or `NAME\n` + le64 length + value + `\n`.
fn parse_native(mut data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut fields = Vec::new();
    while !data.is_empty() {
        let nl = data.iter().position(|&b| b == b'\n').expect("field ends");
        let head = &data[..nl];
        if let Some(eq) = head.iter().position(|&b| b == b'=') {
            fields.push((
                String::from_utf8(head[..eq].to_vec()).unwrap(),
                head[eq + 1..].to_vec(),
            ));
            data = &data[nl + 1..];
        } else {
            let name = String::from_utf8(head.to_vec()).unwrap();
            let len = u64::from_le_bytes(data[nl + 1..nl + 9].try_into().unwrap()) as usize;
            let value = data[nl + 9..nl + 9 + len].to_vec();
            assert_eq!(
                data[nl + 9 + len],
                b'\n',
                "binary field ends with a newline"
            );
            fields.push((name, value));
            data = &data[nl + 10 + len..];
        }
    }
    fields
}

fn get<'a>(fields: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| std::str::from_utf8(v).unwrap())
}

#[test]
fn journald_gets_every_record_with_its_fields_even_one_too_big_for_a_datagram() {
    let fleet = Fleet::start(&["web01", "web02"]);
    let journal = Journal::bind();
    // web02's record holds 64 KiB of output, escaped by JSON to about 380 KiB: more than a
    // datagram may carry, so it goes through a memfd.
    let url = format!("journald://{}", journal.path.display());
    fleet
        .run(&[
            "run",
            "-g",
            "all",
            "--audit-forward",
            &url,
            "test $(hostname) = web01 || head -c 65536 /dev/zero",
        ])
        .code(0);
    let lines = local_lines(&fleet);
    assert_eq!(lines.len(), 4);
    let mut got: Vec<Vec<(String, Vec<u8>)>> = (0..4).map(|_| journal.next()).collect();
    // Host records may arrive in either order of finishing: the log's order is the truth.
    got.sort_by_key(|f| {
        lines
            .iter()
            .position(|l| Some(l.as_str()) == get(f, "MESSAGE"))
            .expect("MESSAGE is a record's line")
    });
    for (fields, line) in got.iter().zip(&lines) {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(get(fields, "MESSAGE"), Some(line.as_str()));
        assert_eq!(get(fields, "SYSLOG_IDENTIFIER"), Some("hostctl"));
        assert_eq!(get(fields, "HOSTCTL_KIND"), record["kind"].as_str());
        assert_eq!(get(fields, "HOSTCTL_OP"), record["op"].as_str());
        assert_eq!(get(fields, "HOSTCTL_OPERATION"), Some("run"));
        assert_eq!(get(fields, "HOSTCTL_PATTERN"), Some("all"));
        assert_eq!(
            get(fields, "HOSTCTL_HASH"),
            Some(support::sha256(line.as_bytes()).as_str())
        );
        if record["kind"] == "host" {
            assert_eq!(get(fields, "HOSTCTL_HOST"), record["host"].as_str());
            assert_eq!(get(fields, "HOSTCTL_STATUS"), Some("ok"));
        }
    }
    assert!(
        lines.iter().any(|l| l.len() > 300_000),
        "one record needed a memfd"
    );
}

#[test]
fn destinations_are_checked_before_anything_runs() {
    let hosts = Offline::new(&["web01"]);
    hosts
        .run(&["run", "-g", "all", "--audit-forward", "syslog://x", "true"])
        .code(2)
        .stdout_eq("")
        .stderr_is("error: --audit-forward: unknown audit destination `syslog://x`: expected `syslog+udp://HOST:PORT`, `syslog+tcp://HOST:PORT`, `syslog+tls://HOST:PORT` or `journald`\n");
    hosts.write_inventory("[audit]\nforward = [\"syslog+tcp://x:99999\"]\n");
    hosts
        .run(&["run", "-g", "all", "true"])
        .code(2)
        .stdout_eq("")
        .stderr_eq(snapbox::str![[r#"
error: hosts.toml:10:12: `audit.forward`: `syslog+tcp://x:99999`: invalid port `99999` (1-65535)

"#]]);
    hosts.write_inventory("");
    hosts
        .run(&["run", "-g", "all", "--audit-required", "true"])
        .code(2)
        .stdout_eq("")
        .stderr_is("error: --audit-required: no destination to require (add --audit-forward URL or `[audit] forward` in the inventory)\n");
    assert!(!hosts.contacted(), "a host was contacted");
}
