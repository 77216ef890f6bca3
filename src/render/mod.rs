//! Consumers of events that write for people or scripts: blocks per host (default), live
//! prefixed lines (`--stream`), JSON lines (`--json`). Plus the summary every run ends with.
//! They write to the writers they are handed (`Out`), never to the process's own stdout.

mod groups;
mod json;
mod out;
mod outdir;
mod summary;
mod text;

pub use json::JsonRenderer;
pub use out::{Out, Renderer, note};
pub use outdir::OutDir;
pub use summary::Summary;
pub use text::{BlockRenderer, StreamRenderer, Work};
