//! `--out-dir DIR`: each host's whole stdout and stderr in `DIR/<host>.out` and `.err`, as they
//! arrive (like pssh -o/-e), whatever the display keeps in memory.

use crate::event::{Event, HostEventKind, HostId, Stream};
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct OutDir {
    dir: PathBuf,
    open: HashMap<(HostId, bool), File>,
    warned: bool,
}

impl OutDir {
    pub fn new(dir: &Path) -> OutDir {
        OutDir {
            dir: dir.to_path_buf(),
            open: HashMap::new(),
            warned: false,
        }
    }

    /// `warnings`: where a file that cannot be written is said, once (hostctl's stderr).
    fn file(&mut self, host: &HostId, stderr: bool, warnings: &mut dyn Write) -> Option<&mut File> {
        let key = (host.clone(), stderr);
        if !self.open.contains_key(&key) {
            let name = format!("{}.{}", host.name, if stderr { "err" } else { "out" });
            match File::create(self.dir.join(name)) {
                Ok(f) => {
                    self.open.insert(key.clone(), f);
                }
                Err(e) => {
                    self.warn(&e, warnings);
                    return None;
                }
            }
        }
        self.open.get_mut(&key)
    }

    fn warn(&mut self, e: &std::io::Error, warnings: &mut dyn Write) {
        if !self.warned {
            let _ = writeln!(
                warnings,
                "hostctl: warning: --out-dir {}: {e}",
                self.dir.display()
            );
            self.warned = true;
        }
    }

    pub fn event(&mut self, event: &Event, warnings: &mut dyn Write) {
        let Event::Host(e) = event else { return };
        match &e.kind {
            HostEventKind::Output { stream, data } => {
                let result = self
                    .file(&e.host, *stream == Stream::Stderr, warnings)
                    .map(|f| f.write_all(data));
                if let Some(Err(err)) = result {
                    self.warn(&err, warnings);
                }
            }
            HostEventKind::Finished(_) => {
                // Both files exist for every host that ran, empty or not; then close them.
                for stderr in [false, true] {
                    self.file(&e.host, stderr, warnings);
                    self.open.remove(&(e.host.clone(), stderr));
                }
            }
            _ => {}
        }
    }
}
