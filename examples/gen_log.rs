//! Writes a valid, hash-chained audit log of N operations (default 100,000) for benchmarking
//! `hostctl log`: 1,000 operations per daily file, each a start, 3 host records and an end.
//!
//!   cargo run --release --example gen_log -- DIR [OPERATIONS]

use hostctl::audit::record::{End, GENESIS, HostResult, Line, Output, Record, Start};
use hostctl::audit::{HEAD, hash_line};
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).expect("usage: gen_log DIR [OPERATIONS]"));
    let count: usize = args
        .get(2)
        .map(|n| n.parse().expect("a number"))
        .unwrap_or(100_000);
    std::fs::create_dir_all(&dir).unwrap();
    let mut prev = GENESIS.to_string();
    let mut file: Option<std::io::BufWriter<std::fs::File>> = None;
    let hosts = ["web01", "web02", "web03", "db01", "db02", "cache01"];
    let base = humantime::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
    for i in 0..count {
        let day = i / 1000;
        if i % 1000 == 0 {
            let date = humantime::format_rfc3339(
                base + std::time::Duration::from_secs(day as u64 * 86_400),
            )
            .to_string();
            let path = dir.join(format!("audit.{}.jsonl", &date[..10]));
            file = Some(std::io::BufWriter::new(
                std::fs::File::create(path).unwrap(),
            ));
        }
        let at =
            base + std::time::Duration::from_secs(day as u64 * 86_400 + (i % 1000) as u64 * 60);
        let time = humantime::format_rfc3339_millis(at).to_string();
        let op = format!("{:011x}{:04x}", 0x019a_0000_0000_u64 + i as u64, i % 0xffff);
        let picked: Vec<String> = (0..3)
            .map(|k| hosts[(i + k * 2) % hosts.len()].to_string())
            .collect();
        let failing = i % 17 == 0;
        let mut records = vec![Record::Start(Start {
            op: op.clone(),
            operator: format!("{}@bastion", ["alice", "bob", "carol"][i % 3]),
            pid: 0,
            argv: vec![
                "hostctl".into(),
                "run".into(),
                "-g".into(),
                "web".into(),
                format!("systemctl restart app{}", i % 50),
            ],
            cwd: "/home/ops".into(),
            inventory: "hosts.toml".into(),
            operation: if i % 5 == 0 {
                "push".into()
            } else {
                "run".into()
            },
            pattern: "web".into(),
            hosts: picked.clone(),
            groups: vec!["web".into()],
            command: Some(format!("systemctl restart app{}", i % 50)),
            input: None,
            sources: vec![],
            destination: None,
            selected_from: vec![],
        })];
        for (k, host) in picked.iter().enumerate() {
            let failed = failing && k == 1;
            records.push(Record::Host(HostResult {
                op: op.clone(),
                host: host.clone(),
                address: format!("10.0.0.{}", k + 1),
                status: if failed { "failed".into() } else { "ok".into() },
                exit_code: Some(if failed { 1 } else { 0 }),
                signal: None,
                reason: None,
                duration_ms: 120,
                finished_ms: Some(130 + 10 * k as u64),
                bytes_in: 40,
                bytes_out: 0,
                stdout: Output {
                    text: format!("restarted app on {host}\n"),
                    bytes: 24,
                    truncated: false,
                    ..Output::default()
                },
                stderr: Output::default(),
                transfer: None,
            }));
        }
        records.push(Record::End(End {
            op: op.clone(),
            counts: hostctl::status::Counts {
                ok: if failing { 2 } else { 3 },
                failed: usize::from(failing),
                ..Default::default()
            },
            interrupted: false,
            exit_code: i32::from(failing),
            duration_ms: 150,
        }));
        let out = file.as_mut().unwrap();
        for record in records {
            let text = serde_json::to_string(&Line {
                prev: prev.clone(),
                time: time.clone(),
                record,
            })
            .unwrap();
            prev = hash_line(&text);
            writeln!(out, "{text}").unwrap();
        }
    }
    drop(file);
    std::fs::write(dir.join(HEAD), format!("{prev}\n")).unwrap();
    println!("wrote {count} operations to {}", dir.display());
}
