//! The append-only operation log: daily JSON-lines files (`audit.YYYY-MM-DD.jsonl`, UTC) in the
//! log directory, one hash chain across all of them. The writer is `writer.rs`; this module
//! only names the parts and what the rest of hostctl uses from them.

mod files;
pub mod forward;
mod journald;
mod link;
mod private;
pub mod read;
pub mod record;
pub mod recorder;
pub mod reserve;
pub mod seal;
pub mod select;
mod spool;
mod stamp;
mod syslog;
pub mod verify;
mod writer;

pub use files::{FILE_PREFIX, FILE_SUFFIX, HEAD, file_date, hash_line, log_files, read_lines};
pub use private::exposure;
pub use stamp::{new_op_id, now, operator};
pub use writer::{AuditError, AuditLog};
