//! Tools the model may call. Each has a name, a description, a JSON schema and a risk level;
//! the runtime validates arguments and asks the policy before anything runs.

pub mod common;
pub mod compress;
mod compress_parse;
pub mod context;
pub mod describe;
pub mod envelope;
pub mod fetch;
mod fsat;
mod html_text;
pub mod memory_specs;
pub mod net_guard;
pub mod paths;
pub mod read;
pub mod registry;
pub mod schema;
pub mod search;
pub mod shell;
pub mod specs;
pub mod write;

pub use context::{ToolContext, ToolLimits, ToolOutput};
pub use fetch::web_fetch;
pub use read::{list_dir, read_file};
pub use search::{glob, grep};
pub use write::{edit_file, write_file};
