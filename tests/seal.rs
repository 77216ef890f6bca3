//! Forward-secure sealing against real runs: `hostctl log seal init`, then the attacks the
//! README names, carried out the way root on the controller would (the attacker below seals
//! with HMAC-SHA256 itself, from the design in src/audit/seal.rs, with whatever key `.seal`
//! holds at the time), and `hostctl log verify --verify-key` naming the record.

use hostctl_test_support as support;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use snapbox::str;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;
use support::{Fleet, Run};

fn fleet() -> Fleet {
    Fleet::start(&["web01", "web02"])
}

/// Starts sealing with `epoch`; returns the verification key's path (outside the log).
fn seal_init(fleet: &Fleet, epoch: &str) -> PathBuf {
    let key = fleet.path("auditor.key");
    let run = fleet.run(&[
        "log",
        "seal",
        "init",
        "--verify-key",
        key.to_str().unwrap(),
        "--epoch",
        epoch,
    ]);
    run.code(0);
    let text = std::fs::read_to_string(&key).unwrap();
    // Shown once, on stdout, as written to the file.
    run.stdout_has(text.trim_end());
    key
}

fn verify(fleet: &Fleet, key: Option<&PathBuf>) -> Run {
    match key {
        Some(k) => fleet.run(&["log", "verify", "--verify-key", k.to_str().unwrap()]),
        None => fleet.run(&["log", "verify"]),
    }
}

/// The log as (daily file, lines).
fn files(fleet: &Fleet) -> Vec<(PathBuf, Vec<String>)> {
    support::daily_files(&fleet.path("logs"))
        .into_iter()
        .map(|f| {
            let lines = std::fs::read_to_string(&f)
                .unwrap()
                .lines()
                .map(String::from)
                .collect();
            (f, lines)
        })
        .collect()
}

fn sha256_hex(text: &str) -> String {
    support::sha256(text.as_bytes())
}

/// Root's rewrite: every line from `from` (an index over the whole log) gets `prev` set to the
/// hash of the line before it, each line passing through `edit` first, and `.head` follows.
fn rewrite(fleet: &Fleet, from: usize, mut edit: impl FnMut(usize, String) -> Option<String>) {
    let mut all: Vec<String> = files(fleet).into_iter().flat_map(|(_, l)| l).collect();
    let mut out: Vec<String> = Vec::new();
    for (i, line) in all.drain(..).enumerate() {
        if i < from {
            out.push(line);
            continue;
        }
        let prev = out
            .last()
            .map(|l| sha256_hex(l))
            .unwrap_or_else(|| "0".repeat(64));
        // `prev` is the first field, a fixed 64 hex digits: `{"prev":"` + 64 + `"`.
        let line = format!("{{\"prev\":\"{prev}\"{}", &line[74..]);
        if let Some(line) = edit(i, line) {
            out.push(line);
        }
    }
    put(fleet, &out);
}

/// Puts `lines` back as the whole log, with `.head` on the last. One daily file is enough for
/// these tests (a run across midnight would split it).
fn put(fleet: &Fleet, lines: &[String]) {
    let (path, _) = files(fleet).pop().unwrap();
    for (p, _) in files(fleet).into_iter().filter(|(p, _)| *p != path) {
        std::fs::remove_file(p).unwrap();
    }
    std::fs::write(
        &path,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    std::fs::write(
        fleet.path("logs/.head"),
        format!("{}\n", sha256_hex(lines.last().unwrap())),
    )
    .unwrap();
}

fn lines(fleet: &Fleet) -> Vec<String> {
    files(fleet).into_iter().flat_map(|(_, l)| l).collect()
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap()
}

/// What root reads from `.seal`: the current key and its epoch.
fn stolen_state(fleet: &Fleet) -> (Vec<u8>, u64, serde_json::Value) {
    let state = json(&std::fs::read_to_string(fleet.path("logs/.seal")).unwrap());
    let key = hex(state["key"].as_str().unwrap());
    (key, state["epoch"].as_u64().unwrap(), state)
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn mac(key: &[u8], parts: &[&[u8]]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    to_hex(&m.finalize().into_bytes())
}

/// The line without its seal, and the seal.
fn unseal(line: &str) -> (String, serde_json::Value) {
    let at = line.rfind(",\"seal\":{").expect("a sealed line");
    let seal = json(&line[at + 8..line.len() - 1]);
    (format!("{}}}", &line[..at]), seal)
}

/// Seals `body` as the design says, with `closes` (links into this epoch) as given.
fn reseal(body: &str, key: &[u8], epoch: u64, seq: u64, closes: serde_json::Value) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let tag = mac(
        key,
        &[
            b"hostctl-seal-v1\0",
            &epoch.to_be_bytes(),
            &seq.to_be_bytes(),
            &digest,
        ],
    );
    let mut seal = serde_json::json!({"epoch": epoch, "seq": seq});
    if closes.as_array().is_some_and(|c| !c.is_empty()) {
        seal["closes"] = closes;
    }
    seal["tag"] = tag.into();
    format!("{},\"seal\":{}}}", &body[..body.len() - 1], seal)
}

/// A link from epoch `from` to `to` after record `seq` (chain hash `hash`), made with `key`.
fn link(key: &[u8], from: u64, to: u64, seq: u64, hash: &str) -> serde_json::Value {
    let tag = mac(
        key,
        &[
            b"hostctl-seal-close-v1\0",
            &from.to_be_bytes(),
            &to.to_be_bytes(),
            &seq.to_be_bytes(),
            hash.as_bytes(),
        ],
    );
    serde_json::json!([{"from": from, "to": to, "tag": tag}])
}

fn not_intact(run: &Run) -> &str {
    run.code(1);
    run.stdout
        .lines()
        .find(|l| l.starts_with("NOT INTACT: "))
        .unwrap_or_else(|| panic!("no verdict in {}", run.stdout))
}

/// Index of the first host record in the log.
fn first_host(lines: &[String]) -> usize {
    lines
        .iter()
        .position(|l| json(l)["kind"] == "host")
        .unwrap()
}

#[test]
fn an_intact_sealed_log_verifies_and_the_key_never_stays_on_the_box() {
    let fleet = fleet();
    let key = seal_init(&fleet, "operation");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    for _ in 0..3 {
        fleet.run(&["run", "-g", "all", "hostname"]).code(0);
    }
    let all = lines(&fleet);
    assert_eq!(
        all.len(),
        1 + 3 * 4,
        "seal_init, then start, 2 hosts, end per run"
    );
    assert!(all.iter().all(|l| l.contains(",\"seal\":{\"epoch\":")));
    // Per operation: each run's records share an epoch, the next run starts the next one.
    let epochs: Vec<u64> = all
        .iter()
        .map(|l| unseal(l).1["epoch"].as_u64().unwrap())
        .collect();
    assert_eq!(epochs, [0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    verify(&fleet, Some(&key))
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
intact: 13 records in 1 file, chain unbroken, 13 sealed records checked (the newest: record 12, epoch 3)

"#]]);
    verify(&fleet, None)
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
intact: 13 records in 1 file, chain unbroken
note: 13 records are sealed; seals were not checked (give --verify-key FILE)

"#]]);
    // Nothing in the log directory holds the verification key or a key before the current one.
    let k0 = std::fs::read_to_string(&key).unwrap();
    let k0 = k0.trim().strip_prefix("hostctl-seal-v1:").unwrap();
    for entry in std::fs::read_dir(fleet.path("logs")).unwrap().flatten() {
        if entry.path().is_file() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            assert!(
                !text.contains(k0),
                "{} holds the verification key",
                entry.path().display()
            );
        }
    }
}

#[test]
fn the_documented_rewrite_attack_passes_the_chain_but_not_the_seals() {
    let fleet = fleet();
    let key = seal_init(&fleet, "operation");
    fleet.run(&["run", "-g", "all", "echo ok"]).code(0);
    fleet.run(&["run", "-g", "all", "echo ok"]).code(0);
    // Edit web01's first output, then recompute every later `prev` and `.head`.
    let target = first_host(&lines(&fleet));
    rewrite(&fleet, target, |i, line| {
        Some(if i == target {
            line.replace("\"text\":\"ok\\n\"", "\"text\":\"all good\\n\"")
        } else {
            line
        })
    });
    assert!(lines(&fleet)[target].contains("all good"));
    verify(&fleet, None).code(0); // what the chain alone cannot see
    let verdict = not_intact(&verify(&fleet, Some(&key))).to_string();
    assert!(
        verdict.contains(&format!(".jsonl:{} (operation ", target + 1))
            && verdict.ends_with("its seal does not match (epoch 1, record 2): the record was changed after it was sealed"),
        "{verdict}"
    );
}

/// The links an attacker attaches to a re-sealed record: (body, seq, prev) -> closes.
type Links<'a> = dyn Fn(&str, u64, &str) -> serde_json::Value + 'a;

#[test]
fn a_record_resealed_with_a_later_epochs_key_is_caught() {
    let fleet = fleet();
    let key = seal_init(&fleet, "operation");
    fleet.run(&["run", "-g", "all", "echo ok"]).code(0);
    fleet.run(&["run", "-g", "all", "echo ok"]).code(0);
    // Root takes the controller now: `.seal` holds epoch 3's key (two operations closed).
    let (k, epoch, state) = stolen_state(&fleet);
    assert_eq!(epoch, 3);
    let all = lines(&fleet);
    let target = first_host(&all); // epoch 1
    // Three ways to re-seal the edited record and everything after it in epoch 3.
    let attempts: Vec<(&str, Box<Links<'_>>)> = vec![
        ("no link", Box::new(|_, _, _| serde_json::json!([]))),
        (
            "the link .seal holds",
            Box::new(|_, _, _| state["pending"]["links"].clone()),
        ),
        (
            "a link made with the stolen key",
            Box::new(|_, seq, prev| link(&k, 1, 3, seq - 1, prev)),
        ),
    ];
    for (what, closes) in attempts {
        put(&fleet, &all);
        rewrite(&fleet, target, |i, line| {
            let (mut body, seal) = unseal(&line);
            if i == target {
                body = body.replace("\"text\":\"ok\\n\"", "\"text\":\"all good\\n\"");
            }
            let seq = seal["seq"].as_u64().unwrap();
            let prev = json(&body)["prev"].as_str().unwrap().to_string();
            let links = if i == target {
                closes(&body, seq, &prev)
            } else {
                serde_json::json!([])
            };
            Some(reseal(&body, &k, 3, seq, links))
        });
        let run = verify(&fleet, Some(&key));
        let verdict = not_intact(&run);
        assert!(
            verdict.contains(&format!(".jsonl:{} ", target + 1))
                && verdict.contains("sealed in epoch 3 after a record of epoch 1, but "),
            "{what}: {verdict}"
        );
    }
}

#[test]
fn records_cut_off_the_end_of_a_closed_epoch_are_caught() {
    let fleet = fleet();
    let key = seal_init(&fleet, "operation");
    fleet.run(&["run", "-g", "all", "true"]).code(0);
    fleet.run(&["run", "-g", "all", "true"]).code(0);
    // Drop the second operation (its epoch closed when it ended) and move `.head` back.
    let keep = lines(&fleet).len() - 4;
    rewrite(&fleet, 0, |i, line| (i < keep).then_some(line));
    verify(&fleet, None).code(0);
    let verdict = not_intact(&verify(&fleet, Some(&key))).to_string();
    assert!(
        verdict.ends_with("logs/.seal: the key stepped to epoch 3 after a record that is not the log's newest (sealed record 4, epoch 1): sealed records were removed from the end"),
        "{verdict}"
    );
}

#[test]
fn the_open_epoch_is_what_remains_exposed() {
    // README: records of the epoch in progress are sealed with the key on disk. With 15-minute
    // epochs, both runs share one; dropping the last run is not detected locally.
    let fleet = fleet();
    let key = seal_init(&fleet, "15m");
    fleet.run(&["run", "-g", "all", "true"]).code(0);
    fleet.run(&["run", "-g", "all", "true"]).code(0);
    let keep = lines(&fleet).len() - 4;
    rewrite(&fleet, 0, |i, line| (i < keep).then_some(line));
    verify(&fleet, Some(&key)).code(0);
}

#[test]
fn time_epochs_step_the_key_and_still_verify() {
    let fleet = fleet();
    let key = seal_init(&fleet, "1s");
    fleet.run(&["run", "-g", "all", "true"]).code(0);
    std::thread::sleep(Duration::from_millis(2100));
    fleet.run(&["run", "-g", "all", "true"]).code(0);
    let all = lines(&fleet);
    let first = unseal(&all[1]).1["epoch"].as_u64().unwrap();
    let later = unseal(&all[5]).1;
    assert!(later["epoch"].as_u64().unwrap() >= first + 2, "{later}");
    assert!(
        later["closes"].is_array(),
        "the first record of a new epoch links to the last"
    );
    verify(&fleet, Some(&key)).code(0);
}

#[test]
fn deleting_the_sealing_state_does_not_make_tampering_pass() {
    let fleet = fleet();
    let key = seal_init(&fleet, "operation");
    fleet.run(&["run", "-g", "all", "echo ok"]).code(0);
    std::fs::remove_file(fleet.path("logs/.seal")).unwrap();
    let original = lines(&fleet);
    // hostctl refuses to go on unsealed.
    let run = fleet.run(&["run", "-g", "all", "true"]);
    run.code(3).stdout_eq(str![]).stderr_eq(str![[r#"
error: audit log: the newest record is sealed but the sealing state `[FLEET]/logs/.seal` is missing: restore it, or start again with `hostctl log seal init --force` (a new verification key)

"#]]);
    // Verify fails on the missing state alone...
    let verdict = not_intact(&verify(&fleet, Some(&key))).to_string();
    assert!(
        verdict.contains("logs/.seal: the sealing state is missing"),
        "{verdict}"
    );
    // ...and on an edit with the chain and head recomputed, at the record itself.
    let target = first_host(&lines(&fleet));
    rewrite(&fleet, target, |i, line| {
        Some(if i == target {
            line.replace("\"text\":\"ok\\n\"", "\"text\":\"all good\\n\"")
        } else {
            line
        })
    });
    let verdict = not_intact(&verify(&fleet, Some(&key))).to_string();
    assert!(verdict.contains("its seal does not match"), "{verdict}");
    // Records appended without a seal are caught too.
    put(&fleet, &original);
    let last = original.last().unwrap().clone();
    let (body, _) = unseal(&last);
    let forged = format!("{{\"prev\":\"{}\"{}", sha256_hex(&last), &body[74..]);
    let mut with_forged = original.clone();
    with_forged.push(forged);
    put(&fleet, &with_forged);
    let verdict = not_intact(&verify(&fleet, Some(&key))).to_string();
    assert!(verdict.contains("this record is not sealed"), "{verdict}");
}

#[test]
fn unsealed_records_after_sealing_started_are_caught() {
    let fleet = fleet();
    let key = seal_init(&fleet, "operation");
    fleet.run(&["run", "-g", "all", "true"]).code(0);
    // Strip the seals from the run's records and recompute the chain.
    let target = 1;
    rewrite(&fleet, target, |_, line| Some(unseal(&line).0));
    let verdict = not_intact(&verify(&fleet, Some(&key))).to_string();
    assert!(
        verdict.contains(":2 (operation ")
            && verdict.ends_with("this record is not sealed, but sealing is on since 1 records before it: it was added or rewritten without the key"),
        "{verdict}"
    );
    // And with every seal gone, the key finds nothing it sealed.
    rewrite(&fleet, 0, |_, line| {
        Some(if line.contains(",\"seal\":{") {
            unseal(&line).0
        } else {
            line
        })
    });
    let verdict = not_intact(&verify(&fleet, Some(&key))).to_string();
    assert!(
        verdict.contains("no record in the log is sealed under this key"),
        "{verdict}"
    );
}

#[test]
fn starting_again_with_another_key_shows_to_the_old_one() {
    let fleet = fleet();
    let old = seal_init(&fleet, "operation");
    fleet.run(&["run", "-g", "all", "true"]).code(0);
    let again = fleet.run(&[
        "log",
        "seal",
        "init",
        "--verify-key",
        fleet.path("new.key").to_str().unwrap(),
    ]);
    // The key id is the new random key's.
    again.code(3).stdout_eq(str![]).stderr_eq(str![[r#"
error: audit log: sealing is already on in `[FLEET]/logs` (key [..]); `--force` starts again with a new key

"#]]);
    fleet
        .run(&[
            "log",
            "seal",
            "init",
            "--force",
            "--verify-key",
            fleet.path("new.key").to_str().unwrap(),
        ])
        .code(0);
    fleet.run(&["run", "-g", "all", "true"]).code(0);
    let verdict = not_intact(&verify(&fleet, Some(&old))).to_string();
    assert!(
        verdict.contains("sealing was started again here with another key"),
        "{verdict}"
    );
    verify(&fleet, Some(&fleet.path("new.key")))
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
intact: 10 records in 1 file, chain unbroken, 5 sealed records checked (the newest: record 4, epoch 1)
note: 5 records before sealing started are covered by the chain only

"#]]);
}

#[test]
fn concurrent_runs_keep_their_seals_in_order() {
    let fleet = fleet();
    let key = seal_init(&fleet, "operation");
    let children: Vec<_> = (0..4)
        .map(|_| {
            fleet
                .hostctl()
                .args(["run", "-g", "all", "sleep 0.$((RANDOM % 5)); hostname"])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    verify(&fleet, Some(&key))
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(str![[r#"
intact: 17 records in 1 file, chain unbroken, 17 sealed records checked (the newest: record 16, epoch 4)

"#]]);
}
