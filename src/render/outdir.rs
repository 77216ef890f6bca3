//! `--out-dir DIR`: each host's whole stdout and stderr in `DIR/<host>.out` and `.err`, as they
//! arrive (like pssh -o/-e), whatever the display keeps in memory.

use crate::event::{Event, HostEventKind, Stream};
use crate::plan::Plan;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct OutDir {
    dir: PathBuf,
    open: HashMap<(usize, bool), File>,
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

    fn file(&mut self, plan: &Plan, host: usize, stderr: bool) -> Option<&mut File> {
        if !self.open.contains_key(&(host, stderr)) {
            let name = format!(
                "{}.{}",
                plan.targets[host].name,
                if stderr { "err" } else { "out" }
            );
            match File::create(self.dir.join(name)) {
                Ok(f) => {
                    self.open.insert((host, stderr), f);
                }
                Err(e) => {
                    self.warn(&e);
                    return None;
                }
            }
        }
        self.open.get_mut(&(host, stderr))
    }

    fn warn(&mut self, e: &std::io::Error) {
        if !self.warned {
            eprintln!("hostctl: warning: --out-dir {}: {e}", self.dir.display());
            self.warned = true;
        }
    }

    pub fn event(&mut self, plan: &Plan, event: &Event) {
        let Event::Host(e) = event else { return };
        match &e.kind {
            HostEventKind::Output { stream, data } => {
                let result = self
                    .file(plan, e.host, *stream == Stream::Stderr)
                    .map(|f| f.write_all(data));
                if let Some(Err(err)) = result {
                    self.warn(&err);
                }
            }
            HostEventKind::Finished(_) => {
                // Both files exist for every host that ran, empty or not; then close them.
                for stderr in [false, true] {
                    self.file(plan, e.host, stderr);
                    self.open.remove(&(e.host, stderr));
                }
            }
            _ => {}
        }
    }
}
