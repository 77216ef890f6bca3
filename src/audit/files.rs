//! The log's files: their names, the order they are read in, and the hash that chains one
//! line to the next.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub const FILE_PREFIX: &str = "audit";
pub const FILE_SUFFIX: &str = "jsonl";

/// Holds the hash of the last line written, so removing or editing the newest records (which
/// no later record vouches for) is detected too.
pub const HEAD: &str = ".head";

/// `2026-11-24` from `audit.2026-11-24.jsonl`.
pub fn file_date(path: &Path) -> Option<&str> {
    let name = path.file_name()?.to_str()?;
    name.strip_prefix(FILE_PREFIX)?
        .strip_prefix('.')?
        .strip_suffix(FILE_SUFFIX)?
        .strip_suffix('.')
}

/// The log files of `dir`, oldest first.
pub fn log_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(&format!("{FILE_PREFIX}.")) && n.ends_with(&format!(".{FILE_SUFFIX}"))
            })
        })
        .collect();
    files.sort();
    Ok(files)
}

/// A line's SHA-256 in hex: what the next line carries as its `prev`.
pub fn hash_line(line: &str) -> String {
    crate::digest::hex(&Sha256::digest(line.as_bytes()))
}

/// Every line of the log files of `dir`, oldest first; a directory not created yet has none.
pub fn read_lines(dir: &Path) -> std::io::Result<Vec<String>> {
    let files = match log_files(dir) {
        Ok(files) => files,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut lines = Vec::new();
    for file in files {
        lines.extend(std::fs::read_to_string(file)?.lines().map(String::from));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_oldest_file_first_and_other_files_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            read_lines(&dir.path().join("none")).unwrap(),
            Vec::<String>::new()
        );
        std::fs::write(dir.path().join("audit.2026-11-25.jsonl"), "c\n").unwrap();
        std::fs::write(dir.path().join("audit.2026-11-24.jsonl"), "a\nb\n").unwrap();
        std::fs::write(dir.path().join("notes.jsonl"), "x\n").unwrap();
        std::fs::write(dir.path().join(HEAD), "y\n").unwrap();
        assert_eq!(read_lines(dir.path()).unwrap(), ["a", "b", "c"]);
    }
}
