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
    let text = std::fs::read_to_string(&key).unwrap();
    let steps = match epoch {
        "operation" => "after every operation".to_string(),
        every => format!("every {every}"),
    };
    // Shown once, on stdout, as written to the file ([KEY]).
    run.in_fleet(fleet)
        .redact("[KEY]", text.trim_end())
        .code(0)
        .stderr_eq(str![])
        .stdout_eq(format!(
            "sealing is on in [FLEET]/logs: every record is sealed, and the key steps forward \
             {steps}, erasing the one before\n\
             verification key (shown once; written to [FLEET]/auditor.key):\n\
             \n    [KEY]\n\
             keep it off this machine; check the log anywhere with:\n    \
             hostctl log verify --verify-key [FLEET]/auditor.key\n"
        ));
    key
}

/// A fleet sealing with `epoch` after one `run -g all` of each of `commands`, and the
/// verification key's path.
fn sealed(epoch: &str, commands: &[&str]) -> (Fleet, PathBuf) {
    let fleet = fleet();
    let key = seal_init(&fleet, epoch);
    for command in commands {
        fleet.run(&["run", "-g", "all", command]).code(0);
    }
    (fleet, key)
}

/// `log verify`, with `--verify-key` when given a key: exits `code` and says `says`, whole.
#[track_caller]
fn verify_says(fleet: &Fleet, key: Option<&PathBuf>, code: i32, says: impl snapbox::IntoData) {
    verify(fleet, key)
        .code(code)
        .stderr_eq(str![])
        .stdout_eq(says);
}

fn verify(fleet: &Fleet, key: Option<&PathBuf>) -> Run {
    match key {
        Some(k) => fleet.run(&["log", "verify", "--verify-key", k.to_str().unwrap()]),
        None => fleet.run(&["log", "verify"]),
    }
    .in_fleet(fleet)
}

/// Root's edit of the first host record: its output `ok` becomes `all good`, every later
/// `prev` and `.head` recomputed. Returns the record's index.
fn edit_first_output(fleet: &Fleet) -> usize {
    let target = first_host(&lines(fleet));
    rewrite(fleet, target, |i, line| {
        Some(if i == target {
            line.replace("\"text\":\"ok\\n\"", "\"text\":\"all good\\n\"")
        } else {
            line
        })
    });
    assert!(lines(fleet)[target].contains("all good"), "the edit took");
    target
}

/// Root's edit of the first host record ([`edit_first_output`]), which `key` catches there.
#[track_caller]
fn edit_is_caught(fleet: &Fleet, key: &PathBuf) {
    edit_first_output(fleet);
    verify_says(
        fleet,
        Some(key),
        1,
        str![[r#"
NOT INTACT: [FLEET]/logs/audit.[TODAY].jsonl:3 (operation [OP]): its seal does not match (epoch 1, record 2): the record was changed after it was sealed

"#]],
    );
}

/// Root's removal of the last operation (start, two hosts, end), `.head` moved back.
fn drop_last_operation(fleet: &Fleet) {
    let keep = lines(fleet).len() - 4;
    rewrite(fleet, 0, |i, line| (i < keep).then_some(line));
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

/// Index of the first host record in the log.
fn first_host(lines: &[String]) -> usize {
    lines
        .iter()
        .position(|l| json(l)["kind"] == "host")
        .unwrap()
}

#[test]
fn an_intact_sealed_log_verifies_and_the_key_never_stays_on_the_box() {
    let (fleet, key) = sealed("operation", &["hostname"; 3]);
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
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
    verify_says(
        &fleet,
        Some(&key),
        0,
        str![[r#"
intact: 13 records in 1 file, chain unbroken, 13 sealed records checked (the newest: record 12, epoch 3)

"#]],
    );
    verify_says(
        &fleet,
        None,
        0,
        str![[r#"
intact: 13 records in 1 file, chain unbroken
note: 13 records are sealed; seals were not checked (give --verify-key FILE)

"#]],
    );
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
    let (fleet, key) = sealed("operation", &["echo ok", "echo ok"]);
    edit_is_caught(&fleet, &key);
    verify(&fleet, None).code(0); // what the chain alone cannot see
}

/// The links an attacker attaches to a re-sealed record: (body, seq, prev) -> closes.
type Links<'a> = dyn Fn(&str, u64, &str) -> serde_json::Value + 'a;

#[test]
fn a_record_resealed_with_a_later_epochs_key_is_caught() {
    let (fleet, key) = sealed("operation", &["echo ok", "echo ok"]);
    // Root takes the controller now: `.seal` holds epoch 3's key (two operations closed).
    let (k, epoch, state) = stolen_state(&fleet);
    assert_eq!(epoch, 3);
    let all = lines(&fleet);
    let target = first_host(&all); // epoch 1
    // Three ways to re-seal the edited record and everything after it in epoch 3.
    let attempts: Vec<(&str, Box<Links<'_>>, snapbox::data::Inline)> = vec![
        (
            "no link",
            Box::new(|_, _, _| serde_json::json!([])),
            str![[r#"
NOT INTACT: [FLEET]/logs/audit.[TODAY].jsonl:3 (operation [OP]): sealed in epoch 3 after a record of epoch 1, but nothing links it to the earlier epoch: the records after it were cut off and replaced, or this record was sealed again with a later key

"#]],
        ),
        (
            "the link .seal holds",
            Box::new(|_, _, _| state["pending"]["links"].clone()),
            str![[r#"
NOT INTACT: [FLEET]/logs/audit.[TODAY].jsonl:3 (operation [OP]): sealed in epoch 3 after a record of epoch 1, but its key steps do not lead from epoch 1 to 3: the records after it were cut off and replaced, or this record was sealed again with a later key

"#]],
        ),
        (
            "a link made with the stolen key",
            Box::new(|_, seq, prev| link(&k, 1, 3, seq - 1, prev)),
            str![[r#"
NOT INTACT: [FLEET]/logs/audit.[TODAY].jsonl:3 (operation [OP]): sealed in epoch 3 after a record of epoch 1, but the step from epoch 1 to 3 was not made with epoch 1's key: the records after it were cut off and replaced, or this record was sealed again with a later key

"#]],
        ),
    ];
    for (what, closes, verdict) in attempts {
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
        eprintln!("re-sealed with {what}:");
        run.code(1).stderr_eq(str![]).stdout_eq(verdict);
    }
}

#[test]
fn records_cut_off_the_end_of_a_closed_epoch_are_caught() {
    let (fleet, key) = sealed("operation", &["true", "true"]);
    // The second operation's epoch closed when it ended.
    drop_last_operation(&fleet);
    verify(&fleet, None).code(0);
    verify_says(
        &fleet,
        Some(&key),
        1,
        str![[r#"
NOT INTACT: [FLEET]/logs/.seal: the key stepped to epoch 3 after a record that is not the log's newest (sealed record 4, epoch 1): sealed records were removed from the end

"#]],
    );
}

#[test]
fn the_open_epoch_is_what_remains_exposed() {
    // README: records of the epoch in progress are sealed with the key on disk. With 15-minute
    // epochs, both runs share one; dropping the last run is not detected locally.
    let (fleet, key) = sealed("15m", &["true", "true"]);
    drop_last_operation(&fleet);
    verify_says(
        &fleet,
        Some(&key),
        0,
        str![[r#"
intact: 5 records in 1 file, chain unbroken, 5 sealed records checked (the newest: record 4, epoch 1)

"#]],
    );
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
    let (fleet, key) = sealed("operation", &["echo ok"]);
    std::fs::remove_file(fleet.path("logs/.seal")).unwrap();
    let original = lines(&fleet);
    // hostctl refuses to go on unsealed.
    let run = fleet.run(&["run", "-g", "all", "true"]);
    run.code(3).stdout_eq(str![]).stderr_eq(str![[r#"
error: audit log: the newest record is sealed but the sealing state `[FLEET]/logs/.seal` is missing: restore it, or start again with `hostctl log seal init --force` (a new verification key)

"#]]);
    // Verify fails on the missing state alone...
    verify_says(
        &fleet,
        Some(&key),
        1,
        str![[r#"
NOT INTACT: [FLEET]/logs/.seal: the sealing state is missing: nothing vouches for the end of the log, so sealed records may have been removed from it

"#]],
    );
    // ...and on an edit with the chain and head recomputed, at the record itself.
    edit_is_caught(&fleet, &key);
    // Records appended without a seal are caught too.
    put(&fleet, &original);
    let last = original.last().unwrap().clone();
    let (body, _) = unseal(&last);
    let forged = format!("{{\"prev\":\"{}\"{}", sha256_hex(&last), &body[74..]);
    let mut with_forged = original.clone();
    with_forged.push(forged);
    put(&fleet, &with_forged);
    verify_says(
        &fleet,
        Some(&key),
        1,
        str![[r#"
NOT INTACT: [FLEET]/logs/audit.[TODAY].jsonl:6 (operation [OP]): this record is not sealed, but sealing is on since 5 records before it: it was added or rewritten without the key

"#]],
    );
}

#[test]
fn unsealed_records_after_sealing_started_are_caught() {
    let (fleet, key) = sealed("operation", &["true"]);
    // Strip the seals from the run's records and recompute the chain.
    let target = 1;
    rewrite(&fleet, target, |_, line| Some(unseal(&line).0));
    verify_says(
        &fleet,
        Some(&key),
        1,
        str![[r#"
NOT INTACT: [FLEET]/logs/audit.[TODAY].jsonl:2 (operation [OP]): this record is not sealed, but sealing is on since 1 records before it: it was added or rewritten without the key

"#]],
    );
    // And with every seal gone, the key finds nothing it sealed.
    rewrite(&fleet, 0, |_, line| {
        Some(if line.contains(",\"seal\":{") {
            unseal(&line).0
        } else {
            line
        })
    });
    verify_says(
        &fleet,
        Some(&key),
        1,
        str![[r#"
NOT INTACT: [FLEET]/logs/: no record in the log is sealed under this key: sealing was never started here with it, or the sealed records were removed

"#]],
    );
}

#[test]
fn starting_again_with_another_key_shows_to_the_old_one() {
    let (fleet, old) = sealed("operation", &["true"]);
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
    verify_says(
        &fleet,
        Some(&old),
        1,
        str![[r#"
NOT INTACT: [FLEET]/logs/audit.[TODAY].jsonl:6: sealing was started again here with another key (`hostctl log seal init --force`): check the records from here with that key

"#]],
    );
    verify_says(
        &fleet,
        Some(&fleet.path("new.key")),
        0,
        str![[r#"
intact: 10 records in 1 file, chain unbroken, 5 sealed records checked (the newest: record 4, epoch 1)
note: 5 records before sealing started are covered by the chain only

"#]],
    );
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
    verify_says(
        &fleet,
        Some(&key),
        0,
        str![[r#"
intact: 17 records in 1 file, chain unbroken, 17 sealed records checked (the newest: record 16, epoch 4)

"#]],
    );
}
