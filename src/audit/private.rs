//! The log holds command output (what a `--sudo` command printed included), so the directory is
//! 0700 and every file in it 0600, whatever the umask.
//!
//! An existing log that other users can read is tightened when it belongs to the user running
//! hostctl, and said so once on stderr; what belongs to another user is left alone and reported
//! on every operation, since changing another user's files is not hostctl's call.

use std::fs::{File, OpenOptions, Permissions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Group or other users have some access.
fn exposed(mode: u32) -> bool {
    mode & 0o077 != 0
}

/// Creates `dir` (0700) if needed, then makes it and the files in it private. Returns what to
/// tell the operator.
pub fn prepare(dir: &Path) -> std::io::Result<Vec<String>> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(DIR_MODE).create(dir) {
        // The umask may have taken away more than group and other bits.
        Ok(()) => std::fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))?,
        Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => {}
        Err(e) => return Err(e),
    }
    let mut notes = Vec::new();
    let meta = std::fs::metadata(dir)?;
    let mut dir_tightened = false;
    if exposed(meta.mode()) {
        if meta.uid() == euid() {
            std::fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))?;
            dir_tightened = true;
        } else {
            let name = format!("audit log `{}`", dir.display());
            notes.push(foreign(name, meta.mode(), meta.uid(), "700"));
        }
    }
    let mut files_tightened = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        // Not followed: a symlink's own mode means nothing, and what it points to is not ours.
        let meta = std::fs::symlink_metadata(&path)?;
        if !meta.is_file() || !exposed(meta.mode()) {
            continue;
        }
        if meta.uid() == euid() {
            std::fs::set_permissions(&path, Permissions::from_mode(FILE_MODE))?;
            files_tightened += 1;
        } else {
            let name = format!("`{}` in the audit log", path.display());
            notes.push(foreign(name, meta.mode(), meta.uid(), "600"));
        }
    }
    if dir_tightened || files_tightened > 0 {
        let files = match files_tightened {
            1 => "1 file in it".to_string(),
            n => format!("{n} files in it"),
        };
        let what = match (dir_tightened, files_tightened) {
            (true, 0) => "made it 0700".to_string(),
            (true, _) => format!("made it 0700 and {files} 0600"),
            (false, _) => format!("made {files} 0600"),
        };
        notes.insert(
            0,
            format!(
                "audit log `{}` was readable by other users: {what}",
                dir.display()
            ),
        );
    }
    Ok(notes)
}

fn foreign(name: String, mode: u32, uid: u32, want: &str) -> String {
    format!(
        "{name} is readable by other users (mode {:04o}) and belongs to uid {uid}, so hostctl leaves it: `chmod {want}` it",
        mode & 0o7777
    )
}

/// What other users can read in `dir`, for `log verify` (which changes nothing).
pub fn exposure(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |path: &Path, meta: std::fs::Metadata| {
        if exposed(meta.mode()) && (meta.is_dir() || meta.is_file()) {
            out.push(format!(
                "`{}` (mode {:04o})",
                path.display(),
                meta.mode() & 0o7777
            ));
        }
    };
    if let Ok(meta) = std::fs::metadata(dir) {
        check(dir, meta);
    }
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if let Ok(meta) = std::fs::symlink_metadata(entry.path()) {
            check(&entry.path(), meta);
        }
    }
    out
}

/// Opens a file of the log, creating it 0600; ours ends up 0600 whatever the umask.
pub fn open(path: &Path, options: &mut OpenOptions) -> std::io::Result<File> {
    let file = options.mode(FILE_MODE).open(path)?;
    let meta = file.metadata()?;
    if meta.mode() & 0o777 != FILE_MODE && meta.uid() == euid() {
        file.set_permissions(Permissions::from_mode(FILE_MODE))?;
    }
    Ok(file)
}
