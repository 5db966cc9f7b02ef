//! Declarative tasks (`.cw` files, HCL): intake → validated IR → deterministic action list →
//! one model call compiles it into a bundle of small scripts (or built-in templates with
//! `--no-ai`) → validation → one approval → steps through the gate and the sandbox → state.
//!
//! - `parse`, `diag`, `kinds`, `expr`, `vars`, `ir`, `graph`: intake with located errors;
//! - `facts`: OS and runtimes on PATH;
//! - `plan`: dependency order + diff against `state` → actions;
//! - `bundle`, `validate`, `forge`, `templates`: the artifact bundle, its checks, its compilers;
//! - `exec`: running the steps; `drift`, `fixes`: health checks and the fix budget;
//!   `autofix`: the fixes `[tasks] auto_fix` lets apply by themselves;
//! - `watch`: `[tasks] watch` files seen changing (inotify);
//! - `apply`: one run, shared by the CLI and the runtime (`/task apply`); `session_log`: a run
//!   stored as a session (origin `task`).

pub mod apply;
pub mod autofix;
pub mod bundle;
pub mod diag;
pub mod drift;
pub mod exec;
pub mod expr;
pub mod facts;
pub mod fixes;
pub mod forge;
pub mod graph;
pub mod ir;
pub mod kinds;
pub mod parse;
pub mod plan;
pub mod session_log;
pub mod state;
pub mod templates;
pub mod validate;
pub mod vars;
pub mod watch;

pub use diag::Diagnostic;
pub use facts::Facts;
pub use ir::{Resource, Task, load};

#[cfg(test)]
mod ir_tests;
