//! What every renderer is: the `Renderer` trait, the writers it is handed (`Out`), and notes
//! for the operator outside the results.

use super::summary::Summary;
use crate::event::Event;
use std::io::Write;

/// Where a renderer writes: hostctl's stdout and stderr for the command line, buffers in
/// tests. Write errors are ignored: a closed pipe (`| head`) is not worth dying over mid-run.
pub struct Out<'a> {
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
}

pub trait Renderer {
    /// Whether it shows output as it arrives, and so needs `Output` events.
    fn wants_output(&self) -> bool {
        false
    }
    fn event(&mut self, event: &Event, out: &mut Out);
    fn finish(&mut self, summary: &Summary, out: &mut Out);
}

/// A note for the operator on stderr, outside the results (so `--json` stays clean).
pub fn note(stderr: &mut dyn Write, text: &str) {
    let _ = writeln!(stderr, "hostctl: note: {text}");
}
