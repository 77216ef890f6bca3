//! The README's promises name the tests that back them (`tests/hostile.rs
//! `pull_never_follows_symlinks``): every test it names must exist, so a renamed or removed test
//! cannot leave a claim standing on nothing. Reads files only: no fleet.

use std::collections::BTreeSet;

/// Every test function defined in `tests/*.rs` and in `src/` unit tests, by name.
fn defined_tests() -> BTreeSet<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("tests"), root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut names = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if line.trim() != "#[test]" {
                continue;
            }
            // The fn line follows, after any other attributes.
            for next in lines.by_ref() {
                if let Some(rest) = next.trim().strip_prefix("fn ") {
                    names.insert(rest.split('(').next().unwrap().to_string());
                    break;
                }
            }
        }
    }
    names
}

/// The backticked snake_case names that follow a `tests/FILE.rs` mention, up to the closing
/// parenthesis: the tests a claim cites.
fn cited_tests(readme: &str) -> Vec<(String, String)> {
    let mut cited = Vec::new();
    for (at, _) in readme.match_indices("tests/") {
        let rest = &readme[at..];
        let Some(file_end) = rest.find(".rs") else {
            continue;
        };
        let file = &rest[..file_end + 3];
        if file.contains(char::is_whitespace) {
            continue;
        }
        let tail = &rest[file_end + 3..];
        let scope = &tail[..tail.find(')').unwrap_or(tail.len()).min(600)];
        for (i, piece) in scope.split('`').enumerate() {
            let is_name = i % 2 == 1
                && piece.len() > 12
                && piece.contains('_')
                && piece
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if is_name {
                cited.push((file.to_string(), piece.to_string()));
            }
        }
    }
    cited
}

#[test]
fn every_test_the_readme_cites_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let defined = defined_tests();
    let cited = cited_tests(&readme);
    assert!(cited.len() >= 20, "only {} citations found", cited.len());
    let missing: Vec<String> = cited
        .iter()
        .filter(|(_, name)| !defined.contains(name))
        .map(|(file, name)| format!("{file} `{name}`"))
        .collect();
    assert!(
        missing.is_empty(),
        "the README cites tests that do not exist:\n{}",
        missing.join("\n")
    );
}
