//! `LOCAL_DIR/<host>/` on the controller, reached only through directory descriptors.
//!
//! Every name below LOCAL_DIR is one path component, opened with `O_NOFOLLOW` relative to the
//! descriptor of the directory that holds it (`openat`, `mkdirat`, `renameat`, `symlinkat`),
//! so no symlink there is ever followed, whoever put it there. A symlink (or a file) standing
//! where a directory is to be is removed and replaced; a file or symlink is written as a
//! temporary in the same directory and renamed over whatever stands at its name, which
//! replaces a symlink rather than writing through it. LOCAL_DIR itself is the operator's
//! path and is opened as named.

use crate::temp_name;
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::OsStr;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A directory below LOCAL_DIR, open, with its path for messages.
pub struct Dir {
    fd: OwnedFd,
    pub path: PathBuf,
}

/// The host's own directory, and whether this pull changed anything in it besides files.
pub struct HostDir {
    root: Dir,
    /// Directories created or re-moded, symlinks or files removed to make room.
    pub altered: std::cell::Cell<bool>,
}

fn open_dir_at(parent: &OwnedFd, name: &str) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

impl HostDir {
    /// Creates LOCAL_DIR as the operator named it, then `<host>` below it without following
    /// anything.
    pub fn open(local_dir: &Path, host: &str) -> io::Result<HostDir> {
        std::fs::create_dir_all(local_dir)?;
        let base = Dir {
            fd: rustix::fs::openat(
                rustix::fs::CWD,
                local_dir,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )?,
            path: local_dir.to_path_buf(),
        };
        let altered = std::cell::Cell::new(false);
        let root = base.child(host, Mode::from_raw_mode(0o777), &altered)?;
        Ok(HostDir { root, altered })
    }

    pub fn path(&self) -> &Path {
        &self.root.path
    }

    /// The directory `names` leads to, each made as needed (mode 0700 until its own entry sets
    /// it); whatever else stands in the way is replaced.
    pub fn dir(&self, names: &[&str]) -> io::Result<Dir> {
        let mut dir = self.root.reopen()?;
        for name in names {
            dir = dir.child(name, Mode::from_raw_mode(0o700), &self.altered)?;
        }
        Ok(dir)
    }

    /// The directory `names` leads to, if every one of them is a real directory already.
    pub fn existing_dir(&self, names: &[&str]) -> io::Result<Option<Dir>> {
        let mut dir = self.root.reopen()?;
        for name in names {
            dir = match open_dir_at(&dir.fd, name) {
                Ok(fd) => Dir {
                    fd,
                    path: dir.path.join(name),
                },
                Err(Errno::NOENT | Errno::LOOP | Errno::NOTDIR) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
        }
        Ok(Some(dir))
    }
}

impl Dir {
    fn reopen(&self) -> io::Result<Dir> {
        Ok(Dir {
            fd: self.fd.try_clone()?,
            path: self.path.clone(),
        })
    }

    /// The subdirectory `name`, made with `mode` if missing. A symlink or a file in its place
    /// is removed first: `unlinkat` removes the link itself, never what it points to.
    fn child(&self, name: &str, mode: Mode, altered: &std::cell::Cell<bool>) -> io::Result<Dir> {
        let path = self.path.join(name);
        for _ in 0..8 {
            match open_dir_at(&self.fd, name) {
                Ok(fd) => return Ok(Dir { fd, path }),
                Err(Errno::NOENT) => match rustix::fs::mkdirat(&self.fd, name, mode) {
                    Ok(()) | Err(Errno::EXIST) => altered.set(true),
                    Err(e) => return Err(e.into()),
                },
                Err(Errno::LOOP | Errno::NOTDIR) => {
                    match rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()) {
                        Ok(()) | Err(Errno::NOENT) => altered.set(true),
                        Err(e) => return Err(e.into()),
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        // Only another process racing us on this very name gets here.
        Err(io::Error::other("it keeps changing"))
    }

    /// The mode bits of this directory.
    pub fn mode(&self) -> io::Result<u32> {
        Ok(rustix::fs::fstat(&self.fd)?.st_mode & 0o7777)
    }

    pub fn set_mode(&self, mode: u32) -> io::Result<()> {
        Ok(rustix::fs::fchmod(&self.fd, Mode::from_raw_mode(mode))?)
    }

    /// `name` opened for reading if it is a regular file (a symlink, directory or fifo there
    /// is not), with its size and mode.
    pub fn regular_file(&self, name: &str) -> io::Result<Option<(std::fs::File, u64, u32)>> {
        let fd = match rustix::fs::openat(
            &self.fd,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT | Errno::LOOP | Errno::NXIO) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let stat = rustix::fs::fstat(&fd)?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
            return Ok(None);
        }
        Ok(Some((
            fd.into(),
            stat.st_size as u64,
            stat.st_mode & 0o7777,
        )))
    }

    /// What the symlink `name` points to, if `name` is a symlink.
    pub fn link_target(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => {}
            Ok(_) | Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        match rustix::fs::readlinkat(&self.fd, name, Vec::new()) {
            Ok(target) => Ok(Some(target.into_bytes())),
            Err(Errno::NOENT | Errno::INVAL) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A new hidden temporary in this directory, created with `mode` (the umask applies);
    /// removed again unless renamed into place.
    pub fn temp(&self, mode: u32) -> io::Result<(Temp<'_>, std::fs::File)> {
        loop {
            // Never derived from a host's names: a 255-byte name must still have a temporary.
            let name = temp_name::hidden(None, temp_name::next());
            match rustix::fs::openat(
                &self.fd,
                name.as_str(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(mode),
            ) {
                Ok(fd) => {
                    let temp = Temp {
                        dir: self,
                        name: Some(name),
                    };
                    return Ok((temp, fd.into()));
                }
                // A host may list a file of that very name: take the next one.
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Points `name` at `target`: a new symlink renamed over whatever is there.
    pub fn put_symlink(&self, target: &[u8], name: &str) -> io::Result<()> {
        let temp = temp_name::hidden(None, temp_name::next());
        rustix::fs::symlinkat(OsStr::from_bytes(target), &self.fd, temp.as_str())?;
        let temp = Temp {
            dir: self,
            name: Some(temp),
        };
        temp.rename_to(name)
    }

    pub fn sync(&self) -> io::Result<()> {
        Ok(rustix::fs::fsync(&self.fd)?)
    }
}

/// A temporary in a directory, removed on drop unless `rename_to` put it in place.
pub struct Temp<'a> {
    dir: &'a Dir,
    name: Option<String>,
}

impl Temp<'_> {
    /// Renames the temporary to `name` in the same directory. `rename` replaces a symlink
    /// standing there; it never writes through one.
    pub fn rename_to(mut self, name: &str) -> io::Result<()> {
        let temp = self.name.as_deref().expect("named until renamed");
        rustix::fs::renameat(&self.dir.fd, temp, &self.dir.fd, name)?;
        self.name = None;
        Ok(())
    }
}

impl Drop for Temp<'_> {
    fn drop(&mut self) {
        if let Some(name) = self.name.take() {
            let _ = rustix::fs::unlinkat(&self.dir.fd, name.as_str(), AtFlags::empty());
        }
    }
}

/// The process umask, read without changing it (`umask(2)` can only set it, and another
/// thread would create files under the temporary value). Linux 4.7+ shows it in
/// /proc/self/status; older kernels get the common 022.
pub fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn kind(p: &Path) -> &'static str {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.file_type().is_symlink() => "link",
            Ok(m) if m.is_dir() => "dir",
            Ok(_) => "file",
            Err(_) => "none",
        }
    }

    #[test]
    fn symlinks_in_the_way_are_replaced_never_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let local = tmp.path().join("out");
        std::fs::create_dir_all(local.join("web01/d")).unwrap();
        // A symlink where a directory is to be, one where a file is, and the host dir itself.
        std::os::unix::fs::symlink(&outside, local.join("web01/d/link")).unwrap();
        std::os::unix::fs::symlink(outside.join("f"), local.join("web01/d/f")).unwrap();
        std::os::unix::fs::symlink(&outside, local.join("web02")).unwrap();

        let host = HostDir::open(&local, "web01").unwrap();
        let dir = host.dir(&["d", "link"]).unwrap();
        assert_eq!(dir.path, local.join("web01/d/link"));
        assert_eq!(kind(&local.join("web01/d/link")), "dir");
        let (temp, mut file) = dir.temp(0o644).unwrap();
        std::io::Write::write_all(&mut file, b"evil").unwrap();
        temp.rename_to("evil").unwrap();
        let d = host.dir(&["d"]).unwrap();
        let (temp, _) = d.temp(0o644).unwrap();
        temp.rename_to("f").unwrap();
        assert_eq!(kind(&local.join("web01/d/f")), "file");
        HostDir::open(&local, "web02").unwrap();
        assert_eq!(kind(&local.join("web02")), "dir");
        assert_eq!(
            std::fs::read_dir(&outside).unwrap().count(),
            0,
            "something was written through a symlink"
        );
        assert!(host.altered.get());
    }

    #[test]
    fn lookups_never_follow_and_temporaries_clean_up() {
        let tmp = tempfile::tempdir().unwrap();
        let local = tmp.path().join("out");
        std::fs::create_dir_all(local.join("h/real")).unwrap();
        std::fs::write(local.join("h/real/a"), "abc").unwrap();
        std::os::unix::fs::symlink("real", local.join("h/alias")).unwrap();
        std::os::unix::fs::symlink("a", local.join("h/real/b")).unwrap();
        let host = HostDir::open(&local, "h").unwrap();
        assert!(host.existing_dir(&["alias"]).unwrap().is_none());
        assert!(host.existing_dir(&["missing"]).unwrap().is_none());
        let real = host.existing_dir(&["real"]).unwrap().unwrap();
        let (_, size, _) = real.regular_file("a").unwrap().unwrap();
        assert_eq!(size, 3);
        assert!(real.regular_file("b").unwrap().is_none());
        assert_eq!(real.link_target("b").unwrap().as_deref(), Some(&b"a"[..]));
        assert_eq!(real.link_target("a").unwrap(), None);
        real.put_symlink(b"elsewhere", "b").unwrap();
        assert_eq!(
            std::fs::read_link(local.join("h/real/b")).unwrap(),
            Path::new("elsewhere")
        );
        drop(real.temp(0o600).unwrap());
        let names: Vec<_> = std::fs::read_dir(local.join("h/real"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "a temporary was left: {names:?}");
        real.set_mode(0o750).unwrap();
        assert_eq!(
            std::fs::metadata(local.join("h/real"))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777,
            0o750
        );
        assert_eq!(real.mode().unwrap(), 0o750);
        assert!(!host.altered.get());
        assert!(umask() <= 0o777);
    }
}
