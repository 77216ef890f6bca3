//! `hostctl log report` after real runs against real sshd hosts, rendered in a real browser
//! (headless Chromium): the page holds what the log holds, and nothing from a host runs in it.

use hostctl_test_support as support;

use snapbox::str;
use std::path::Path;
use std::process::Command;
use support::Fleet;

/// Headless Chromium on a local file, with nothing that reaches out to the network.
fn chromium(page: &Path, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium (Debian package `chromium`; scripts/test installs it)");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_report_shows_operations_hosts_and_output_and_runs_nothing_from_a_host() {
    let fleet = Fleet::start(&["web01", "web02", "web03"]);
    // Mixed results: web02 fails, web03 prints markup that must stay text.
    let command = "hostname; case $(hostname) in web02) echo broken >&2; exit 3;; \
                   web03) echo '<script>document.title=\"pwned\"</script><img src=x onerror=alert(1)>';; esac";
    // One host at a time: the log, and so the page, lists hosts in the order they finished.
    fleet
        .run(&["run", "-g", "all", "-f", "1", "--accept-new", command])
        .code(1);
    let conf = fleet.path("app.conf");
    support::write(&conf, "listen 80\n");
    fleet
        .run(&[
            "push",
            "-g",
            "web01",
            conf.to_str().unwrap(),
            "/tmp/app.conf",
        ])
        .code(0);
    // Every host's finish time is on the operation's clock, for the timeline.
    for host in fleet.audit().iter().filter(|r| r["kind"] == "host") {
        assert!(host["finished_ms"].is_u64(), "{host}");
    }

    let page = fleet.path("report.html");
    let run = fleet
        .run(&["log", "report", "-o", page.to_str().unwrap()])
        .in_fleet(&fleet);
    run.code(0).stdout_eq(str![]).stderr_eq(str![[r#"
wrote [FLEET]/report.html: 2 operations

"#]]);
    let html = std::fs::read_to_string(&page).unwrap();
    // The whole page, but where each host's bar starts and how wide it is: that is timing.
    run.redact_regex("[X]", r#"<rect class="\w+" x="(?<redacted>[0-9.]+)""#)
        .redact_regex("[WIDTH]", r#"<rect [^>]* width="(?<redacted>[0-9.]+)""#)
        .text_eq(&html, snapbox::file!["snapshots/report.html": Text]);
    // Pinned above, and kept as a rule of its own: nothing a page could fetch or run.
    for needle in ["http://", "https://", "<script", "<link", "@import", "url("] {
        assert!(
            !html.contains(needle),
            "the page must load nothing: `{needle}`"
        );
    }

    // What a browser makes of it: the DOM after parsing (Chromium's serialisation, so only
    // what its parser decided is checked; the page itself is pinned whole above).
    let dom = chromium(&page, &["--dump-dom"]);
    assert!(
        dom.contains("<title>hostctl report</title>"),
        "a host's script ran"
    );
    assert!(
        dom.contains("&lt;script&gt;document.title=\"pwned\"&lt;/script&gt;"),
        "the hostile output must be shown as text"
    );
    assert!(
        !dom.contains("<img src=\"x\""),
        "a host's markup became an element"
    );
    assert!(dom.contains("<svg class=\"timeline\""), "no timeline");

    // And what it looks like: a screenshot that is not blank.
    let shot = fleet.path("report.png");
    chromium(
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,900",
        ],
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let step = info.color_type.samples();
    let inked = pixels[..info.buffer_size()]
        .chunks(step)
        .filter(|p| p[..3].iter().any(|&c| c < 200))
        .count();
    let total = (info.width * info.height) as usize;
    assert!(
        inked * 200 > total,
        "the screenshot is blank: {inked} of {total} pixels have ink"
    );
    // Kept for a person to look at: HOSTCTL_REPORT_SHOT=path copies it out.
    if let Ok(keep) = std::env::var("HOSTCTL_REPORT_SHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}

#[test]
fn a_report_of_an_empty_selection_is_still_a_page() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("logs")).unwrap();
    let page = dir.path().join("r.html");
    let out = Command::new(support::bin())
        .args(["--log-dir"])
        .arg(dir.path().join("logs"))
        .args(["log", "report", "-o"])
        .arg(&page)
        .output()
        .unwrap();
    let run = support::Run::from(out).redact("[DIR]", dir.path().display());
    run.code(0).stdout_eq(str![]).stderr_eq(str![[r#"
wrote [DIR]/r.html: 0 operations

"#]]);
    let html = std::fs::read_to_string(&page).unwrap();
    run.text_eq(&html, snapbox::file!["snapshots/report-empty.html": Text]);
}
