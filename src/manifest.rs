//! The local side of a push, decided at plan time: the sources walked and hashed, and the path
//! each entry lands at on every host, before any host is contacted. Also the helpers for the
//! `/`-separated remote paths that push and pull name.

use crate::digest::sha256_file;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// One thing to create on the hosts, with the path it lands at on every host.
#[derive(Debug, Clone)]
pub struct Entry {
    pub local: PathBuf,
    /// Where it lands, decided from the command line alone (`/srv/www/site/css/a.css`).
    pub remote: String,
    pub kind: EntryKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    File {
        size: u64,
        mode: u32,
        sha256: String,
    },
    Dir {
        mode: u32,
    },
    Symlink {
        target: String,
    },
}

/// Why the local side of a push cannot be planned; found before any host is contacted.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read `{}`: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot list `{}`: {source}", path.display())]
    Unlistable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{}` is a directory (use -r to copy it)", path.display())]
    DirWithoutRecursive { path: PathBuf },
    #[error("`{}` has no file name to copy it under", path.display())]
    NoName { path: PathBuf },
    #[error("`{}` is not valid UTF-8; hostctl copies only UTF-8 names", path.display())]
    NotUtf8 { path: PathBuf },
    #[error("`{}` is not a regular file, directory or symlink", path.display())]
    Special { path: PathBuf },
    #[error(
        "`{}` and `{}` would both land at `{remote}` on the hosts",
        first.display(),
        second.display()
    )]
    Collision {
        first: PathBuf,
        second: PathBuf,
        remote: String,
    },
}

/// Local sources walked and hashed (each file read once here, and once per host to send),
/// and where each lands. The layout is decided here, from the command line alone, never from
/// what a host already holds: the same command lands the same files at the same paths on
/// every host and every run (README "Where files land").
#[derive(Debug, Clone)]
pub struct Manifest {
    pub entries: Vec<Entry>,
    /// The sources as given.
    pub sources: Vec<PathBuf>,
    /// The directory that receives the copy: REMOTE, or REMOTE's parent when REMOTE names the
    /// copy itself. It must exist on the host (`--mkdir` creates it); it is never re-moded.
    pub holder: String,
    /// REMOTE names the copy itself: one file (or symlink) and REMOTE without a trailing `/`.
    pub as_file: bool,
}

impl Manifest {
    /// The rule (README "Where files land"):
    /// - REMOTE is the copy's own path when there is one source, it is not a directory, and
    ///   REMOTE does not end in `/` (or `.`, `..`). Otherwise REMOTE is a directory.
    /// - Into a directory, each source lands under its own name (`site` -> `REMOTE/site/...`),
    ///   except a source ending in `/` (or `.`, `..`), whose contents land (`site/` ->
    ///   `REMOTE/...`).
    pub fn build(
        sources: &[PathBuf],
        recursive: bool,
        remote: &str,
    ) -> Result<Manifest, ManifestError> {
        let mut entries = Vec::new();
        let into = dir_part(remote);
        let mut as_file = false;
        for source in sources {
            let meta =
                std::fs::symlink_metadata(source).map_err(|e| ManifestError::Unreadable {
                    path: source.clone(),
                    source: e,
                })?;
            if meta.is_dir() && !recursive {
                return Err(ManifestError::DirWithoutRecursive {
                    path: source.clone(),
                });
            }
            if meta.is_dir() && names_contents(source) {
                let root = entries.len();
                walk(source, into.to_string(), &mut entries)?;
                // The root is the receiving directory itself: created with --mkdir, never
                // re-moded (it may be `/etc`).
                entries.remove(root);
                continue;
            }
            let name = source.file_name().ok_or_else(|| ManifestError::NoName {
                path: source.clone(),
            })?;
            let name = utf8(Path::new(name))?;
            as_file = sources.len() == 1 && !meta.is_dir() && !names_dir(remote);
            let at = if as_file {
                remote.to_string()
            } else {
                join(into, &name)
            };
            walk(source, at, &mut entries)?;
        }
        let holder = if as_file {
            parent(remote).to_string()
        } else {
            into.to_string()
        };
        let mut seen: std::collections::HashMap<&str, &Entry> = std::collections::HashMap::new();
        for e in &entries {
            if let Some(first) = seen.insert(&e.remote, e) {
                let both_dirs = matches!(first.kind, EntryKind::Dir { .. })
                    && matches!(e.kind, EntryKind::Dir { .. });
                if !both_dirs {
                    return Err(ManifestError::Collision {
                        first: first.local.clone(),
                        second: e.local.clone(),
                        remote: e.remote.clone(),
                    });
                }
            }
        }
        Ok(Manifest {
            entries,
            sources: sources.to_vec(),
            holder,
            as_file,
        })
    }

    pub fn total_bytes(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| match e.kind {
                EntryKind::File { size, .. } => size,
                _ => 0,
            })
            .sum()
    }
}

/// A local source ending in `/` (or `.`, `..`) names its contents, as with rsync.
fn names_contents(source: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    use std::path::Component;
    let bytes = source.as_os_str().as_bytes();
    // `components()` drops a trailing `/` and `/.`, so those are read from the bytes.
    bytes.ends_with(b"/")
        || bytes.ends_with(b"/.")
        || matches!(
            source.components().next_back(),
            Some(Component::CurDir | Component::ParentDir)
        )
}

/// A REMOTE ending in `/` (or `.`, `..`) names a directory.
fn names_dir(remote: &str) -> bool {
    remote.ends_with('/') || matches!(base(remote), "." | "..")
}

/// REMOTE as the directory the copy lands in: without its trailing `/`s (`/` stays `/`).
fn dir_part(remote: &str) -> &str {
    match remote.trim_end_matches('/') {
        "" => "/",
        dir => dir,
    }
}

fn walk(path: &Path, remote: String, out: &mut Vec<Entry>) -> Result<(), ManifestError> {
    let unreadable = |e| ManifestError::Unreadable {
        path: path.to_path_buf(),
        source: e,
    };
    let meta = std::fs::symlink_metadata(path).map_err(unreadable)?;
    let mode = meta.permissions().mode() & 0o7777;
    let kind = if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path).map_err(unreadable)?;
        EntryKind::Symlink {
            target: utf8(&target)?,
        }
    } else if meta.is_dir() {
        EntryKind::Dir { mode }
    } else if meta.is_file() {
        let sha256 = sha256_file(path).map_err(unreadable)?;
        EntryKind::File {
            size: meta.len(),
            mode,
            sha256,
        }
    } else {
        return Err(ManifestError::Special {
            path: path.to_path_buf(),
        });
    };
    let is_dir = matches!(kind, EntryKind::Dir { .. });
    out.push(Entry {
        local: path.to_path_buf(),
        remote: remote.clone(),
        kind,
    });
    if is_dir {
        let mut children: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| ManifestError::Unlistable {
                path: path.to_path_buf(),
                source: e,
            })?
            .filter_map(|e| e.ok())
            .collect();
        children.sort_by_key(|e| e.file_name());
        for child in children {
            let name = utf8(Path::new(&child.file_name()))?;
            walk(&child.path(), join(&remote, &name), out)?;
        }
    }
    Ok(())
}

fn utf8(path: &Path) -> Result<String, ManifestError> {
    path.to_str()
        .map(str::to_string)
        .ok_or_else(|| ManifestError::NotUtf8 {
            path: path.to_path_buf(),
        })
}

/// Joins remote paths with `/`, without doubling it.
pub fn join(dir: &str, rel: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{rel}")
    } else {
        format!("{dir}/{rel}")
    }
}

/// The remote parent directory of `path` (`.` for a bare name).
pub fn parent(path: &str) -> &str {
    match path.trim_end_matches('/').rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

pub fn base(path: &str) -> &str {
    let p = path.trim_end_matches('/');
    p.rsplit('/').next().unwrap_or(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_path_helpers() {
        assert_eq!(join("/tmp", "a"), "/tmp/a");
        assert_eq!(join("/tmp/", "a"), "/tmp/a");
        assert_eq!(parent("/tmp/a"), "/tmp");
        assert_eq!(parent("/a"), "/");
        assert_eq!(parent("a"), ".");
        assert_eq!(base("/tmp/dir/"), "dir");
    }

    fn tree() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        std::fs::create_dir_all(site.join("css")).unwrap();
        std::fs::create_dir_all(site.join("empty")).unwrap();
        std::fs::write(site.join("index.html"), "hi").unwrap();
        std::fs::write(site.join("css/a.css"), "x").unwrap();
        std::os::unix::fs::symlink("index.html", site.join("home.html")).unwrap();
        (dir, site)
    }

    fn landing(sources: &[PathBuf], recursive: bool, remote: &str) -> (Vec<String>, String, bool) {
        let m = Manifest::build(sources, recursive, remote).unwrap();
        let at = m.entries.iter().map(|e| e.remote.clone()).collect();
        (at, m.holder, m.as_file)
    }

    #[test]
    fn manifest_walks_trees_in_order_and_refuses_dirs_without_r() {
        let (dir, site) = tree();
        let m = Manifest::build(std::slice::from_ref(&site), true, "/srv/www").unwrap();
        let at: Vec<&str> = m.entries.iter().map(|e| e.remote.as_str()).collect();
        assert_eq!(
            at,
            [
                "/srv/www/site",
                "/srv/www/site/css",
                "/srv/www/site/css/a.css",
                "/srv/www/site/empty",
                "/srv/www/site/home.html",
                "/srv/www/site/index.html"
            ]
        );
        assert_eq!(
            m.entries[4].kind,
            EntryKind::Symlink {
                target: "index.html".into()
            }
        );
        assert_eq!((m.holder.as_str(), m.as_file), ("/srv/www", false));
        assert_eq!(m.total_bytes(), 3);
        assert_eq!(
            Manifest::build(&[site], false, "/srv/www")
                .unwrap_err()
                .to_string(),
            format!(
                "`{}` is a directory (use -r to copy it)",
                dir.path().join("site").display()
            )
        );
        let missing = dir.path().join("nope");
        assert!(
            Manifest::build(&[missing], false, "/tmp/")
                .unwrap_err()
                .to_string()
                .starts_with("cannot read `")
        );
    }

    /// The layout depends on the command line only: `site` lands as `REMOTE/site`, `site/`
    /// as its contents, one file at REMOTE itself unless REMOTE ends in `/`.
    #[test]
    fn the_layout_follows_the_trailing_slash_rule() {
        let (_dir, site) = tree();
        let contents = PathBuf::from(format!("{}/", site.display()));
        for remote in ["/srv/www", "/srv/www/", "/srv/www//"] {
            let (at, holder, as_file) = landing(std::slice::from_ref(&contents), true, remote);
            assert_eq!(
                at,
                [
                    "/srv/www/css",
                    "/srv/www/css/a.css",
                    "/srv/www/empty",
                    "/srv/www/home.html",
                    "/srv/www/index.html"
                ],
                "{remote}"
            );
            assert_eq!((holder.as_str(), as_file), ("/srv/www", false));
            let (at, _, _) = landing(std::slice::from_ref(&site), true, remote);
            assert_eq!(at[0], "/srv/www/site", "{remote}");
        }
        let dot = PathBuf::from(format!("{}/.", site.display()));
        assert_eq!(landing(&[dot], true, "/srv").0[0], "/srv/css");
        let file = site.join("index.html");
        let one = std::slice::from_ref(&file);
        assert_eq!(
            landing(one, false, "/etc/app.conf"),
            (vec!["/etc/app.conf".to_string()], "/etc".to_string(), true)
        );
        assert_eq!(
            landing(one, false, "/etc/"),
            (
                vec!["/etc/index.html".to_string()],
                "/etc".to_string(),
                false
            )
        );
        // -r changes nothing for a file; `.` and `/` are directories.
        assert_eq!(landing(one, true, "/etc/x").0, ["/etc/x"]);
        assert_eq!(landing(one, false, ".").0, ["./index.html"]);
        assert_eq!(landing(one, false, "/").0, ["/index.html"]);
        assert_eq!(landing(one, false, "conf").1, ".");
        // Several sources: REMOTE is a directory, with or without the slash.
        let two = [file.clone(), site.join("css/a.css")];
        assert_eq!(
            landing(&two, false, "/etc/app"),
            (
                vec![
                    "/etc/app/index.html".to_string(),
                    "/etc/app/a.css".to_string()
                ],
                "/etc/app".to_string(),
                false
            )
        );
        // A single symlink is copied as a symlink, at REMOTE.
        assert_eq!(
            landing(&[site.join("home.html")], false, "/x/h").0,
            ["/x/h"]
        );
    }

    #[test]
    fn two_sources_landing_on_one_path_are_refused() {
        let (dir, site) = tree();
        std::fs::create_dir_all(dir.path().join("other/css")).unwrap();
        std::fs::write(dir.path().join("other/index.html"), "other").unwrap();
        let err = Manifest::build(
            &[site.join("index.html"), dir.path().join("other/index.html")],
            false,
            "/srv/",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "`{}` and `{}` would both land at `/srv/index.html` on the hosts",
                site.join("index.html").display(),
                dir.path().join("other/index.html").display()
            )
        );
        // Two trees' contents merge where both have a directory; a file in both collides.
        let contents = |p: &Path| PathBuf::from(format!("{}/", p.display()));
        let err = Manifest::build(
            &[contents(&site), contents(&dir.path().join("other"))],
            true,
            "/srv",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("would both land at `/srv/index.html` on the hosts"),
            "{err}"
        );
    }
}
